package data

import (
	"math"
	"strings"
	"testing"
)

// alter returns a copy of s (renamed) with every image transformed by fn.
func alter(s *Split, name string, fn func(img []uint8) []uint8) *Split {
	out := &Split{Name: name, Labels: append([]uint8(nil), s.Labels...), Sources: append([]string(nil), s.Sources...)}
	for i := range s.Len() {
		out.Pixels = append(out.Pixels, fn(append([]uint8(nil), s.Image(i)...))...)
	}
	return out
}

// boxBlur blurs an image with a 3x3 box filter, passes times.
func boxBlur(passes int) func([]uint8) []uint8 {
	return func(img []uint8) []uint8 {
		for range passes {
			src := append([]uint8(nil), img...)
			for y := range Size {
				for x := range Size {
					var s, n int
					for dy := -1; dy <= 1; dy++ {
						for dx := -1; dx <= 1; dx++ {
							yy, xx := y+dy, x+dx
							if yy >= 0 && yy < Size && xx >= 0 && xx < Size {
								s += int(src[yy*Size+xx])
								n++
							}
						}
					}
					img[y*Size+x] = uint8((s + n/2) / n)
				}
			}
		}
		return img
	}
}

// affine maps each pixel v to a*v+b (clamped).
func affine(a, b float64) func([]uint8) []uint8 {
	return func(img []uint8) []uint8 {
		for i, v := range img {
			img[i] = uint8(math.Round(min(max(a*float64(v)+b, 0), 255)))
		}
		return img
	}
}

// consistencyCases are the faults the check must catch, each with words
// its warning must contain.
var consistencyCases = []struct {
	name  string
	fn    func([]uint8) []uint8
	words []string
}{
	{"unchanged", func(b []uint8) []uint8 { return b }, nil},
	{"blurred", boxBlur(2), []string{"blurrier"}},
	{"darkened", affine(0.75, 0), []string{"darker"}},
	{"contrast-stretched", affine(1.4, -0.4*128), []string{"more contrast"}},
}

// checkConsistencyCases makes a test split from a copy of base's images,
// altered by each case, and checks the warnings.
func checkConsistencyCases(t *testing.T, base *Dataset) {
	for _, c := range consistencyCases {
		t.Run(c.name, func(t *testing.T) {
			ds := &Dataset{Train: base.Train, Test: alter(base.Test, "test", c.fn)}
			r := CheckConsistency(ds)
			text := strings.Join(r.Warnings, "\n")
			if len(c.words) == 0 {
				if len(r.Warnings) > 0 {
					t.Errorf("unexpected warnings:\n%s", text)
				}
				return
			}
			if len(r.Warnings) == 0 {
				t.Fatalf("no warning for a %s test split:\n%s", c.name, r)
			}
			for _, w := range r.Warnings {
				if !strings.HasPrefix(w, "warning: ") {
					t.Errorf("warning line %q does not begin with \"warning: \"", w)
				}
			}
			for _, word := range c.words {
				if !strings.Contains(text, "test") || !strings.Contains(text, word) {
					t.Errorf("warnings do not say %q about the test split:\n%s", word, text)
				}
			}
		})
	}
}

func TestConsistencySynthetic(t *testing.T) {
	base := Synthetic(1400, 700, 3)
	checkConsistencyCases(t, base)
}

// TestConsistencyReal checks that the real FER2013 splits agree (no
// warning) and that altered copies of its test split are caught.
func TestConsistencyReal(t *testing.T) {
	ds, err := Load(realData(t), WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	r := CheckConsistency(ds)
	t.Logf("\n%s", r)
	if len(r.Warnings) > 0 {
		t.Errorf("warnings on the real FER2013:\n%s", strings.Join(r.Warnings, "\n"))
	}
	tr, te := r.Splits[0].All, r.Splits[1].All
	t.Logf("test vs train: mean %+.2f %%, std %+.2f %%, median sharpness %+.2f %%, below train p5 %.2f %%",
		100*(te.Mean-tr.Mean)/tr.Mean, 100*(te.Std-tr.Std)/tr.Std,
		100*(te.MedianSharpness()-tr.MedianSharpness())/tr.MedianSharpness(), 100*te.fractionBelow(tr.SharpnessQuantile(0.05)))
	for c := range NumClasses {
		a, b := r.Splits[1].PerClass[c], r.Splits[0].PerClass[c]
		t.Logf("%-9s test %4d vs train %4d: mean %+.2f %%, std %+.2f %%, median sharpness %+.2f %%", Classes[c], a.Images, b.Images,
			100*(a.Mean-b.Mean)/b.Mean, 100*(a.Std-b.Std)/b.Std, 100*(a.MedianSharpness()-b.MedianSharpness())/b.MedianSharpness())
	}
	checkConsistencyCases(t, ds)
}

func TestSharpness(t *testing.T) {
	flat := make([]uint8, Pixels)
	for i := range flat {
		flat[i] = 100
	}
	if s := Sharpness(flat); s != 0 {
		t.Errorf("flat image sharpness %v, want 0", s)
	}
	// A checkerboard of 0/255: every interior Laplacian is ±4*255.
	cb := make([]uint8, Pixels)
	for y := range Size {
		for x := range Size {
			if (x+y)%2 == 1 {
				cb[y*Size+x] = 255
			}
		}
	}
	if s := Sharpness(cb); s != 4*255 {
		t.Errorf("checkerboard sharpness %v, want %v", s, 4*255)
	}
}

// TestSharpnessQuantile pins the nearest-rank definition: the q-quantile of
// n sorted values is the k-th smallest (1-based) for k = ceil(q·n), clamped
// to [1, n], written out here by hand for each case.
func TestSharpnessQuantile(t *testing.T) {
	four := PixelStats{Sharpness: []float64{10, 20, 30, 40}}
	five := PixelStats{Sharpness: []float64{1, 2, 3, 4, 5}}
	for _, c := range []struct {
		p    PixelStats
		q    float64
		want float64
	}{
		{four, 0, 10}, {four, 0.25, 10}, {four, 0.26, 20}, {four, 0.5, 20}, // lower median
		{four, 0.75, 30}, {four, 0.9, 40}, {four, 1, 40},
		{four, -0.5, 10}, {four, 1.5, 40}, // clamped
		{five, 0.05, 1}, {five, 0.2, 1}, {five, 0.21, 2}, {five, 0.5, 3}, {five, 0.95, 5},
	} {
		if got := c.p.SharpnessQuantile(c.q); got != c.want {
			t.Errorf("SharpnessQuantile(%v) of %v = %v, want %v", c.q, c.p.Sharpness, got, c.want)
		}
	}
	// The 5 % quantile of 1..100 is 5: exactly 5 % of the values lie at or below it.
	var hundred PixelStats
	for i := range 100 {
		hundred.Sharpness = append(hundred.Sharpness, float64(i+1))
	}
	if got := hundred.SharpnessQuantile(0.05); got != 5 {
		t.Errorf("5 %% quantile of 1..100 = %v, want 5", got)
	}
	for _, p := range []PixelStats{{}, four} {
		if got := p.SharpnessQuantile(math.NaN()); !math.IsNaN(got) {
			t.Errorf("SharpnessQuantile(NaN) of %v = %v, want NaN", p.Sharpness, got)
		}
	}
	if got := (PixelStats{}).SharpnessQuantile(0.5); !math.IsNaN(got) {
		t.Errorf("median of no values = %v, want NaN", got)
	}
}
