package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named curve.
type Series struct {
	// Name is shown in the legend.
	Name string
	// X and Y are the points of the curve (same length, finite).
	X, Y []float64
	// Dashed draws the curve dashed (e.g. validation curves).
	Dashed bool
}

// History is the per-epoch record of one training run.
type History struct {
	// Name identifies the run in the legend.
	Name string
	// Epoch holds the x values; nil means 1, 2, ..., n.
	Epoch []float64
	// TrainLoss, ValLoss, TrainAcc and ValAcc are per-epoch values; any may
	// be nil. Accuracies in [0,1] are shown as percentages.
	TrainLoss, ValLoss, TrainAcc, ValAcc []float64
}

var dashes = []vg.Length{vg.Points(4), vg.Points(2.5)}

func checkXY(name string, x, y []float64) error {
	if len(y) == 0 {
		return fmt.Errorf("plots: series %q has no points", name)
	}
	if len(x) != len(y) {
		return fmt.Errorf("plots: series %q has %d x values and %d y values", name, len(x), len(y))
	}
	for i := range y {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) || math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return fmt.Errorf("plots: series %q point %d is (%v, %v), not finite", name, i, x[i], y[i])
		}
	}
	return nil
}

func lineFor(x, y []float64, clr int, dashed bool) (*plotter.Line, error) {
	xy := make(plotter.XYs, len(y))
	for i := range y {
		xy[i].X, xy[i].Y = x[i], y[i]
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.Color = SeriesColor(clr)
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = dashes
	}
	return l, nil
}

func addGrid(p *plot.Plot) {
	g := plotter.NewGrid()
	g.Vertical.Color = light
	g.Horizontal.Color = light
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Width = vg.Points(0.5)
	p.Add(g)
}

// allFractions reports whether every value is within [0,1].
func allFractions(vals ...[]float64) bool {
	for _, vs := range vals {
		for _, v := range vs {
			if v < 0 || v > 1 {
				return false
			}
		}
	}
	return true
}

// Curves draws training curves in two panels, loss (left) and accuracy
// (right), with one colour per run, solid lines for training and dashed
// lines for validation. A run may lack any of the four curves. Epoch axes
// have whole-number ticks. The loss axis is logarithmic, and labelled
// "loss (log scale)", when the largest loss is more than 10 times the
// smallest (e.g. a first val loss of 150), all losses being positive.
func Curves(runs []History, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	lossP, accP, leg, names, err := curvePanels(cfg, runs)
	if err != nil {
		return nil, err
	}
	w, h := cfg.size(7, 3.2)
	f, err := NewFigure("curves", w, h, func(c draw.Canvas) {
		c = titled(c, cfg, cfg.title)
		c = withSideLegend(c, cfg, leg, names)
		drawPanels(c, cfg, []*plot.Plot{lossP, accP})
	})
	if err != nil {
		return nil, err
	}
	f.DPI = cfg.dpi
	return f, nil
}

// drawPanels draws a row of panels aligned by plot.Align, each with its
// title centred over its data area. The titles are drawn here, not by
// gonum: for a log y axis gonum reserves room above the panel for the axis
// label (it sizes the label's box at the normalised data midpoint, high on
// a log axis, though it draws the label at the centre), which would lift
// that panel's title above its neighbours'.
func drawPanels(c draw.Canvas, cfg *config, row []*plot.Plot) {
	untitled := make([]*plot.Plot, len(row)) // shallow copies: row stays as is
	var band vg.Length
	for j, p := range row {
		q := *p
		q.Title.Text = ""
		untitled[j] = &q
		if p.Title.Text != "" {
			band = max(band, p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y+p.Title.Padding)
		}
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Points(cfg.fontSize * 1.2)}
	cs := plot.Align([][]*plot.Plot{untitled}, tiles, draw.Crop(c, 0, 0, 0, -band))
	for j, q := range untitled {
		q.Draw(cs[0][j])
		dc := q.DataCanvas(cs[0][j])
		sty := row[j].Title.TextStyle
		sty.YAlign = draw.YBottom
		c.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y + row[j].Title.Padding}, row[j].Title.Text)
	}
}

// curvePanels builds the loss and accuracy panels of runs and their legend.
// Both panels have whole-epoch ticks; the loss axis turns logarithmic when
// the losses spread over more than logRatio (e.g. a first val loss of 150
// beside losses near 1).
func curvePanels(cfg *config, runs []History) (lossP, accP *plot.Plot, leg *plot.Legend, names []string, err error) {
	if len(runs) == 0 {
		return nil, nil, nil, nil, fmt.Errorf("plots: Curves needs at least one run")
	}
	lossP = newPlot(cfg, "loss", "epoch", "loss")
	accP = newPlot(cfg, "accuracy", "epoch", "accuracy")
	lossP.X.Tick.Marker, accP.X.Tick.Marker = epochTicks{}, epochTicks{}
	addGrid(lossP)
	addGrid(accP)
	var accVals, lossVals [][]float64
	for _, r := range runs {
		accVals = append(accVals, r.TrainAcc, r.ValAcc)
		lossVals = append(lossVals, r.TrainLoss, r.ValLoss)
	}
	if allFractions(accVals...) {
		accP.Y.Tick.Marker = percentTicks{}
	} else {
		accP.Y.Label.Text = "accuracy (%)"
	}
	leg = newLegend(cfg)
	anyTrain, anyVal := false, false
	for i, r := range runs {
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("run %d", i+1)
		}
		first, train, val, err := addRunCurves(lossP, accP, r, i, name)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		anyTrain, anyVal = anyTrain || train, anyVal || val
		solid := *first
		solid.Dashes = nil
		leg.Add(name, &solid)
		names = append(names, name)
	}
	if wantsLogAxis(lossVals...) {
		setLogY(lossP)
	}
	if anyTrain && anyVal {
		for _, s := range []struct {
			name   string
			dashed bool
		}{{"train", false}, {"val", true}} {
			l, _ := lineFor([]float64{0}, []float64{0}, 0, s.dashed)
			l.Color = grey
			leg.Add(s.name, l)
			names = append(names, s.name)
		}
	}
	return lossP, accP, leg, names, nil
}

