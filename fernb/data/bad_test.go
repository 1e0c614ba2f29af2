package data

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jpegBytes returns a valid 48x48 gray JPEG.
func jpegBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, grayImage(Size, Size, 60), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func csvRow(label, n int, usage string) string {
	f := make([]string, n)
	for i := range f {
		f[i] = fmt.Sprint(i % 256)
	}
	return fmt.Sprintf("%d,%s,%s\n", label, strings.Join(f, " "), usage)
}

// TestBadInput checks that each kind of bad input is an error that names
// the offending file or row (never a panic, never a silent skip).
func TestBadInput(t *testing.T) {
	good := jpegBytes(t)
	header := "emotion,pixels,Usage\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) string // returns the path to load
		want  []string                               // substrings of the error
	}{
		{"missing path", func(t *testing.T, root string) string {
			return filepath.Join(root, "nope")
		}, []string{"nope", "does not exist"}},
		{"unknown layout", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "readme.txt"), []byte("hi"))
			writeFile(t, filepath.Join(root, "images", "a.jpg"), good)
			return root
		}, []string{"unknown layout", "readme.txt"}},
		{"file that is not a csv", func(t *testing.T, root string) string {
			p := filepath.Join(root, "data.json")
			writeFile(t, p, []byte("{}"))
			return p
		}, []string{"unknown layout", "data.json"}},
		{"unknown class folder", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "train", "happy", "a.jpg"), good)
			writeFile(t, filepath.Join(root, "train", "contempt", "a.jpg"), good)
			return root
		}, []string{"unknown class folder", filepath.Join("train", "contempt")}},
		{"empty class folder", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "train", "happy", "a.jpg"), good)
			os.MkdirAll(filepath.Join(root, "train", "sad"), 0o755)
			return root
		}, []string{"empty class folder", filepath.Join("train", "sad")}},
		{"stray file in split folder", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "test", "happy", "a.jpg"), good)
			writeFile(t, filepath.Join(root, "test", "labels.csv"), []byte("x"))
			return root
		}, []string{"unexpected file", "labels.csv"}},
		{"unsupported file type", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "train", "happy", "a.jpg"), good)
			writeFile(t, filepath.Join(root, "train", "happy", "notes.txt"), []byte("x"))
			return root
		}, []string{"unsupported file", "notes.txt"}},
		{"corrupt image", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "train", "happy", "a.jpg"), good)
			writeFile(t, filepath.Join(root, "train", "happy", "b.jpg"), []byte("this is not a JPEG"))
			return root
		}, []string{"b.jpg", "1 of 2 images failed"}},
		{"truncated JPEG", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "train", "fear", "a.jpg"), good)
			writeFile(t, filepath.Join(root, "train", "fear", "cut.jpg"), good[:len(good)/2])
			return root
		}, []string{"cut.jpg"}},
		{"empty image file", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "train", "fear", "zero.png"), nil)
			return root
		}, []string{"zero.png"}},
		{"two folders for one class", func(t *testing.T, root string) string {
			writeFile(t, filepath.Join(root, "train", "happy", "a.jpg"), good)
			writeFile(t, filepath.Join(root, "train", "Happy", "a.jpg"), good)
			return root
		}, []string{"two folders for class happy"}},
		{"csv wrong pixel count", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(header+csvRow(1, Pixels, "Training")+csvRow(2, Pixels-1, "Training")))
			return p
		}, []string{"fer2013.csv:row 2", "2303 values"}},
		{"csv bad label", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(header+csvRow(9, Pixels, "Training")))
			return p
		}, []string{"row 1", "bad label \"9\""}},
		{"csv pixel over 255", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(header+"1,256"+strings.Repeat(" 1", Pixels-1)+",Training\n"))
			return p
		}, []string{"row 1", "over 255"}},
		{"csv unknown usage", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(header+csvRow(1, Pixels, "Validation")))
			return p
		}, []string{"row 1", "unknown Usage \"Validation\""}},
		{"csv missing header", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(csvRow(1, Pixels, "Training")))
			return p
		}, []string{"lacks the emotion and pixels columns"}},
		{"csv short row", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(header+"3\n"))
			return p
		}, []string{"row 1", "1 fields"}},
		{"csv bad quoting", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(header+csvRow(1, Pixels, "Training")+"2,\"1 2\"x,Training\n"))
			return p
		}, []string{"row 2", "malformed CSV"}},
		{"csv empty", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, nil)
			return p
		}, []string{"empty CSV"}},
		{"csv header only", func(t *testing.T, root string) string {
			p := filepath.Join(root, "fer2013.csv")
			writeFile(t, p, []byte(header))
			return p
		}, []string{"no data rows"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path := tc.setup(t, root)
			ds, err := Load(path, WithCacheDir(t.TempDir()))
			if err == nil {
				t.Fatalf("no error; loaded %d files", ds.Stats.Files)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestHiddenFilesReported checks that hidden files are not loaded but listed.
func TestHiddenFilesReported(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "train", "happy", "a.jpg"), jpegBytes(t))
	writeFile(t, filepath.Join(root, "train", "happy", ".DS_Store"), []byte("x"))
	ds, err := Load(root, WithoutCache())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Stats.Files != 1 || len(ds.Stats.Ignored) != 1 || !strings.HasSuffix(ds.Stats.Ignored[0], ".DS_Store") {
		t.Errorf("files %d, ignored %v", ds.Stats.Files, ds.Stats.Ignored)
	}
}

// TestCacheInvalidation checks that the cache is used, then ignored after a
// file changes, and that a corrupt cache is rewritten.
func TestCacheInvalidation(t *testing.T) {
	root, cache := t.TempDir(), t.TempDir()
	makeFolders(t, root, map[string]map[string]int{"train": {"happy": 3, "sad": 2}, "test": {"angry": 1}})
	steps := []struct {
		name      string
		change    func(t *testing.T, ds *Dataset)
		fromCache bool
		note      string
	}{
		{"first load", func(*testing.T, *Dataset) {}, false, "no cache yet"},
		{"second load", func(*testing.T, *Dataset) {}, true, ""},
		{"file changed", func(t *testing.T, ds *Dataset) {
			writePNG(t, filepath.Join(root, "train", "happy", "img1.png"), grayImage(Size, Size, 99))
		}, false, "stale"},
		{"after rewrite", func(*testing.T, *Dataset) {}, true, ""},
		{"file added", func(t *testing.T, ds *Dataset) {
			writePNG(t, filepath.Join(root, "train", "sad", "extra.png"), grayImage(Size, Size, 7))
		}, false, "stale"},
		{"after add", func(*testing.T, *Dataset) {}, true, ""},
		{"file renamed", func(t *testing.T, ds *Dataset) {
			if err := os.Rename(filepath.Join(root, "train", "sad", "extra.png"), filepath.Join(root, "train", "sad", "renamed.png")); err != nil {
				t.Fatal(err)
			}
		}, false, "stale"},
		{"after rename", func(*testing.T, *Dataset) {}, true, ""},
		{"file removed", func(t *testing.T, ds *Dataset) {
			if err := os.Remove(filepath.Join(root, "train", "sad", "renamed.png")); err != nil {
				t.Fatal(err)
			}
		}, false, "stale"},
		{"after remove", func(*testing.T, *Dataset) {}, true, ""},
		{"file re-timed", func(t *testing.T, ds *Dataset) {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(root, "test", "angry", "img0.png"), later, later); err != nil {
				t.Fatal(err)
			}
		}, false, "stale"},
		{"corrupt cache", func(t *testing.T, ds *Dataset) {
			b, err := os.ReadFile(ds.Stats.CachePath)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0xff
			writeFile(t, ds.Stats.CachePath, b)
		}, false, "corrupt"},
		{"truncated cache", func(t *testing.T, ds *Dataset) {
			b, _ := os.ReadFile(ds.Stats.CachePath)
			writeFile(t, ds.Stats.CachePath, b[:len(b)-100])
		}, false, "corrupt"},
		{"repaired", func(*testing.T, *Dataset) {}, true, ""},
	}
	var last *Dataset
	for _, st := range steps {
		if last != nil {
			st.change(t, last)
		}
		ds, err := Load(root, WithCacheDir(cache))
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if ds.Stats.FromCache != st.fromCache || !strings.Contains(ds.Stats.CacheNote, st.note) {
			t.Errorf("%s: from cache %v note %q, want %v %q", st.name, ds.Stats.FromCache, ds.Stats.CacheNote, st.fromCache, st.note)
		}
		if i := 1 + 0; ds.Train.Labels[i] == 3 && st.name != "first load" && st.name != "second load" {
			// img1.png of happy was rewritten with base value 99.
			if ds.Train.Image(i)[0] != 99 {
				t.Errorf("%s: changed file not reloaded: pixel %d", st.name, ds.Train.Image(i)[0])
			}
		}
		last = ds
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache folder holds %d files, want 1 (temporary files left?)", len(entries))
	}
}

