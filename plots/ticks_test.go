package plots

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

// TestEpochTicks: on epoch ranges from 2 to 1000 epochs every tick sits on
// a whole epoch in range, every label reads its tick's value, there are 2
// to 12 labels, and they are the expected ones in order.
func TestEpochTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     []string // labelled ticks, in order
	}{
		{1, 2, []string{"1", "2"}},
		{1, 4, []string{"1", "2", "3", "4"}},
		{1, 10, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
		{1, 40, []string{"1", "5", "10", "15", "20", "25", "30", "35", "40"}},
		{1, 300, []string{"1", "50", "100", "150", "200", "250", "300"}},
		{0, 1000, []string{"0", "200", "400", "600", "800", "1000"}},
		{0.7, 2.3, []string{"1", "2"}},
	} {
		var labels []string
		ts := epochTicks{}.Ticks(c.min, c.max)
		for _, tk := range ts {
			if tk.Value != math.Trunc(tk.Value) || tk.Value < c.min || tk.Value > c.max {
				t.Errorf("[%v,%v]: tick at %v: not a whole epoch in range", c.min, c.max, tk.Value)
			}
			if tk.Label == "" {
				continue
			}
			if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || v != tk.Value {
				t.Errorf("[%v,%v]: tick at %v labelled %q", c.min, c.max, tk.Value, tk.Label)
			}
			labels = append(labels, tk.Label)
		}
		if len(labels) > 12 || len(labels) < 2 {
			t.Errorf("[%v,%v]: %d labelled ticks %v, want 2 to 12", c.min, c.max, len(labels), labels)
		}
		if !slices.Equal(labels, c.want) {
			t.Errorf("[%v,%v]: labels %v, want %v", c.min, c.max, labels, c.want)
		}
	}
	// No whole epoch in range: gonum's default ticks, not none.
	if ts := (epochTicks{}).Ticks(1.2, 1.8); len(ts) == 0 {
		t.Error("[1.2,1.8]: no ticks")
	}
}

// spikyHistory is synthHistory with the first run's first val loss at 150
// (a diverged first epoch).
func spikyHistory() []History {
	runs := synthHistory()
	runs[0].ValLoss[0] = 150
	return runs
}

// TestLossAxisScale: a first val loss of 150 beside losses near 1 gets a
// log loss axis labelled as such; ordinary curves keep a linear one. Both
// panels have whole-epoch ticks and the figure renders with the label.
func TestLossAxisScale(t *testing.T) {
	for _, c := range []struct {
		name  string
		runs  []History
		log   bool
		label string
	}{
		{"spike", spikyHistory(), true, "loss (log scale)"},
		{"ordinary", synthHistory(), false, "loss"},
	} {
		lossP, accP, _, _, err := curvePanels(newConfig(nil), c.runs)
		if err != nil {
			t.Fatal(err)
		}
		_, isLog := lossP.Y.Scale.(plot.LogScale)
		if isLog != c.log || lossP.Y.Label.Text != c.label {
			t.Errorf("%s: log scale %v, label %q; want %v, %q", c.name, isLog, lossP.Y.Label.Text, c.log, c.label)
		}
		if _, ok := lossP.X.Tick.Marker.(epochTicks); !ok {
			t.Errorf("%s: loss epoch axis ticker %T", c.name, lossP.X.Tick.Marker)
		}
		if _, ok := accP.X.Tick.Marker.(epochTicks); !ok {
			t.Errorf("%s: accuracy epoch axis ticker %T", c.name, accP.X.Tick.Marker)
		}
		f, err := Curves(c.runs)
		if err != nil {
			t.Fatal(err)
		}
		svg, err := f.Bytes("svg")
		if err != nil {
			t.Fatal(err)
		}
		texts := svgTexts(t, svg)
		for _, want := range []string{c.label, "10", "20", "30"} {
			if !strings.Contains(texts, want) {
				t.Errorf("%s: SVG text lacks %q", c.name, want)
			}
		}
		if c.log && !strings.Contains(texts, "100") {
			t.Errorf("%s: log axis lacks the 100 label", c.name)
		}
	}
}

func TestWantsLogAxis(t *testing.T) {
	for _, c := range []struct {
		name   string
		curves [][]float64
		want   bool
	}{
		{"spike", [][]float64{{150, 1.2, 1}, {1.5, 1.1, 0.9}}, true},
		{"ordinary", [][]float64{{2.2, 1.2, 1}, {1.5, 1.1, 0.9}}, false},
		{"exactly 10x", [][]float64{{10, 1}}, false},
		{"zero", [][]float64{{150, 0}}, false},
		{"negative", [][]float64{{150, -1, 1}}, false},
		{"nan", [][]float64{{150, math.NaN(), 1}}, false},
		{"inf", [][]float64{{math.Inf(1), 1}}, false},
		{"empty", [][]float64{nil, {}}, false},
	} {
		if got := wantsLogAxis(c.curves...); got != c.want {
			t.Errorf("%s: wantsLogAxis = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestLogTicks: labels read their values exactly and cover the range:
// powers of ten over several decades, 1-2-5 over fewer, including ranges
// that start below 1 (which plot.LogTicks begins above).
func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     []string // labels within [min, max], in order
	}{
		{0.8, 150, []string{"1", "10", "100"}},
		{0.5, 8, []string{"0.5", "1", "2", "5"}},
		{3e-5, 0.1, []string{"0.0001", "0.001", "0.01", "0.1"}},
		{0.3, 0.9, []string{"0.5"}},
	} {
		var labels []string
		for _, tk := range (logTicks{}).Ticks(c.min, c.max) {
			if tk.Label == "" {
				continue
			}
			if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || v != tk.Value {
				t.Errorf("[%v,%v]: tick at %v labelled %q", c.min, c.max, tk.Value, tk.Label)
			}
			if tk.Value >= c.min && tk.Value <= c.max {
				labels = append(labels, tk.Label)
			}
		}
		if !slices.Equal(labels, c.want) {
			t.Errorf("[%v,%v]: labels %v, want %v", c.min, c.max, labels, c.want)
		}
	}
}
