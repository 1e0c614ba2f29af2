package models

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Batch-norm constants, as PyTorch's defaults.
const (
	// BNMomentum is the weight of the new batch statistic in the running mean
	// and variance (PyTorch's momentum=0.1).
	BNMomentum = 0.1
	// BNEpsilon is added to the variance before the square root.
	BNEpsilon = 1e-5
)

// initFn fills n values for a parameter.
type initFn func(rng *rand.Rand, n int) []float32

func normalInit(std float64) initFn {
	return func(rng *rand.Rand, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * std)
		}
		return v
	}
}

func uniformInit(bound float64) initFn {
	return func(rng *rand.Rand, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32((2*rng.Float64() - 1) * bound)
		}
		return v
	}
}

func constInit(c float32) initFn {
	return func(_ *rand.Rand, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = c
		}
		return v
	}
}

// variable returns the named variable of scope s, creating it with values
// drawn on the host from a generator seeded by (seed, variable path) when it
// does not exist yet.
func (b *builder) variable(s *model.Scope, name string, init initFn, dims ...int) *model.Variable {
	if v := s.GetVariable(name); v != nil {
		return v
	}
	path := model.JoinPath(s.Scope(), name)
	h := fnv.New64a()
	h.Write([]byte(path))
	rng := rand.New(rand.NewPCG(b.cfg.Seed, h.Sum64()))
	n := 1
	for _, d := range dims {
		n *= d
	}
	return s.VariableWithValue(name, tensors.FromFlatDataAndDimensions(init(rng, n), dims...))
}

// conv is a 2D convolution (NHWC, kernel [k, k, in, out]) with square kernel,
// stride and zero padding, and an optional bias, initialised as Config.Init
// says: Kaiming-normal in fan_out mode and zero bias (InitTorchvision), or
// uniform in ±1/sqrt(fan_in) (InitPyTorch, nn.Conv2d's default).
func (b *builder) conv(s *model.Scope, x *Node, k, out, stride, pad int, bias bool) *Node {
	in := x.Shape().Dimensions[3]
	fanOut, fanIn := float64(k*k*out), float64(k*k*in)
	kernelInit, biasInit := normalInit(math.Sqrt(2/fanOut)), constInit(0)
	if b.cfg.Init == InitPyTorch {
		kernelInit, biasInit = uniformInit(1/math.Sqrt(fanIn)), uniformInit(1/math.Sqrt(fanIn))
	}
	w := b.variable(s, "weight", kernelInit, k, k, in, out).NodeValue(x.Graph())
	var y *Node
	if b.cfg.Precision == PrecisionBF16 {
		y = graph.ConvertDType(ConvFunc(b.convImpl)(graph.ConvertDType(x, dtypes.BFloat16), graph.ConvertDType(w, dtypes.BFloat16), stride, pad), dtypes.Float32)
	} else {
		y = ConvFunc(b.convImpl)(x, w, stride, pad)
	}
	if bias {
		bv := b.variable(s, "bias", biasInit, out).NodeValue(x.Graph())
		y = graph.Add(y, graph.Reshape(bv, 1, 1, 1, out))
	}
	return y
}

// ConvFunc is the convolution function of impl: Im2colConv for ConvIm2col,
// MixedConv for ConvMixed, NativeConv otherwise (resolve ConvAuto first with
// Config.ConvFor or AutoConv).
func ConvFunc(impl ConvImpl) func(x, kernel *Node, stride, pad int) *Node {
	switch impl {
	case ConvIm2col:
		return Im2colConv
	case ConvMixed:
		return MixedConv
	}
	return NativeConv
}

// NativeConv is a 2D convolution with the backend's convolution op: x is
// [B, H, W, Cin], kernel [k, k, Cin, Cout], symmetric zero padding pad.
func NativeConv(x, kernel *Node, stride, pad int) *Node {
	return graph.Convolve(x, kernel).Strides(stride).PaddingPerDim([][2]int{{pad, pad}, {pad, pad}}).Done()
}

// Im2colConv computes the same as NativeConv with strided slices, one
// concatenation and one matrix multiplication (im2col). Padding is built by
// concatenating zeros, which, unlike graph.Pad, has a gradient.
func Im2colConv(x, kernel *Node, stride, pad int) *Node {
	kd := kernel.Shape().Dimensions
	kh, kw, cin, cout := kd[0], kd[1], kd[2], kd[3]
	if pad > 0 {
		x = padSpatial(x, pad, 0)
	}
	d := x.Shape().Dimensions
	batch, h, w := d[0], d[1], d[2]
	ho, wo := (h-kh)/stride+1, (w-kw)/stride+1
	var patches *Node
	if kh == 1 && kw == 1 {
		patches = strided(x, 0, 0, ho, wo, stride)
	} else {
		cols := make([]*Node, 0, kh*kw)
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				cols = append(cols, strided(x, i, j, ho, wo, stride))
			}
		}
		patches = graph.Concatenate(cols, 3)
	}
	patches = graph.Reshape(patches, batch*ho*wo, kh*kw*cin)
	y := graph.MatMul(patches, graph.Reshape(kernel, kh*kw*cin, cout))
	return graph.Reshape(y, batch, ho, wo, cout)
}

