package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Layout is the on-disk layout of a FER2013 copy.
type Layout int

const (
	// LayoutNone is the layout of data not loaded from disk (synthetic faces).
	LayoutNone Layout = iota
	// LayoutCSV is Kaggle's original fer2013.csv: columns emotion, pixels and
	// (optionally) Usage. Usage "Training" rows go to Train, "PublicTest" to
	// Test and "PrivateTest" to PrivateTest; without a Usage column every row
	// goes to Train.
	LayoutCSV
	// LayoutClassFolders is the common image re-packaging:
	// train/<class>/*.jpg and test/<class>/*.jpg (either may be absent).
	LayoutClassFolders
	// LayoutSplitFolders is train/, val/ (or valid/, validation/) and test/,
	// each with class folders.
	LayoutSplitFolders
)

// String names the layout.
func (l Layout) String() string {
	switch l {
	case LayoutNone:
		return "none"
	case LayoutCSV:
		return "kaggle-csv"
	case LayoutClassFolders:
		return "class-folders"
	case LayoutSplitFolders:
		return "split-folders"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// imageExts are the file extensions accepted inside class folders.
var imageExts = []string{".jpg", ".jpeg", ".png", ".gif"}

// LoadStats describes how a data set was loaded.
type LoadStats struct {
	// Layout is the layout detected.
	Layout Layout
	// Files is the number of images read: files, or CSV rows.
	Files int
	// Ignored lists hidden entries (names starting with ".") that were
	// skipped in the folders, by path.
	Ignored []string
	// ToGray counts images that were not 8-bit grayscale and were converted
	// to it (colour, palette, 16-bit, ...).
	ToGray int
	// Resized counts images that were not 48x48 and were resized to it
	// (bilinear, golang.org/x/image/draw).
	Resized int
	// Workers is the number of decoding goroutines.
	Workers int
	// List, Decode and Total are the time spent listing the files, decoding
	// or parsing them (or reading the cache), and in all.
	List, Decode, Total time.Duration
	// FromCache is true when the images came from the binary cache.
	FromCache bool
	// CachePath is the cache file used or written ("" when caching is off).
	CachePath string
	// CacheNote says why the cache was not read or not written ("" when it
	// was used or written without problem).
	CacheNote string
}

// Option changes how Load works.
type Option func(*options)

type options struct {
	cacheDir string
	noCache  bool
	workers  int
	progress io.Writer
}

// WithCacheDir keeps the binary cache in dir instead of the default
// $XDG_CACHE_HOME/fernb (or ~/.cache/fernb).
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithoutCache neither reads nor writes the binary cache.
func WithoutCache() Option { return func(o *options) { o.noCache = true } }

// WithProgress reports decoding progress, with an ETA, to w.
func WithProgress(w io.Writer) Option { return func(o *options) { o.progress = w } }

// DefaultCacheDir returns the default cache folder: $XDG_CACHE_HOME/fernb, or
// ~/.cache/fernb (os.UserCacheDir).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("data: no user cache folder: %w", err)
	}
	return filepath.Join(d, "fernb"), nil
}

