package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Image is one grayscale picture (e.g. a 48×48 FER2013 face) with a caption.
type Image struct {
	// Pixels holds Width*Height gray levels, row-major, top row first.
	Pixels []uint8
	// Width and Height are the image size; both 0 means 48×48.
	Width, Height int
	// Caption is written under the image; "\n" starts a second line, e.g.
	// "true: sad\npred: fear".
	Caption string
}

// Heatmap is a saliency map (e.g. Grad-CAM) of any resolution with values in
// [0,1], row-major, top row first. It is upsampled bilinearly to the size of
// the face it is drawn on.
type Heatmap struct {
	Values        []float64
	Width, Height int
}

// FloatImage converts float pixels to an Image. Values within [0,1] are
// scaled by 255, values within [0,255] are used as they are, and anything
// else (e.g. standardised pixels) is min–max scaled to [0,255].
func FloatImage(pixels []float32, width, height int, caption string) (Image, error) {
	if width <= 0 || height <= 0 || len(pixels) != width*height {
		return Image{}, fmt.Errorf("plots: FloatImage %q: %d pixels for %dx%d", caption, len(pixels), width, height)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range pixels {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Image{}, fmt.Errorf("plots: FloatImage %q: pixel %d is %v", caption, i, f)
		}
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	scale, off := 255.0, 0.0
	switch {
	case lo >= 0 && hi <= 1:
	case lo >= 0 && hi <= 255:
		scale = 1
	case hi > lo:
		scale, off = 255/(hi-lo), -lo
	default:
		scale, off = 0, 128
	}
	out := make([]uint8, len(pixels))
	for i, v := range pixels {
		out[i] = uint8(math.Round(math.Max(0, math.Min(255, (float64(v)+off)*scale))))
	}
	if scale == 0 {
		for i := range out {
			out[i] = 128
		}
	}
	return Image{Pixels: out, Width: width, Height: height, Caption: caption}, nil
}

func (im *Image) dims() (int, int) {
	if im.Width == 0 && im.Height == 0 {
		return 48, 48
	}
	return im.Width, im.Height
}

func (im *Image) check(i int) error {
	w, h := im.dims()
	if w <= 0 || h <= 0 || len(im.Pixels) != w*h {
		return fmt.Errorf("plots: image %d (%q) has %d pixels for %dx%d", i, im.Caption, len(im.Pixels), w, h)
	}
	return nil
}

// rgb returns the image as RGBA, optionally blended with a heatmap.
func (im *Image) rgb(heat *Heatmap, alpha float64) *image.RGBA {
	w, h := im.dims()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g := float64(im.Pixels[y*w+x])
			r, gg, b := g, g, g
			if heat != nil {
				// Bilinear sample of the heatmap at the pixel centre.
				hx := (float64(x)+0.5)*float64(heat.Width)/float64(w) - 0.5
				hy := (float64(y)+0.5)*float64(heat.Height)/float64(h) - 0.5
				v := heat.sample(hx, hy)
				hc := interpolate(inferno, v)
				r = (1-alpha)*g + alpha*float64(hc.R)
				gg = (1-alpha)*g + alpha*float64(hc.G)
				b = (1-alpha)*g + alpha*float64(hc.B)
			}
			out.SetRGBA(x, y, color.RGBA{uint8(math.Round(r)), uint8(math.Round(gg)), uint8(math.Round(b)), 0xff})
		}
	}
	return out
}

