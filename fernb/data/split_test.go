package data

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestDatasetSplitByName(t *testing.T) {
	ds := Synthetic(70, 14, 1)
	if err := ds.SplitVal(0.2, 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, wantErr string
	}{
		{"train", ""}, {"val", ""}, {"test", ""},
		{"privatetest", `no "privatetest" split in the data (it has: train, val, test)`},
		{"bogus", `no "bogus" split`},
	} {
		s, err := ds.Split(c.name)
		switch {
		case c.wantErr == "" && (err != nil || s.Name != c.name || s.Len() == 0):
			t.Errorf("Split(%q) = %v, %v", c.name, s, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("Split(%q) error = %v, want it to contain %q", c.name, err, c.wantErr)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		word string
		want string
	}{
		{0, "group", "0 groups"}, {1, "group", "1 group"}, {2, "group", "2 groups"},
		{1, "extra copy", "1 extra copy"}, {3, "extra copy", "3 extra copies"},
	} {
		if got := plural(c.n, c.word); got != c.want {
			t.Errorf("plural(%d, %q) = %q, want %q", c.n, c.word, got, c.want)
		}
	}
}

// TestStratifiedSplitPinned pins the val selection: every run's val split
// comes from it, so a change would make every run's data other data. The
// expected indices were printed by the implementation before StratifiedSplit
// and StratifiedSample shared stratifiedPick.
func TestStratifiedSplitPinned(t *testing.T) {
	labels := make([]uint8, 40)
	for i := range labels {
		labels[i] = uint8(i % 3)
	}
	labels[39] = 6 // a label with one image: never picked
	rest, picked := StratifiedSplit(labels, 0.25, 7)
	wantPicked := []int{1, 2, 3, 14, 15, 18, 19, 23, 37}
	if !slices.Equal(picked, wantPicked) {
		t.Errorf("picked %v, want %v", picked, wantPicked)
	}
	if len(rest)+len(picked) != len(labels) || !slices.Contains(rest, 39) {
		t.Errorf("rest %v is not the other %d indices", rest, len(labels)-len(picked))
	}
}

func TestStratifiedSample(t *testing.T) {
	labels := make([]uint8, 1000)
	for i := range labels {
		switch {
		case i < 10:
			labels[i] = 1 // rare class, 1%
		case i < 510:
			labels[i] = 3
		default:
			labels[i] = 6
		}
	}
	for _, c := range []struct {
		name      string
		limit     int
		wantCount map[uint8]int
	}{
		{"stratified", 100, map[uint8]int{1: 1, 3: 50, 6: 49}},
		{"one per label", 3, map[uint8]int{1: 1, 3: 1, 6: 1}},
		{"rare class rounds up", 250, map[uint8]int{1: 3, 3: 125, 6: 122}},
		{"limit n", 1000, map[uint8]int{1: 10, 3: 500, 6: 490}},
		{"limit over n", 5000, map[uint8]int{1: 10, 3: 500, 6: 490}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := StratifiedSample(labels, c.limit, 42)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := StratifiedSample(labels, c.limit, 42)
			other, _ := StratifiedSample(labels, c.limit, 43)
			if !slices.Equal(a, b) {
				t.Error("the same seed gave different samples")
			}
			if len(a) < len(labels) && slices.Equal(a, other) {
				t.Error("different seeds gave the same sample")
			}
			if want := min(c.limit, len(labels)); len(a) != want {
				t.Errorf("%d indices, want %d", len(a), want)
			}
			if !slices.IsSorted(a) || len(slices.Compact(slices.Clone(a))) != len(a) {
				t.Error("indices not strictly increasing")
			}
			got := map[uint8]int{}
			for _, i := range a {
				got[labels[i]]++
			}
			if !maps.Equal(got, c.wantCount) {
				t.Errorf("per label %v, want %v", got, c.wantCount)
			}
		})
	}
	for _, bad := range []struct {
		labels []uint8
		limit  int
	}{{labels, 0}, {labels, -1}, {[]uint8{0, 1, 2}, 2}} {
		if _, err := StratifiedSample(bad.labels, bad.limit, 1); err == nil {
			t.Errorf("StratifiedSample(%d labels, limit %d) did not fail", len(bad.labels), bad.limit)
		}
	}
}

// TestSampleQuotasOvershootTie: when the floors of one overshoot the limit,
// a tie for the largest quota is trimmed from the lowest label (as
// pca.Subsample did), not from the one with the largest remainder.
func TestSampleQuotasOvershootTie(t *testing.T) {
	// Classes 0-3 hold 1 index each, class 4 five (exact 2.33), class 5 six
	// (exact 2.8): floors 1,1,1,1,2,2 = 8 for a limit of 7.
	var labels []uint8
	for c, k := range []int{1, 1, 1, 1, 5, 6} {
		for range k {
			labels = append(labels, uint8(c))
		}
	}
	quota, err := sampleQuotas(indicesByClass(labels), len(labels), 7)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := quota[:6], []int{1, 1, 1, 1, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("quotas %v, want %v", got, want)
	}
}
