package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Group is one named set of bar values, one value per category (e.g. the
// recall of each class, or the image count of each class in one split).
type Group struct {
	Name   string
	Values []float64
}

// Row is one line of a comparison: a run name and one value per column
// (e.g. validation and test accuracy). NaN marks a missing value: no bar is
// drawn and tables show "–".
type Row struct {
	Name   string
	Values []float64
}

// groupedBars draws values[g][k] as bars grouped by category k. Category k
// sits at position k (vertical bars) or n-1-k (horizontal bars, first
// category on top).
type groupedBars struct {
	values     [][]float64
	colors     [][]color.Color // [g][k]
	horizontal bool
	labels     bool
	format     func(float64) string
	fontSize   float64
}

const groupWidth = 0.8

func (b *groupedBars) pos(g, k int) (lo, hi float64) {
	n, G := len(b.values[0]), len(b.values)
	bw := groupWidth / float64(G)
	centre := float64(k)
	if b.horizontal {
		centre = float64(n - 1 - k)
		g = G - 1 - g // first group on top within a category
	}
	lo = centre - groupWidth/2 + float64(g)*bw
	return lo + bw*0.05, lo + bw*0.95
}

func (b *groupedBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := textStyle(b.fontSize, black)
	for g, vals := range b.values {
		for k, v := range vals {
			if math.IsNaN(v) {
				continue
			}
			lo, hi := b.pos(g, k)
			var r vg.Rectangle
			if b.horizontal {
				r = vg.Rectangle{Min: vg.Point{X: trX(0), Y: trY(lo)}, Max: vg.Point{X: trX(v), Y: trY(hi)}}
			} else {
				r = vg.Rectangle{Min: vg.Point{X: trX(lo), Y: trY(0)}, Max: vg.Point{X: trX(hi), Y: trY(v)}}
			}
			c.FillPolygon(b.colors[g][k], []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
			if !b.labels {
				continue
			}
			s := sty
			if b.horizontal {
				s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
				c.FillText(s, vg.Point{X: r.Max.X + vg.Points(2), Y: (r.Min.Y + r.Max.Y) / 2}, b.format(v))
			} else {
				s.XAlign, s.YAlign = draw.XCenter, draw.YBottom
				c.FillText(s, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: r.Max.Y + vg.Points(1.5)}, b.format(v))
			}
		}
	}
}

func (b *groupedBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := float64(len(b.values[0]))
	lo, hi := 0.0, 0.0
	for _, vals := range b.values {
		for _, v := range vals {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if b.horizontal {
		return lo, hi, -0.5, n - 0.5
	}
	return -0.5, n - 0.5, lo, hi
}

// boxThumb is a legend thumbnail: a filled square.
type boxThumb struct{ clr color.Color }

func (t boxThumb) Thumbnail(c *draw.Canvas) {
	s := min(c.Max.X-c.Min.X, c.Max.Y-c.Min.Y)
	ctr := c.Center()
	r := vg.Rectangle{Min: vg.Point{X: ctr.X - s/2, Y: ctr.Y - s/2}, Max: vg.Point{X: ctr.X + s/2, Y: ctr.Y + s/2}}
	c.FillPolygon(t.clr, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

type barSpec struct {
	name        string // figure name
	categories  []string
	groups      []Group
	valueLabel  string // axis label of the values
	horizontal  bool
	classColors bool // colour single-group bars by category (class) colour
	integer     bool // values are counts
	w, h        float64
}

func barFigure(spec barSpec, cfg *config) (*Figure, error) {
	if len(spec.categories) == 0 {
		return nil, fmt.Errorf("plots: %s needs at least one category", spec.name)
	}
	if len(spec.groups) == 0 {
		return nil, fmt.Errorf("plots: %s needs at least one group of values", spec.name)
	}
	b := &groupedBars{horizontal: spec.horizontal, fontSize: math.Max(6, cfg.fontSize-2.5)}
	var all []float64
	for g, grp := range spec.groups {
		if len(grp.Values) != len(spec.categories) {
			return nil, fmt.Errorf("plots: %s: %q has %d values for %d categories", spec.name, grp.Name, len(grp.Values), len(spec.categories))
		}
		cols := make([]color.Color, len(grp.Values))
		for k, v := range grp.Values {
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("plots: %s: %q value %d (%s) is %v", spec.name, grp.Name, k, spec.categories[k], v)
			}
			if spec.integer && math.IsNaN(v) {
				return nil, fmt.Errorf("plots: %s: %q count %d (%s) is NaN", spec.name, grp.Name, k, spec.categories[k])
			}
			cols[k] = SeriesColor(g)
			if spec.classColors && len(spec.groups) == 1 {
				cols[k] = ClassColor(k)
			}
			if !math.IsNaN(v) {
				all = append(all, v)
			}
		}
		b.values = append(b.values, grp.Values)
		b.colors = append(b.colors, cols)
	}
	percent := !spec.integer && len(all) > 0 && allFractions(all)
	switch {
	case spec.integer:
		b.format = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	case percent:
		b.format = func(v float64) string { return fmt.Sprintf("%.1f", 100*v) }
	default:
		b.format = func(v float64) string { return fmt.Sprintf("%.3g", v) }
	}
	b.labels = cfg.valueLabels && valueLabelsFit(b, spec, cfg)
	xLabel, yLabel := "", spec.valueLabel
	if spec.horizontal {
		xLabel, yLabel = spec.valueLabel, ""
	}
	p := newPlot(cfg, "", xLabel, yLabel)
	g := plotterGrid(!spec.horizontal)
	p.Add(g, b)
	ticks := make(plot.ConstantTicks, len(spec.categories))
	n := len(spec.categories)
	var widest vg.Length
	for k, name := range spec.categories {
		pos := float64(k)
		if spec.horizontal {
			pos = float64(n - 1 - k)
		}
		ticks[k] = plot.Tick{Value: pos, Label: name}
		widest = max(widest, p.X.Tick.Label.Width(name))
	}
	valAxis, catAxis := &p.Y, &p.X
	if spec.horizontal {
		valAxis, catAxis = &p.X, &p.Y
	}
	catAxis.Tick.Marker = ticks
	catAxis.Tick.Length = 0
	valAxis.Min = 0
	if percent {
		valAxis.Tick.Marker = percentTicks{}
		valAxis.Max = 1
	}
	// Leave room for value labels beyond the longest bar.
	if b.labels && len(all) > 0 {
		hi := 0.0
		for _, v := range all {
			hi = max(hi, v)
		}
		valAxis.Max = max(valAxis.Max, hi*1.1)
	}
	w, h := cfg.size(spec.w, spec.h)
	if !spec.horizontal {
		if cell := vg.Length(w-1.8) * vg.Inch / vg.Length(n); widest > cell*0.9 {
			p.X.Tick.Label.Rotation = math.Pi / 6
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
	}
	leg := newLegend(cfg)
	var names []string
	if len(spec.groups) > 1 {
		for gi, grp := range spec.groups {
			leg.Add(grp.Name, boxThumb{SeriesColor(gi)})
			names = append(names, grp.Name)
		}
	}
	return legendFigure(spec.name, w, h, cfg, p, leg, names)
}

// plotterGrid returns light grid lines along the value axis only.
func plotterGrid(horizontalLines bool) plot.Plotter {
	g := gridLines{horizontal: horizontalLines}
	return g
}

type gridLines struct{ horizontal bool }

func (g gridLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: light, Width: vg.Points(0.5)}
	if g.horizontal {
		for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
			if t.IsMinor() || t.Value < p.Y.Min || t.Value > p.Y.Max {
				continue
			}
			y := trY(t.Value)
			c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
		}
		return
	}
	for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if t.IsMinor() || t.Value < p.X.Min || t.Value > p.X.Max {
			continue
		}
		x := trX(t.Value)
		c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
	}
}

// PerClassBars draws per-class metrics as grouped bars: one group per
// metric (e.g. {"precision", p}, {"recall", r}, {"F1", f}), one cluster per
// class. Values in [0,1] are shown as percentages.
func PerClassBars(classes []string, metrics []Group, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	return barFigure(barSpec{name: "per_class", categories: classes, groups: metrics,
		valueLabel: "score", classColors: true, w: 6.5, h: 3.5}, cfg)
}

// ClassDistribution draws the number of images per class for one or more
// splits side by side (splits[i].Values[k] is the count of class k). With a
// single split bars take the class colours.
func ClassDistribution(classes []string, splits []Group, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	for _, s := range splits {
		for k, v := range s.Values {
			if v < 0 || v != math.Trunc(v) {
				return nil, fmt.Errorf("plots: ClassDistribution: split %q count %d is %v, want a non-negative integer", s.Name, k, v)
			}
		}
	}
	return barFigure(barSpec{name: "class_distribution", categories: classes, groups: splits,
		valueLabel: "images", classColors: true, integer: true, w: 6.5, h: 3.5}, cfg)
}

// Comparison draws a horizontal bar chart of runs (one bar cluster per row,
// first row on top) with one bar per column, e.g. columns {"val", "test"}.
// Values in [0,1] are shown as percentages; NaN values are left out.
func Comparison(columns []string, rows []Row, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	if len(rows) == 0 {
		return nil, fmt.Errorf("plots: Comparison needs at least one row")
	}
	if len(columns) == 0 {
		return nil, fmt.Errorf("plots: Comparison needs at least one column name")
	}
	cats := make([]string, len(rows))
	groups := make([]Group, len(columns))
	for j, col := range columns {
		groups[j].Name = col
		groups[j].Values = make([]float64, len(rows))
	}
	for i, r := range rows {
		if len(r.Values) != len(columns) {
			return nil, fmt.Errorf("plots: Comparison row %d (%q) has %d values for %d columns", i, r.Name, len(r.Values), len(columns))
		}
		cats[i] = r.Name
		for j, v := range r.Values {
			groups[j].Values[i] = v
		}
	}
	h := math.Max(2.2, 0.9+0.3*float64(len(rows))*math.Max(1, float64(len(columns))*0.7))
	return barFigure(barSpec{name: "comparison", categories: cats, groups: groups,
		valueLabel: "accuracy", horizontal: true, w: 6.5, h: h}, cfg)
}

// valueLabelsFit reports whether value labels fit on vertical bars (trying
// a shorter number format first); horizontal bars always have room.
func valueLabelsFit(b *groupedBars, spec barSpec, cfg *config) bool {
	if spec.horizontal {
		return len(spec.groups)*len(spec.categories) <= 60
	}
	w, _ := cfg.size(spec.w, spec.h)
	plotW := vg.Length(w-1.7) * vg.Inch
	barW := plotW * groupWidth / vg.Length(len(spec.groups)*len(spec.categories))
	sty := textStyle(b.fontSize, black)
	fits := func() bool {
		for _, vals := range b.values {
			for _, v := range vals {
				if !math.IsNaN(v) && sty.Width(b.format(v)) > barW*1.1 {
					return false
				}
			}
		}
		return true
	}
	if fits() {
		return true
	}
	long := b.format
	b.format = func(v float64) string {
		f, err := strconv.ParseFloat(long(v), 64)
		if err != nil || math.Abs(f) < 10 {
			return long(v)
		}
		return strconv.FormatFloat(math.Round(f), 'f', 0, 64)
	}
	if fits() {
		return true
	}
	b.format = long
	return false
}
