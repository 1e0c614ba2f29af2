package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name    string
		old     string // content before ("" : no file)
		write   func(w io.Writer) error
		want    string
		wantErr error
	}{
		{"new file", "", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, "new", nil},
		{"replace", "old", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, "new", nil},
		{"failed write keeps old", "old", func(w io.Writer) error { io.WriteString(w, "half"); return boom }, "old", boom},
		{"failed write, no file", "", func(w io.Writer) error { return boom }, "", boom},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			if c.old != "" {
				if err := os.WriteFile(path, []byte(c.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, c.write)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			b, rerr := os.ReadFile(path)
			if got := string(b); got != c.want || (c.want == "" && !errors.Is(rerr, os.ErrNotExist)) {
				t.Errorf("content %q (%v), want %q", got, rerr, c.want)
			}
			if c.wantErr == nil {
				if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
					t.Errorf("mode %v (%v), want 0644", st.Mode().Perm(), err)
				}
			}
			if tmps, _ := filepath.Glob(filepath.Join(dir, TempGlob("*"))); len(tmps) > 0 {
				t.Errorf("temporary files left: %v", tmps)
			}
		})
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "missing", "f"), []byte("x")); err == nil {
		t.Error("write into a missing folder: no error")
	}
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".history.json.tmp-123": true, ".fer2013-ab.bin.tmp-9": true,
		"history.json": false, "fer2013-ab.bin": false, ".hidden": false,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestFolderSyncReported: a failed folder sync after the rename is an error
// (a *FolderSyncError; the new content is in place), except EINVAL and
// ENOTSUP, which filesystems that cannot sync folders return.
func TestFolderSyncReported(t *testing.T) {
	orig := syncDir
	t.Cleanup(func() { syncDir = orig })
	for _, c := range []struct {
		name    string
		syncErr error
		wantErr bool
	}{
		{"ok", nil, false},
		{"EIO", syscall.EIO, true},
		{"wrapped EIO", &os.PathError{Op: "sync", Path: "d", Err: syscall.EIO}, true},
		{"EINVAL (folder fsync unsupported)", &os.PathError{Op: "sync", Path: "d", Err: syscall.EINVAL}, false},
		{"ENOTSUP", syscall.ENOTSUP, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var synced []string
			syncDir = func(d string) error { synced = append(synced, d); return c.syncErr }
			path := filepath.Join(dir, "f")
			for _, write := range []func() error{
				func() error { return WriteFile(path, []byte("new")) },
				func() error {
					tmp := filepath.Join(dir, ".f.tmp-x")
					if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
						t.Fatal(err)
					}
					return Replace(tmp, path)
				},
			} {
				os.WriteFile(path, []byte("old"), 0o644)
				synced = nil
				err := write()
				var fse *FolderSyncError
				if got := errors.As(err, &fse); got != c.wantErr || (err != nil) != c.wantErr {
					t.Errorf("error %v, want a FolderSyncError: %v", err, c.wantErr)
				}
				if c.wantErr && !errors.Is(err, syscall.EIO) {
					t.Errorf("error %v does not wrap EIO", err)
				}
				if err != nil && strings.Count(err.Error(), path) != 1 {
					t.Errorf("error %q names %s %d times, want once", err, path, strings.Count(err.Error(), path))
				}
				if len(synced) != 1 || filepath.Clean(synced[0]) != filepath.Clean(dir) {
					t.Errorf("folders synced: %q, want [%s]", synced, dir)
				}
				if b, _ := os.ReadFile(path); string(b) != "new" {
					t.Errorf("content %q after the rename, want new", b)
				}
			}
		})
	}
}

// TestReplace: Replace puts a finished file in place; when it cannot (tmp
// missing), the old file is untouched.
func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nb.ipynb")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := Replace(filepath.Join(dir, ".nb.ipynb.tmp-missing"), path); err == nil {
		t.Error("Replace of a missing temporary file: no error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("content %q after a failed Replace, want old", b)
	}
	tmp := filepath.Join(dir, ".nb.ipynb.tmp-1.ipynb")
	os.WriteFile(tmp, []byte("new"), 0o644)
	if err := Replace(tmp, path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("content %q, want new", b)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file still there: %v", err)
	}
}
