// Package models builds fernb's networks as GoMLX graphs: a small baseline CNN
// and ResNet18 in torchvision's layout, adapted to 1x48x48 grayscale input.
//
// Images are NHWC float32 tensors shaped [batch, 48, 48, 1] (or [batch, 48, 48],
// a channel axis is then added). Every model exposes its penultimate features
// (Config.Features: 512-d for ResNet18) for PCA, its last feature map
// (Config.FeatureMap) for Grad-CAM, and its class logits (Config.Logits).
//
// Two implementations of convolution and max-pooling are available and give the
// same numbers: the backend's native ops (fast on XLA CUDA) and an im2col
// convolution with a separable strided-slice max-pool (the fast path on
// GoMLX's pure-Go backend, whose native convolution is much slower and whose
// max-pool has no gradient). On XLA CPU the native convolution is much slower
// for most of ResNet18's shapes but faster for a few, so ConvMixed uses each
// where it is faster there. ConvAuto picks by backend (AutoConv); `fer bench`
// measures them all, see BENCHMARKS.md.
//
// Batch norm follows PyTorch: batch statistics with the full gradient in
// training, running statistics (momentum 0.1, unbiased variance) in inference,
// eps 1e-5. Parameters are initialised on the host from Config.Seed and the
// variable's path, so the same seed gives the same weights on every backend.
package models

