package augment

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/fernb/fernb/fernb/data"
)

func testSplit() *data.Split {
	return data.Synthetic(64, 0, 5).Train
}

func allIdx(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func TestEvalBatchNormalizes(t *testing.T) {
	s := testSplit()
	p, err := Config{Mean: 0.5, Std: 0.25, HFlip: true, Rotate: 30, Mixup: 0.4}.Pipeline()
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{3, 1, 7}
	b := p.MakeBatch(s, idx, 1, false)
	if len(b.Images) != 3*Pixels || len(b.Targets) != 3*data.NumClasses || len(b.Labels) != 3 {
		t.Fatalf("sizes %d %d %d", len(b.Images), len(b.Targets), len(b.Labels))
	}
	for k, i := range idx {
		for j, v := range s.Image(i) {
			want := (float32(v)/255 - 0.5) / 0.25
			if d := b.Images[k*Pixels+j] - want; d > 1e-5 || d < -1e-5 {
				t.Fatalf("image %d pixel %d = %v, want %v", k, j, b.Images[k*Pixels+j], want)
			}
		}
		if b.Labels[k] != int32(s.Labels[i]) || b.Targets[k*data.NumClasses+int(s.Labels[i])] != 1 {
			t.Errorf("image %d: label %d targets %v", k, b.Labels[k], b.Targets[k*7:k*7+7])
		}
	}
}

func TestTrainBatchDeterministic(t *testing.T) {
	s := testSplit()
	cfgs := map[string]Config{
		"study":  Study(),
		"all":    {HFlip: true, Rotate: 15, ResizedCrop: true, PadCrop: 4, Erase: 0.5, Brightness: 0.3, Contrast: 0.3, Mean: 0.5, Std: 0.25},
		"mixup":  {HFlip: true, Mixup: 0.4},
		"cutmix": {Cutmix: 1},
		"both":   {Mixup: 0.2, Cutmix: 1},
	}
	for name, c := range cfgs {
		t.Run(name, func(t *testing.T) {
			p, err := c.Pipeline()
			if err != nil {
				t.Fatal(err)
			}
			idx := allIdx(s.Len())
			a := p.MakeBatch(s, idx, 9, true)
			p1 := *p
			p1.Workers = 1
			b := p1.MakeBatch(s, idx, 9, true)
			if !reflect.DeepEqual(a.Images, b.Images) || !reflect.DeepEqual(a.Targets, b.Targets) {
				t.Error("same seed, different batch (or worker count changed the result)")
			}
			c2 := p.MakeBatch(s, idx, 10, true)
			if reflect.DeepEqual(a.Images, c2.Images) {
				t.Error("different seeds, same batch")
			}
			for k := range s.Len() {
				sum := float32(0)
				for _, v := range a.Targets[k*7 : k*7+7] {
					if v < 0 {
						t.Fatalf("negative target %v", v)
					}
					sum += v
				}
				if math.Abs(float64(sum-1)) > 1e-5 {
					t.Fatalf("image %d targets sum to %v", k, sum)
				}
			}
			for _, v := range a.Images {
				if math.IsNaN(float64(v)) {
					t.Fatal("NaN pixel")
				}
			}
			if (c.Mixup > 0 || c.Cutmix > 0) != (a.Perm != nil) {
				t.Errorf("perm %v with mixup %v cutmix %v", a.Perm != nil, c.Mixup, c.Cutmix)
			}
		})
	}
}

// ramp returns an image whose pixel (x, y) is x/47.
func ramp() []float32 {
	img := make([]float32, Pixels)
	for y := range Size {
		for x := range Size {
			img[y*Size+x] = float32(x) / (Size - 1)
		}
	}
	return img
}

func TestTransforms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	scratch := make([]float32, Pixels)
	tests := []struct {
		name  string
		tr    Transform
		check func(t *testing.T, out []float32)
	}{
		{"hflip p=1 mirrors", HFlip{P: 1}, func(t *testing.T, out []float32) {
			if out[0] != 1 || out[Size-1] != 0 {
				t.Errorf("row ends %v %v", out[0], out[Size-1])
			}
		}},
		{"hflip p=0 keeps", HFlip{P: 0}, func(t *testing.T, out []float32) {
			if !reflect.DeepEqual(out, ramp()) {
				t.Error("changed")
			}
		}},
		{"rotate 0 keeps", Rotate{Degrees: 0}, func(t *testing.T, out []float32) {
			if !reflect.DeepEqual(out, ramp()) {
				t.Error("changed")
			}
		}},
		{"rotate keeps the centre", Rotate{Degrees: 45}, func(t *testing.T, out []float32) {
			c := (Size/2)*Size + Size/2
			if d := out[c] - ramp()[c]; math.Abs(float64(d)) > 0.03 {
				t.Errorf("centre moved: %v vs %v", out[c], ramp()[c])
			}
		}},
		{"resized crop full keeps", ResizedCrop{Scale: [2]float64{1, 1}, Ratio: [2]float64{1, 1}}, func(t *testing.T, out []float32) {
			for i, v := range ramp() {
				if math.Abs(float64(out[i]-v)) > 1e-5 {
					t.Fatalf("pixel %d: %v want %v", i, out[i], v)
				}
			}
		}},
		{"resized crop stays in range and monotone", ResizedCrop{Scale: DefaultScale, Ratio: DefaultRatio}, func(t *testing.T, out []float32) {
			for x := 1; x < Size; x++ {
				if out[x] < out[x-1]-1e-6 {
					t.Fatalf("not monotone at %d", x)
				}
			}
		}},
		{"erase p=1 zeroes a box", DefaultErase(1), func(t *testing.T, out []float32) {
			n := 0
			for i, v := range out {
				if v == 0 && ramp()[i] != 0 {
					n++
				}
			}
			if n < 46-Size || n > 761+Size {
				t.Errorf("%d pixels erased", n)
			}
		}},
		{"normalize", Normalize{Mean: 0.5, Std: 0.5}, func(t *testing.T, out []float32) {
			if out[0] != -1 || out[Size-1] != 1 {
				t.Errorf("got %v %v", out[0], out[Size-1])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := ramp()
			tc.tr.Apply(img, scratch, rng)
			tc.check(t, img)
		})
	}
}

// TestResizedCropParams checks the crop statistics against torchvision's
// definition: areas within the scale range, ratios within the ratio range.
func TestResizedCropParams(t *testing.T) {
	rc := ResizedCrop{Scale: DefaultScale, Ratio: DefaultRatio}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		top, left, h, w := rc.Params(rng)
		if top < 0 || left < 0 || top+h > Size || left+w > Size || h < 1 || w < 1 {
			t.Fatalf("crop %d %d %d %d out of the image", top, left, h, w)
		}
		a := float64(h*w) / Pixels
		if a > 1.0001 || a < 0.05 {
			t.Fatalf("area fraction %v", a)
		}
	}
	// Impossible ratio: falls back to a centre crop.
	top, left, h, w := ResizedCrop{Scale: [2]float64{1, 1}, Ratio: [2]float64{2, 3}}.Params(rng)
	if h != 24 || w != 48 || top != 12 || left != 0 {
		t.Errorf("fallback crop %d %d %d %d, want 12 0 24 48", top, left, h, w)
	}
}

