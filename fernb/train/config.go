// Package train trains fernb's models and keeps each training run in a run
// folder: config.json, history.json, status.json and two checkpoints,
// checkpoint-last (everything needed to resume exactly) and checkpoint-best
// (the model of the epoch with the best validation accuracy).
//
// Training follows PyTorch's conventions so that the study's settings mean the
// same here: torch.optim.SGD (momentum, Nesterov, weight decay added to the
// gradient), torch.optim.Adam/AdamW, learning-rate schedules stepped once per
// epoch (CosineAnnealingLR's closed form, StepLR), batch norm with momentum
// 0.1, cross-entropy with label smoothing and class weights.
//
// A run is deterministic given its Config: the batch order comes from (Seed,
// epoch), the augmentation of each batch from (Seed, epoch, step), dropout
// from a random state kept in the checkpoint. A run stopped at any point
// (even killed) and resumed gives the same history as an uninterrupted one.
package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/models"
)

// Optimizer names an optimizer (Config.Optimizer).
type Optimizer string

// Optimizers.
const (
	OptSGD      Optimizer = "sgd"
	OptMomentum Optimizer = "momentum"
	OptNesterov Optimizer = "nesterov"
	OptAdam     Optimizer = "adam"
	OptAdamW    Optimizer = "adamw"
)

// Schedule names a learning-rate schedule (Config.Schedule).
type Schedule string

// Learning-rate schedules.
const (
	SchedConstant Schedule = "constant"
	SchedStep     Schedule = "step"
	SchedCosine   Schedule = "cosine"
)

// ClassWeights names a class weighting of the loss (Config.ClassWeights).
type ClassWeights string

// Class weightings of the loss.
const (
	WeightsNone     ClassWeights = "none"
	WeightsBalanced ClassWeights = "balanced"
)

// Adam's fixed hyper-parameters (PyTorch's defaults).
const (
	AdamBeta1 = 0.9
	AdamBeta2 = 0.999
	AdamEps   = 1e-8
)

