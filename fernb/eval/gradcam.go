package eval

import (
	"fmt"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/train"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Heatmap is a Grad-CAM map of one image: H*W values in [0, 1], row-major,
// over the last feature map's grid (2x2 for ResNet18's standard stem at
// 48x48, 6x6 for the small stem and the baseline); upsample it to 48x48 to
// overlay it.
type Heatmap struct {
	H, W int
	// Values holds H*W values, row-major.
	Values []float32
	// Class is the class explained; Probs the model's probabilities.
	Class int
	Probs [data.NumClasses]float32
}

// GradCAM computes Grad-CAM heatmaps for n normalised images: the gradient
// of the logit of classes[i] (or of the predicted class when classes is nil
// or classes[i] < 0) with respect to the last feature map, averaged over
// space into channel weights; the weighted sum of the feature map's
// channels, through a ReLU, scaled to [0, 1] (all zeros when nothing is
// positive).
func GradCAM(m *train.Model, images []float32, classes []int) (maps []Heatmap, err error) {
	n := len(images) / data.Pixels
	if n == 0 || len(images)%data.Pixels != 0 {
		return nil, fmt.Errorf("eval: Grad-CAM needs whole 48x48 images, got %d values", len(images))
	}
	if classes != nil && len(classes) != n {
		return nil, fmt.Errorf("eval: Grad-CAM: %d classes for %d images", len(classes), n)
	}
	probs, err := m.Probabilities(images)
	if err != nil {
		return nil, err
	}
	onehot := make([]float32, n*data.NumClasses)
	maps = make([]Heatmap, n)
	for i := range maps {
		copy(maps[i].Probs[:], probs[i*data.NumClasses:])
		c := -1
		if classes != nil {
			c = classes[i]
		}
		if c >= data.NumClasses {
			return nil, fmt.Errorf("eval: Grad-CAM: class %d out of 0..%d", c, data.NumClasses-1)
		}
		if c < 0 {
			c = train.ArgMax(maps[i].Probs[:])
		}
		maps[i].Class = c
		onehot[i*data.NumClasses+c] = 1
	}
	mcfg := m.ModelConfig()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("eval: Grad-CAM: %v", r)
		}
	}()
	e, err := model.NewExec(m.Backend(), m.Store(), func(s *model.Scope, x, sel *graph.Node) *graph.Node {
		ms := s.At(train.ModelScope)
		fm := mcfg.FeatureMap(ms, x, false)
		logits := mcfg.Head(ms, mcfg.Pool(ms, fm, false), false)
		score := graph.ReduceAllSum(graph.Mul(logits, sel))
		grad := graph.Gradient(score, fm)[0]
		w := graph.ReduceMean(grad, 1, 2) // [B, C]
		c := fm.Shape().Dimensions[3]
		cam := graph.ReduceSum(graph.Mul(fm, graph.Reshape(w, n, 1, 1, c)), 3)
		return graph.Max(cam, graph.ZerosLike(cam))
	})
	if err != nil {
		return nil, err
	}
	defer e.Finalize()
	outs, err := e.Call(tensors.FromFlatDataAndDimensions(images, n, data.Size, data.Size, 1),
		tensors.FromFlatDataAndDimensions(onehot, n, data.NumClasses))
	if err != nil {
		return nil, fmt.Errorf("eval: Grad-CAM: %w", err)
	}
	d := outs[0].Shape().Dimensions
	h, w := d[1], d[2]
	vals := tensors.MustCopyFlatData[float32](outs[0])
	for i := range maps {
		v := vals[i*h*w : (i+1)*h*w : (i+1)*h*w]
		mx := float32(0)
		for _, x := range v {
			mx = max(mx, x)
		}
		if mx > 0 {
			for j := range v {
				v[j] /= mx
			}
		}
		maps[i].H, maps[i].W, maps[i].Values = h, w, v
	}
	return maps, nil
}
