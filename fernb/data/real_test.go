package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// realData returns the path of the real FER2013 copy: $FER_DATA, else
// ../shared/data/fer2013 beside the repository (where CI and the
// development machines keep it). The test is skipped only when there is no
// data anywhere (FER_DATA unset and no such folder); a folder that exists
// but does not load fails the test that loads it, never skips it.
func realData(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("FER_DATA"); p != "" {
		return p
	}
	p := filepath.Join("..", "..", "..", "shared", "data", "fer2013")
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		tb.Skip("real FER2013 data not present (set FER_DATA or put it in ../shared/data/fer2013)")
	} else if err != nil {
		tb.Fatalf("real FER2013 data: %v", err)
	}
	return p
}

// TestRealFER2013 checks the loader, the cache and the quality report against
// the facts listed in the data's README.
func TestRealFER2013(t *testing.T) {
	root := realData(t)
	cache := t.TempDir()
	ds, err := Load(root, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %s (%d files, decode %v)", ds.Layout, ds.Stats.Files, ds.Stats.Decode)
	if ds.Layout != LayoutClassFolders || ds.Stats.ToGray != 0 || ds.Stats.Resized != 0 {
		t.Errorf("layout %v, conversions %d/%d", ds.Layout, ds.Stats.ToGray, ds.Stats.Resized)
	}
	wantTrain := [NumClasses]int{3995, 436, 4097, 7215, 4830, 3171, 4965}
	wantTest := [NumClasses]int{467, 56, 496, 895, 653, 415, 607}
	if ds.Train.ClassCounts() != wantTrain || ds.Test.ClassCounts() != wantTest {
		t.Errorf("counts %v / %v, want %v / %v", ds.Train.ClassCounts(), ds.Test.ClassCounts(), wantTrain, wantTest)
	}

	// The cache reloads the same data.
	again, err := Load(root, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Stats.FromCache {
		t.Errorf("second load not from the cache: %s", again.Stats.CacheNote)
	}
	t.Logf("cache reload: %v", again.Stats.Total)
	for _, pair := range [][2]*Split{{ds.Train, again.Train}, {ds.Test, again.Test}} {
		a, b := pair[0], pair[1]
		if !bytes.Equal(a.Pixels, b.Pixels) || !bytes.Equal(a.Labels, b.Labels) || !reflect.DeepEqual(a.Sources, b.Sources) {
			t.Errorf("split %s differs after the cache reload", a.Name)
		}
	}

	q := Quality(ds)
	tr, te := q.Split("train"), q.Split("test")
	checks := []struct {
		what      string
		got, want int
	}{
		{"train files", tr.Count, 28709},
		{"train distinct", tr.Distinct, 27487},
		{"train duplicate groups", len(tr.Groups), 1023},
		{"train files in duplicate groups", tr.DupFiles, 2245},
		{"train extra copies", tr.ExtraCopies, 1222},
		{"train groups across class folders", tr.Conflicting, 35},
		{"test files", te.Count, 3589},
		{"test distinct", te.Distinct, 3563},
		{"test duplicate groups", len(te.Groups), 26},
		{"test files in duplicate groups", te.DupFiles, 52},
		{"test groups with different labels", te.Conflicting, 1},
		{"train/test groups", len(q.Cross), 1},
		{"blank images", len(q.Blank), 12},
		{"near-uniform images", len(q.NearUniform), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	for _, g := range te.Groups {
		if g.Conflict {
			got := []string{g.Members[0].String(), g.Members[1].String()}
			want := []string{"test:angry/PublicTest_80419054", "test:fear/PublicTest_11067233"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("conflicting test pair %v, want %v", got, want)
			}
		}
	}
	if len(q.Cross) == 1 {
		var nTrain, nTest int
		for _, m := range q.Cross[0].Members {
			switch m.Split {
			case "train":
				nTrain++
			case "test":
				nTest++
				if !strings.HasSuffix(m.Source, filepath.Join("test", "angry", "PublicTest_5543497.jpg")) {
					t.Errorf("cross-split test file %s", m.Source)
				}
			}
		}
		if nTrain != 11 || nTest != 1 {
			t.Errorf("cross-split group: %d train + %d test, want 11 + 1", nTrain, nTest)
		}
	}
	var blanks []string
	for _, b := range q.Blank {
		if b.Min != 0 {
			t.Errorf("blank %s has value %d, want 0", b.ImageRef, b.Min)
		}
		blanks = append(blanks, b.ImageRef.String())
	}
	wantBlanks := []string{
		"train:angry/Training_10131352", "train:angry/Training_28756096", "train:angry/Training_32571770",
		"train:angry/Training_52563817", "train:angry/Training_78540321", "train:angry/Training_96772745",
		"train:angry/Training_99531165", "train:sad/Training_48621797", "train:surprise/Training_48403842",
		"train:neutral/Training_89335926", "test:angry/PublicTest_5543497",
	}
	wantBlanks = append(wantBlanks[:7], append([]string{"train:happy/Training_87607167"}, wantBlanks[7:]...)...)
	if !reflect.DeepEqual(blanks, wantBlanks) {
		t.Errorf("blanks %v\nwant %v", blanks, wantBlanks)
	}
	t.Logf("quality report:\n%s", q)

	// Clean: blanks (train only) and cross-split copies.
	rep, err := again.Clean(CleanOptions{Blank: true, CrossSplit: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Dropped) != 11 || again.Train.Len() != 28709-11 || again.Test.Len() != 3589 {
		t.Errorf("clean dropped %d (train %d, test %d), want 11 train blanks", len(rep.Dropped), again.Train.Len(), again.Test.Len())
	}
	t.Logf("clean:\n%s", rep)
}
