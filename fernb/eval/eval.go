package eval

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/train"
)

// Test-time augmentations.
const (
	// TTANone classifies each image as is.
	TTANone = "none"
	// TTAFlip averages the probabilities of the image and its mirror image.
	TTAFlip = "flip"
	// TTATenCrop averages ten views: the four corner crops and the centre
	// crop of size CropSize, each resized back to 48x48, and their mirrors.
	TTATenCrop = "tencrop"
	// TTAZoom classifies the zoomed centre view: the centre square whose
	// side is the fraction the training crops show on average
	// (augment.Config.MeanCropSide of the model's own augmentation: sqrt of
	// RandomResizedCrop's mean area fraction, else augment.DefaultZoom),
	// resized back to 48x48 bilinearly (augment.CentreCropResize).
	TTAZoom = "zoom"
	// TTAZoomFlip averages the zoomed centre view and its mirror image.
	TTAZoomFlip = "zoomflip"
)

// TTAs lists every test-time augmentation, in the order the help texts
// name them.
var TTAs = []string{TTANone, TTAFlip, TTATenCrop, TTAZoom, TTAZoomFlip}

// ZoomSide is the side in pixels (of 48) of the zoomed centre view for a
// side fraction frac (augment.Config.MeanCropSide): round(48·frac).
func ZoomSide(frac float64) int { return int(math.Round(data.Size * frac)) }

// CropSize is the side of TTATenCrop's crops.
const CropSize = 40

// chunk is the number of images processed together (their TTA views are
// built in memory at once).
const chunk = 512

// Views returns the TTA views of n normalised images (n*data.Pixels
// values), view after view per image: n*V images. The zoom views use
// augment.DefaultZoom; Probabilities uses the model's own (ViewsZoom).
func Views(images []float32, tta string) (views []float32, v int, err error) {
	return ViewsZoom(images, tta, augment.DefaultZoom)
}

// ViewsZoom is Views with the zoom views' side fraction zoom.
func ViewsZoom(images []float32, tta string, zoom float64) (views []float32, v int, err error) {
	n := len(images) / data.Pixels
	if len(images)%data.Pixels != 0 {
		return nil, 0, fmt.Errorf("eval: %d values is not a whole number of %dx%d images", len(images), data.Size, data.Size)
	}
	switch tta {
	case "", TTANone:
		return images, 1, nil
	case TTAFlip:
		v = 2
	case TTATenCrop:
		v = 10
	case TTAZoom, TTAZoomFlip:
		v = 1
		if tta == TTAZoomFlip {
			v = 2
		}
		views = make([]float32, n*v*data.Pixels)
		side := ZoomSide(zoom)
		for i := 0; i < n; i++ {
			out := views[i*v*data.Pixels : (i+1)*v*data.Pixels]
			augment.CentreCropResize(out[:data.Pixels], images[i*data.Pixels:(i+1)*data.Pixels], side)
			if v == 2 {
				hflip(out[data.Pixels:], out[:data.Pixels])
			}
		}
		return views, v, nil
	default:
		return nil, 0, fmt.Errorf("eval: unknown TTA %q (want %s)", tta, strings.Join(TTAs, ", "))
	}
	views = make([]float32, n*v*data.Pixels)
	const s, c = data.Size, CropSize
	offsets := [5][2]int{{0, 0}, {0, s - c}, {s - c, 0}, {s - c, s - c}, {(s - c) / 2, (s - c) / 2}}
	for i := 0; i < n; i++ {
		img := images[i*data.Pixels : (i+1)*data.Pixels]
		out := views[i*v*data.Pixels : (i+1)*v*data.Pixels]
		if v == 2 {
			copy(out, img)
			hflip(out[data.Pixels:], img)
			continue
		}
		for k, o := range offsets {
			dst := out[2*k*data.Pixels : (2*k+1)*data.Pixels]
			cropResize(dst, img, o[0], o[1], c)
			hflip(out[(2*k+1)*data.Pixels:(2*k+2)*data.Pixels], dst)
		}
	}
	return views, v, nil
}

// hflip writes the mirror image of src into dst.
func hflip(dst, src []float32) {
	for y := 0; y < data.Size; y++ {
		for x := 0; x < data.Size; x++ {
			dst[y*data.Size+x] = src[y*data.Size+data.Size-1-x]
		}
	}
}

// cropResize crops the c x c square at (top, left) of src and resizes it to
// 48x48 into dst, bilinearly (half-pixel centres, as torchvision's Resize).
func cropResize(dst, src []float32, top, left, c int) {
	scale := float64(c) / data.Size
	for y := 0; y < data.Size; y++ {
		sy := math.Max((float64(y)+0.5)*scale-0.5, 0)
		y0 := int(sy)
		y1 := min(y0+1, c-1)
		fy := float32(sy - float64(y0))
		for x := 0; x < data.Size; x++ {
			sx := math.Max((float64(x)+0.5)*scale-0.5, 0)
			x0 := int(sx)
			x1 := min(x0+1, c-1)
			fx := float32(sx - float64(x0))
			at := func(yy, xx int) float32 { return src[(top+yy)*data.Size+left+xx] }
			a := at(y0, x0)*(1-fx) + at(y0, x1)*fx
			b := at(y1, x0)*(1-fx) + at(y1, x1)*fx
			dst[y*data.Size+x] = a*(1-fy) + b*fy
		}
	}
}

