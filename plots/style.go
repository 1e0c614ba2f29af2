package plots

import (
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Option tunes a figure. Options that do not apply to a figure are ignored.
type Option func(*config)

type config struct {
	title         string
	width, height float64 // inches, 0 = figure default
	dpi           int
	fontSize      float64 // base font size in points: titles one larger, tick labels one smaller
	maxPoints     int
	seed          uint64
	columns       int
	rowLabels     []string
	logY          bool
	alpha         float64
	valueLabels   bool // numbers on bars and cells (on; tests turn them off)
	epochX        bool // whole-epoch x ticks (set by LRSchedule)
}

func newConfig(opts []Option) *config {
	c := &config{fontSize: 10, alpha: 0.45, valueLabels: true}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// size returns the configured size in inches, or the defaults.
func (c *config) size(w, h float64) (float64, float64) {
	if c.width > 0 {
		w = c.width
	}
	if c.height > 0 {
		h = c.height
	}
	return w, h
}

// Title sets the figure title, e.g. "train features (synthetic)".
func Title(s string) Option { return func(c *config) { c.title = s } }

// Size sets the figure size in inches (default depends on the figure,
// typically 6×4).
func Size(widthIn, heightIn float64) Option {
	return func(c *config) { c.width, c.height = widthIn, heightIn }
}

// DPI sets the PNG resolution used when saving (default 300).
func DPI(dpi int) Option { return func(c *config) { c.dpi = dpi } }

// MaxPoints limits scatter plots to n points chosen deterministically from
// seed (0 = all points).
func MaxPoints(n int, seed uint64) Option {
	return func(c *config) { c.maxPoints, c.seed = n, seed }
}

// Columns sets the number of columns of image grids.
func Columns(n int) Option { return func(c *config) { c.columns = n } }

// RowLabels labels the rows of an image grid (e.g. class names when each row
// holds one class).
func RowLabels(labels ...string) Option { return func(c *config) { c.rowLabels = labels } }

// LogY uses a logarithmic y axis (line plots, e.g. learning-rate schedules).
func LogY() Option { return func(c *config) { c.logY = true } }

// Alpha sets the heatmap opacity of HeatmapOverlay (default 0.45).
func Alpha(a float64) Option { return func(c *config) { c.alpha = a } }

var (
	white = color.White
	black = color.Black
	grey  = color.RGBA{R: 0x66, G: 0x66, B: 0x66, A: 0xff}
	light = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
)

// classColors are the Okabe–Ito colour-blind-safe colours in FER2013 label
// order: angry, disgust, fear, happy, sad, surprise, neutral.
var classColors = []color.RGBA{
	{R: 0xD5, G: 0x5E, B: 0x00, A: 0xff}, // angry: vermillion
	{R: 0x00, G: 0x9E, B: 0x73, A: 0xff}, // disgust: bluish green
	{R: 0xCC, G: 0x79, B: 0xA7, A: 0xff}, // fear: reddish purple
	{R: 0xE6, G: 0x9F, B: 0x00, A: 0xff}, // happy: orange
	{R: 0x00, G: 0x72, B: 0xB2, A: 0xff}, // sad: blue
	{R: 0x56, G: 0xB4, B: 0xE9, A: 0xff}, // surprise: sky blue
	{R: 0x59, G: 0x59, B: 0x59, A: 0xff}, // neutral: dark grey
	{R: 0xF0, G: 0xE4, B: 0x42, A: 0xff}, // (8th) yellow
}

// ClassColor returns the fixed colour of class label i. Labels 0..6 follow
// FER2013's order (angry, disgust, fear, happy, sad, surprise, neutral) and
// use the Okabe–Ito colour-blind-safe palette; larger labels cycle.
func ClassColor(i int) color.Color {
	if i < 0 {
		i = -i
	}
	return classColors[i%len(classColors)]
}

// seriesColors are used for runs/series (Okabe–Ito, most distinct first).
var seriesColors = []color.RGBA{
	{R: 0x00, G: 0x72, B: 0xB2, A: 0xff},
	{R: 0xD5, G: 0x5E, B: 0x00, A: 0xff},
	{R: 0x00, G: 0x9E, B: 0x73, A: 0xff},
	{R: 0xCC, G: 0x79, B: 0xA7, A: 0xff},
	{R: 0xE6, G: 0x9F, B: 0x00, A: 0xff},
	{R: 0x56, G: 0xB4, B: 0xE9, A: 0xff},
	{R: 0x00, G: 0x00, B: 0x00, A: 0xff},
	{R: 0x99, G: 0x99, B: 0x99, A: 0xff},
}

// SeriesColor returns the colour of the i-th run or series in line and bar
// charts (Okabe–Ito order; cycles after 8).
func SeriesColor(i int) color.Color {
	if i < 0 {
		i = -i
	}
	return seriesColors[i%len(seriesColors)]
}

var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle returns a sans-serif text style of the given size.
func textStyle(size float64, clr color.Color) text.Style {
	return text.Style{
		Color:   clr,
		Font:    font.From(sansFont, font.Length(size)),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot styled for papers: sans-serif fonts sized from
// cfg.fontSize, light grid lines added by the caller where useful.
func newPlot(cfg *config, title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	fs := cfg.fontSize
	p.Title.Text = title
	p.Title.TextStyle = textStyle(fs+1, black)
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(fs * 0.6)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, font.Length(fs))
		ax.Label.Padding = vg.Points(fs * 0.3)
		ax.Tick.Label.Font = font.From(sansFont, font.Length(fs-1))
		ax.Tick.Length = vg.Points(3)
		ax.Padding = vg.Points(2)
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	// gonum's default labels round to too few digits on narrow ranges
	// (ticks at 1.75 and 1.80 both read "1.8"): label each tick exactly.
	p.X.Tick.Marker = cleanTicks{}
	p.Y.Tick.Marker = cleanTicks{}
	p.Legend.TextStyle = textStyle(fs-1, black)
	p.Legend.TextStyle.XAlign = draw.XLeft
	p.Legend.TextStyle.YAlign = draw.YBottom
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Legend.Padding = vg.Points(1)
	return p
}

// cleanTicks are gonum's default ticks labelled with the shortest exact
// decimal ("7500", "0.25") instead of a fixed precision ("7500.00").
type cleanTicks struct{}

func (cleanTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(roundTo(ts[i].Value, 10), 'f', -1, 64)
		}
	}
	return ts
}

// percentTicks labels fractions as percentages.
type percentTicks struct{}

func (percentTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmt.Sprintf("%g%%", roundTo(ts[i].Value*100, 6))
		}
	}
	return ts
}

