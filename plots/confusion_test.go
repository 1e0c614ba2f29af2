package plots

import (
	"image/color"
	"testing"

	"gonum.org/v1/plot/palette/brewer"
)

// TestSharePalette: the confusion scale runs from ColorBrewer Blues' lightest
// colour (share 0) to its darkest (share 1), getting darker all the way.
func TestSharePalette(t *testing.T) {
	blues, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		t.Fatal(err)
	}
	want := blues.Colors()
	cs := sharePalette().Colors()
	if len(cs) != shareShades {
		t.Fatalf("%d colours, want %d", len(cs), shareShades)
	}
	for _, c := range []struct {
		got, want color.Color
	}{{cs[0], want[0]}, {cs[len(cs)-1], want[len(want)-1]}} {
		if !near(c.got, c.want, 2) {
			t.Errorf("end colour %v, want %v", c.got, c.want)
		}
	}
	lum := func(c color.Color) uint32 { r, g, b, _ := c.RGBA(); return 2126*r + 7152*g + 722*b }
	for i := 1; i < len(cs); i++ {
		if lum(cs[i]) > lum(cs[i-1]) {
			t.Fatalf("colour %d (%v) is lighter than colour %d (%v)", i, cs[i], i-1, cs[i-1])
		}
	}
}

// TestConfusionCells: a perfect 2-class matrix paints its diagonal in the
// darkest blue and the rest in the lightest, and its labels are white on the
// diagonal (share 1) and black off it (share 0).
func TestConfusionCells(t *testing.T) {
	noValueLabels := func(c *config) { c.valueLabels = false } // plain cells to count colours on
	counts := [][]int{{10, 0}, {0, 10}}
	f, err := ConfusionMatrix(counts, []string{"a", "b"}, noValueLabels, Size(2, 2))
	if err != nil {
		t.Fatal(err)
	}
	img := f.Image(100)
	cs := sharePalette().Colors()
	for _, want := range []color.Color{cs[0], cs[len(cs)-1]} {
		n := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if near(img.At(x, y), want, 3) {
					n++
				}
			}
		}
		if n < 1000 { // each of the two cells of a colour covers some 60×60 pixels
			t.Errorf("colour %v covers %d pixels, want two cells' worth", want, n)
		}
	}
	frac, err := rowShares(counts, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	l := cellLabels(counts, frac, 8)
	for k, want := range []struct {
		label string
		clr   color.Color
	}{{"10\n100.0%", white}, {"0\n0.0%", black}, {"0\n0.0%", black}, {"10\n100.0%", white}} {
		if l.Labels[k] != want.label || l.TextStyle[k].Color != want.clr {
			t.Errorf("label %d = %q in %v, want %q in %v", k, l.Labels[k], l.TextStyle[k].Color, want.label, want.clr)
		}
	}
}

// near reports whether a and b differ by at most tol in each 8-bit channel.
func near(a, b color.Color, tol uint32) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) uint32 { return absDiff(x>>8, uint8(y>>8)) }
	return d(ar, br) <= tol && d(ag, bg) <= tol && d(ab, bb) <= tol
}