// Config is everything that defines a training run. Its JSON form is the run
// folder's config.json; `fer train` has one flag per field, named by the
// field's flag tag and explained by its help tag (augment.Config's fields too).
type Config struct {
	// Name labels the run in tables and plots (free text).
	Name string `json:"name,omitempty" flag:"name" help:"run name for tables and plots"`
	// Model is "baseline" or "resnet18".
	Model models.Arch `json:"model" flag:"model" help:"model: baseline or resnet18"`
	// SmallStem uses ResNet18's 3x3/1 stem without max-pool.
	SmallStem bool `json:"small_stem,omitempty" flag:"small-stem" help:"ResNet18 with a 3x3/1 stem and no max-pool (16x the compute)"`
	// Epochs is the number of passes over the training split.
	Epochs int `json:"epochs" flag:"epochs" help:"epochs"`
	// BatchSize is the number of images per step. The last partial batch of
	// an epoch is dropped (each epoch has its own order, so every image is used).
	BatchSize int `json:"batch_size" flag:"batch" help:"batch size"`
	// Optimizer is "sgd", "momentum", "nesterov", "adam" or "adamw".
	Optimizer Optimizer `json:"optimizer" flag:"optimizer" help:"sgd, momentum, nesterov, adam or adamw"`
	// LR is the base learning rate.
	LR float64 `json:"lr" flag:"lr" help:"base learning rate"`
	// Momentum is SGD's momentum ("momentum" and "nesterov").
	Momentum float64 `json:"momentum,omitempty" flag:"momentum" help:"SGD momentum (momentum, nesterov; 0 for the others)"`
	// WeightDecay is added to the gradient as WeightDecay*param (SGD, Adam),
	// or decoupled (AdamW: param *= 1 - lr*WeightDecay), on all parameters.
	WeightDecay float64 `json:"weight_decay,omitempty" flag:"wd" help:"weight decay"`
	// Schedule is "constant", "step" or "cosine"; the learning rate changes
	// once per epoch, as PyTorch's schedulers stepped after each epoch.
	Schedule Schedule `json:"schedule" flag:"schedule" help:"learning-rate schedule: constant, step or cosine (stepped per epoch)"`
	// TMax is the cosine period in epochs (0: Epochs - WarmupEpochs).
	TMax int `json:"t_max,omitempty" flag:"tmax" help:"cosine period in epochs (0: epochs - warmup)"`
	// EtaMin is the cosine schedule's minimum learning rate.
	EtaMin float64 `json:"eta_min,omitempty" flag:"eta-min" help:"cosine minimum learning rate"`
	// StepSize and Gamma: the step schedule multiplies the learning rate by
	// Gamma every StepSize epochs.
	StepSize int     `json:"step_size,omitempty" flag:"step-size" help:"step schedule: epochs between decays"`
	Gamma    float64 `json:"gamma,omitempty" flag:"gamma" help:"step schedule: decay factor"`
	// WarmupEpochs ramps the learning rate linearly over the first
	// WarmupEpochs epochs, step by step, from LR/(WarmupEpochs*steps) to LR
	// (so epoch e ends at LR*(e+1)/WarmupEpochs), before the schedule starts
	// (the schedule then counts epochs from the end of the warm-up). A ramp
	// per step, not per epoch, avoids the early blow-up of lr 0.1 with
	// momentum 0.9 (PyTorch shows it too: the loss jumps to ~8 in the first
	// 20 steps and the network sits at the majority class for epochs).
	WarmupEpochs int `json:"warmup_epochs,omitempty" flag:"warmup" help:"linear warm-up epochs"`
	// Augment configures the training-time augmentation and the
	// normalisation applied to every image (training and evaluation).
	Augment augment.Config `json:"augment"`
	// LabelSmoothing mixes the targets with the uniform distribution:
	// (1-ε)·target + ε/7, as torch.nn.CrossEntropyLoss(label_smoothing=ε).
	LabelSmoothing float64 `json:"label_smoothing,omitempty" flag:"label-smoothing" help:"label smoothing epsilon"`
	// Dropout is the drop probability before the classifier.
	Dropout float64 `json:"dropout,omitempty" flag:"dropout" help:"dropout before the classifier"`
	// Init is the parameter initialisation: "torchvision" ("" means it:
	// Kaiming-normal fan_out kernels) or "pytorch" (PyTorch's layer
	// defaults); see models.InitTorchvision and models.InitPyTorch.
	Init models.Init `json:"init,omitempty" flag:"init" help:"parameter initialisation: torchvision (default: Kaiming-normal fan_out kernels) or pytorch (PyTorch's layer defaults)"`
	// Conv and BatchNorm select the model's convolution and batch-norm
	// implementations ("" means auto: models.ConvAuto, models.BNAuto). They
	// compute the same function; they change speed, and the last bits of
	// the floating-point results.
	Conv      models.ConvImpl      `json:"conv,omitempty" flag:"conv" help:"convolution implementation: auto (default: mixed on XLA CPU, im2col on the Go backend, native on CUDA), native, im2col or mixed (native where XLA CPU is faster, im2col elsewhere)"`
	BatchNorm models.BatchNormImpl `json:"batch_norm,omitempty" flag:"batchnorm" help:"batch-norm implementation: auto (default: fused where the backend has the ops, i.e. XLA; graph on the Go backend), graph or fused (the backend's fused ops)"`
	// Precision is the convolutions' number format: "f32" ("" means it) or
	// "bf16" (models.PrecisionBF16: bfloat16 products, float32 weights and
	// everything else, like PyTorch's CPU autocast).
	Precision models.Precision `json:"precision,omitempty" flag:"precision" help:"convolution number format: f32 (default) or bf16 (bfloat16 products, float32 weights, like PyTorch's CPU autocast)"`
	// ClassWeights is "none" or "balanced": weights n/(7·n_c) computed from
	// the training split, used as torch's CrossEntropyLoss(weight=...)
	// (a weighted mean over the batch).
	ClassWeights ClassWeights `json:"class_weights,omitempty" flag:"class-weights" help:"loss class weights: none or balanced"`
	// Seed fixes initialisation, batch order, augmentation and dropout.
	Seed uint64 `json:"seed" flag:"seed" help:"seed of initialisation, batch order, augmentation and dropout"`
	// Backend is the compute backend to train on ("auto", "xla:cpu",
	// "xla:cuda", "go"; "" means auto). It does not change the results'
	// definition, so it is ignored when comparing configurations.
	Backend string `json:"backend,omitempty" flag:"backend" help:"backend: auto, go, xla:cpu, xla:cuda (default: $GOMLX_BACKEND, else auto)"`
	// MaxStepsPerEpoch, when > 0, caps the steps of each epoch (quick runs).
	MaxStepsPerEpoch int `json:"max_steps_per_epoch,omitempty" flag:"max-steps" help:"cap on steps per epoch (quick runs; 0: all)"`
}

// DefaultConfig returns the study's ResNet18 settings: SGD with momentum 0.9
// and weight decay 1e-4, lr 0.1, batch 128, cosine annealing to 1e-5 over 30
// epochs, no augmentation, pixels normalised with FER2013's mean and std.
func DefaultConfig() Config {
	return Config{
		Model:        models.ArchResNet18,
		Epochs:       30,
		BatchSize:    128,
		Optimizer:    OptMomentum,
		LR:           0.1,
		Momentum:     0.9,
		WeightDecay:  1e-4,
		Schedule:     SchedCosine,
		EtaMin:       1e-5,
		ClassWeights: WeightsNone,
		Augment:      augment.Config{Mean: augment.FER2013Mean, Std: augment.FER2013Std},
		Seed:         1,
	}
}

