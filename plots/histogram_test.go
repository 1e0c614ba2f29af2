package plots

import (
	"math"
	"strings"
	"testing"
)

func TestHistograms(t *testing.T) {
	a := []float64{1, 2, 2, 3, 3, 3}
	b := []float64{10, 11}
	f, err := Histograms([]string{"train", "test"}, [][]float64{a, b}, 5, "sharpness", Title("per-split sharpness"))
	if err != nil {
		t.Fatal(err)
	}
	svg, err := f.Bytes("svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"per-split sharpness", "train (6)", "test (2)", "fraction of images", "sharpness"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	png, err := f.Bytes("png")
	if err != nil || len(png) == 0 {
		t.Errorf("PNG: %d bytes, %v", len(png), err)
	}

	errs := []struct {
		name    string
		names   []string
		samples [][]float64
		bins    int
		want    string
	}{
		{"mismatch", []string{"a"}, nil, 5, "one name per sample"},
		{"no bins", []string{"a"}, [][]float64{{1}}, 0, "at least one bin"},
		{"empty", []string{"a"}, [][]float64{{}}, 5, `sample "a" is empty`},
		{"nan", []string{"a"}, [][]float64{{1, math.NaN()}}, 5, "non-finite"},
	}
	for _, e := range errs {
		if _, err := Histograms(e.names, e.samples, e.bins, "x"); err == nil || !strings.Contains(err.Error(), e.want) {
			t.Errorf("%s: error %v, want %q", e.name, err, e.want)
		}
	}
}
