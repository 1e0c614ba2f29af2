package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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