// Validate checks every field and returns all problems found, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := c.ModelConfig().Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Epochs < 1 {
		bad("epochs must be >= 1, got %d", c.Epochs)
	}
	if c.BatchSize < 1 {
		bad("batch size must be >= 1, got %d", c.BatchSize)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		bad("learning rate must be > 0 and finite, got %g", c.LR)
	}
	switch c.Optimizer {
	case OptSGD:
	case OptMomentum, OptNesterov:
		if !(c.Momentum > 0 && c.Momentum < 1) {
			bad("optimizer %q needs momentum in (0, 1), got %g", c.Optimizer, c.Momentum)
		}
	case OptAdam, OptAdamW:
	default:
		bad("unknown optimizer %q (want sgd, momentum, nesterov, adam or adamw)", c.Optimizer)
	}
	if c.Optimizer != OptMomentum && c.Optimizer != OptNesterov && c.Momentum != 0 {
		bad("momentum %g is set but optimizer %q does not use it", c.Momentum, c.Optimizer)
	}
	if c.WeightDecay < 0 {
		bad("weight decay must be >= 0, got %g", c.WeightDecay)
	}
	switch c.Schedule {
	case SchedConstant:
	case SchedStep:
		if c.StepSize < 1 {
			bad("step schedule needs step_size >= 1, got %d", c.StepSize)
		}
		if !(c.Gamma > 0) {
			bad("step schedule needs gamma > 0, got %g", c.Gamma)
		}
	case SchedCosine:
		if c.TMax < 0 {
			bad("t_max must be >= 0, got %d", c.TMax)
		}
		if c.EtaMin < 0 || c.EtaMin > c.LR {
			bad("eta_min must be in [0, lr=%g], got %g", c.LR, c.EtaMin)
		}
	default:
		bad("unknown schedule %q (want constant, step or cosine)", c.Schedule)
	}
	if c.WarmupEpochs < 0 || (c.Epochs >= 1 && c.WarmupEpochs >= c.Epochs) {
		bad("warmup epochs must be in [0, epochs), got %d", c.WarmupEpochs)
	}
	if c.LabelSmoothing < 0 || c.LabelSmoothing >= 1 {
		bad("label smoothing must be in [0, 1), got %g", c.LabelSmoothing)
	}
	switch c.ClassWeights {
	case "", WeightsNone, WeightsBalanced:
	default:
		bad("unknown class weighting %q (want none or balanced)", c.ClassWeights)
	}
	if c.MaxStepsPerEpoch < 0 {
		bad("max steps per epoch must be >= 0, got %d", c.MaxStepsPerEpoch)
	}
	if _, err := c.Augment.Pipeline(); err != nil {
		errs = append(errs, fmt.Errorf("augment: %w", err))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("train: invalid config: %w", errors.Join(errs...))
}

// ModelConfig is the network part of the configuration.
func (c Config) ModelConfig() models.Config {
	return models.Config{Arch: c.Model, SmallStem: c.SmallStem, Dropout: c.Dropout, Seed: c.Seed, Init: c.Init,
		Conv: c.Conv, BatchNorm: c.BatchNorm, Precision: c.Precision}
}

// LRAt returns the learning rate used during epoch (0-based), as PyTorch's
// scheduler gives it when stepped once after each epoch; in a warm-up epoch
// it is the rate of the epoch's last step (see LRAtStep). The history
// records it.
func (c Config) LRAt(epoch int) float64 {
	if c.WarmupEpochs > 0 && epoch < c.WarmupEpochs {
		return c.LR * float64(epoch+1) / float64(c.WarmupEpochs)
	}
	e := epoch - c.WarmupEpochs
	switch c.Schedule {
	case SchedStep:
		return c.LR * math.Pow(c.Gamma, float64(e/c.StepSize))
	case SchedCosine:
		tmax := c.TMax
		if tmax == 0 {
			tmax = c.Epochs - c.WarmupEpochs
		}
		return c.EtaMin + (c.LR-c.EtaMin)*(1+math.Cos(math.Pi*float64(e)/float64(tmax)))/2
	}
	return c.LR
}

// LRAtStep returns the learning rate of step (0-based) of epoch (0-based),
// with steps steps per epoch: LRAt(epoch) except during the warm-up, where
// it rises linearly per step to LR*(epoch+1)/WarmupEpochs at the epoch's
// last step.
func (c Config) LRAtStep(epoch, step, steps int) float64 {
	if c.WarmupEpochs > 0 && epoch < c.WarmupEpochs && steps > 0 {
		return c.LR * float64(epoch*steps+step+1) / float64(c.WarmupEpochs*steps)
	}
	return c.LRAt(epoch)
}

// sameRun tells whether two configurations define the same run (Backend
// and Name aside).
func sameRun(a, b Config) bool {
	a.Backend, b.Backend = "", ""
	a.Name, b.Name = "", ""
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// describe is a one-line summary used in progress and errors.
func (c Config) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s lr=%g bs=%d epochs=%d %s", c.Model, c.Optimizer, c.LR, c.BatchSize, c.Epochs, c.Schedule)
	if c.Name != "" {
		return c.Name + " (" + b.String() + ")"
	}
	return b.String()
}