// TestProgress checks that WithProgress reports the decoding with an ETA and
// ends with the total.
func TestProgress(t *testing.T) {
	root := t.TempDir()
	makeFolders(t, root, map[string]map[string]int{"train": {"happy": 5}, "test": {"sad": 3}})
	var log bytes.Buffer
	if _, err := Load(root, WithoutCache(), WithProgress(&log)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "decoding 8/8 (100%)") || !strings.Contains(last, "ETA 0 s") {
		t.Errorf("last progress line %q", last)
	}
}

// TestCacheUncleanPath loads through a path with ".." in it (as fernb.sh's
// "$ROOT/../shared/..." once was): the cache must still be written and read.
func TestCacheUncleanPath(t *testing.T) {
	root, cache := t.TempDir(), t.TempDir()
	makeFolders(t, root, map[string]map[string]int{"train": {"happy": 2}, "test": {"sad": 1}})
	unclean := filepath.Join(root, "train") + string(filepath.Separator) + ".." // root/train/..
	for i, want := range []bool{false, true} {
		ds, err := Load(unclean, WithCacheDir(cache))
		if err != nil {
			t.Fatal(err)
		}
		if ds.Stats.FromCache != want || (i == 0 && !strings.HasPrefix(ds.Stats.CacheNote, "no cache yet: written")) {
			t.Errorf("load %d: from cache %v, note %q", i+1, ds.Stats.FromCache, ds.Stats.CacheNote)
		}
	}
}
