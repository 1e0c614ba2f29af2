// Package augment is fernb's host-side data augmentation: random horizontal
// flip, rotation, RandomResizedCrop, padded random crop, random erasing,
// brightness/contrast jitter, normalization, and batch-level mixup and
// cutmix with soft targets. Transforms follow torchvision's definitions and
// defaults.
//
// Why on the host: training runs on an accelerator when there is one, and on
// the machine's 2 CPU cores otherwise. Augmenting 48x48 images on the host
// costs tens of microseconds per image, spread over goroutines (MakeBatch is
// parallel over the batch) and overlapped with the training step, which can
// prefetch the next batch while the current one trains. In-graph
// augmentation would instead compete with the model for the same 2 cores
// (or add per-image gather/scatter ops to the accelerator graph) and could
// not use torchvision's per-image rejection sampling (RandomResizedCrop's 10
// attempts). Everything is deterministic given a seed: image k of a batch
// draws from a PCG generator seeded by (seed, k), whatever the goroutine
// scheduling.
package augment

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fernb/fernb/fernb/data"
)

// Config is a serializable augmentation configuration (the training config
// embeds it). The zero value does nothing but scale pixels to [0, 1]. Each
// field's flag tag names its `fer train` flag, its help tag the flag's help.
type Config struct {
	// HFlip mirrors images left-right with probability 0.5.
	HFlip bool `json:"hflip,omitempty" flag:"hflip" help:"augment: random horizontal flip"`
	// Rotate rotates by a random angle in [-Rotate, +Rotate] degrees.
	Rotate float64 `json:"rotate,omitempty" flag:"rotate" help:"augment: random rotation range in degrees"`
	// ResizedCrop enables RandomResizedCrop(48) with ResizedCropScale and
	// ResizedCropRatio (zero values: torchvision's defaults (0.08, 1) and
	// (3/4, 4/3)).
	ResizedCrop      bool       `json:"resized_crop,omitempty" flag:"resized-crop" help:"augment: RandomResizedCrop(48)"`
	ResizedCropScale [2]float64 `json:"resized_crop_scale,omitzero" flag:"resized-crop-scale" help:"augment: RandomResizedCrop's area range LO,HI (0,0: torchvision's 0.08,1)"`
	ResizedCropRatio [2]float64 `json:"resized_crop_ratio,omitzero" flag:"resized-crop-ratio" help:"augment: RandomResizedCrop's aspect-ratio range LO,HI (0,0: torchvision's 3/4,4/3)"`
	// PadCrop pads by PadCrop zero pixels and crops 48x48 at random.
	PadCrop int `json:"pad_crop,omitempty" flag:"pad-crop" help:"augment: zero-pad by N pixels and crop 48x48 at random"`
	// Erase is the probability of RandomErasing (torchvision defaults).
	Erase float64 `json:"erase,omitempty" flag:"erase" help:"augment: RandomErasing probability"`
	// Brightness and Contrast are ColorJitter strengths (0: off).
	Brightness float64 `json:"brightness,omitempty" flag:"brightness" help:"augment: brightness jitter"`
	Contrast   float64 `json:"contrast,omitempty" flag:"contrast" help:"augment: contrast jitter"`
	// Mixup and Cutmix are the Beta(alpha, alpha) parameters of batch-level
	// mixup and cutmix (0: off). With both on, each batch uses one of them
	// with probability 1/2 (as timm does).
	Mixup  float64 `json:"mixup,omitempty" flag:"mixup" help:"mixup Beta(alpha, alpha) parameter (0: off)"`
	Cutmix float64 `json:"cutmix,omitempty" flag:"cutmix" help:"cutmix Beta(alpha, alpha) parameter (0: off)"`
	// SingleResample draws ResizedCrop, PadCrop, HFlip and Rotate as
	// usual but resamples the image once through their composed affine map
	// (Affine) instead of once per transform: sharper training faces, and
	// the same geometry as an affine_grid pipeline. Off, the transforms run
	// one after another as torchvision's do (the study's pipeline).
	SingleResample bool `json:"single_resample,omitempty" flag:"single-resample" help:"augment: crop, flip and rotation in one affine resample instead of one per transform"`
	// Mean and Std normalize pixels scaled to [0, 1]: (x-Mean)/Std. Both
	// zero means no normalization (Std 1).
	Mean float32 `json:"mean,omitempty" flag:"mean" help:"pixel mean for normalisation ([0,1] units)"`
	Std  float32 `json:"std,omitempty" flag:"std" help:"pixel std for normalisation (0: none)"`
}

