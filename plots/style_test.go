package plots

import (
	"math"
	"testing"
)

// TestRoundTo: roundTo keeps digits significant digits, the behaviour of
// the former fmt.Sprintf("%.*g") + fmt.Sscan version, written out by hand.
func TestRoundTo(t *testing.T) {
	for _, c := range []struct {
		v      float64
		digits int
		want   float64
	}{
		{0.1 + 0.2, 10, 0.3},
		{1.7500000000000002, 10, 1.75},
		{7500, 10, 7500},
		{0, 10, 0},
		{-0.30000000000000004, 10, -0.3},
		{123456, 3, 123000},
		{0.000123456, 2, 0.00012},
		{2.5, 1, 2}, // round half to even, as %g does
		{3.5, 1, 4},
		{25.000000000000004, 6, 25},
		{1e-300 * 1.0000000001, 6, 1e-300},
		{math.Inf(1), 6, math.Inf(1)},
		{math.Inf(-1), 6, math.Inf(-1)},
	} {
		if got := roundTo(c.v, c.digits); got != c.want {
			t.Errorf("roundTo(%v, %d) = %v, want %v", c.v, c.digits, got, c.want)
		}
	}
	if got := roundTo(math.NaN(), 6); !math.IsNaN(got) {
		t.Errorf("roundTo(NaN) = %v, want NaN", got)
	}
	// Rounding MaxFloat64 to one digit overflows: the value comes back as is.
	if got := roundTo(math.MaxFloat64, 1); got != math.MaxFloat64 {
		t.Errorf("roundTo(MaxFloat64, 1) = %v, want MaxFloat64", got)
	}
}
