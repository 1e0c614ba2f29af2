package data

import (
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
