package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTinyCSV writes a FER2013 CSV of three rows (two Training, one
// PublicTest) whose pixels are all the digit d.
func writeTinyCSV(t *testing.T, path string, d byte) {
	t.Helper()
	px := strings.TrimSpace(strings.Repeat(string([]byte{d, ' '}), 48*48))
	csv := "emotion,pixels,Usage\n3," + px + ",Training\n0," + px + ",Training\n5," + px + ",PublicTest\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCacheVerifyFindsStaleImage: a data file rewritten in place with the
// same size and modification time is served from the cache (the documented
// trade-off: the cache is keyed by names, sizes and times); fer cache
// verify finds it, fer cache clean removes the cache, and info reports it.
func TestCacheVerifyFindsStaleImage(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	csv := filepath.Join(dir, "fer2013.csv")
	writeTinyCSV(t, csv, '7')
	if err := runCache([]string{"verify", "--data", csv, "--cache", cache}); err != nil {
		t.Fatalf("verify of a fresh cache: %v", err)
	}
	fi, err := os.Stat(csv)
	if err != nil {
		t.Fatal(err)
	}
	writeTinyCSV(t, csv, '8') // same size
	if err := os.Chtimes(csv, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	err = runCache([]string{"verify", "--data", csv, "--cache", cache})
	if err == nil || !strings.Contains(err.Error(), "does not match") || !strings.Contains(err.Error(), csv) {
		t.Fatalf("verify after an in-place change: %v, want a mismatch naming %s", err, csv)
	}
	// fer data --verify is the same check.
	err = runData([]string{"--verify", "--data", csv, "--cache", cache})
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("fer data --verify after an in-place change: %v, want a mismatch", err)
	}

	var out bytes.Buffer
	t.Setenv("FERNB_PLUGIN_INSTALL_DIR", filepath.Join(dir, "plugins"))
	if err := cacheInfo(&out, cache); err != nil || !strings.Contains(out.String(), cache+": 1 files") {
		t.Errorf("info: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := os.WriteFile(filepath.Join(cache, "keep.txt"), []byte("not ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cacheClean(&out, cache); err != nil || !strings.Contains(out.String(), "removed 1 data cache files") {
		t.Fatalf("clean: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(cache, "keep.txt")); err != nil {
		t.Errorf("clean removed a file that is not a cache file: %v", err)
	}
	// Rebuilt from the files: the change is seen.
	if err := runCache([]string{"verify", "--data", csv, "--cache", cache}); err != nil {
		t.Fatalf("verify after clean: %v", err)
	}
}

func TestIsCacheFile(t *testing.T) {
	for name, want := range map[string]bool{
		"fer2013-ab12.bin": true, ".fer2013-ab12.bin.tmp-123": true, "fer2013-ab12.bin.tmp456": true,
		"history.json": false, ".history.json.tmp-1": false, "fer2013-ab12.txt": false,
	} {
		if got := isCacheFile(name); got != want {
			t.Errorf("isCacheFile(%q) = %v, want %v", name, got, want)
		}
	}
}
