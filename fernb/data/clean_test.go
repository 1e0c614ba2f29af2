package data

import (
	"strings"
	"testing"
)

// cleanFixture is 14 train and 7 test synthetic faces with: train 1 == train
// 0 (same label), train 3 == train 2 with another label, train 4 blank, train
// 5 near-uniform, train 6 == test 0, test 1 blank.
func cleanFixture() *Dataset {
	ds := Synthetic(14, 7, 3)
	tr, te := ds.Train, ds.Test
	copy(tr.Image(1), tr.Image(0))
	tr.Labels[1] = tr.Labels[0]
	copy(tr.Image(3), tr.Image(2))
	tr.Labels[3] = (tr.Labels[2] + 1) % NumClasses
	clear(tr.Image(4))
	for i := range tr.Image(5) {
		tr.Image(5)[i] = 100 + uint8(i%3)
	}
	copy(tr.Image(6), te.Image(0))
	clear(te.Image(1))
	return ds
}

func TestClean(t *testing.T) {
	tests := []struct {
		name       string
		opts       CleanOptions
		train      int
		test       int
		wantReason []string
	}{
		{"blank", CleanOptions{Blank: true}, 13, 7, []string{"train:synthetic:train:4: blank (every pixel 0)"}},
		{"blank with test", CleanOptions{Blank: true, Test: true}, 13, 6, []string{"test:synthetic:test:1: blank"}},
		{"near-uniform", CleanOptions{NearUniform: true}, 13, 7, []string{"near-uniform (pixels 100..102)"}},
		{"cross-split (train 6, and blank train 4 == blank test 1)", CleanOptions{CrossSplit: true}, 12, 7, []string{"train:synthetic:train:6: identical to test:synthetic:test:0"}},
		{"duplicates", CleanOptions{Duplicates: true}, 11, 7, []string{"train:synthetic:train:1: duplicate of train:synthetic:train:0", "conflicting labels"}},
		{"all", CleanOptions{Blank: true, NearUniform: true, CrossSplit: true, Duplicates: true}, 8, 7, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := cleanFixture()
			rep, err := ds.Clean(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Train.Len() != tc.train || ds.Test.Len() != tc.test {
				t.Errorf("train %d test %d, want %d %d", ds.Train.Len(), ds.Test.Len(), tc.train, tc.test)
			}
			if got := 14 + 7 - ds.Train.Len() - ds.Test.Len(); got != len(rep.Dropped) {
				t.Errorf("report lists %d dropped images, %d were dropped", len(rep.Dropped), got)
			}
			if rep.After["train"] != ds.Train.Len() || rep.Before["train"] != 14 {
				t.Errorf("before/after %v %v", rep.Before, rep.After)
			}
			s := rep.String()
			for _, w := range tc.wantReason {
				if !strings.Contains(s, w) {
					t.Errorf("report lacks %q:\n%s", w, s)
				}
			}
			if err := ds.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	if _, err := cleanFixture().Clean(CleanOptions{}); err == nil {
		t.Error("Clean with no option: no error")
	}
}
