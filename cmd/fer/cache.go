package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/data"
)

func init() {
	register("cache", "where fernb writes outside the checkout and how much; clean the data cache; verify it against the images", runCache)
}

// cacheUsage is the help of fer cache.
const cacheUsage = `fer cache [info]                     where fernb writes outside the checkout, and the sizes
fer cache clean [--cache DIR]        remove the data cache (it is rebuilt on the next load)
fer cache verify --data PATH [--cache DIR]
                                     decode every image again and compare with the cache`

func runCache(args []string) error {
	sub := "info"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("cache "+sub, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), cacheUsage); fs.PrintDefaults() }
	cacheDir := fs.String("cache", "", "data cache folder (default: $XDG_CACHE_HOME/fernb or ~/.cache/fernb)")
	dataPath := fs.String("data", "", "verify: FER2013 path (default: $FER_DATA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q\n%s", fs.Args(), cacheUsage)
	}
	dir := *cacheDir
	if dir == "" {
		var err error
		if dir, err = data.DefaultCacheDir(); err != nil {
			return err
		}
	}
	switch sub {
	case "info":
		return cacheInfo(os.Stdout, dir)
	case "clean":
		return cacheClean(os.Stdout, dir)
	case "verify":
		return cacheVerify(os.Stdout, dir, *dataPath)
	}
	return fmt.Errorf("unknown cache command %q\n%s", sub, cacheUsage)
}

// dirUsage returns the number of regular files under dir and their bytes
// (0, 0 when dir does not exist).
func dirUsage(dir string) (files int, size int64, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			files++
			size += fi.Size()
		}
		return nil
	})
	return files, size, err
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// cacheInfo prints the folders fernb writes to outside the checkout.
func cacheInfo(w io.Writer, dir string) error {
	n, size, err := dirUsage(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "data cache   %s: %d files, %s (one file of about 75 MiB per FER2013 copy and layout; `fer cache clean` removes it)\n", dir, n, mib(size))
	plugin := os.Getenv("FERNB_PLUGIN_INSTALL_DIR")
	if plugin == "" {
		if home, err := os.UserHomeDir(); err == nil {
			plugin = filepath.Join(home, ".local", "lib", "go-xla")
		}
	}
	if plugin != "" {
		n, size, err := dirUsage(plugin)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "XLA plugins  %s: %d files, %s (written by ./fernb.sh setup; shared with go-xla's installer: remove it by hand)\n", plugin, n, mib(size))
	}
	fmt.Fprintln(w, "also        Go's build and module caches (go env GOCACHE GOMODCACHE; `go clean -cache -modcache`) and pip's (~/.cache/pip)")
	return nil
}

// isCacheFile tells whether name is a data cache file (or a temporary one
// of an interrupted write: atomicfile's .NAME.tmp-*, or NAME.tmp* of old).
func isCacheFile(name string) bool {
	if atomicfile.IsTemp(name) {
		name = strings.TrimPrefix(name, ".")
	}
	return strings.HasPrefix(name, "fer2013-") && (strings.HasSuffix(name, ".bin") || strings.Contains(name, ".bin.tmp"))
}

// cacheClean removes the data cache files in dir (and dir when it is left
// empty); other files are left alone.
func cacheClean(w io.Writer, dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(w, "no data cache at %s\n", dir)
		return nil
	}
	if err != nil {
		return err
	}
	var freed int64
	removed := 0
	for _, e := range ents {
		if !e.Type().IsRegular() || !isCacheFile(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil {
			freed += fi.Size()
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
		removed++
	}
	if left, err := os.ReadDir(dir); err == nil && len(left) == 0 {
		os.Remove(dir)
	}
	fmt.Fprintf(w, "removed %d data cache files from %s (%s)\n", removed, dir, mib(freed))
	return nil
}

// cacheVerify loads the data set through the cache and again from its
// files, and compares them. The cache is keyed by the files' names, sizes
// and modification times (a CSV's size and time), not their content, so an
// image rewritten in place with the same size and time is served stale
// from the cache; this finds it.
func cacheVerify(w io.Writer, dir, path string) error {
	loc, err := data.Locate(path)
	if err != nil {
		return err
	}
	if loc.Path == "" {
		return fmt.Errorf("no data path: give --data PATH or set $%s", data.PathEnv)
	}
	cached, err := data.Load(loc.Path, data.WithCacheDir(dir))
	if err != nil {
		return err
	}
	fresh, err := data.Load(loc.Path, data.WithoutCache())
	if err != nil {
		return err
	}
	if diff := compareDatasets(cached, fresh); diff != "" {
		return fmt.Errorf("the data cache in %s does not match %s: %s; run `fer cache clean` (or touch the changed files) and load again", dir, loc.Path, diff)
	}
	n := 0
	for _, s := range fresh.Splits() {
		n += s.Len()
	}
	fmt.Fprintf(w, "the cache in %s matches the %d images of %s, decoded again\n", dir, n, loc.Path)
	return nil
}

// compareDatasets returns how two loads of a data set differ ("" when
// their splits, labels, pixels and sources are equal).
func compareDatasets(a, b *data.Dataset) string {
	as, bs := a.Splits(), b.Splits()
	if len(as) != len(bs) {
		return fmt.Sprintf("%d splits, %d in the files", len(as), len(bs))
	}
	for i, s := range as {
		t := bs[i]
		if s.Name != t.Name || s.Len() != t.Len() {
			return fmt.Sprintf("split %s has %d images, the files' %s %d", s.Name, s.Len(), t.Name, t.Len())
		}
		for j := range s.Len() {
			p := s.Pixels[j*data.Pixels : (j+1)*data.Pixels]
			q := t.Pixels[j*data.Pixels : (j+1)*data.Pixels]
			if s.Labels[j] != t.Labels[j] || !bytes.Equal(p, q) || s.Sources[j] != t.Sources[j] {
				return fmt.Sprintf("image %s (split %s) differs", t.Sources[j], s.Name)
			}
		}
	}
	return ""
}
