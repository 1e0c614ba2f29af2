package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// shareShades is the number of colours of the confusion-matrix scale.
const shareShades = 256

// colors is a fixed palette.Palette.
type colors []color.Color

func (c colors) Colors() []color.Color { return c }

// sharePalette returns ColorBrewer's sequential Blues (9 classes, palette/brewer)
// as shareShades colours from near-white (share 0) to dark blue (share 1),
// interpolated in CIELAB with luminance linear in the share
// (moreland.NewLuminance).
func sharePalette() palette.Palette {
	blues, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		panic(err) // Blues has 3 to 9 classes: a programmer error
	}
	dark := slices.Clone(blues.Colors()) // light to dark
	slices.Reverse(dark)                 // NewLuminance wants rising luminance
	cm, err := moreland.NewLuminance(dark)
	if err != nil {
		panic(err)
	}
	cs := cm.Palette(shareShades).Colors() // dark to light
	slices.Reverse(cs)
	return colors(slices.Clone(cs))
}

// shareGrid is the plotter.GridXYZ of a confusion matrix's row shares:
// column c is predicted class c, grid row r is true class n-1-r, so true
// classes run top to bottom.
type shareGrid [][]float64

func (g shareGrid) Dims() (c, r int)   { return len(g), len(g) }
func (g shareGrid) Z(c, r int) float64 { return g[len(g)-1-r][c] }
func (g shareGrid) X(c int) float64    { return float64(c) }
func (g shareGrid) Y(r int) float64    { return float64(r) }

// shareHeatMap is the coloured cells: plotter.HeatMap over shares in [0, 1].
func shareHeatMap(frac [][]float64, pal palette.Palette) *plotter.HeatMap {
	h := plotter.NewHeatMap(shareGrid(frac), pal)
	h.Min, h.Max = 0, 1
	return h
}

// darkShare is the row share above which a cell is dark enough for white
// text. The palette's luminance is linear in the share, so this is a
// luminance threshold (CIELAB L* about 56 of Blues' 21 to 98).
const darkShare = 0.55

// cellLabels writes each cell's count and row share at its centre, black on
// light cells and white on dark ones.
func cellLabels(counts [][]int, frac [][]float64, fontSize float64) *plotter.Labels {
	n := len(counts)
	l := &plotter.Labels{}
	for i := range n {
		for j := range n {
			clr := black
			if frac[i][j] > darkShare {
				clr = white
			}
			l.XYs = append(l.XYs, plotter.XY{X: float64(j), Y: float64(n - 1 - i)})
			l.Labels = append(l.Labels, fmt.Sprintf("%d\n%.1f%%", counts[i][j], 100*frac[i][j]))
			l.TextStyle = append(l.TextStyle, textStyle(fontSize, clr))
		}
	}
	return l
}

// rowShares checks counts (n×n, non-negative) and returns each row divided
// by its sum (all zeros for an empty row).
func rowShares(counts [][]int, classes []string) ([][]float64, error) {
	n := len(classes)
	if n == 0 {
		return nil, fmt.Errorf("plots: ConfusionMatrix needs class names")
	}
	if len(counts) != n {
		return nil, fmt.Errorf("plots: ConfusionMatrix has %d rows for %d classes", len(counts), n)
	}
	frac := make([][]float64, n)
	for i, row := range counts {
		if len(row) != n {
			return nil, fmt.Errorf("plots: ConfusionMatrix row %d (%s) has %d columns, want %d", i, classes[i], len(row), n)
		}
		sum := 0
		for j, v := range row {
			if v < 0 {
				return nil, fmt.Errorf("plots: ConfusionMatrix cell [%d][%d] is negative (%d)", i, j, v)
			}
			sum += v
		}
		frac[i] = make([]float64, n)
		for j, v := range row {
			if sum > 0 {
				frac[i][j] = float64(v) / float64(sum)
			}
		}
	}
	return frac, nil
}

// ConfusionMatrix draws counts[true][predicted] as a heatmap coloured by the
// row-normalised fraction (recall per true class) on ColorBrewer's Blues,
// each cell annotated with its count and row percentage. Class names label both axes; true classes run top to
// bottom.
func ConfusionMatrix(counts [][]int, classes []string, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	frac, err := rowShares(counts, classes)
	if err != nil {
		return nil, err
	}
	n := len(classes)
	pal := sharePalette()
	p := newPlot(cfg, "", "predicted", "true")
	p.Add(shareHeatMap(frac, pal))
	if cfg.valueLabels {
		p.Add(cellLabels(counts, frac, math.Max(6, cfg.fontSize-2.5)))
	}
	xt, yt := make(plot.ConstantTicks, n), make(plot.ConstantTicks, n)
	var widest vg.Length
	for i, name := range classes {
		xt[i] = plot.Tick{Value: float64(i), Label: name}
		yt[i] = plot.Tick{Value: float64(n - 1 - i), Label: name}
		widest = max(widest, p.X.Tick.Label.Width(name))
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.X.Padding, p.Y.Padding = 0, 0
	w, h := cfg.size(5.5, 5)
	// Rotate the predicted-class names when they would not fit a column.
	if cell := vg.Length(w-1.4) * vg.Inch / vg.Length(n); widest > cell*0.9 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	f, err := NewFigure("confusion", w, h, func(c draw.Canvas) {
		c = titled(c, cfg, cfg.title)
		p.Draw(c)
	})
	if err != nil {
		return nil, err
	}
	f.DPI = cfg.dpi
	return f, nil
}
