package plots

import (
	"fmt"
	"math"
)

// Histograms draws the distributions of several samples as density curves
// on shared bins (one curve per sample; y is the fraction of that sample's
// values per bin, so samples of different sizes compare). bins is the
// number of equal-width bins between the smallest and largest value. Use it
// to compare splits, e.g. the per-image sharpness of train, val and test.
func Histograms(names []string, samples [][]float64, bins int, xLabel string, opts ...Option) (*Figure, error) {
	if len(names) != len(samples) || len(samples) == 0 {
		return nil, fmt.Errorf("plots: Histograms needs one name per sample, got %d names for %d samples", len(names), len(samples))
	}
	if bins < 1 {
		return nil, fmt.Errorf("plots: Histograms needs at least one bin, got %d", bins)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range samples {
		if len(s) == 0 {
			return nil, fmt.Errorf("plots: Histograms: sample %q is empty", names[i])
		}
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("plots: Histograms: sample %q has a non-finite value", names[i])
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	width := (hi - lo) / float64(bins)
	series := make([]Series, len(samples))
	for i, s := range samples {
		counts := make([]float64, bins)
		for _, v := range s {
			counts[min(int((v-lo)/width), bins-1)]++
		}
		x := make([]float64, bins)
		y := make([]float64, bins)
		for b := range bins {
			x[b] = lo + (float64(b)+0.5)*width
			y[b] = counts[b] / float64(len(s))
		}
		series[i] = Series{Name: fmt.Sprintf("%s (%d)", names[i], len(s)), X: x, Y: y}
	}
	f, err := lines("histogram", series, xLabel, "fraction of images", opts)
	if err != nil {
		return nil, err
	}
	return f, nil
}