// FER2013Mean and FER2013Std are the pixel mean and standard deviation of
// FER2013's train split (all 28,709 images, all pixels), in [0, 1] units,
// rounded to four decimals (measured 0.50773 and 0.25495; checked by
// TestFER2013MeanStd). They are FER2013's usual normalisation constants.
const (
	FER2013Mean = 0.5077
	FER2013Std  = 0.2550
)

// Study returns the study's augmentation: horizontal flip, rotation by up to
// 30 degrees and RandomResizedCrop with torchvision's defaults, normalized
// with FER2013's mean and std.
func Study() Config {
	return Config{HFlip: true, Rotate: 30, ResizedCrop: true, Mean: FER2013Mean, Std: FER2013Std}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v < 0 }
	for _, f := range []struct {
		name string
		v    float64
	}{{"rotate", c.Rotate}, {"erase", c.Erase}, {"brightness", c.Brightness}, {"contrast", c.Contrast},
		{"mixup", c.Mixup}, {"cutmix", c.Cutmix}, {"std", float64(c.Std)}} {
		if bad(f.v) {
			return fmt.Errorf("augment: %s = %v, want a finite value >= 0", f.name, f.v)
		}
	}
	if math.IsNaN(float64(c.Mean)) || math.IsInf(float64(c.Mean), 0) {
		return fmt.Errorf("augment: mean = %v, want a finite value", c.Mean)
	}
	if c.Std == 0 && c.Mean != 0 {
		return fmt.Errorf("augment: mean = %v with std = 0: set std > 0", c.Mean)
	}
	if c.Rotate > 180 {
		return fmt.Errorf("augment: rotate = %v degrees, want <= 180", c.Rotate)
	}
	if c.Erase > 1 {
		return fmt.Errorf("augment: erase probability %v, want <= 1", c.Erase)
	}
	if c.PadCrop < 0 || c.PadCrop >= Size {
		return fmt.Errorf("augment: pad_crop = %d, want 0..%d", c.PadCrop, Size-1)
	}
	if c.ResizedCropScale != [2]float64{} {
		s := c.ResizedCropScale
		if !(s[0] > 0 && s[0] <= s[1] && s[1] <= 1) {
			return fmt.Errorf("augment: resized_crop_scale = %v, want 0 < lo <= hi <= 1", s)
		}
	}
	if c.ResizedCropRatio != [2]float64{} {
		r := c.ResizedCropRatio
		if !(r[0] > 0 && r[0] <= r[1] && !math.IsInf(r[1], 0)) {
			return fmt.Errorf("augment: resized_crop_ratio = %v, want 0 < lo <= hi", r)
		}
	}
	return nil
}

// Pipeline turns images into normalized float32 batches. Build one with
// Config.Pipeline, or fill the fields to compose your own transforms. It is
// safe for concurrent use.
type Pipeline struct {
	// Train is applied, in order, to each image of a training batch; Eval
	// to each image of an evaluation batch. Both start from pixels scaled to
	// [0, 1] and should end with Normalize.
	Train, Eval []Transform
	// Mixup and Cutmix are the batch-level Beta alphas (0: off), training
	// batches only.
	Mixup, Cutmix float64
	// Workers is the number of goroutines per batch (0: GOMAXPROCS).
	Workers int
	// Norm is the normalization the transforms end with; Preview uses it to
	// map images back to pixels.
	Norm Normalize
}