// MixedConv computes the same as NativeConv with NativeConv where
// MixedPrefersNative says XLA CPU's own convolution is faster for the shape,
// and with Im2colConv elsewhere.
func MixedConv(x, kernel *Node, stride, pad int) *Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	if MixedPrefersNative(kd[0], kd[1], stride, pad, xd[1], xd[2], kd[2], kd[3]) {
		return NativeConv(x, kernel, stride, pad)
	}
	return Im2colConv(x, kernel, stride, pad)
}

// MixedPrefersNative tells whether MixedConv uses the backend's convolution
// for a kh x kw kernel with the given stride and padding on an h x w x cin
// input with cout output channels: for "same" 3x3 stride-1 convolutions with
// 64 to 128 input and output channels on 6x6 to 12x12 maps, the shapes of
// ResNet18's layer1 and layer2 at 48x48 with the standard stem. There XLA
// CPU's convolution (YNNPACK, plugin v0.115) takes 31 and 30 ms forward +
// backward at batch 128 against im2col's 85 and 50; on every other shape
// of ResNet18 at 48x48 (either stem) im2col is as fast or faster, up to 40x
// on layer4's 2x2x512 (BENCHMARKS.md, "Mixed convolution"; `fer bench
// --profile --convs im2col,native` measures it per shape). The baseline
// CNN's third convolution (12x12, 64 to 128 channels) falls in the range
// too; it was not timed on its own.
func MixedPrefersNative(kh, kw, stride, pad, h, w, cin, cout int) bool {
	in := func(v, lo, hi int) bool { return v >= lo && v <= hi }
	return kh == 3 && kw == 3 && stride == 1 && pad == 1 &&
		in(h, 6, 12) && in(w, 6, 12) && in(cin, 64, 128) && in(cout, 64, 128)
}

// strided takes x[:, i::stride, j::stride, :] limited to ho x wo positions.
func strided(x *Node, i, j, ho, wo, stride int) *Node {
	return graph.Slice(x,
		graph.AxisRange(),
		graph.AxisRange(i, i+(ho-1)*stride+1).Stride(stride),
		graph.AxisRange(j, j+(wo-1)*stride+1).Stride(stride),
		graph.AxisRange())
}

// padSpatial pads axes 1 and 2 of x with pad values c on both sides, by
// concatenation (differentiable).
func padSpatial(x *Node, pad int, c float64) *Node {
	g := x.Graph()
	for _, axis := range []int{1, 2} {
		d := append([]int(nil), x.Shape().Dimensions...)
		d[axis] = pad
		p := graph.BroadcastToDims(graph.Scalar(g, x.DType(), c), d...)
		x = graph.Concatenate([]*Node{p, x, p}, axis)
	}
	return x
}

// maxPool is a square max-pool with -inf padding (PyTorch's MaxPool2d).
func (b *builder) maxPool(x *Node, window, stride, pad int) *Node {
	if b.im2col {
		return SeparableMaxPool(x, window, stride, pad)
	}
	return NativeMaxPool(x, window, stride, pad)
}

// NativeMaxPool is the backend's max-pool over axes 1 and 2 of an NHWC x.
func NativeMaxPool(x *Node, window, stride, pad int) *Node {
	return graph.MaxPool(x).Window(window).Strides(stride).PaddingPerDim([][2]int{{pad, pad}, {pad, pad}}).Done()
}

// SeparableMaxPool computes the same as NativeMaxPool as a maximum over
// strided slices, first along the rows then along the columns. Its gradient
// uses only element-wise Max, which every backend has.
func SeparableMaxPool(x *Node, window, stride, pad int) *Node {
	if pad > 0 {
		x = padSpatial(x, pad, -math.MaxFloat32)
	}
	for _, axis := range []int{1, 2} {
		n := x.Shape().Dimensions[axis]
		out := (n-window)/stride + 1
		var m *Node
		for i := 0; i < window; i++ {
			sl := graph.SliceAxis(x, axis, graph.AxisRange(i, i+(out-1)*stride+1).Stride(stride))
			if m == nil {
				m = sl
			} else {
				m = graph.Max(m, sl)
			}
		}
		x = m
	}
	return x
}

