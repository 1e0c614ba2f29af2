package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/train"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Optimizer settings of the benchmarked training step (the study's: PyTorch's
// torch.optim.SGD with momentum and L2 weight decay added to the gradient;
// see TrainConfig).
const (
	LearningRate = 0.01
	Momentum     = 0.9
	WeightDecay  = 1e-4
)

// numInputBatches is how many distinct random batches a Harness cycles through.
const numInputBatches = 4

// Harness holds a network's training step and inference graphs on one
// backend, with random input batches, ready to be timed. The training step is
// fernb's own (train.Step, as `fer train` runs it) for TrainConfig: forward,
// cross-entropy, backward and one momentum-SGD update of every trainable
// variable. A Harness is not safe for concurrent use.
type Harness struct {
	backend compute.Backend
	cfg     models.Config
	batch   int
	store   *model.Store
	train   *train.Step
	infer   *model.Exec
	batches []augment.Batch
	weights []float32
	next    int
}

// TrainConfig is the training configuration whose step a Harness times:
// the network cfg (its convolution and batch norm included) trained with
// momentum SGD (LearningRate, Momentum, WeightDecay), no label smoothing and
// no class weights.
func TrainConfig(cfg models.Config) train.Config {
	return train.Config{Model: cfg.Arch, SmallStem: cfg.SmallStem, Dropout: cfg.Dropout, Seed: cfg.Seed, Init: cfg.Init,
		Conv: cfg.Conv, BatchNorm: cfg.BatchNorm, Epochs: 1, BatchSize: 1, Optimizer: train.OptMomentum,
		LR: LearningRate, Momentum: Momentum, WeightDecay: WeightDecay, Schedule: train.SchedConstant,
		ClassWeights: train.WeightsNone}
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
	h := &Harness{backend: backend, cfg: cfg, batch: batch, store: model.NewStore(),
		weights: train.ClassWeightsFor(train.WeightsNone, nil)}
	rng := rand.New(rand.NewPCG(seed, 0x6265_6e63_68))
	for i := 0; i < numInputBatches; i++ {
		b := augment.Batch{Images: make([]float32, batch*data.Pixels), Targets: make([]float32, batch*models.NumClasses),
			Labels: make([]int32, batch), Lambda: 1}
		for j := range b.Images {
			b.Images[j] = float32(rng.NormFloat64())
		}
		for j := range b.Labels {
			b.Labels[j] = int32(rng.IntN(models.NumClasses))
			b.Targets[j*models.NumClasses+int(b.Labels[j])] = 1
		}
		h.batches = append(h.batches, b)
	}
	var err error
	h.train, err = train.NewStep(backend, h.store, TrainConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("bench: training graph: %w", err)
	}
	h.infer, err = model.NewExec(backend, h.store, func(s *model.Scope, images *graph.Node) *graph.Node {
		return cfg.Logits(s.At(train.ModelScope), images, false)
	})
	if err != nil {
		h.train.Finalize()
		return nil, fmt.Errorf("bench: inference graph: %w", err)
	}
	return h, nil
}

// Batch is the number of images per step.
func (h *Harness) Batch() int { return h.batch }

// nextBatch returns the next random batch.
func (h *Harness) nextBatch() augment.Batch {
	b := h.batches[h.next%numInputBatches]
	h.next++
	return b
}

// TrainStep runs one training step and returns its loss, copied to the host
// (so the step has finished when it returns). The first call compiles.
func (h *Harness) TrainStep() (loss float32, err error) {
	defer recoverErr(&err, "training step")
	l, _, err := h.train.Run(h.nextBatch(), LearningRate, h.weights)
	if err != nil {
		return 0, fmt.Errorf("bench: training step: %w", err)
	}
	return float32(l), nil
}

// Infer runs the inference graph on one batch and copies the logits to the
// host. The first call compiles.
func (h *Harness) Infer() (err error) {
	defer recoverErr(&err, "inference")
	outs, err := h.infer.Call(tensors.FromFlatDataAndDimensions(h.nextBatch().Images, h.batch, data.Size, data.Size, 1))
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