// Pipeline validates c and builds its pipeline. Training order (as in
// torchvision): ResizedCrop, PadCrop, HFlip, Rotate, ColorJitter, Normalize,
// Erase; then mixup or cutmix over the batch. With SingleResample the first
// four are one Affine. Evaluation: Normalize only.
func (c Config) Pipeline() (*Pipeline, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	norm := Normalize{Mean: c.Mean, Std: c.Std}
	if c.Std == 0 {
		norm.Std = 1
	}
	p := &Pipeline{Mixup: c.Mixup, Cutmix: c.Cutmix, Norm: norm}
	var geo Affine // the geometric transforms, for SingleResample
	if c.ResizedCrop {
		rc := ResizedCrop{Scale: c.ResizedCropScale, Ratio: c.ResizedCropRatio}
		if rc.Scale == [2]float64{} {
			rc.Scale = DefaultScale
		}
		if rc.Ratio == [2]float64{} {
			rc.Ratio = DefaultRatio
		}
		geo.Crop = &rc
		p.Train = append(p.Train, rc)
	}
	if c.PadCrop > 0 {
		geo.Pad = c.PadCrop
		p.Train = append(p.Train, PadCrop{Pad: c.PadCrop})
	}
	if c.HFlip {
		geo.FlipP = 0.5
		p.Train = append(p.Train, HFlip{P: 0.5})
	}
	if c.Rotate > 0 {
		geo.Degrees = c.Rotate
		p.Train = append(p.Train, Rotate{Degrees: c.Rotate})
	}
	if c.SingleResample && len(p.Train) > 0 {
		p.Train = []Transform{geo}
	}
	if c.Brightness > 0 || c.Contrast > 0 {
		p.Train = append(p.Train, ColorJitter{Brightness: c.Brightness, Contrast: c.Contrast})
	}
	p.Train = append(p.Train, norm)
	if c.Erase > 0 {
		p.Train = append(p.Train, DefaultErase(c.Erase))
	}
	p.Eval = []Transform{norm}
	return p, nil
}

// Batch is a batch ready for the model.
type Batch struct {
	// Images holds n*48*48 normalized pixels, image after image.
	Images []float32
	// Targets holds n*7 class probabilities: one-hot, or mixed by
	// mixup/cutmix.
	Targets []float32
	// Labels holds the n hard labels (the first image's, under mixing).
	Labels []int32
	// Lambda is the mixup/cutmix weight of the original images (1 when no
	// mixing happened).
	Lambda float32
	// Perm[i] is the image mixed into image i (nil when no mixing happened).
	Perm []int

	mix []float32 // scratch copy of Images for mixing
}

// MakeBatch builds the batch of images idx of s. With train, the Train
// transforms and mixup/cutmix apply, drawing from seed; without, only the
// Eval transforms (normalization). Indices must be in range (it panics
// otherwise, like a slice index).
func (p *Pipeline) MakeBatch(s *data.Split, idx []int, seed uint64, train bool) Batch {
	var b Batch
	p.MakeBatchInto(&b, s, idx, seed, train)
	return b
}

// MakeBatchInto is MakeBatch reusing dst's buffers (no allocation once they
// are large enough).
func (p *Pipeline) MakeBatchInto(dst *Batch, s *data.Split, idx []int, seed uint64, train bool) {
	n := len(idx)
	dst.Images = grow(dst.Images, n*Pixels)
	dst.Targets = grow(dst.Targets, n*data.NumClasses)
	dst.Labels = growInt32(dst.Labels, n)
	dst.Lambda, dst.Perm = 1, dst.Perm[:0]
	clear(dst.Targets)
	for k, i := range idx {
		l := s.Labels[i]
		dst.Labels[k] = int32(l)
		dst.Targets[k*data.NumClasses+int(l)] = 1
	}
	ts := p.Eval
	if train {
		ts = p.Train
	}
	p.parallel(n, func(lo, hi int) {
		var scratch [Pixels]float32
		pcg := rand.NewPCG(0, 0)
		rng := rand.New(pcg)
		for k := lo; k < hi; k++ {
			img := dst.Images[k*Pixels : (k+1)*Pixels]
			for j, v := range s.Image(idx[k]) {
				img[j] = float32(v) * (1.0 / 255)
			}
			pcg.Seed(seed, uint64(k)*0x9e3779b97f4a7c15+1)
			for _, t := range ts {
				t.Apply(img, scratch[:], rng)
			}
		}
	})
	if train && n > 1 && (p.Mixup > 0 || p.Cutmix > 0) {
		p.mix(dst, seed)
	}
}