func TestConfigJSONAndValidate(t *testing.T) {
	c := Study()
	c.Erase, c.Mixup = 0.25, 0.2
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Errorf("round trip %+v, want %+v", back, c)
	}
	bad := []Config{
		{Rotate: -1}, {Rotate: math.NaN()}, {Erase: 1.5}, {Std: -1}, {Mean: 0.5},
		{PadCrop: -2}, {ResizedCrop: true, ResizedCropScale: [2]float64{0.5, 0.1}},
		{ResizedCropRatio: [2]float64{0, 1}}, {Mixup: -0.1},
	}
	for _, c := range bad {
		if _, err := c.Pipeline(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestPreview(t *testing.T) {
	s := testSplit()
	p, err := Study().Pipeline()
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Preview(s.Image(0), 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 || len(out[0]) != Pixels || reflect.DeepEqual(out[0], out[1]) {
		t.Errorf("preview: %d images, first two equal: %v", len(out), reflect.DeepEqual(out[0], out[1]))
	}
	none, _ := Config{}.Pipeline()
	same, _ := none.Preview(s.Image(0), 1, 1)
	if !reflect.DeepEqual(same[0], s.Image(0)) {
		t.Error("preview without transforms changed the image")
	}
	if _, err := p.Preview(make([]uint8, 5), 1, 1); err == nil {
		t.Error("short image: no error")
	}
}
