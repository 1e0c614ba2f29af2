package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// blues is ColorBrewer's sequential "Blues" scale, light to dark.
var blues = []color.RGBA{
	{0xf7, 0xfb, 0xff, 0xff}, {0xde, 0xeb, 0xf7, 0xff}, {0xc6, 0xdb, 0xef, 0xff},
	{0x9e, 0xca, 0xe1, 0xff}, {0x6b, 0xae, 0xd6, 0xff}, {0x42, 0x92, 0xc6, 0xff},
	{0x21, 0x71, 0xb5, 0xff}, {0x08, 0x51, 0x9c, 0xff}, {0x08, 0x30, 0x6b, 0xff},
}

// interpolate returns the colour at v in [0,1] of a piecewise-linear scale.
func interpolate(stops []color.RGBA, v float64) color.RGBA {
	v = math.Max(0, math.Min(1, v))
	pos := v * float64(len(stops)-1)
	i := int(pos)
	if i >= len(stops)-1 {
		return stops[len(stops)-1]
	}
	t := pos - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// cells draws a confusion matrix: row i (true class) at the top for i=0.
type cells struct {
	counts   [][]int
	frac     [][]float64
	labels   bool
	fontSize float64
}

func (m *cells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(m.counts)
	sty := textStyle(m.fontSize, black)
	for i := range n {
		for j := range n {
			y := float64(n - 1 - i)
			x0, x1 := trX(float64(j)-0.5), trX(float64(j)+0.5)
			y0, y1 := trY(y-0.5), trY(y+0.5)
			c.FillPolygon(interpolate(blues, m.frac[i][j]), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			if !m.labels {
				continue
			}
			sty.Color = black
			if m.frac[i][j] > 0.55 {
				sty.Color = white
			}
			txt := fmt.Sprintf("%d\n%.1f%%", m.counts[i][j], 100*m.frac[i][j])
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, txt)
		}
	}
}

func (m *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := float64(len(m.counts))
	return -0.5, n - 0.5, -0.5, n - 0.5
}

// ConfusionMatrix draws counts[true][predicted] as a heatmap coloured by the
// row-normalised fraction (recall per true class), each cell annotated with
// its count and row percentage (ValueLabels(false) removes them). Class
// names label both axes; true classes run top to bottom.
func ConfusionMatrix(counts [][]int, classes []string, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
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
	p := newPlot(cfg, "", "predicted", "true")
	p.Add(&cells{counts: counts, frac: frac, labels: cfg.valueLabels, fontSize: math.Max(6, cfg.fontSize-2.5)})
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
