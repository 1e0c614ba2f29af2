package augment

import (
	"math"
	"math/rand/v2"
	"testing"
)

// smooth returns a smooth test image f(x, y) and f itself, so that
// resampling errors can be measured against the exact transformed image.
func smooth() ([]float32, func(x, y float64) float64) {
	f := func(x, y float64) float64 {
		return 0.5 + 0.25*math.Sin(x/3.1)*math.Cos(y/4.3) + 0.2*math.Sin((x+y)/7)
	}
	img := make([]float32, Pixels)
	for y := range Size {
		for x := range Size {
			img[y*Size+x] = float32(f(float64(x), float64(y)))
		}
	}
	return img, f
}

// sequence applies ts one after another to a copy of img with a generator
// seeded by seed, and returns the image and the generator's next value.
func sequence(img []float32, seed uint64, ts ...Transform) ([]float32, uint64) {
	out := append([]float32(nil), img...)
	scratch := make([]float32, Pixels)
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, t := range ts {
		t.Apply(out, scratch, rng)
	}
	return out, rng.Uint64()
}

// TestAffineMatchesTransforms: each transform alone gives the same image as
// Affine with only that transform (exactly, or within the pixels both sample
// inside the image), and Affine draws the same random numbers as the
// transforms it composes, so a seed gives the same geometry either way.
func TestAffineMatchesTransforms(t *testing.T) {
	img, _ := smooth()
	crop := ResizedCrop{Scale: [2]float64{0.3, 1}, Ratio: DefaultRatio}
	cases := []struct {
		name  string
		seq   []Transform
		aff   Affine
		exact bool // every pixel equal (else: close where neither is a fill pixel)
	}{
		{"flip", []Transform{HFlip{P: 0.5}}, Affine{FlipP: 0.5}, true},
		{"pad crop", []Transform{PadCrop{Pad: 4}}, Affine{Pad: 4}, true},
		{"flip+pad", []Transform{PadCrop{Pad: 3}, HFlip{P: 0.5}}, Affine{Pad: 3, FlipP: 0.5}, true},
		{"rotate", []Transform{Rotate{Degrees: 30}}, Affine{Degrees: 30}, false},
		{"resized crop", []Transform{crop}, Affine{Crop: &crop}, false},
		{"all", []Transform{crop, PadCrop{Pad: 2}, HFlip{P: 0.5}, Rotate{Degrees: 15}}, Affine{Crop: &crop, Pad: 2, FlipP: 0.5, Degrees: 15}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(20) {
				want, wantNext := sequence(img, seed, tc.seq...)
				got, gotNext := sequence(img, seed, tc.aff)
				if gotNext != wantNext {
					t.Fatalf("seed %d: Affine drew other random numbers than the transforms", seed)
				}
				var worst, sum, n float64
				for i := range got {
					d := math.Abs(float64(got[i] - want[i]))
					worst = max(worst, d)
					if want[i] != 0 && got[i] != 0 { // both inside the image: fill rules differ
						sum += d
						n++
					}
				}
				mean := sum / max(n, 1)
				switch {
				case tc.exact && worst > 1e-6:
					t.Fatalf("seed %d: largest difference %g, want none", seed, worst)
				case !tc.exact && mean > 0.02:
					// Two resamples against one: close, not equal.
					t.Fatalf("seed %d: mean difference %g from the transforms in sequence", seed, mean)
				}
			}
		})
	}
}

// TestAffineSharperThanSequence: on a smooth image whose exact transform is
// known, one resample is closer to the truth than a crop followed by a
// rotation (two resamples), which is the point of SingleResample.
func TestAffineSharperThanSequence(t *testing.T) {
	img, f := smooth()
	crop := ResizedCrop{Scale: [2]float64{0.5, 0.7}, Ratio: [2]float64{1, 1}}
	var errSeq, errAff float64
	for seed := range uint64(30) {
		seq, _ := sequence(img, seed, crop, Rotate{Degrees: 20})
		aff, _ := sequence(img, seed, Affine{Crop: &crop, Degrees: 20})
		// The exact image: replay the draws to get the geometry.
		rng := rand.New(rand.NewPCG(seed, 7))
		top, left, h, w := crop.Params(rng)
		a := (2*rng.Float64() - 1) * 20 * math.Pi / 180
		const c = (Size - 1) / 2.0
		for y := range Size {
			for x := range Size {
				px := math.Cos(a)*(float64(x)-c) + math.Sin(a)*(float64(y)-c) + c
				py := -math.Sin(a)*(float64(x)-c) + math.Cos(a)*(float64(y)-c) + c
				if px < 1 || py < 1 || px > Size-2 || py > Size-2 {
					continue // near or past the edges: fill rules differ
				}
				sx := float64(left) + (px+0.5)*float64(w)/Size - 0.5
				sy := float64(top) + (py+0.5)*float64(h)/Size - 0.5
				truth := f(sx, sy)
				errSeq += math.Abs(float64(seq[y*Size+x]) - truth)
				errAff += math.Abs(float64(aff[y*Size+x]) - truth)
			}
		}
	}
	if errAff >= errSeq {
		t.Fatalf("one resample's error %g is not below two resamples' %g", errAff, errSeq)
	}
	t.Logf("absolute error against the exact image: one resample %.4g, two %.4g (%.2fx)", errAff, errSeq, errSeq/errAff)
}

// TestSingleResamplePipeline: the option replaces the geometric transforms
// by one Affine and leaves the rest of the pipeline as it was.
func TestSingleResamplePipeline(t *testing.T) {
	c := Config{HFlip: true, Rotate: 15, ResizedCrop: true, Erase: 0.25, Brightness: 0.2, Mean: 0.5, Std: 0.25, SingleResample: true}
	p, err := c.Pipeline()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Train) != 4 {
		t.Fatalf("%d training transforms (%T...), want Affine, ColorJitter, Normalize, Erase", len(p.Train), p.Train)
	}
	a, ok := p.Train[0].(Affine)
	if !ok || a.Crop == nil || a.Crop.Scale != DefaultScale || a.FlipP != 0.5 || a.Degrees != 15 || a.Pad != 0 {
		t.Errorf("first transform %#v, want the composed crop, flip and rotation", p.Train[0])
	}
	for i, want := range []string{"augment.ColorJitter", "augment.Normalize", "augment.Erase"} {
		if got := typeName(p.Train[i+1]); got != want {
			t.Errorf("transform %d is %s, want %s", i+1, got, want)
		}
	}
	// Nothing geometric: nothing to compose.
	p, err = Config{Erase: 0.5, SingleResample: true}.Pipeline()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Train[0].(Affine); ok {
		t.Errorf("an Affine without geometric transforms: %#v", p.Train)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case ColorJitter:
		return "augment.ColorJitter"
	case Normalize:
		return "augment.Normalize"
	case Erase:
		return "augment.Erase"
	}
	return "other"
}