// addRunCurves adds run r's (the i-th, called name) loss curves to lossP
// and accuracy curves to accP. It returns the first curve added and whether
// it added training and validation curves; a run without curves is an
// error.
func addRunCurves(lossP, accP *plot.Plot, r History, i int, name string) (first *plotter.Line, train, val bool, err error) {
	for _, c := range []struct {
		p      *plot.Plot
		what   string
		y      []float64
		dashed bool
	}{
		{lossP, "train loss", r.TrainLoss, false},
		{lossP, "val loss", r.ValLoss, true},
		{accP, "train accuracy", r.TrainAcc, false},
		{accP, "val accuracy", r.ValAcc, true},
	} {
		if c.y == nil {
			continue
		}
		x := r.Epoch
		if x == nil {
			x = make([]float64, len(c.y))
			for e := range x {
				x[e] = float64(e + 1)
			}
		}
		if err := checkXY(name+" "+c.what, x, c.y); err != nil {
			return nil, false, false, err
		}
		l, err := lineFor(x, c.y, i, c.dashed)
		if err != nil {
			return nil, false, false, fmt.Errorf("plots: run %q %s: %w", name, c.what, err)
		}
		c.p.Add(l)
		if first == nil {
			first = l
		}
		train, val = train || !c.dashed, val || c.dashed
	}
	if first == nil {
		return nil, false, false, fmt.Errorf("plots: run %q has no curves", name)
	}
	return first, train, val, nil
}

// TrainingCurves draws one or more runs' loss and accuracy (as Curves) and,
// in a third panel, their learning rate per epoch (lr: one series per run,
// empty to leave the panel out): the live view of a training cell.
func TrainingCurves(runs []History, lr []Series, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	lossP, accP, leg, names, err := curvePanels(cfg, runs)
	if err != nil {
		return nil, err
	}
	row := []*plot.Plot{lossP, accP}
	if len(lr) > 0 {
		lrP := newPlot(cfg, "learning rate", "epoch", "learning rate")
		lrP.X.Tick.Marker = epochTicks{}
		addGrid(lrP)
		for i, s := range lr {
			if err := checkXY(s.Name+" learning rate", s.X, s.Y); err != nil {
				return nil, err
			}
			l, err := lineFor(s.X, s.Y, i, false)
			if err != nil {
				return nil, err
			}
			lrP.Add(l)
		}
		row = append(row, lrP)
	}
	w, h := cfg.size(3.3*float64(len(row))+0.6, 3.2)
	f, err := NewFigure("training-curves", w, h, func(c draw.Canvas) {
		c = titled(c, cfg, cfg.title)
		c = withSideLegend(c, cfg, leg, names)
		drawPanels(c, cfg, row)
	})
	if err != nil {
		return nil, err
	}
	f.DPI = cfg.dpi
	return f, nil
}

// Lines draws one panel of named curves (Series.Dashed honoured), with a
// legend on the right when there is more than one named series.
func Lines(series []Series, xLabel, yLabel string, opts ...Option) (*Figure, error) {
	return lines("lines", series, xLabel, yLabel, opts)
}

// LRSchedule draws learning-rate schedules (x: epoch or step, y: learning
// rate), one series per schedule, with whole-number ticks on the x axis.
// Use LogY to see small rates such as a cosine schedule's eta_min.
func LRSchedule(series []Series, opts ...Option) (*Figure, error) {
	return lines("lr_schedule", series, "epoch", "learning rate", append([]Option{epochAxis}, opts...))
}

// epochAxis gives a figure's x axis whole-epoch ticks (epochTicks).
func epochAxis(c *config) { c.epochX = true }

func lines(name string, series []Series, xLabel, yLabel string, opts []Option) (*Figure, error) {
	cfg := newConfig(opts)
	if len(series) == 0 {
		return nil, fmt.Errorf("plots: %s needs at least one series", name)
	}
	p := newPlot(cfg, "", xLabel, yLabel)
	addGrid(p)
	if cfg.logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	if cfg.epochX {
		p.X.Tick.Marker = epochTicks{}
	}
	leg := newLegend(cfg)
	var names []string
	for i, s := range series {
		label := s.Name
		if label == "" {
			label = fmt.Sprintf("series %d", i+1)
		}
		if err := checkXY(label, s.X, s.Y); err != nil {
			return nil, err
		}
		if cfg.logY {
			for j, v := range s.Y {
				if v <= 0 {
					return nil, fmt.Errorf("plots: series %q point %d has y=%v, not positive, with a log y axis", label, j, v)
				}
			}
		}
		l, err := lineFor(s.X, s.Y, i, s.Dashed)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		if len(series) > 1 || s.Name != "" {
			leg.Add(label, l)
			names = append(names, label)
		}
	}
	if len(series) == 1 {
		names = nil
	}
	w, h := cfg.size(6, 3.5)
	return legendFigure(name, w, h, cfg, p, leg, names)
}