func (hm *Heatmap) sample(x, y float64) float64 {
	x = math.Max(0, math.Min(float64(hm.Width-1), x))
	y = math.Max(0, math.Min(float64(hm.Height-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, hm.Width-1), min(y0+1, hm.Height-1)
	tx, ty := x-float64(x0), y-float64(y0)
	at := func(xx, yy int) float64 { return hm.Values[yy*hm.Width+xx] }
	top := at(x0, y0)*(1-tx) + at(x1, y0)*tx
	bot := at(x0, y1)*(1-tx) + at(x1, y1)*tx
	return top*(1-ty) + bot*ty
}

// inferno is matplotlib's perceptually uniform, colour-blind-friendly
// "inferno" colour map sampled at 9 points.
var inferno = []color.RGBA{
	{0x00, 0x00, 0x04, 0xff}, {0x1b, 0x0c, 0x41, 0xff}, {0x4a, 0x0c, 0x6b, 0xff},
	{0x78, 0x1c, 0x6d, 0xff}, {0xa5, 0x2c, 0x60, 0xff}, {0xcf, 0x44, 0x46, 0xff},
	{0xed, 0x69, 0x25, 0xff}, {0xfb, 0x9b, 0x06, 0xff}, {0xfc, 0xff, 0xa4, 0xff},
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

// resizeNearest resizes img to w×h pixels with nearest-neighbour sampling
// (x/image/draw.NearestNeighbor: each output pixel takes the source pixel
// under its centre), so faces stay crisp whatever the viewer's
// interpolation.
func resizeNearest(img *image.RGBA, w, h int) *image.RGBA {
	b := img.Bounds()
	if w == b.Dx() && h == b.Dy() {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.NearestNeighbor.Scale(out, out.Bounds(), img, b, xdraw.Src, nil)
	return out
}

// rasterCanvas returns the vgimg canvas under c (draw.Crop nests
// draw.Canvas values), if c draws to an image.
func rasterCanvas(c draw.Canvas) (*vgimg.Canvas, bool) {
	var v vg.Canvas = c.Canvas
	for {
		switch cv := v.(type) {
		case *vgimg.Canvas:
			return cv, true
		case draw.Canvas:
			v = cv.Canvas
		case *draw.Canvas:
			v = cv.Canvas
		default:
			return nil, false
		}
	}
}

// drawCrisp draws img into rect. On raster canvases the rectangle is
// snapped to whole device pixels and the image resized to exactly that many
// pixels with nearest-neighbour sampling, so no interpolation blurs it; on
// vector canvases it is embedded upscaled 6× (nearest-neighbour).
func drawCrisp(c draw.Canvas, rect vg.Rectangle, img *image.RGBA) {
	ic, ok := rasterCanvas(c)
	if !ok {
		b := img.Bounds()
		c.DrawImage(rect, resizeNearest(img, 6*b.Dx(), 6*b.Dy()))
		return
	}
	dpi := ic.DPI()
	snap := func(l vg.Length) (vg.Length, int) {
		d := math.Round(l.Dots(dpi))
		return vg.Length(d / dpi * vg.Inch.Points()), int(d)
	}
	x0, ix0 := snap(rect.Min.X)
	x1, ix1 := snap(rect.Max.X)
	y0, iy0 := snap(rect.Min.Y)
	y1, iy1 := snap(rect.Max.Y)
	if ix1 <= ix0 || iy1 <= iy0 {
		return
	}
	c.DrawImage(vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}, resizeNearest(img, ix1-ix0, iy1-iy0))
}

// FaceGrid draws images in a grid (Columns, default up to 8) with their
// captions underneath; RowLabels writes a label left of each row (e.g. the
// class of each row of samples). Use it for samples per class, augmentation
// previews (one face, many versions) and misclassified faces.
func FaceGrid(images []Image, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	for i := range images {
		if err := images[i].check(i); err != nil {
			return nil, err
		}
	}
	rgbs := make([]*image.RGBA, len(images))
	for i := range images {
		rgbs[i] = images[i].rgb(nil, 0)
	}
	return gridFigure("faces", images, rgbs, cfg)
}

// HeatmapOverlay draws each face with its heatmap (values in [0,1], any
// resolution, upsampled bilinearly to the face) alpha-blended on top in the
// "inferno" colour map (Alpha, default 0.45), with captions, in a grid like
// FaceGrid. heats[i] belongs to images[i].
func HeatmapOverlay(images []Image, heats []Heatmap, opts ...Option) (*Figure, error) {
	cfg := newConfig(opts)
	if len(heats) != len(images) {
		return nil, fmt.Errorf("plots: HeatmapOverlay got %d images and %d heatmaps", len(images), len(heats))
	}
	if cfg.alpha < 0 || cfg.alpha > 1 {
		return nil, fmt.Errorf("plots: HeatmapOverlay alpha %v outside [0,1]", cfg.alpha)
	}
	rgbs := make([]*image.RGBA, len(images))
	for i := range images {
		if err := images[i].check(i); err != nil {
			return nil, err
		}
		hm := &heats[i]
		if hm.Width <= 0 || hm.Height <= 0 || len(hm.Values) != hm.Width*hm.Height {
			return nil, fmt.Errorf("plots: heatmap %d has %d values for %dx%d", i, len(hm.Values), hm.Width, hm.Height)
		}
		for j, v := range hm.Values {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("plots: heatmap %d value %d is %v, want [0,1]", i, j, v)
			}
		}
		rgbs[i] = images[i].rgb(hm, cfg.alpha)
	}
	return gridFigure("heatmaps", images, rgbs, cfg)
}

func gridFigure(name string, images []Image, rgbs []*image.RGBA, cfg *config) (*Figure, error) {
	n := len(images)
	if n == 0 {
		return nil, fmt.Errorf("plots: %s needs at least one image", name)
	}
	cols := cfg.columns
	if cols <= 0 {
		cols = min(n, 8)
	}
	rows := (n + cols - 1) / cols
	if len(cfg.rowLabels) > 0 && len(cfg.rowLabels) != rows {
		return nil, fmt.Errorf("plots: %s has %d rows but %d row labels", name, rows, len(cfg.rowLabels))
	}
	rowSty := textStyle(cfg.fontSize-1, black)
	rowSty.XAlign = draw.XRight
	var labelW vg.Length
	for _, l := range cfg.rowLabels {
		labelW = max(labelW, rowSty.Width(l))
	}
	if labelW > 0 {
		labelW += vg.Points(4)
	}
	titleH := vg.Length(0)
	if cfg.title != "" {
		ts := textStyle(cfg.fontSize+1, black)
		titleH = ts.Height(cfg.title) + vg.Points(cfg.fontSize*0.8)
	}
	gap := vg.Points(3)
	// Width: 6 in at most, ~1.1 in per face when there are few columns.
	w := cfg.width
	if w <= 0 {
		w = math.Min(6, float64(labelW/vg.Inch)+float64(cols)*1.1)
	}
	cell := (vg.Length(w)*vg.Inch - labelW - vg.Points(8)) / vg.Length(cols)
	side := cell - gap
	if side <= 0 {
		return nil, fmt.Errorf("plots: %s: %d columns do not fit in %.2f inches", name, cols, w)
	}
	// Captions: the usual size, made smaller (down to 5 pt) until the widest
	// line fits under its face without running into the next one.
	capSize := math.Max(6, cfg.fontSize-2)
	capSty := textStyle(capSize, black)
	for capSize > 5 && widestLine(capSty, images) > cell-gap/2 {
		capSize -= 0.5
		capSty = textStyle(capSize, black)
	}
	capSty.YAlign = draw.YTop
	lines := 0
	for _, im := range images {
		if im.Caption != "" {
			lines = max(lines, strings.Count(im.Caption, "\n")+1)
		}
	}
	lineH := capSty.Height("Mg")
	capH := vg.Length(lines)*lineH + vg.Points(2)*vg.Length(min(lines, 1))
	h := cfg.height
	if h <= 0 {
		h = float64((titleH + vg.Length(rows)*(side+capH+gap) + vg.Points(8)) / vg.Inch)
	}
	f, err := NewFigure(name, w, h, func(c draw.Canvas) {
		c = titled(c, cfg, cfg.title)
		// Centre the grid horizontally.
		gridW := labelW + vg.Length(cols)*cell
		x0 := c.Min.X + (c.Max.X-c.Min.X-gridW)/2 + labelW
		rowH := side + capH + gap
		for i := range images {
			r, col := i/cols, i%cols
			top := c.Max.Y - vg.Length(r)*rowH
			left := x0 + vg.Length(col)*cell + gap/2
			rect := vg.Rectangle{Min: vg.Point{X: left, Y: top - side}, Max: vg.Point{X: left + side, Y: top}}
			drawCrisp(c, rect, rgbs[i])
			if images[i].Caption != "" {
				c.FillText(capSty, vg.Point{X: left + side/2, Y: top - side - vg.Points(2)}, images[i].Caption)
			}
			if col == 0 && len(cfg.rowLabels) > 0 {
				c.FillText(rowSty, vg.Point{X: x0 - vg.Points(4), Y: top - side/2}, cfg.rowLabels[r])
			}
		}
	})
	if err != nil {
		return nil, err
	}
	f.DPI = cfg.dpi
	return f, nil
}

// widestLine returns the width of the widest caption line in style sty.
func widestLine(sty draw.TextStyle, images []Image) vg.Length {
	var w vg.Length
	for _, im := range images {
		for _, line := range strings.Split(im.Caption, "\n") {
			w = max(w, sty.Width(line))
		}
	}
	return w
}