// batchNorm normalises x [B, H, W, C] per channel, with PyTorch's semantics.
// Variables: weight (gamma, ones), bias (beta, zeros), running_mean (zeros)
// and running_var (ones); the running statistics are not trainable and are
// updated in training graphs.
func (b *builder) batchNorm(s *model.Scope, x *Node) *Node {
	g := x.Graph()
	c := x.Shape().Dimensions[3]
	gamma := b.variable(s, "weight", constInit(1), c).NodeValue(g)
	beta := b.variable(s, "bias", constInit(0), c).NodeValue(g)
	rmVar := b.variable(s, "running_mean", constInit(0), c)
	rvVar := b.variable(s, "running_var", constInit(1), c)
	rmVar.Trainable = false
	rvVar.Trainable = false
	bn := BatchNorm
	if b.fusedBN {
		bn = FusedBatchNorm
	}
	out, mean, variance := bn(x, gamma, beta, rmVar.NodeValue(g), rvVar.NodeValue(g), b.training)
	if b.training {
		d := x.Shape().Dimensions
		n := float64(d[0] * d[1] * d[2])
		unbiased := variance
		if n > 1 {
			unbiased = graph.MulScalar(variance, n/(n-1))
		}
		mean, unbiased = graph.StopGradient(mean), graph.StopGradient(unbiased)
		rmVar.SetNodeValue(graph.Add(graph.MulScalar(rmVar.NodeValue(g), 1-BNMomentum), graph.MulScalar(mean, BNMomentum)))
		rvVar.SetNodeValue(graph.Add(graph.MulScalar(rvVar.NodeValue(g), 1-BNMomentum), graph.MulScalar(unbiased, BNMomentum)))
	}
	return out
}

// BatchNorm normalises x [B, H, W, C] (or [B, C]) over all axes but the last.
// In training it uses the batch mean and biased variance, built from
// differentiable ops (Sqrt and Div, so the gradient flows through the
// statistics as in PyTorch), and returns them; otherwise it uses the running
// statistics and returns them unchanged.
func BatchNorm(x, gamma, beta, runningMean, runningVar *Node, training bool) (out, mean, variance *Node) {
	rank := x.Rank()
	c := x.Shape().Dimensions[rank-1]
	axes := make([]int, rank-1)
	bshape := make([]int, rank)
	for i := range axes {
		axes[i] = i
		bshape[i] = 1
	}
	bshape[rank-1] = c
	if training {
		mean = graph.ReduceMean(x, axes...)
		centered := graph.Sub(x, graph.Reshape(mean, bshape...))
		variance = graph.ReduceMean(graph.Square(centered), axes...)
		scale := graph.Div(gamma, graph.Sqrt(graph.AddScalar(variance, BNEpsilon)))
		out = graph.Add(graph.Mul(centered, graph.Reshape(scale, bshape...)), graph.Reshape(beta, bshape...))
		return out, mean, variance
	}
	scale := graph.Div(gamma, graph.Sqrt(graph.AddScalar(runningVar, BNEpsilon)))
	shift := graph.Sub(beta, graph.Mul(runningMean, scale))
	out = graph.Add(graph.Mul(x, graph.Reshape(scale, bshape...)), graph.Reshape(shift, bshape...))
	return out, runningMean, runningVar
}

// FusedBatchNorm computes what BatchNorm does. In training it uses the
// backend's batch-norm ops (XLA's batch-norm-training and -grad HLOs): the
// batch mean and biased variance, with the op's own closed-form gradient;
// the backend must have them (not GoMLX's pure-Go backend). With the running
// statistics it is BatchNorm's one scale-and-shift, which XLA fuses anyway
// and which, unlike GoMLX's BatchNormForInference op, has a gradient
// (Grad-CAM differentiates an inference graph).
func FusedBatchNorm(x, gamma, beta, runningMean, runningVar *Node, training bool) (out, mean, variance *Node) {
	if training {
		return graph.InternalBatchNormForTraining(x, gamma, beta, BNEpsilon, x.Rank()-1)
	}
	return BatchNorm(x, gamma, beta, runningMean, runningVar, false)
}

// dense is a fully connected layer, weight [in, out] drawn uniformly from
// ±1/sqrt(in) (PyTorch's nn.Linear default), bias zeros (InitTorchvision) or
// drawn like the weight (InitPyTorch).
func (b *builder) dense(s *model.Scope, x *Node, out int) *Node {
	g := x.Graph()
	in := x.Shape().Dimensions[1]
	bound := 1 / math.Sqrt(float64(in))
	biasInit := constInit(0)
	if b.cfg.Init == InitPyTorch {
		biasInit = uniformInit(bound)
	}
	w := b.variable(s, "weight", uniformInit(bound), in, out).NodeValue(g)
	bias := b.variable(s, "bias", biasInit, out).NodeValue(g)
	return graph.Add(graph.MatMul(x, w), graph.Reshape(bias, 1, out))
}
