package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Optimizer settings of the benchmarked training step (the study's: PyTorch's
// torch.optim.SGD with momentum and L2 weight decay added to the gradient).
const (
	LearningRate = 0.01
	Momentum     = 0.9
	WeightDecay  = 1e-4
)

// numInputBatches is how many distinct random batches a Harness cycles through.
const numInputBatches = 4

// Harness holds a network's training step and inference graphs on one
// backend, with random input batches, ready to be timed. The training step is
// forward, mean cross-entropy, backward and one momentum-SGD update (see
// LearningRate, Momentum, WeightDecay) of every trainable variable, as
// torch.optim.SGD does it. A Harness is not safe for concurrent use.
type Harness struct {
	backend compute.Backend
	cfg     models.Config
	batch   int
	store   *model.Store
	train   *model.Exec
	infer   *model.Exec
	images  [][]float32
	labels  [][]int32
	next    int
}

// NewHarness builds (but does not compile: the first call does) the graphs
// of cfg for batches of the given size; seed fixes the weights and inputs.
func NewHarness(backend compute.Backend, cfg models.Config, batch int, seed uint64) (*Harness, error) {
	if batch < 1 {
		return nil, fmt.Errorf("bench: batch %d must be >= 1", batch)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	h := &Harness{backend: backend, cfg: cfg, batch: batch, store: model.NewStore()}
	rng := rand.New(rand.NewPCG(seed, 0x6265_6e63_68))
	for i := 0; i < numInputBatches; i++ {
		img := make([]float32, batch*data.Pixels)
		for j := range img {
			img[j] = float32(rng.NormFloat64())
		}
		lbl := make([]int32, batch)
		for j := range lbl {
			lbl[j] = int32(rng.IntN(models.NumClasses))
		}
		h.images = append(h.images, img)
		h.labels = append(h.labels, lbl)
	}
	var err error
	h.train, err = model.NewExec(backend, h.store, func(s *model.Scope, images, labels *graph.Node) *graph.Node {
		logits := cfg.Logits(s.At("model"), images, true)
		onehot := graph.OneHot(labels, models.NumClasses, logits.DType())
		loss := graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(onehot, graph.LogSoftmax(logits, 1)), 1)))
		momentumSGD(s, images.Graph(), loss)
		return loss
	})
	if err != nil {
		return nil, fmt.Errorf("bench: training graph: %w", err)
	}
	h.infer, err = model.NewExec(backend, h.store, func(s *model.Scope, images *graph.Node) *graph.Node {
		return cfg.Logits(s.At("model"), images, false)
	})
	if err != nil {
		h.train.Finalize()
		return nil, fmt.Errorf("bench: inference graph: %w", err)
	}
	return h, nil
}

// momentumSGD adds to g the update of every trainable variable used by g:
// grad += wd*p; buf = momentum*buf + grad; p -= lr*buf (torch.optim.SGD,
// dampening 0, first step included since buf starts at zero).
func momentumSGD(s *model.Scope, g *graph.Graph, loss *graph.Node) {
	var vars []*model.Variable
	var nodes []*graph.Node
	for v := range s.Store().IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
			nodes = append(nodes, v.NodeValue(g))
		}
	}
	grads := graph.Gradient(loss, nodes...)
	opt := s.At("optimizer")
	for i, v := range vars {
		p := nodes[i]
		grad := graph.Add(grads[i], graph.MulScalar(p, WeightDecay))
		name := fmt.Sprintf("buf%d", i)
		bufVar := opt.GetVariable(name)
		if bufVar == nil {
			bufVar = opt.VariableWithValue(name, tensors.FromShape(p.Shape()))
		}
		bufVar.Trainable = false
		buf := graph.Add(graph.MulScalar(bufVar.NodeValue(g), Momentum), grad)
		bufVar.SetNodeValue(buf)
		v.SetNodeValue(graph.Sub(p, graph.MulScalar(buf, LearningRate)))
	}
}

// Batch is the number of images per step.
func (h *Harness) Batch() int { return h.batch }

// inputs returns fresh tensors of the next random batch.
func (h *Harness) inputs() (*tensors.Tensor, *tensors.Tensor) {
	i := h.next % numInputBatches
	h.next++
	return tensors.FromFlatDataAndDimensions(h.images[i], h.batch, data.Size, data.Size, 1),
		tensors.FromFlatDataAndDimensions(h.labels[i], h.batch)
}

// TrainStep runs one training step and returns its loss, copied to the host
// (so the step has finished when it returns). The first call compiles.
func (h *Harness) TrainStep() (loss float32, err error) {
	defer recoverErr(&err, "training step")
	img, lbl := h.inputs()
	outs, err := h.train.Call(img, lbl)
	if err != nil {
		return 0, fmt.Errorf("bench: training step: %w", err)
	}
	if len(outs) != 1 || outs[0].DType() != dtypes.Float32 {
		return 0, errors.New("bench: training step: unexpected outputs")
	}
	loss = tensors.MustCopyFlatData[float32](outs[0])[0]
	outs[0].FinalizeAll()
	return loss, nil
}

// Infer runs the inference graph on one batch and copies the logits to the
// host. The first call compiles.
func (h *Harness) Infer() (err error) {
	defer recoverErr(&err, "inference")
	img, _ := h.inputs()
	outs, err := h.infer.Call(img)
	if err != nil {
		return fmt.Errorf("bench: inference: %w", err)
	}
	_ = tensors.MustCopyFlatData[float32](outs[0])
	outs[0].FinalizeAll()
	return nil
}

// Close frees the compiled graphs and the variables' device buffers.
func (h *Harness) Close() {
	h.train.Finalize()
	h.infer.Finalize()
	for v := range h.store.IterVariables() {
		if t, err := v.Value(); err == nil && t != nil {
			t.FinalizeAll()
		}
	}
}

// recoverErr turns a panic of GoMLX's graph code into an error.
func recoverErr(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("bench: %s: %v", what, r)
	}
}
