package plots

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// pointCloud draws points with per-point class colours in a fixed shuffled
// order, so no class systematically hides another.
type pointCloud struct {
	x, y   []float64
	cls    []int
	radius vg.Length
	alpha  uint8
}

func (pc *pointCloud) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i := range pc.x {
		col := ClassColor(pc.cls[i]).(color.RGBA)
		sty := draw.GlyphStyle{
			Color:  color.NRGBA{R: col.R, G: col.G, B: col.B, A: pc.alpha},
			Radius: pc.radius,
			Shape:  draw.CircleGlyph{},
		}
		c.DrawGlyph(sty, vg.Point{X: trX(pc.x[i]), Y: trY(pc.y[i])})
	}
}

func (pc *pointCloud) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range pc.x {
		xmin, xmax = min(xmin, pc.x[i]), max(xmax, pc.x[i])
		ymin, ymax = min(ymin, pc.y[i]), max(ymax, pc.y[i])
	}
	return
}

// glyphThumb is a legend thumbnail: one filled circle.
type glyphThumb struct {
	clr    color.Color
	radius vg.Length
}

func (g glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyphNoClip(draw.GlyphStyle{Color: g.clr, Radius: g.radius, Shape: draw.CircleGlyph{}}, c.Center())
}

// PCAScatter draws 2-D projections (points[i] holds at least 2 coordinates;
// the first two are drawn) coloured by class label, with a legend of class
// names (labels[i] indexes classes) and, when explained holds the explained
// variance ratios of the two components, axis labels such as "PC1 (12.3%)".
// Use MaxPoints to draw a deterministic random subset of large splits and
// Title to name the split ("train features").
func PCAScatter(points [][]float64, labels []int, classes []string, explained []float64, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	if len(points) == 0 {
		return nil, fmt.Errorf("plots: PCAScatter got no points")
	}
	if len(labels) != len(points) {
		return nil, fmt.Errorf("plots: PCAScatter got %d points and %d labels", len(points), len(labels))
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("plots: PCAScatter needs class names")
	}
	if explained != nil && len(explained) < 2 {
		return nil, fmt.Errorf("plots: PCAScatter explained has %d ratios, want at least 2 (or nil)", len(explained))
	}
	for i, p := range points {
		if len(p) < 2 {
			return nil, fmt.Errorf("plots: PCAScatter point %d has %d coordinates, want at least 2", i, len(p))
		}
		if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
			return nil, fmt.Errorf("plots: PCAScatter point %d is (%v, %v), not finite", i, p[0], p[1])
		}
		if labels[i] < 0 || labels[i] >= len(classes) {
			return nil, fmt.Errorf("plots: PCAScatter point %d has label %d, want 0..%d", i, labels[i], len(classes)-1)
		}
	}
	rng := rand.New(rand.NewPCG(cfg.seed, 0x5ca77e4))
	order := rng.Perm(len(points))
	if cfg.maxPoints > 0 && cfg.maxPoints < len(order) {
		order = order[:cfg.maxPoints]
	}
	pc := &pointCloud{radius: vg.Points(2), alpha: 200}
	if len(order) > 2000 {
		pc.radius, pc.alpha = vg.Points(1.1), 140
	} else if len(order) > 500 {
		pc.radius, pc.alpha = vg.Points(1.5), 170
	}
	for _, i := range order {
		pc.x = append(pc.x, points[i][0])
		pc.y = append(pc.y, points[i][1])
		pc.cls = append(pc.cls, labels[i])
	}
	xl, yl := "PC1", "PC2"
	if explained != nil {
		xl = fmt.Sprintf("PC1 (%.1f%%)", 100*explained[0])
		yl = fmt.Sprintf("PC2 (%.1f%%)", 100*explained[1])
	}
	p := newPlot(cfg, "", xl, yl)
	addGrid(p)
	p.Add(pc)
	leg := newLegend(cfg)
	names := make([]string, len(classes))
	for i, name := range classes {
		leg.Add(name, glyphThumb{clr: ClassColor(i), radius: vg.Points(3)})
		names[i] = name
	}
	w, h := cfg.size(6, 4.5)
	return legendFigure("pca_scatter", w, h, cfg, p, leg, names)
}
