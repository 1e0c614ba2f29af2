package plots

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/atomicfile"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DefaultDPI is the PNG resolution used by Save when Figure.DPI is zero
// (print quality).
const DefaultDPI = 300

// ScreenDPI is the PNG resolution of HTML (inline display). The image is displayed at its
// physical size (96 CSS pixels per inch); 110 dpi keeps it a little sharper
// than the screen while a notebook with a few dozen figures stays under 2 MB
// (exports use DefaultDPI).
const ScreenDPI = 110

// Figure is a finished figure: a size and a drawing function that can render
// it to any gonum/plot canvas (PNG, SVG, PDF).
type Figure struct {
	// Width and Height are the physical size of the figure.
	Width, Height vg.Length
	// DPI is the PNG resolution used by Save and SaveAll; 0 means DefaultDPI.
	DPI int
	// Name is a short identifier (e.g. "curves"), used by SaveAll when base
	// is empty.
	Name string

	draw func(c draw.Canvas)
}

// NewFigure returns a figure of the given size (in inches) drawn by fn. It is
// the building block of all figures in this package and can be used for
// custom layouts, e.g. with plot.Align.
func NewFigure(name string, widthIn, heightIn float64, fn func(c draw.Canvas)) (*Figure, error) {
	if widthIn <= 0 || heightIn <= 0 {
		return nil, fmt.Errorf("plots: figure %q size %gx%g inches must be positive", name, widthIn, heightIn)
	}
	if fn == nil {
		return nil, fmt.Errorf("plots: figure %q has no drawing function", name)
	}
	return &Figure{Width: vg.Length(widthIn) * vg.Inch, Height: vg.Length(heightIn) * vg.Inch, Name: name, draw: fn}, nil
}

func (f *Figure) dpi() int {
	if f.DPI > 0 {
		return f.DPI
	}
	return DefaultDPI
}

// Draw draws the figure onto c (its background is filled white first).
func (f *Figure) Draw(c draw.Canvas) {
	c.FillPolygon(white, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
	m := vg.Points(4)
	f.draw(draw.Crop(c, m, -m, m, -m))
}

// Image renders the figure to an RGBA image at dpi dots per inch (0 means
// the figure's DPI). Its size is Width×Height inches times dpi, rounded up.
func (f *Figure) Image(dpi int) image.Image {
	if dpi <= 0 {
		dpi = f.dpi()
	}
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi))
	f.Draw(draw.New(c))
	return c.Image()
}

// Encode writes the figure in the given format: "png" (at the figure's DPI),
// "svg" or "pdf".
func (f *Figure) Encode(w io.Writer, format string) error {
	var wt io.WriterTo
	switch strings.ToLower(strings.TrimPrefix(format, ".")) {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(f.dpi()))
		f.Draw(draw.New(c))
		wt = vgimg.PngCanvas{Canvas: c}
	case "svg":
		c := vgsvg.New(f.Width, f.Height)
		f.Draw(draw.New(c))
		wt = c
	case "pdf":
		c := vgpdf.New(f.Width, f.Height)
		f.Draw(draw.New(c))
		wt = c
	default:
		return fmt.Errorf("plots: unsupported format %q (want png, svg or pdf)", format)
	}
	_, err := wt.WriteTo(w)
	return err
}

// Bytes returns the figure encoded in format ("png", "svg" or "pdf").
func (f *Figure) Bytes(format string) ([]byte, error) {
	var buf bytes.Buffer
	if err := f.Encode(&buf, format); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the figure to path; the format comes from the extension
// (.png, .svg or .pdf). PNGs use the figure's DPI (default 300). Parent
// directories are created.
func (f *Figure) Save(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".png" && ext != ".svg" && ext != ".pdf" {
		return fmt.Errorf("plots: cannot save %s: extension must be .png, .svg or .pdf", path)
	}
	data, err := f.Bytes(ext)
	if err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("plots: saving %s: %w", path, err)
		}
	}
	if err := atomicfile.WriteFile(path, data); err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	return nil
}

// SaveAll saves the figure as dir/base.<format> for each format (default:
// png, svg and pdf) and returns the paths written. An empty base uses the
// figure's Name.
func (f *Figure) SaveAll(dir, base string, formats ...string) ([]string, error) {
	if base == "" {
		base = f.Name
	}
	if base == "" {
		return nil, fmt.Errorf("plots: SaveAll needs a base file name (the figure has no Name)")
	}
	if len(formats) == 0 {
		formats = []string{"png", "svg", "pdf"}
	}
	var paths []string
	for _, format := range formats {
		p := filepath.Join(dir, base+"."+strings.ToLower(strings.TrimPrefix(format, ".")))
		if err := f.Save(p); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// HTML returns the figure as an HTML <img> element holding a ScreenDPI PNG
// shown at the figure's physical size, with the figure's Name as its alt
// text: what package inline displays in a notebook, also for views updated
// in place (gonbui.UpdateHTML).
func (f *Figure) HTML() (string, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, f.Image(ScreenDPI)); err != nil {
		return "", fmt.Errorf("plots: encoding %q for display: %w", f.Name, err)
	}
	return fmt.Sprintf(`<img src="data:image/png;base64,%s" style="width:%.0fpx;max-width:100%%" alt="%s"/>`,
		base64.StdEncoding.EncodeToString(buf.Bytes()), f.Width.Points()*96/72, htmlAttr(f.Name)), nil
}

func htmlAttr(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;", `>`, "&gt;").Replace(s)
}
