package data

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestWriteSplits: every split's list and pixels come back as written, in
// the same order, after the val split.
func TestWriteSplits(t *testing.T) {
	ds := Synthetic(70, 21, 3)
	if err := ds.SplitVal(0.2, 1); err != nil {
		t.Fatal(err)
	}
	files, err := ds.WriteSplits(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("%d splits written, want train, val and test: %+v", len(files), files)
	}
	for i, sp := range ds.Splits() {
		f := files[i]
		if f.Split != sp.Name || f.Images != sp.Len() || f.Fingerprint != sp.Fingerprint() {
			t.Errorf("split %d: %+v, want %s with %d images", i, f, sp.Name, sp.Len())
		}
		list, err := os.ReadFile(f.List)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(list), "\n"), "\n")
		if len(lines) != sp.Len() {
			t.Fatalf("%s: %d lines, want %d", f.List, len(lines), sp.Len())
		}
		for j, line := range lines {
			if want := fmt.Sprintf("%s\t%d", sp.source(j), sp.Labels[j]); line != want {
				t.Fatalf("%s line %d = %q, want %q", f.List, j+1, line, want)
			}
		}
		pix, err := os.ReadFile(f.Pixels)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pix, sp.Pixels[:sp.Len()*Pixels]) {
			t.Errorf("%s: the pixels differ from the split's", f.Pixels)
		}
	}
}