// parallel runs f over [0, n) split into one contiguous range per worker.
func (p *Pipeline) parallel(n int, f func(lo, hi int)) {
	w := p.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	w = min(w, (n+7)/8) // at least 8 images per goroutine
	if w <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range w {
		lo, hi := i*n/w, (i+1)*n/w
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}

// mix applies mixup or cutmix to the batch.
func (p *Pipeline) mix(b *Batch, seed uint64) {
	pcg := rand.NewPCG(seed, 0xa11ce5eed)
	rng := rand.New(pcg)
	n := len(b.Labels)
	alpha, cut := p.Mixup, false
	switch {
	case p.Mixup > 0 && p.Cutmix > 0:
		if rng.IntN(2) == 1 {
			alpha, cut = p.Cutmix, true
		}
	case p.Cutmix > 0:
		alpha, cut = p.Cutmix, true
	}
	lam := distuv.Beta{Alpha: alpha, Beta: alpha, Src: pcg}.Rand()
	b.Perm = append(b.Perm[:0], rng.Perm(n)...)
	b.mix = grow(b.mix, n*Pixels)
	copy(b.mix, b.Images)
	if cut {
		// timm/CutMix paper: a box of side sqrt(1-lam) centred uniformly,
		// clipped; lam is then the kept area fraction.
		r := math.Sqrt(1 - lam)
		cw, ch := int(Size*r), int(Size*r)
		cx, cy := rng.IntN(Size), rng.IntN(Size)
		x0, x1 := max(cx-cw/2, 0), min(cx+cw/2, Size)
		y0, y1 := max(cy-ch/2, 0), min(cy+ch/2, Size)
		for i, j := range b.Perm {
			dst, src := b.Images[i*Pixels:(i+1)*Pixels], b.mix[j*Pixels:(j+1)*Pixels]
			for y := y0; y < y1; y++ {
				copy(dst[y*Size+x0:y*Size+x1], src[y*Size+x0:y*Size+x1])
			}
		}
		lam = 1 - float64((x1-x0)*(y1-y0))/Pixels
	} else {
		l := float32(lam)
		for i, j := range b.Perm {
			dst, src := b.Images[i*Pixels:(i+1)*Pixels], b.mix[j*Pixels:(j+1)*Pixels]
			for k := range dst {
				dst[k] = l*dst[k] + (1-l)*src[k]
			}
		}
	}
	b.Lambda = float32(lam)
	// Targets: lam*own + (1-lam)*partner's one-hot.
	l := float32(lam)
	for i := range b.Targets {
		b.Targets[i] *= l
	}
	for i, j := range b.Perm {
		b.Targets[i*data.NumClasses+int(b.Labels[j])] += 1 - l
	}
}

// Preview returns n augmented versions of one image (Pixels bytes) as
// pixels, for display: the Train transforms with seeds seed, seed+1, ...,
// mapped back from the normalization (mixup/cutmix are batch-level and not
// shown).
func (p *Pipeline) Preview(img []uint8, n int, seed uint64) ([][]uint8, error) {
	if len(img) != Pixels {
		return nil, fmt.Errorf("augment: Preview of %d pixels, want %d", len(img), Pixels)
	}
	if n < 0 {
		return nil, errors.New("augment: Preview of a negative count")
	}
	std := p.Norm.Std
	if std == 0 {
		std = 1
	}
	out := make([][]uint8, n)
	var buf, scratch [Pixels]float32
	pcg := rand.NewPCG(0, 0)
	rng := rand.New(pcg)
	for k := range out {
		for j, v := range img {
			buf[j] = float32(v) * (1.0 / 255)
		}
		pcg.Seed(seed+uint64(k), 1)
		for _, t := range p.Train {
			t.Apply(buf[:], scratch[:], rng)
		}
		px := make([]uint8, Pixels)
		for j, v := range buf {
			px[j] = uint8(min(255, max(0, math.Round(float64((v*std+p.Norm.Mean)*255)))))
		}
		out[k] = px
	}
	return out, nil
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