// Load reads the FER2013 copy at path. The layout is detected from the path
// (see DetectLayout): a .csv file (or a folder holding fer2013.csv), class
// folders train/<class>/ and test/<class>/, or split folders train/, val/,
// test/. Labels follow FER2013's order (Classes), whatever the folder order;
// within a split images are ordered by label, then by file name (folders) or
// row (CSV). Non-grayscale or non-48x48 images are converted and counted in
// Stats. Any unreadable, corrupt or unexpected file is an error that names
// it; nothing is skipped silently.
//
// The decoded images are kept in a binary cache (see WithCacheDir) that is
// reused while the source files keep their sizes and modification times.
func Load(path string, opts ...Option) (*Dataset, error) {
	start := time.Now()
	o := options{workers: runtime.GOMAXPROCS(0)}
	for _, opt := range opts {
		opt(&o)
	}
	if o.workers < 1 {
		o.workers = 1
	}
	// A clean path: sources are built with filepath.Join (which cleans), and
	// the cache stores them relative to the root ("a/../b" would not match).
	path = filepath.Clean(path)
	layout, src, err := DetectLayout(path)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Root: path, Layout: layout}
	ds.Stats.Layout = layout
	ds.Stats.Workers = o.workers

	var lists []splitList
	var digest [32]byte
	switch layout {
	case LayoutCSV:
		fi, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		digest = fingerprintCSV(src, fi)
	default:
		lists, ds.Stats.Ignored, err = listFolders(path, layout)
		if err != nil {
			return nil, err
		}
		digest = fingerprintFolders(lists)
	}
	ds.Stats.List = time.Since(start)

	var cachePath string
	if !o.noCache {
		cachePath, err = cacheFile(o.cacheDir, path, layout)
		if err != nil {
			ds.Stats.CacheNote = err.Error()
		} else {
			ds.Stats.CachePath = cachePath
			t0 := time.Now()
			ok, note := readCache(cachePath, digest, ds, src)
			if ok {
				ds.Stats.FromCache = true
				ds.Stats.Decode = time.Since(t0)
				ds.Stats.Total = time.Since(start)
				return ds, nil
			}
			ds.Stats.CacheNote = note
		}
	}

	t0 := time.Now()
	switch layout {
	case LayoutCSV:
		err = loadCSV(src, ds)
	default:
		err = decodeFolders(path, lists, ds, &o)
	}
	if err != nil {
		return nil, err
	}
	ds.Stats.Decode = time.Since(t0)
	if cachePath != "" {
		if err := writeCache(cachePath, digest, ds, src); err != nil {
			ds.Stats.CacheNote = "cache not written: " + err.Error()
		}
	}
	ds.Stats.Total = time.Since(start)
	return ds, nil
}

// DetectLayout returns the layout of the FER2013 copy at path and, for
// LayoutCSV, the CSV file to read. A missing path or a folder of no known
// layout is an error that says what was found.
func DetectLayout(path string) (Layout, string, error) {
	if path == "" {
		return LayoutNone, "", errors.New("data: empty data path")
	}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return LayoutNone, "", fmt.Errorf("data: data path %s does not exist", path)
		}
		return LayoutNone, "", fmt.Errorf("data: %w", err)
	}
	if !fi.IsDir() {
		if strings.EqualFold(filepath.Ext(path), ".csv") {
			return LayoutCSV, path, nil
		}
		return LayoutNone, "", fmt.Errorf("data: unknown layout: %s is a file but not a .csv (want a Kaggle fer2013.csv or a folder with train/ and test/ class folders)", path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return LayoutNone, "", fmt.Errorf("data: %w", err)
	}
	var names []string
	var hasTrain, hasTest, hasVal bool
	var csvs []string
	for _, e := range entries {
		names = append(names, e.Name())
		if e.IsDir() {
			switch splitOfDir(e.Name()) {
			case "train":
				hasTrain = true
			case "test":
				hasTest = true
			case "val":
				hasVal = true
			}
		} else if strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
			csvs = append(csvs, e.Name())
		}
	}
	switch {
	case hasVal:
		return LayoutSplitFolders, "", nil
	case hasTrain || hasTest:
		return LayoutClassFolders, "", nil
	}
	for _, c := range csvs {
		if strings.EqualFold(c, "fer2013.csv") {
			return LayoutCSV, filepath.Join(path, c), nil
		}
	}
	if len(csvs) == 1 {
		return LayoutCSV, filepath.Join(path, csvs[0]), nil
	}
	found := "nothing"
	if len(names) > 0 {
		if len(names) > 8 {
			names = append(names[:8], "...")
		}
		found = strings.Join(names, ", ")
	}
	return LayoutNone, "", fmt.Errorf("data: unknown layout: %s has no train/, val/ or test/ folder and no single .csv file (found: %s)", path, found)
}

// splitOfDir maps a folder name to the split it holds ("" if none).
func splitOfDir(name string) string {
	switch strings.ToLower(name) {
	case "train", "training":
		return "train"
	case "val", "valid", "validation":
		return "val"
	case "test", "testing":
		return "test"
	}
	return ""
}

// ClassIndex returns the FER2013 label of a class name (case-insensitive),
// or -1.
func ClassIndex(name string) int {
	for i, c := range Classes {
		if strings.EqualFold(c, name) {
			return i
		}
	}
	return -1
}