// roundTo rounds v to digits significant decimal digits (so that tick
// values such as 0.30000000000000004 print as 0.3). NaN and ±Inf pass
// through.
func roundTo(v float64, digits int) float64 {
	out, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	if err != nil { // only out-of-range rounding (near MaxFloat64) gets here
		return v
	}
	return out
}

// titled draws title at the top of c (if non-empty) and returns the canvas
// below it.
func titled(c draw.Canvas, cfg *config, title string) draw.Canvas {
	if title == "" {
		return c
	}
	sty := textStyle(cfg.fontSize+1, black)
	sty.YAlign = draw.YTop
	h := sty.Height(title) + vg.Points(cfg.fontSize*0.8)
	c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - vg.Points(cfg.fontSize*0.4)}, title)
	return draw.Crop(c, 0, 0, 0, -h)
}

// legendFigure makes a figure of one plot with the title on top and the
// legend at the side.
func legendFigure(name string, w, h float64, cfg *config, p *plot.Plot, leg *plot.Legend, names []string) (*Figure, error) {
	f, err := NewFigure(name, w, h, func(c draw.Canvas) {
		c = titled(c, cfg, cfg.title)
		c = withSideLegend(c, cfg, leg, names)
		p.Draw(c)
	})
	if err != nil {
		return nil, err
	}
	f.DPI = cfg.dpi
	return f, nil
}
