package plots

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// newLegend returns an empty legend styled like the plots' legends.
func newLegend(cfg *config) *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(cfg.fontSize-1, black)
	l.TextStyle.XAlign = draw.XLeft
	l.TextStyle.YAlign = draw.YBottom
	l.ThumbnailWidth = vg.Points(18)
	l.Padding = vg.Points(2)
	l.Top, l.Left = true, true
	return &l
}

// legendSize returns the width and height a legend with these entry names
// needs.
func legendSize(l *plot.Legend, names []string) (w, h vg.Length) {
	for i, n := range names {
		r := l.TextStyle.Rectangle(" " + n)
		w = max(w, l.ThumbnailWidth+r.Max.X)
		h += r.Max.Y - r.Min.Y
		if i > 0 {
			h += l.Padding
		}
	}
	return w, h
}

// withSideLegend draws l (whose entries are names) vertically centred on
// the right of c and returns the part of c left for the plots. With no
// entries c is returned unchanged.
func withSideLegend(c draw.Canvas, cfg *config, l *plot.Legend, names []string) draw.Canvas {
	if len(names) == 0 {
		return c
	}
	w, h := legendSize(l, names)
	pad := vg.Points(cfg.fontSize * 0.8)
	width := c.Max.X - c.Min.X
	lc := draw.Crop(c, width-w-pad/2, -pad/2, 0, 0)
	l.YOffs = -max(0, (lc.Max.Y-lc.Min.Y-h)/2)
	l.Draw(lc)
	return draw.Crop(c, 0, -(w + pad*1.5), 0, 0)
}