// Probabilities returns n*7 class probabilities of n normalised images,
// averaged over the TTA views.
func Probabilities(m *train.Model, images []float32, tta string) ([]float32, error) {
	n := len(images) / data.Pixels
	out := make([]float32, 0, n*data.NumClasses)
	for start := 0; start < n; start += chunk {
		end := min(n, start+chunk)
		views, v, err := ViewsZoom(images[start*data.Pixels:end*data.Pixels], tta, m.Config.Augment.MeanCropSide())
		if err != nil {
			return nil, err
		}
		p, err := m.Probabilities(views)
		if err != nil {
			return nil, err
		}
		for i := 0; i < end-start; i++ {
			var avg [data.NumClasses]float32
			for k := 0; k < v; k++ {
				row := p[(i*v+k)*data.NumClasses:]
				for c := range avg {
					avg[c] += row[c] / float32(v)
				}
			}
			out = append(out, avg[:]...)
		}
	}
	return out, nil
}

// Report is the evaluation of a model on a split.
type Report struct {
	// Split is the split's name; TTA the augmentation used.
	Split, TTA string
	Metrics
	// Probs holds N*7 class probabilities; Preds the N predicted classes;
	// Labels the N true classes.
	Probs         []float32
	Preds, Labels []int
}

// Evaluate classifies every image of split s (normalised as in training)
// and measures the predictions.
func Evaluate(m *train.Model, s *data.Split, tta string) (*Report, error) {
	if s.Len() == 0 {
		return nil, fmt.Errorf("eval: split %q is empty", s.Name)
	}
	r := &Report{Split: s.Name, TTA: tta}
	if r.TTA == "" {
		r.TTA = TTANone
	}
	for start := 0; start < s.Len(); start += chunk {
		idx := make([]int, 0, chunk)
		for i := start; i < min(s.Len(), start+chunk); i++ {
			idx = append(idx, i)
		}
		p, err := Probabilities(m, m.Images(s, idx), tta)
		if err != nil {
			return nil, fmt.Errorf("eval: split %q: %w", s.Name, err)
		}
		r.Probs = append(r.Probs, p...)
	}
	r.Labels = make([]int, s.Len())
	r.Preds = make([]int, s.Len())
	for i := range r.Labels {
		r.Labels[i] = int(s.Labels[i])
		r.Preds[i] = train.ArgMax(r.Probs[i*data.NumClasses : (i+1)*data.NumClasses])
	}
	met, err := Compute(r.Labels, r.Preds)
	if err != nil {
		return nil, fmt.Errorf("eval: split %q: %w", s.Name, err)
	}
	r.Metrics = met
	return r, nil
}

// Features returns the penultimate features of every image of split s (or
// of the images idx when idx is not nil), one row per image: 512 values for
// ResNet18. Rows feed pca.Fit.
func Features(m *train.Model, s *data.Split, idx []int) ([][]float32, error) {
	if idx == nil {
		idx = make([]int, s.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	for _, i := range idx {
		if i < 0 || i >= s.Len() {
			return nil, fmt.Errorf("eval: image index %d out of split %q (%d images)", i, s.Name, s.Len())
		}
	}
	dim := m.ModelConfig().FeatureDim()
	rows := make([][]float32, 0, len(idx))
	for start := 0; start < len(idx); start += chunk {
		part := idx[start:min(len(idx), start+chunk)]
		f, err := m.Features(m.Images(s, part))
		if err != nil {
			return nil, fmt.Errorf("eval: features of split %q: %w", s.Name, err)
		}
		for i := range part {
			rows = append(rows, f[i*dim:(i+1)*dim:(i+1)*dim])
		}
	}
	return rows, nil
}

// Prediction is the classification of one image file.
type Prediction struct {
	// Path is the file.
	Path string `json:"path"`
	// Probs are the class probabilities, in label order.
	Probs [data.NumClasses]float32 `json:"probs"`
	// Class is the most probable class (index into data.Classes).
	Class int `json:"class"`
	// ToGray and Resized tell whether the image was converted to gray or
	// resized to 48x48.
	ToGray, Resized bool `json:"-"`
}

// PredictFiles classifies image files (JPEG, PNG or GIF of any size and
// colour: they are converted to 48x48 gray as FER2013's images).
func PredictFiles(m *train.Model, paths []string, tta string) ([]Prediction, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("eval: no image files given")
	}
	s := &data.Split{Name: "files", Pixels: make([]uint8, 0, len(paths)*data.Pixels), Labels: make([]uint8, len(paths)), Sources: paths}
	preds := make([]Prediction, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		pix, gray, resized, err := data.DecodeImage(b)
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %w", p, err)
		}
		s.Pixels = append(s.Pixels, pix...)
		preds[i] = Prediction{Path: p, ToGray: gray, Resized: resized}
	}
	idx := make([]int, len(paths))
	for i := range idx {
		idx[i] = i
	}
	probs, err := Probabilities(m, m.Images(s, idx), tta)
	if err != nil {
		return nil, err
	}
	for i := range preds {
		copy(preds[i].Probs[:], probs[i*data.NumClasses:(i+1)*data.NumClasses])
		preds[i].Class = train.ArgMax(preds[i].Probs[:])
	}
	return preds, nil
}
