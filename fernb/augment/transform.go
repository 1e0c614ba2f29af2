package augment

import (
	"math"
	"math/rand/v2"

	"github.com/fernb/fernb/fernb/data"
)

// Size and Pixels repeat data.Size and data.Pixels: every image is 48x48.
const (
	Size   = data.Size
	Pixels = data.Pixels
)

// Transform changes one 48x48 image in place. img holds Pixels float32
// values, row-major: in [0, 1] before Normalize, normalized after it.
// scratch is a Pixels-long buffer the transform may overwrite. All
// randomness must come from rng, so that a seed gives the same result.
// Transforms must be safe for concurrent use on different images.
type Transform interface {
	Apply(img, scratch []float32, rng *rand.Rand)
}

// TransformFunc adapts a function to the Transform interface.
type TransformFunc func(img, scratch []float32, rng *rand.Rand)

// Apply calls f.
func (f TransformFunc) Apply(img, scratch []float32, rng *rand.Rand) { f(img, scratch, rng) }

// HFlip mirrors the image left-right with probability P.
type HFlip struct{ P float64 }

// Apply implements Transform.
func (t HFlip) Apply(img, _ []float32, rng *rand.Rand) {
	if rng.Float64() >= t.P {
		return
	}
	for y := range Size {
		row := img[y*Size : (y+1)*Size]
		for i, j := 0, Size-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}

// Rotate rotates the image about its centre by an angle drawn uniformly in
// [-Degrees, +Degrees], with bilinear interpolation; pixels that come from
// outside the image are 0 (torchvision's RandomRotation(Degrees, bilinear,
// fill=0)).
type Rotate struct{ Degrees float64 }

// Apply implements Transform.
func (t Rotate) Apply(img, scratch []float32, rng *rand.Rand) {
	if t.Degrees == 0 {
		return
	}
	a := (2*rng.Float64() - 1) * t.Degrees * math.Pi / 180
	copy(scratch, img)
	cos, sin := float32(math.Cos(a)), float32(math.Sin(a))
	const c = float32(Size-1) / 2
	// Inverse mapping: output (x, y) samples the source at R(-a)(x-c, y-c)+c.
	for y := range Size {
		dy := float32(y) - c
		for x := range Size {
			dx := float32(x) - c
			sx := cos*dx + sin*dy + c
			sy := -sin*dx + cos*dy + c
			img[y*Size+x] = bilinearZero(scratch, sx, sy)
		}
	}
}

// bilinearZero samples src at (x, y) (pixel centres at integers), treating
// pixels outside the image as 0.
//
// Hand-written rather than golang.org/x/image/draw: draw works on 8-bit
// image.Image values through interfaces, which would quantize and be several
// times slower on this float32 path.
func bilinearZero(src []float32, x, y float32) float32 {
	if x <= -1 || y <= -1 || x >= Size || y >= Size {
		return 0
	}
	fx, fy := float32(math.Floor(float64(x))), float32(math.Floor(float64(y)))
	x0, y0 := int(fx), int(fy)
	wx, wy := x-fx, y-fy
	if x0 >= 0 && y0 >= 0 && x0 < Size-1 && y0 < Size-1 { // interior: no bounds checks
		i := y0*Size + x0
		top := src[i] + (src[i+1]-src[i])*wx
		bot := src[i+Size] + (src[i+Size+1]-src[i+Size])*wx
		return top + (bot-top)*wy
	}
	at := func(xi, yi int) float32 {
		if xi < 0 || yi < 0 || xi >= Size || yi >= Size {
			return 0
		}
		return src[yi*Size+xi]
	}
	top := at(x0, y0)*(1-wx) + at(x0+1, y0)*wx
	bot := at(x0, y0+1)*(1-wx) + at(x0+1, y0+1)*wx
	return top*(1-wy) + bot*wy
}

// ResizedCrop is torchvision's RandomResizedCrop(48): it crops a random
// region whose area is a fraction in Scale of the image's and whose aspect
// ratio (log-uniform) is in Ratio, trying 10 times and falling back to a
// centre crop, then resizes it to 48x48 bilinearly.
type ResizedCrop struct {
	Scale [2]float64
	Ratio [2]float64
}

// DefaultScale and DefaultRatio are torchvision's RandomResizedCrop defaults.
var (
	DefaultScale = [2]float64{0.08, 1}
	DefaultRatio = [2]float64{3.0 / 4, 4.0 / 3}
)

// Params returns the crop (top, left, height, width) in pixels, following
// torchvision's RandomResizedCrop.get_params.
func (t ResizedCrop) Params(rng *rand.Rand) (top, left, h, w int) {
	const area = Size * Size
	lr0, lr1 := math.Log(t.Ratio[0]), math.Log(t.Ratio[1])
	for range 10 {
		target := area * (t.Scale[0] + (t.Scale[1]-t.Scale[0])*rng.Float64())
		ar := math.Exp(lr0 + (lr1-lr0)*rng.Float64())
		w = int(math.Round(math.Sqrt(target * ar)))
		h = int(math.Round(math.Sqrt(target / ar)))
		if w > 0 && w <= Size && h > 0 && h <= Size {
			top = rng.IntN(Size - h + 1)
			left = rng.IntN(Size - w + 1)
			return top, left, h, w
		}
	}
	// Fallback: centre crop at the nearest allowed ratio (the image is square).
	switch {
	case 1 < t.Ratio[0]:
		w = Size
		h = int(math.Round(Size / t.Ratio[0]))
	case 1 > t.Ratio[1]:
		h = Size
		w = int(math.Round(Size * t.Ratio[1]))
	default:
		w, h = Size, Size
	}
	return (Size - h) / 2, (Size - w) / 2, h, w
}

// Apply implements Transform.
func (t ResizedCrop) Apply(img, scratch []float32, rng *rand.Rand) {
	top, left, h, w := t.Params(rng)
	copy(scratch, img)
	resizeBilinear(img, scratch, top, left, h, w)
}

// resizeBilinear resizes the crop (top, left, h, w) of src to 48x48 into
// dst, bilinearly with half-pixel centres and edge clamping (PyTorch's
// interpolate(mode="bilinear", align_corners=False); crops are never larger
// than the output, so no antialiasing is needed).
func resizeBilinear(dst, src []float32, top, left, h, w int) {
	sy, sx := float32(h)/Size, float32(w)/Size
	var xi0, xi1 [Size]int
	var xw [Size]float32
	for x := range Size {
		fx := max(0, (float32(x)+0.5)*sx-0.5)
		i := int(fx)
		xi0[x] = left + min(i, w-1)
		xi1[x] = left + min(i+1, w-1)
		xw[x] = fx - float32(i)
	}
	for y := range Size {
		fy := max(0, (float32(y)+0.5)*sy-0.5)
		j := int(fy)
		wy := fy - float32(j)
		r0 := src[(top+min(j, h-1))*Size:]
		r1 := src[(top+min(j+1, h-1))*Size:]
		out := dst[y*Size : (y+1)*Size]
		for x := range Size {
			a, b := xi0[x], xi1[x]
			t := r0[a] + (r0[b]-r0[a])*xw[x]
			u := r1[a] + (r1[b]-r1[a])*xw[x]
			out[x] = t + (u-t)*wy
		}
	}
}

// PadCrop pads the image with Pad zero pixels on each side and crops a random
// 48x48 window (torchvision's RandomCrop(48, padding=Pad)).
type PadCrop struct{ Pad int }

// Apply implements Transform.
func (t PadCrop) Apply(img, scratch []float32, rng *rand.Rand) {
	if t.Pad <= 0 {
		return
	}
	dx := rng.IntN(2*t.Pad+1) - t.Pad
	dy := rng.IntN(2*t.Pad+1) - t.Pad
	copy(scratch, img)
	for y := range Size {
		sy := y + dy
		out := img[y*Size : (y+1)*Size]
		if sy < 0 || sy >= Size {
			clear(out)
			continue
		}
		for x := range Size {
			sx := x + dx
			if sx < 0 || sx >= Size {
				out[x] = 0
			} else {
				out[x] = scratch[sy*Size+sx]
			}
		}
	}
}

// Erase is torchvision's RandomErasing: with probability P it sets a random
// rectangle, of area fraction in Scale and aspect ratio (log-uniform) in
// Ratio, to Value (10 attempts, then nothing). Defaults: Scale (0.02, 0.33),
// Ratio (0.3, 3.3), Value 0. It runs after Normalize in the pipeline, as in
// torchvision, so 0 is the mean gray.
type Erase struct {
	P     float64
	Scale [2]float64
	Ratio [2]float64
	Value float32
}

// DefaultErase returns torchvision's RandomErasing defaults with probability p.
func DefaultErase(p float64) Erase {
	return Erase{P: p, Scale: [2]float64{0.02, 0.33}, Ratio: [2]float64{0.3, 3.3}}
}

// Apply implements Transform.
func (t Erase) Apply(img, _ []float32, rng *rand.Rand) {
	if rng.Float64() >= t.P {
		return
	}
	const area = Size * Size
	lr0, lr1 := math.Log(t.Ratio[0]), math.Log(t.Ratio[1])
	for range 10 {
		ea := area * (t.Scale[0] + (t.Scale[1]-t.Scale[0])*rng.Float64())
		ar := math.Exp(lr0 + (lr1-lr0)*rng.Float64())
		h := int(math.Round(math.Sqrt(ea * ar)))
		w := int(math.Round(math.Sqrt(ea / ar)))
		if !(h < Size && w < Size) {
			continue
		}
		top := rng.IntN(Size - h + 1)
		left := rng.IntN(Size - w + 1)
		for y := top; y < top+h; y++ {
			row := img[y*Size+left : y*Size+left+w]
			for i := range row {
				row[i] = t.Value
			}
		}
		return
	}
}

// ColorJitter is torchvision's ColorJitter(brightness, contrast) for gray
// images: brightness multiplies by a factor in [max(0,1-Brightness),
// 1+Brightness]; contrast blends with the image mean by a factor in
// [max(0,1-Contrast), 1+Contrast]; results are clamped to [0, 1]. Brightness
// is applied before contrast.
type ColorJitter struct{ Brightness, Contrast float64 }

// Apply implements Transform.
func (t ColorJitter) Apply(img, _ []float32, rng *rand.Rand) {
	if t.Brightness > 0 {
		f := float32(max(0, 1-t.Brightness) + (1+t.Brightness-max(0, 1-t.Brightness))*rng.Float64())
		for i, v := range img {
			img[i] = min(1, max(0, v*f))
		}
	}
	if t.Contrast > 0 {
		f := float32(max(0, 1-t.Contrast) + (1+t.Contrast-max(0, 1-t.Contrast))*rng.Float64())
		var sum float32
		for _, v := range img {
			sum += v
		}
		m := sum / Pixels * (1 - f)
		for i, v := range img {
			img[i] = min(1, max(0, v*f+m))
		}
	}
}

// Normalize maps x to (x-Mean)/Std.
type Normalize struct{ Mean, Std float32 }

// Apply implements Transform.
func (t Normalize) Apply(img, _ []float32, _ *rand.Rand) {
	if t.Mean == 0 && t.Std == 1 {
		return
	}
	inv := 1 / t.Std
	for i, v := range img {
		img[i] = (v - t.Mean) * inv
	}
}

// Affine composes an optional ResizedCrop (Crop), PadCrop (Pad), HFlip
// (FlipP) and Rotate (Degrees), in the pipeline's order and with exactly
// their random draws, into one affine map, and resamples the image once.
//
// Applying the transforms one after another resamples the image once per
// geometric transform: a crop then a rotation interpolates twice, which
// blurs the face more than either transform does (the PyTorch peer in
// scripts/parity_torch.py, like any affine_grid pipeline, samples once).
// Affine samples the source bilinearly with clamping inside the source
// image's area (pixel squares, [-0.5, 47.5] in pixel-centre coordinates)
// and 0 outside it, so a rotation's corners are 0 as with Rotate, and a
// rotated crop shows the face around the crop instead of black where the
// crop's rotated corners would be.
type Affine struct {
	Crop    *ResizedCrop // nil: no RandomResizedCrop
	Pad     int          // PadCrop's padding (0: none)
	FlipP   float64      // HFlip's probability (0: none)
	Degrees float64      // Rotate's range (0: none)
}

// Apply implements Transform.
func (t Affine) Apply(img, scratch []float32, rng *rand.Rand) {
	top, left, h, w := 0, 0, Size, Size
	if t.Crop != nil {
		top, left, h, w = t.Crop.Params(rng)
	}
	var dx, dy int
	if t.Pad > 0 {
		dx = rng.IntN(2*t.Pad+1) - t.Pad
		dy = rng.IntN(2*t.Pad+1) - t.Pad
	}
	flip := t.FlipP > 0 && rng.Float64() < t.FlipP
	var a float64
	if t.Degrees != 0 {
		a = (2*rng.Float64() - 1) * t.Degrees * math.Pi / 180
	}
	cos, sin := float32(math.Cos(a)), float32(math.Sin(a))
	sx, sy := float32(w)/Size, float32(h)/Size
	const c = float32(Size-1) / 2
	copy(scratch, img)
	for y := range Size {
		yc := float32(y) - c
		for x := range Size {
			xc := float32(x) - c
			// Invert the transforms from the last to the first: rotation,
			// flip, padded crop's shift, resized crop's scale and offset.
			px := cos*xc + sin*yc + c
			py := -sin*xc + cos*yc + c
			if flip {
				px = Size - 1 - px
			}
			px += float32(dx)
			py += float32(dy)
			px = float32(left) + (px+0.5)*sx - 0.5
			py = float32(top) + (py+0.5)*sy - 0.5
			img[y*Size+x] = bilinearClamp(scratch, px, py)
		}
	}
}

// bilinearClamp samples src at (x, y) (pixel centres at integers): 0 outside
// the image's area [-0.5, Size-0.5]², bilinear with edge clamping inside it.
func bilinearClamp(src []float32, x, y float32) float32 {
	const lo, hi = -0.5, Size - 0.5
	if x < lo || y < lo || x > hi || y > hi {
		return 0
	}
	x = min(max(x, 0), Size-1)
	y = min(max(y, 0), Size-1)
	x0, y0 := min(int(x), Size-2), min(int(y), Size-2)
	wx, wy := x-float32(x0), y-float32(y0)
	i := y0*Size + x0
	top := src[i] + (src[i+1]-src[i])*wx
	bot := src[i+Size] + (src[i+Size+1]-src[i+Size])*wx
	return top + (bot-top)*wy
}

// DefaultZoom is the side fraction of the zoomed centre view (test-time
// augmentation "zoom") of a run trained without RandomResizedCrop: 0.905,
// the value the 2-hour recipe's crops give (sqrt of their mean area 0.82).
const DefaultZoom = 0.905

// MeanCropSide returns the side fraction the training crops of c show on
// average: with RandomResizedCrop, the square root of the mean of its
// uniform area range (its Scale, torchvision's (0.08, 1) when unset), e.g.
// sqrt((0.64+1)/2) = sqrt(0.82) ≈ 0.906 for the 2-hour recipe; without it,
// DefaultZoom. The aspect ratio is ignored (the view is square).
func (c Config) MeanCropSide() float64 {
	if !c.ResizedCrop {
		return DefaultZoom
	}
	s := c.ResizedCropScale
	if s == [2]float64{} {
		s = DefaultScale
	}
	return math.Sqrt((s[0] + s[1]) / 2)
}

// CentreCropResize crops the centre side x side square of the 48x48 image
// src (top-left corner at ((48-side)/2, (48-side)/2), rounded down) and
// resizes it back to 48x48 into dst, bilinearly as ResizedCrop does. side
// is clamped to 1..48.
func CentreCropResize(dst, src []float32, side int) {
	side = min(max(side, 1), Size)
	o := (Size - side) / 2
	resizeBilinear(dst, src, o, o, side, side)
}