// fileEntry is one image file found in the folders.
type fileEntry struct {
	rel   string // path relative to the root, with '/' separators
	label uint8
	size  int64
	mtime int64 // UnixNano
}

// splitList is the files of one split, in load order.
type splitList struct {
	name  string
	files []fileEntry
}

// listFolders lists the image files of a folder layout, in load order.
func listFolders(root string, layout Layout) ([]splitList, []string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	dirs := map[string]string{} // split -> folder name
	for _, e := range entries {
		s := splitOfDir(e.Name())
		if s == "" || !e.IsDir() {
			continue
		}
		if prev, dup := dirs[s]; dup {
			return nil, nil, fmt.Errorf("data: %s has two %s folders: %s and %s", root, s, prev, e.Name())
		}
		dirs[s] = e.Name()
	}
	var lists []splitList
	var ignored []string
	for _, s := range []string{"train", "val", "test"} {
		dir, ok := dirs[s]
		if !ok {
			continue
		}
		files, ign, err := listSplit(root, dir)
		if err != nil {
			return nil, nil, err
		}
		ignored = append(ignored, ign...)
		lists = append(lists, splitList{name: s, files: files})
	}
	return lists, ignored, nil
}

// listSplit lists root/dir/<class>/* in label order.
func listSplit(root, dir string) ([]fileEntry, []string, error) {
	splitDir := filepath.Join(root, dir)
	entries, err := os.ReadDir(splitDir)
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	var ignored []string
	var classDirs [NumClasses]string
	for _, e := range entries {
		p := filepath.Join(splitDir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			ignored = append(ignored, p)
			continue
		}
		if !e.IsDir() {
			return nil, nil, fmt.Errorf("data: unexpected file %s in split folder %s (want only class folders: %s)", p, splitDir, strings.Join(Classes[:], ", "))
		}
		c := ClassIndex(e.Name())
		if c < 0 {
			return nil, nil, fmt.Errorf("data: unknown class folder %s (want one of %s)", p, strings.Join(Classes[:], ", "))
		}
		if classDirs[c] != "" {
			return nil, nil, fmt.Errorf("data: two folders for class %s: %s and %s", Classes[c], filepath.Join(splitDir, classDirs[c]), p)
		}
		classDirs[c] = e.Name()
	}
	// List the class folders in parallel: stat-ing 32k files is most of a
	// cached reload's time.
	var perClass [NumClasses]struct {
		files   []fileEntry
		ignored []string
		err     error
	}
	var wg sync.WaitGroup
	for c, cd := range classDirs {
		if cd == "" {
			continue
		}
		wg.Go(func() {
			r := &perClass[c]
			r.files, r.ignored, r.err = listClass(dir, splitDir, cd, uint8(c))
		})
	}
	wg.Wait()
	var files []fileEntry
	for _, r := range perClass {
		if r.err != nil {
			return nil, nil, r.err
		}
		files = append(files, r.files...)
		ignored = append(ignored, r.ignored...)
	}
	return files, ignored, nil
}

// listClass lists the images of one class folder splitDir/cd (split folder
// name dir).
func listClass(dir, splitDir, cd string, label uint8) ([]fileEntry, []string, error) {
	classDir := filepath.Join(splitDir, cd)
	ents, err := os.ReadDir(classDir)
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	var ignored []string
	files := make([]fileEntry, 0, len(ents))
	for _, e := range ents {
		p := filepath.Join(classDir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			ignored = append(ignored, p)
			continue
		}
		if e.IsDir() {
			return nil, nil, fmt.Errorf("data: unexpected folder %s inside class folder (want image files)", p)
		}
		if !slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
			return nil, nil, fmt.Errorf("data: unsupported file %s (want %s images)", p, strings.Join(imageExts, ", "))
		}
		info, err := e.Info()
		if err == nil && info.Mode()&os.ModeSymlink != 0 {
			info, err = os.Stat(p)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("data: %w", err)
		}
		if !info.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("data: %s is not a regular file", p)
		}
		files = append(files, fileEntry{
			rel:   dir + "/" + cd + "/" + e.Name(),
			label: label,
			size:  info.Size(),
			mtime: info.ModTime().UnixNano(),
		})
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("data: empty class folder %s (no images)", classDir)
	}
	return files, ignored, nil
}
