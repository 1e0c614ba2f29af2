package train

import (
	"math"
	"testing"

	"github.com/fernb/fernb/fernb/data"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestResNet18GradientFiniteDifferences checks the gradient of the training
// loss (batch-norm in training mode, max-pool, residuals, classifier)
// against central finite differences for a few parameters.
func TestResNet18GradientFiniteDifferences(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: one ResNet18 forward per probe")
	}
	backend := testBackend(t, "xla:cpu")
	cfg := DefaultConfig()
	mcfg := cfg.ModelConfig()
	ds := data.Synthetic(4, 0, 5)
	p, _ := cfg.Augment.Pipeline()
	b := p.MakeBatch(ds.Train, []int{0, 1, 2, 3}, 0, false)
	store := model.NewStore()
	probes := []string{"/model/conv1/weight", "/model/layer1/0/bn1/weight", "/model/layer3/0/downsample/0/weight", "/model/layer4/1/conv2/weight", "/model/fc/weight", "/model/fc/bias"}
	lossExec := model.MustNewExec(backend, store, func(s *model.Scope, x, tg *graph.Node) []*graph.Node {
		logits := mcfg.Logits(s.At(ModelScope), x, true)
		loss := Loss(logits, tg, graph.OnesLike(graph.Slice(tg, graph.AxisElem(0))), 0)
		loss = graph.ConvertDType(loss, loss.DType())
		var nodes []*graph.Node
		for _, path := range probes {
			nodes = append(nodes, store.GetVariable(path).NodeValue(x.Graph()))
		}
		return append([]*graph.Node{loss}, graph.Gradient(loss, nodes...)...)
	})
	call := func() []*tensors.Tensor {
		return lossExec.MustCall(tensors.FromFlatDataAndDimensions(b.Images, 4, 48, 48, 1), tensors.FromFlatDataAndDimensions(b.Targets, 4, 7))
	}
	outs := call()
	// Running statistics change at each call but do not enter the training loss.
	for i, path := range probes {
		v := store.GetVariable(path)
		grad := tensors.MustCopyFlatData[float32](outs[i+1])
		vals := tensors.MustCopyFlatData[float32](v.MustValue())
		// Probe the coordinate with the largest gradient.
		k := 0
		for j := range grad {
			if math.Abs(float64(grad[j])) > math.Abs(float64(grad[k])) {
				k = j
			}
		}
		const h = 1e-3
		at := func(delta float32) float64 {
			w := append([]float32(nil), vals...)
			w[k] += delta
			v.MustSetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...))
			return float64(call()[0].Value().(float32))
		}
		fd := (at(h) - at(-h)) / (2 * h)
		v.MustSetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...))
		t.Logf("%s[%d]: autodiff %.5g, finite differences %.5g", path, k, grad[k], fd)
		if math.Abs(fd-float64(grad[k])) > 0.05*math.Abs(fd)+1e-3 {
			t.Errorf("%s[%d]: autodiff %.5g, finite differences %.5g", path, k, grad[k], fd)
		}
	}
}