import (
	"fmt"

	"github.com/fernb/fernb/fernb/data"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Node is a GoMLX graph node.
type Node = graph.Node

// Arch names a network architecture (Config.Arch).
type Arch string

// Architectures.
const (
	// ArchBaseline is a small CNN: three blocks of 3x3 conv + ReLU + 2x2
	// max-pool (32, 64, 128 channels), a 256-unit dense layer with ReLU
	// (the features), and the 7-way dense classifier.
	ArchBaseline Arch = "baseline"
	// ArchResNet18 is torchvision's ResNet18 with a one-channel input.
	ArchResNet18 Arch = "resnet18"
)

// ConvImpl names a convolution implementation (Config.Conv).
type ConvImpl string

// Convolution implementations.
const (
	// ConvAuto uses im2col on every backend but XLA CUDA, where the
	// native ops are used (see PrefersIm2col).
	ConvAuto ConvImpl = "auto"
	// ConvNative uses the backend's convolution and max-pool ops.
	ConvNative ConvImpl = "native"
	// ConvIm2col uses strided slices + one matmul per convolution and a
	// separable strided-slice max-pool.
	ConvIm2col ConvImpl = "im2col"
	// ConvMixed chooses per convolution by its shape (MixedConv): the
	// backend's convolution where XLA CPU's is measured faster than im2col
	// in training (see MixedPrefersNative), im2col elsewhere, and the
	// separable max-pool.
	ConvMixed ConvImpl = "mixed"
)

// BatchNormImpl names a batch-norm implementation (Config.BatchNorm).
type BatchNormImpl string

// Batch-norm implementations.
const (
	// BNAuto, the default, is BNFused where the backend has batch-norm ops
	// (XLA) and BNGraph elsewhere: on XLA CPU fused trains 5-7 % faster and
	// a 23-epoch FER2013 run through it followed the BNGraph run's training
	// accuracy within 0.5 points per epoch (BENCHMARKS.md).
	BNAuto BatchNormImpl = "auto"
	// BNGraph builds batch norm from graph ops (mean, variance, scale) and
	// lets autodiff derive its gradient; every backend runs it.
	BNGraph BatchNormImpl = "graph"
	// BNFused uses the backend's BatchNormForTraining / BatchNormGradient
	// ops in training (XLA's batch-norm HLOs, which XLA expands into fused
	// reductions with a closed-form gradient; its speed against BNGraph is
	// measured by `fer bench`, see BENCHMARKS.md). GoMLX's pure-Go backend
	// lacks them: there BNFused falls back to BNGraph.
	BNFused BatchNormImpl = "fused"
)

// Precision names the number format of the convolutions (Config.Precision).
type Precision string

// Convolution precisions (Config.Precision).
const (
	// PrecisionF32, the default, computes everything in float32.
	PrecisionF32 Precision = "f32"
	// PrecisionBF16 computes each convolution in bfloat16, as PyTorch's
	// CPU autocast does: its input and kernel are rounded to bfloat16
	// (patch matrices included, so they take half the memory traffic), the
	// product's result is converted back to float32. Weights, their
	// gradients and updates, batch norm, the classifier and the loss stay
	// float32. It pays where the CPU multiplies bfloat16 natively
	// (AVX-512 BF16, AMX); `fer bench --precisions f32,bf16` measures it.
	PrecisionBF16 Precision = "bf16"
)

// Init names a parameter initialisation (Config.Init).
type Init string

// Parameter initialisations (Config.Init).
const (
	// InitTorchvision is torchvision's ResNet initialisation: convolution
	// kernels Kaiming-normal in fan_out mode (std sqrt(2/fan_out)), their
	// biases zero; linear weights uniform in ±1/sqrt(in), biases zero.
	InitTorchvision Init = "torchvision"
	// InitPyTorch is PyTorch's layer defaults (nn.Conv2d, nn.Linear):
	// weights and biases uniform in ±1/sqrt(fan_in). Convolution kernels are
	// about 2.4x smaller than InitTorchvision's; behind batch norm the
	// output is the same, but a smaller kernel turns the same learning rate
	// into a larger effective step, so early epochs learn faster.
	InitPyTorch Init = "pytorch"
)

// Config describes a network. The zero value is not valid: set Arch.
type Config struct {
	// Arch is ArchBaseline or ArchResNet18.
	Arch Arch `json:"arch"`
	// SmallStem replaces ResNet18's 7x7/2 convolution and 3x3/2 max-pool by a
	// single 3x3/1 convolution (the usual CIFAR variant): 16x more compute.
	SmallStem bool `json:"small_stem,omitempty"`
	// Dropout is the drop probability applied to the features before the
	// classifier during training (0 disables it).
	Dropout float64 `json:"dropout,omitempty"`
	// Seed seeds the parameter initialisation.
	Seed uint64 `json:"seed"`
	// Conv selects the convolution implementation: ConvAuto ("" means auto),
	// ConvNative, ConvIm2col or ConvMixed.
	Conv ConvImpl `json:"conv,omitempty"`
	// BatchNorm selects the batch-norm implementation: BNAuto ("" means
	// auto), BNGraph or BNFused. Both compute the same function.
	BatchNorm BatchNormImpl `json:"batch_norm,omitempty"`
	// Init selects the parameter initialisation: InitTorchvision ("" means
	// it) or InitPyTorch.
	Init Init `json:"init,omitempty"`
	// Precision is the convolutions' number format: PrecisionF32 ("" means
	// it) or PrecisionBF16.
	Precision Precision `json:"precision,omitempty"`
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch c.Arch {
	case ArchBaseline, ArchResNet18:
	default:
		return fmt.Errorf("models: unknown architecture %q (want %q or %q)", c.Arch, ArchBaseline, ArchResNet18)
	}
	if c.SmallStem && c.Arch != ArchResNet18 {
		return fmt.Errorf("models: SmallStem applies to %q only, not %q", ArchResNet18, c.Arch)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("models: dropout %g out of [0, 1)", c.Dropout)
	}
	switch c.Conv {
	case "", ConvAuto, ConvNative, ConvIm2col, ConvMixed:
	default:
		return fmt.Errorf("models: unknown convolution implementation %q (want auto, native, im2col or mixed)", c.Conv)
	}
	switch c.BatchNorm {
	case "", BNAuto, BNGraph, BNFused:
	default:
		return fmt.Errorf("models: unknown batch-norm implementation %q (want auto, graph or fused)", c.BatchNorm)
	}
	switch c.Init {
	case "", InitTorchvision, InitPyTorch:
	default:
		return fmt.Errorf("models: unknown initialisation %q (want %s or %s)", c.Init, InitTorchvision, InitPyTorch)
	}
	switch c.Precision {
	case "", PrecisionF32, PrecisionBF16:
	default:
		return fmt.Errorf("models: unknown precision %q (want %s or %s)", c.Precision, PrecisionF32, PrecisionBF16)
	}
	return nil
}

// FeatureDim is the size of the penultimate feature vector: 512 for ResNet18,
// 256 for the baseline.
func (c Config) FeatureDim() int {
	if c.Arch == ArchBaseline {
		return 256
	}
	return 512
}

// FeatureMapChannels is the number of channels of FeatureMap's output.
func (c Config) FeatureMapChannels() int {
	if c.Arch == ArchBaseline {
		return 128
	}
	return 512
}

// NumClasses is the number of logits.
const NumClasses = data.NumClasses

// prepare checks the input and gives it the shape [B, 48, 48, 1].
func prepare(x *Node) *Node {
	switch x.Rank() {
	case 3:
		x = graph.InsertAxes(x, -1)
	case 4:
	default:
		panic(fmt.Errorf("models: images must be [batch, %d, %d, 1], got %s", data.Size, data.Size, x.Shape()))
	}
	d := x.Shape().Dimensions
	if d[1] != data.Size || d[2] != data.Size || d[3] != 1 {
		panic(fmt.Errorf("models: images must be [batch, %d, %d, 1], got %s", data.Size, data.Size, x.Shape()))
	}
	return x
}

// FeatureMap returns the last convolutional feature map, [B, h, w, C]:
// ResNet18's last stage output (2x2x512 for 48x48 input with the standard
// stem, 6x6x512 with the small stem), or the baseline's last pooled block
// (6x6x128). Grad-CAM differentiates the logits with respect to it.
// It panics on invalid configurations or inputs (GoMLX's graph convention);
// call Validate first.
func (c Config) FeatureMap(s *model.Scope, images *Node, training bool) *Node {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	x := prepare(images)
	impl := c.ConvFor(x.Graph().Backend())
	b := &builder{cfg: c, training: training, convImpl: impl, im2col: impl != ConvNative, fusedBN: c.useFusedBN(x.Graph())}
	if c.Arch == ArchBaseline {
		return b.baselineTrunk(s, x)
	}
	return b.resnetTrunk(s, x)
}

// Pool turns a FeatureMap output into the penultimate features [B, FeatureDim].
func (c Config) Pool(s *model.Scope, featureMap *Node, training bool) *Node {
	b := &builder{cfg: c, training: training}
	if c.Arch == ArchBaseline {
		f := graph.Reshape(featureMap, featureMap.Shape().Dimensions[0], -1)
		f = b.dense(s.At("fc1"), f, 256)
		return graph.Max(f, graph.ZerosLike(f))
	}
	return graph.ReduceMean(featureMap, 1, 2)
}

// Features returns the penultimate features, [B, FeatureDim]: for ResNet18
// the 512-d global-average-pooled output of the last stage.
func (c Config) Features(s *model.Scope, images *Node, training bool) *Node {
	return c.Pool(s, c.FeatureMap(s, images, training), training)
}

// Head applies dropout (in training, when Config.Dropout > 0) and the final
// dense layer to the features, returning [B, NumClasses] logits.
func (c Config) Head(s *model.Scope, features *Node, training bool) *Node {
	b := &builder{cfg: c, training: training}
	if training && c.Dropout > 0 {
		keep := 1 - c.Dropout
		u := s.RandomUniform(features.Graph(), features.Shape())
		mask := graph.ConvertDType(graph.LessThan(u, graph.ConstAs(u, keep)), features.DType())
		features = graph.Mul(features, graph.MulScalar(mask, 1/keep))
	}
	name := "fc"
	if c.Arch == ArchBaseline {
		name = "fc2"
	}
	return b.dense(s.At("%s", name), features, NumClasses)
}

// Logits returns the class logits, [B, NumClasses].
func (c Config) Logits(s *model.Scope, images *Node, training bool) *Node {
	return c.Head(s, c.Features(s, images, training), training)
}

// ConvFor is the convolution implementation the network uses on backend:
// Config.Conv, or for ConvAuto (and "") AutoConv(backend).
func (c Config) ConvFor(backend compute.Backend) ConvImpl {
	switch c.Conv {
	case ConvIm2col, ConvNative, ConvMixed:
		return c.Conv
	}
	return AutoConv(backend)
}

// useFusedBN tells whether the graph should use the backend's batch-norm
// ops: with BNFused or BNAuto, where the backend has them.
func (c Config) useFusedBN(g *graph.Graph) bool {
	if (c.BatchNorm != BNFused && c.BatchNorm != BNAuto && c.BatchNorm != "") || g.Backend() == nil {
		return false
	}
	ops := g.Backend().Capabilities().Operations
	return ops[compute.OpTypeBatchNormForTraining] && ops[compute.OpTypeBatchNormGradient]
}

// PrefersIm2col tells whether ConvAuto uses the im2col / separable paths on
// backend (for all or some convolutions): everywhere but on XLA CUDA.
// GoMLX's pure-Go backend lacks SelectAndScatterMax (the max-pool gradient)
// and its native convolution is slow; XLA CPU's native convolution (YNNPACK
// in the plugin fernb installs) trains ResNet18 at 26 images/s where im2col
// reaches about 283 on the same 2 cores (BENCHMARKS.md), though it is faster
// for a few shapes (ConvMixed). On CUDA the native convolution (cuDNN) is
// kept.
func PrefersIm2col(backend compute.Backend) bool {
	return AutoConv(backend) != ConvNative
}

// AutoConv is what ConvAuto means on backend: ConvIm2col on GoMLX's pure-Go
// backend (any backend without SelectAndScatterMax), ConvNative on XLA CUDA,
// ConvMixed on the other XLA backends (XLA CPU), and ConvNative for a nil
// backend.
func AutoConv(backend compute.Backend) ConvImpl {
	if backend == nil {
		return ConvNative
	}
	if !backend.Capabilities().Operations[compute.OpTypeSelectAndScatterMax] {
		return ConvIm2col
	}
	if cuda, ok := backend.(interface{ IsCUDA() bool }); ok && cuda.IsCUDA() {
		return ConvNative
	}
	return ConvMixed
}

// builder carries per-graph settings through the layer functions.
type builder struct {
	cfg      Config
	training bool
	convImpl ConvImpl // ConvNative, ConvIm2col or ConvMixed
	im2col   bool     // separable max-pool
	fusedBN  bool
}

func (b *builder) relu(x *Node) *Node { return graph.Max(x, graph.ZerosLike(x)) }

func (b *builder) baselineTrunk(s *model.Scope, x *Node) *Node {
	for i, ch := range []int{32, 64, 128} {
		bs := s.At("block%d", i+1)
		x = b.conv(bs.At("conv"), x, 3, ch, 1, 1, true)
		x = b.relu(x)
		x = b.maxPool(x, 2, 2, 0)
	}
	return x
}

func (b *builder) resnetTrunk(s *model.Scope, x *Node) *Node {
	if b.cfg.SmallStem {
		x = b.conv(s.At("conv1"), x, 3, 64, 1, 1, false)
		x = b.batchNorm(s.At("bn1"), x)
		x = b.relu(x)
	} else {
		x = b.conv(s.At("conv1"), x, 7, 64, 2, 3, false)
		x = b.batchNorm(s.At("bn1"), x)
		x = b.relu(x)
		x = b.maxPool(x, 3, 2, 1)
	}
	for stage, ch := range []int{64, 128, 256, 512} {
		for blk := 0; blk < 2; blk++ {
			stride := 1
			if stage > 0 && blk == 0 {
				stride = 2
			}
			x = b.basicBlock(s.At("layer%d", stage+1).At("%d", blk), x, ch, stride)
		}
	}
	return x
}

// basicBlock is torchvision's BasicBlock: conv3x3-BN-ReLU-conv3x3-BN, plus the
// identity or a 1x1 strided conv + BN projection, then ReLU.
func (b *builder) basicBlock(s *model.Scope, x *Node, ch, stride int) *Node {
	in := x.Shape().Dimensions[3]
	y := b.conv(s.At("conv1"), x, 3, ch, stride, 1, false)
	y = b.batchNorm(s.At("bn1"), y)
	y = b.relu(y)
	y = b.conv(s.At("conv2"), y, 3, ch, 1, 1, false)
	y = b.batchNorm(s.At("bn2"), y)
	short := x
	if stride != 1 || in != ch {
		short = b.conv(s.At("downsample").At("0"), x, 1, ch, stride, 0, false)
		short = b.batchNorm(s.At("downsample").At("1"), short)
	}
	return b.relu(graph.Add(y, short))
}

// ResNet18Params is the number of trainable parameters of ResNet18 with one
// input channel and 7 classes: torchvision's 11,689,512 less the 2 input
// channels of conv1 (6,272) and 993 of the 1000 classes (510,409).
const ResNet18Params = 11_173_831

// TrainableParams counts the scalar values of the trainable variables of a store.
func TrainableParams(store *model.Store) int {
	n := 0
	for v := range store.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}
