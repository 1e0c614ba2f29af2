package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// maxEpochLabels is the most labelled ticks epochTicks puts on an axis
// (one more when the first epoch is labelled too).
const maxEpochLabels = 10

// epochTicks is a plot.Ticker for epoch (or step) axes: it labels whole
// numbers only, every 1, 2, 5, 10, 20, 50, ... epochs, the smallest step
// that keeps at most maxEpochLabels multiples in range, and also the first
// whole number in range when it is not a multiple (so a run from epoch 1
// reads 1, 5, 10, ...). Unlabelled minor ticks mark the whole numbers
// between labels (every step/5 or step/2, when whole). A range holding no
// whole number gets gonum's default ticks.
type epochTicks struct{}

func (epochTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
		return cleanTicks{}.Ticks(min, max)
	}
	step := epochStep(hi - lo)
	var ticks []plot.Tick
	first := math.Ceil(lo/step) * step
	if first-lo >= step/2 {
		ticks = append(ticks, plot.Tick{Value: lo, Label: intLabel(lo)})
	}
	for v := first; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: intLabel(v)})
	}
	if minor := epochMinor(step); minor > 0 {
		for v := math.Ceil(lo/minor) * minor; v <= hi; v += minor {
			if math.Mod(v, step) != 0 {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// epochStep returns the smallest step of 1, 2 or 5 times a power of ten
// with at most maxEpochLabels multiples in a span of whole numbers.
func epochStep(span float64) float64 {
	for p := 1.0; ; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if s := m * p; math.Floor(span/s)+1 <= maxEpochLabels || math.IsInf(s, 0) {
				return s
			}
		}
	}
}

// epochMinor returns the whole-number spacing of minor ticks between
// labels of step (step/5 for 1 and 5 times a power of ten, step/2 for 2
// times), or 0 when that is not whole.
func epochMinor(step float64) float64 {
	minor := step / 5
	if m := step / math.Pow10(int(math.Floor(math.Log10(step)))); math.Round(m) == 2 {
		minor = step / 2
	}
	if minor < 1 || minor != math.Trunc(minor) {
		return 0
	}
	return minor
}

// intLabel writes a whole number without a decimal point ("300").
func intLabel(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// logTicks is a plot.Ticker for log axes: plot.LogTicks (labels at powers
// of ten, minor ticks at their whole multiples) begun a decade low, since
// LogTicks starts above ranges that begin below 1 (at 1 for 0.8), labelled
// with the shortest exact decimal, and kept to [min, max]. When fewer than
// three powers of ten lie in range, the multiples 2 and 5 are labelled too
// (0.5, 1, 2, 5, 10).
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max >= min) || math.IsInf(max, 0) {
		return cleanTicks{}.Ticks(min, max)
	}
	var ts []plot.Tick
	inRange := 0
	for _, tk := range (plot.LogTicks{Prec: -1}).Ticks(min/10, max) {
		// Ticks out of range would still take room in plot.Align.
		if tk.Value = roundTo(tk.Value, 12); tk.Value >= min && tk.Value <= max {
			ts = append(ts, tk)
			if tk.Label != "" {
				inRange++
			}
		}
	}
	for i := range ts {
		v := ts[i].Value
		m := math.Round(v / math.Pow10(int(math.Floor(math.Log10(v)+1e-9))))
		if ts[i].Label != "" || (inRange < 3 && (m == 2 || m == 5)) {
			ts[i].Label = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return ts
}

// logRatio is how far apart the largest and smallest loss of a panel must
// be (max/min) for the loss axis to become logarithmic.
const logRatio = 10

// wantsLogAxis reports whether curves spread over more than logRatio
// (max/min), so a linear axis would flatten all but the highest, and a log
// axis can show them: all values positive and finite. NaN or Inf values
// never ask for a log axis; nor does a zero or negative one.
func wantsLogAxis(curves ...[]float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		for _, v := range c {
			if !(v > 0) || math.IsInf(v, 0) {
				return false
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return hi > logRatio*lo
}

// setLogY gives p a log y axis (plot.LogScale, logTicks) and says so in its
// label.
func setLogY(p *plot.Plot) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.Y.Label.Text += " (log scale)"
}
