package train

import (
	"fmt"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Step is fernb's training step on one backend: the model's forward pass in
// training mode, the loss (Loss: label smoothing, class weights), the
// gradient and one optimizer update (torch.optim's rules) of every trainable
// variable, all as configured by a Config. Run executes it for every batch,
// and `fer bench` times exactly it. A Step is not safe for concurrent use.
type Step struct {
	exec *model.Exec
}

// NewStep builds (but does not compile: the first call does) the training
// step of cfg; it reads and updates the model and optimizer variables of
// store, creating them (initialised from cfg.Seed) on the first call.
func NewStep(backend compute.Backend, store *model.Store, cfg Config) (*Step, error) {
	mcfg := cfg.ModelConfig()
	exec, err := model.NewExec(backend, store, func(s *model.Scope, images, targets, labels, lr, cw *graph.Node) (*graph.Node, *graph.Node) {
		logits := mcfg.Logits(s.At(ModelScope), images, true)
		loss := Loss(logits, targets, cw, cfg.LabelSmoothing)
		var vars []*model.Variable
		var nodes []*graph.Node
		for v := range s.Store().IterVariables() {
			if v.Trainable && v.InUseByGraph(images.Graph()) {
				vars = append(vars, v)
				nodes = append(nodes, v.NodeValue(images.Graph()))
			}
		}
		grads := graph.Gradient(loss, nodes...)
		applyOptimizer(s, cfg, vars, grads, lr)
		pred := graph.ArgMax(logits, 1, labels.DType())
		correct := graph.ReduceAllSum(graph.ConvertDType(graph.Equal(pred, labels), loss.DType()))
		return loss, correct
	})
	if err != nil {
		return nil, err
	}
	return &Step{exec: exec}, nil
}

// Run runs one step on batch b (its Images, Targets and Labels) with
// learning rate lr and per-class loss weights (ClassWeightsFor). It returns
// the batch's mean loss and its number of correct predictions, copied to the
// host, so the step has finished when Run returns.
func (s *Step) Run(b augment.Batch, lr float64, weights []float32) (loss, correct float64, err error) {
	n := len(b.Labels)
	if n == 0 || len(b.Images) != n*data.Pixels || len(b.Targets) != n*data.NumClasses || len(weights) != data.NumClasses {
		return 0, 0, fmt.Errorf("train: step: batch of %d images, %d targets, %d labels and %d class weights",
			len(b.Images)/data.Pixels, len(b.Targets)/data.NumClasses, n, len(weights))
	}
	outs, err := s.exec.Call(
		tensors.FromFlatDataAndDimensions(b.Images, n, data.Size, data.Size, 1),
		tensors.FromFlatDataAndDimensions(b.Targets, n, data.NumClasses),
		tensors.FromFlatDataAndDimensions(b.Labels, n),
		tensors.FromScalar(float32(lr)),
		tensors.FromFlatDataAndDimensions(weights, data.NumClasses))
	if err != nil {
		return 0, 0, err
	}
	loss = float64(tensors.MustCopyFlatData[float32](outs[0])[0])
	correct = float64(tensors.MustCopyFlatData[float32](outs[1])[0])
	for _, o := range outs {
		o.FinalizeAll()
	}
	return loss, correct, nil
}

// Finalize frees the compiled step (not the variables: they are the store's).
func (s *Step) Finalize() { s.exec.Finalize() }
