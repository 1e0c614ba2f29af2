package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/fernb/fernb/xla/xlatest"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// testBackend returns the shared backend called name (see xlatest).
func testBackend(t testing.TB, name string) compute.Backend { return xlatest.Backend(t, name) }

var backendNames = []string{"go", "xla:cpu"}

func randTensor(seed uint64, dims ...int) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func flat(t testing.TB, x *tensors.Tensor) []float32 {
	t.Helper()
	v, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func maxAbsDiff(t testing.TB, a, b []float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d vs %d", len(a), len(b))
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// TestIm2colMatchesNativeConv: Im2colConv and MixedConv compute what
// NativeConv does, outputs and both gradients.
func TestIm2colMatchesNativeConv(t *testing.T) {
	cases := []struct {
		name                      string
		h, cin, k, cout, str, pad int
	}{
		{"stem7x7s2", 48, 1, 7, 8, 2, 3},
		{"3x3s1", 12, 4, 3, 5, 1, 1},
		{"3x3s2", 12, 4, 3, 6, 2, 1},
		{"1x1s2", 12, 4, 1, 6, 2, 0},
		{"3x3nopad", 9, 3, 3, 2, 1, 0},
		// MixedConv takes the native branch for this one.
		{"3x3s1layer1", 6, 64, 3, 64, 1, 1},
	}
	for _, bn := range backendNames {
		backend := testBackend(t, bn)
		for _, c := range cases {
			t.Run(bn+"/"+c.name, func(t *testing.T) {
				x := randTensor(1, 2, c.h, c.h, c.cin)
				k := randTensor(2, c.k, c.k, c.cin, c.cout)
				outs := graph.MustExecOnceN(backend, func(x, k *graph.Node) []*graph.Node {
					var res []*graph.Node
					for _, conv := range []func(x, k *graph.Node, stride, pad int) *graph.Node{NativeConv, Im2colConv, MixedConv} {
						y := conv(x, k, c.str, c.pad)
						// Gradients with respect to input and kernel of a weighted sum.
						g := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, graph.Sin(y))), x, k)
						res = append(res, y, g[0], g[1])
					}
					return res
				}, x, k)
				for impl, name := range []string{"im2col", "mixed"} {
					got := outs[3*(impl+1):]
					if !outs[0].Shape().Equal(got[0].Shape()) {
						t.Fatalf("shapes differ: native %s, %s %s", outs[0].Shape(), name, got[0].Shape())
					}
					for i, what := range []string{"output", "grad x", "grad kernel"} {
						if d := maxAbsDiff(t, flat(t, outs[i]), flat(t, got[i])); d > 1e-4*float64(c.k*c.k*c.cin) {
							t.Errorf("%s: max |native-%s| = %g", what, name, d)
						}
					}
				}
			})
		}
	}
}

func TestSeparableMatchesNativeMaxPool(t *testing.T) {
	cases := []struct {
		name             string
		h, win, str, pad int
	}{
		{"3x3s2p1", 24, 3, 2, 1},
		{"2x2s2", 12, 2, 2, 0},
		{"3x3s2odd", 13, 3, 2, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The native max-pool's gradient needs SelectAndScatter: XLA only.
			backend := testBackend(t, "xla:cpu")
			x := randTensor(3, 2, c.h, c.h, 3)
			outs := graph.MustExecOnceN(backend, func(x *graph.Node) []*graph.Node {
				a := NativeMaxPool(x, c.win, c.str, c.pad)
				b := SeparableMaxPool(x, c.win, c.str, c.pad)
				ga := graph.Gradient(graph.ReduceAllSum(graph.Mul(a, graph.Cos(a))), x)[0]
				gb := graph.Gradient(graph.ReduceAllSum(graph.Mul(b, graph.Cos(b))), x)[0]
				return []*graph.Node{a, b, ga, gb}
			}, x)
			if !outs[0].Shape().Equal(outs[1].Shape()) {
				t.Fatalf("shapes differ: native %s, separable %s", outs[0].Shape(), outs[1].Shape())
			}
			if d := maxAbsDiff(t, flat(t, outs[0]), flat(t, outs[1])); d != 0 {
				t.Errorf("forward: max diff %g", d)
			}
			if d := maxAbsDiff(t, flat(t, outs[2]), flat(t, outs[3])); d > 1e-6 {
				t.Errorf("gradient: max diff %g", d)
			}
		})
	}
}

// TestBatchNormByHand checks training and inference batch norm against a
// direct computation, and the gradient against the closed-form batch-norm
// gradient (which includes the terms through the batch mean and variance).
func TestBatchNormByHand(t *testing.T) {
	const n, c = 6, 3
	x := randTensor(4, n, c)
	xv := flat(t, x)
	gamma := []float32{1.5, -0.5, 2}
	beta := []float32{0.1, 0.2, -0.3}
	rm := []float32{0.5, -1, 0}
	rv := []float32{2, 0.5, 1}
	dy := flat(t, randTensor(5, n, c))
	impls := []struct {
		name BatchNormImpl
		fn   func(x, gamma, beta, rm, rv *graph.Node, training bool) (*graph.Node, *graph.Node, *graph.Node)
	}{{BNGraph, BatchNorm}, {BNFused, FusedBatchNorm}}
	for _, bn := range backendNames {
		for _, impl := range impls {
			backend := testBackend(t, bn)
			if impl.name == BNFused && !(Config{BatchNorm: BNFused}).useFusedBN(graph.NewGraph(backend, "probe")) {
				// The pure-Go backend has no batch-norm ops: BNFused builds
				// BNGraph there (checked in TestFusedBatchNormFallback).
				continue
			}
			t.Run(bn+"/"+string(impl.name), func(t *testing.T) {
				outs := graph.MustExecOnceN(backend, func(x, gm, bt, rm, rv, dy *graph.Node) []*graph.Node {
					y, _, _ := impl.fn(x, gm, bt, rm, rv, true)
					yi, _, _ := impl.fn(x, gm, bt, rm, rv, false)
					gx := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, dy)), x)[0]
					return []*graph.Node{y, yi, gx}
				}, tensors.FromFlatDataAndDimensions(xv, n, c), gamma, beta, rm, rv, tensors.FromFlatDataAndDimensions(dy, n, c))
				y, yi, gx := flat(t, outs[0]), flat(t, outs[1]), flat(t, outs[2])
				for j := 0; j < c; j++ {
					var mean, v float64
					for i := 0; i < n; i++ {
						mean += float64(xv[i*c+j])
					}
					mean /= n
					for i := 0; i < n; i++ {
						d := float64(xv[i*c+j]) - mean
						v += d * d
					}
					v /= n
					sd := math.Sqrt(v + BNEpsilon)
					var sdy, sdyx float64
					for i := 0; i < n; i++ {
						xh := (float64(xv[i*c+j]) - mean) / sd
						sdy += float64(dy[i*c+j])
						sdyx += float64(dy[i*c+j]) * xh
					}
					for i := 0; i < n; i++ {
						k := i*c + j
						xh := (float64(xv[k]) - mean) / sd
						want := float64(gamma[j])*xh + float64(beta[j])
						if math.Abs(float64(y[k])-want) > 1e-5 {
							t.Errorf("train y[%d,%d] = %g, want %g", i, j, y[k], want)
						}
						wantI := float64(gamma[j])*(float64(xv[k])-float64(rm[j]))/math.Sqrt(float64(rv[j])+BNEpsilon) + float64(beta[j])
						if math.Abs(float64(yi[k])-wantI) > 1e-5 {
							t.Errorf("inference y[%d,%d] = %g, want %g", i, j, yi[k], wantI)
						}
						wantG := float64(gamma[j]) / sd / n * (n*float64(dy[k]) - sdy - xh*sdyx)
						if math.Abs(float64(gx[k])-wantG) > 1e-4 {
							t.Errorf("grad x[%d,%d] = %g, want %g", i, j, gx[k], wantG)
						}
					}
				}
			})
		}
	}
}

// TestFusedBatchNormMatchesGraph compares the two batch-norm implementations
// on an NHWC activation: outputs, batch statistics, and the gradients with
// respect to the input, gamma and beta, in training and inference.
func TestFusedBatchNormMatchesGraph(t *testing.T) {
	backend := testBackend(t, "xla:cpu")
	if !(Config{BatchNorm: BNFused}).useFusedBN(graph.NewGraph(backend, "probe")) {
		t.Fatal("XLA CPU should have the batch-norm ops")
	}
	const c = 5
	x := randTensor(7, 8, 6, 6, c)
	gamma, beta := randTensor(8, c), randTensor(9, c)
	rm := []float32{0.1, -0.2, 0.3, 0, 0.5}
	rv := []float32{1, 2, 0.5, 1.5, 0.8}
	outs := graph.MustExecOnceN(backend, func(x, gm, bt, rm, rv *graph.Node) []*graph.Node {
		var res []*graph.Node
		for _, fn := range []func(x, gamma, beta, rm, rv *graph.Node, training bool) (*graph.Node, *graph.Node, *graph.Node){BatchNorm, FusedBatchNorm} {
			y, mean, v := fn(x, gm, bt, rm, rv, true)
			yi, _, _ := fn(x, gm, bt, rm, rv, false)
			loss := graph.ReduceAllSum(graph.Mul(y, graph.Sin(y)))
			g := graph.Gradient(loss, x, gm, bt)
			// Grad-CAM differentiates inference graphs.
			gi := graph.Gradient(graph.ReduceAllSum(graph.Mul(yi, graph.Sin(yi))), x)[0]
			res = append(res, y, mean, v, yi, g[0], g[1], g[2], gi)
		}
		return res
	}, x, gamma, beta, rm, rv)
	for i, what := range []string{"train output", "batch mean", "batch variance", "inference output", "grad x", "grad gamma", "grad beta", "inference grad x"} {
		ref := flat(t, outs[i])
		scale := 1.0
		for _, v := range ref {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		if d := maxAbsDiff(t, ref, flat(t, outs[8+i])); d > 1e-5*scale*float64(len(ref)/c) {
			t.Errorf("%s: max |graph-fused| = %g (largest value %g)", what, d, scale)
		}
	}
}

// TestFusedBatchNormFallback checks that BNFused (and BNAuto, the default)
// use the backend's ops on XLA CPU only: the pure-Go backend lacks them and
// gets BNGraph.
func TestFusedBatchNormFallback(t *testing.T) {
	for _, c := range []struct {
		backend string
		bn      BatchNormImpl
		want    bool
	}{
		{"xla:cpu", BNFused, true}, {"xla:cpu", BNGraph, false}, {"xla:cpu", BNAuto, true}, {"xla:cpu", "", true},
		{"go", BNFused, false}, {"go", BNGraph, false}, {"go", BNAuto, false},
	} {
		g := graph.NewGraph(testBackend(t, c.backend), "probe")
		if got := (Config{BatchNorm: c.bn}).useFusedBN(g); got != c.want {
			t.Errorf("%s, BatchNorm %q: useFusedBN = %v, want %v", c.backend, c.bn, got, c.want)
		}
	}
	if err := (Config{Arch: ArchResNet18, BatchNorm: "welford"}).Validate(); err == nil {
		t.Error("Validate accepted an unknown batch-norm implementation")
	}
}

// TestRunningStats checks the running mean/variance update (momentum 0.1,
// unbiased variance) of a training graph.
func TestRunningStats(t *testing.T) {
	for _, c := range []struct {
		backend string
		fused   bool
	}{{"go", false}, {"xla:cpu", true}} {
		t.Run(fmt.Sprintf("%s/fused=%v", c.backend, c.fused), func(t *testing.T) {
			backend := testBackend(t, c.backend)
			store := model.NewStore()
			cfg := Config{Arch: ArchResNet18, Conv: ConvIm2col}
			b := &builder{cfg: cfg, training: true, convImpl: ConvIm2col, im2col: true, fusedBN: c.fused}
			x := randTensor(6, 2, 3, 3, 4)
			xv := flat(t, x)
			e := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
				return b.batchNorm(s.At("bn"), x)
			})
			e.MustCall(x)
			rm := flat(t, store.GetVariable("/bn/running_mean").MustValue())
			rv := flat(t, store.GetVariable("/bn/running_var").MustValue())
			const n = 18
			for j := 0; j < 4; j++ {
				var mean, v float64
				for i := 0; i < n; i++ {
					mean += float64(xv[i*4+j])
				}
				mean /= n
				for i := 0; i < n; i++ {
					d := float64(xv[i*4+j]) - mean
					v += d * d
				}
				v /= n - 1
				if math.Abs(float64(rm[j])-0.1*mean) > 1e-6 {
					t.Errorf("running_mean[%d] = %g, want %g", j, rm[j], 0.1*mean)
				}
				if math.Abs(float64(rv[j])-(0.9+0.1*v)) > 1e-5 {
					t.Errorf("running_var[%d] = %g, want %g", j, rv[j], 0.9+0.1*v)
				}
			}
			if v := store.GetVariable("/bn/running_mean"); v.Trainable {
				t.Error("running_mean is trainable")
			}
		})
	}
}

// TestShapesAndBackendParity builds each architecture on both backends from
// the same seed and checks output shapes, parameter counts, and that the
// im2col path on "go" gives the same logits as the native path on XLA.
func TestShapesAndBackendParity(t *testing.T) {
	cases := []struct {
		cfg     Config
		fmapHW  int
		batchSz int
	}{
		{Config{Arch: ArchResNet18, Seed: 7}, 2, 3},
		{Config{Arch: ArchResNet18, SmallStem: true, Seed: 7}, 6, 1},
		{Config{Arch: ArchBaseline, Seed: 7}, 6, 3},
	}
	for _, c := range cases {
		name := string(c.cfg.Arch)
		if c.cfg.SmallStem {
			name += "-smallstem"
		}
		t.Run(name, func(t *testing.T) {
			var logits [][]float32
			for _, bn := range backendNames {
				x := randTensor(8, c.batchSz, 48, 48, 1)
				backend := testBackend(t, bn)
				store := model.NewStore()
				e := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) []*graph.Node {
					fm := c.cfg.FeatureMap(s, x, false)
					f := c.cfg.Pool(s, fm, false)
					return []*graph.Node{fm, f, c.cfg.Head(s, f, false)}
				})
				outs := e.MustCall(x)
				fm, f, l := outs[0], outs[1], outs[2]
				wantFM := []int{c.batchSz, c.fmapHW, c.fmapHW, c.cfg.FeatureMapChannels()}
				if got := fm.Shape().Dimensions; !equalInts(got, wantFM) {
					t.Errorf("%s: feature map %v, want %v", bn, got, wantFM)
				}
				if got := f.Shape().Dimensions; !equalInts(got, []int{c.batchSz, c.cfg.FeatureDim()}) {
					t.Errorf("%s: features %v, want [%d %d]", bn, got, c.batchSz, c.cfg.FeatureDim())
				}
				if got := l.Shape().Dimensions; !equalInts(got, []int{c.batchSz, NumClasses}) {
					t.Errorf("%s: logits %v, want [%d %d]", bn, got, c.batchSz, NumClasses)
				}
				logits = append(logits, flat(t, l))
				if c.cfg.Arch == ArchResNet18 && !c.cfg.SmallStem {
					if got := TrainableParams(store); got != ResNet18Params {
						t.Errorf("%s: %d trainable parameters, want %d", bn, got, ResNet18Params)
					}
				}
			}
			if len(logits) == 2 {
				if d := maxAbsDiff(t, logits[0], logits[1]); d > 1e-3 {
					t.Errorf("go (im2col) and xla:cpu (auto: mixed) logits differ by %g", d)
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAutoConv: the pure-Go backend takes im2col, XLA CPU the mixed
// convolution (im2col except where its own convolution is faster, see
// BENCHMARKS.md); only XLA CUDA keeps the native ops everywhere.
func TestAutoConv(t *testing.T) {
	if PrefersIm2col(nil) || AutoConv(nil) != ConvNative {
		t.Error("nil backend: want native")
	}
	for name, want := range map[string]ConvImpl{"go": ConvIm2col, "xla:cpu": ConvMixed} {
		b := testBackend(t, name)
		if got := AutoConv(b); got != want {
			t.Errorf("%s: ConvAuto is %s, want %s", name, got, want)
		}
		if !PrefersIm2col(b) {
			t.Errorf("%s: ConvAuto would use the native convolution everywhere", name)
		}
		if got := (Config{Conv: ConvNative}).ConvFor(b); got != ConvNative {
			t.Errorf("%s: an explicit native convolution became %s", name, got)
		}
	}
}

// TestMixedPrefersNative: the native branch is taken for exactly the
// ResNet18 shapes where XLA CPU's convolution was measured faster.
func TestMixedPrefersNative(t *testing.T) {
	for _, c := range []struct {
		name                         string
		k, stride, pad, h, cin, cout int
		want                         bool
	}{
		{"layer1 3x3/1 12x12x64", 3, 1, 1, 12, 64, 64, true},
		{"layer2 3x3/1 6x6x128", 3, 1, 1, 6, 128, 128, true},
		{"stem 7x7/2", 7, 2, 3, 48, 1, 64, false},
		{"layer2 3x3/2 12x12x64", 3, 2, 1, 12, 64, 128, false},
		{"downsample 1x1/2", 1, 2, 0, 12, 64, 128, false},
		{"layer3 3x3/1 3x3x256", 3, 1, 1, 3, 256, 256, false},
		{"layer4 3x3/1 2x2x512", 3, 1, 1, 2, 512, 512, false},
		{"small stem 3x3/1 48x48x1", 3, 1, 1, 48, 1, 64, false},
		{"small stem layer1 48x48x64", 3, 1, 1, 48, 64, 64, false},
		{"small stem layer2 24x24x128", 3, 1, 1, 24, 128, 128, false},
		{"no padding", 3, 1, 0, 12, 64, 64, false},
	} {
		if got := MixedPrefersNative(c.k, c.k, c.stride, c.pad, c.h, c.h, c.cin, c.cout); got != c.want {
			t.Errorf("%s: MixedPrefersNative = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestConvByHand checks both convolutions against a hand-computed
// cross-correlation: a kernel with one tap at (row 0, column 1) of a 3x3
// window with padding 1 reads the pixel one row up, per image and channel,
// and a tap on input channel 1 moves it to the output channel given.
func TestConvByHand(t *testing.T) {
	const b, h, w = 2, 5, 6
	xs := make([]float32, b*h*w*2)
	for i := range xs {
		xs[i] = float32(i + 1)
	}
	k := make([]float32, 3*3*2*3) // [ky, kx, in, out]
	// out channel 2 = in channel 1 at (ky 0, kx 1)
	k[((0*3+1)*2+1)*3+2] = 1
	at := func(n, y, x, c int) float32 {
		if y < 0 || y >= h || x < 0 || x >= w {
			return 0
		}
		return xs[((n*h+y)*w+x)*2+c]
	}
	for _, bn := range backendNames {
		backend := testBackend(t, bn)
		for _, conv := range []struct {
			name string
			fn   func(x, k *graph.Node, stride, pad int) *graph.Node
		}{{"native", NativeConv}, {"im2col", Im2colConv}} {
			if conv.name == "native" && bn == "go" {
				continue // slow but correct there; im2col is what go runs
			}
			out := graph.MustExecOnce(backend, func(x, k *graph.Node) *graph.Node { return conv.fn(x, k, 1, 1) },
				tensors.FromFlatDataAndDimensions(xs, b, h, w, 2), tensors.FromFlatDataAndDimensions(k, 3, 3, 2, 3))
			got := flat(t, out)
			for n := range b {
				for y := range h {
					for x := range w {
						for c := range 3 {
							want := float32(0)
							if c == 2 {
								want = at(n, y-1, x, 1)
							}
							if g := got[((n*h+y)*w+x)*3+c]; g != want {
								t.Fatalf("%s/%s: out[%d,%d,%d,%d] = %g, want %g", bn, conv.name, n, y, x, c, g, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestInit: each initialisation draws convolution kernels with the standard
// deviation it documents (torchvision: sqrt(2/fan_out); PyTorch's default:
// uniform ±1/sqrt(fan_in), std 1/sqrt(3·fan_in)), and only PyTorch's draws
// biases; an unknown name is refused.
func TestInit(t *testing.T) {
	for _, init := range []Init{"", InitTorchvision, InitPyTorch} {
		t.Run("init="+string(init), func(t *testing.T) {
			cfg := Config{Arch: ArchResNet18, Seed: 3, Init: init}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			store := model.NewStore()
			e := model.MustNewExec(testBackend(t, "go"), store, func(s *model.Scope, x *graph.Node) *graph.Node {
				return cfg.Logits(s, x, false)
			})
			e.MustCall(randTensor(1, 1, 48, 48, 1))
			kernels, fcBias := 0, 0.0
			for v := range store.IterVariables() {
				d := v.Shape().Dimensions
				vals := flat(t, v.MustValue())
				if len(d) == 1 && v.Trainable && len(vals) == NumClasses {
					for _, x := range vals {
						fcBias = math.Max(fcBias, math.Abs(float64(x)))
					}
				}
				if len(d) != 4 || len(vals) < 4096 {
					continue
				}
				kernels++
				var ss float64
				for _, x := range vals {
					ss += float64(x) * float64(x)
				}
				std := math.Sqrt(ss / float64(len(vals)))
				want := math.Sqrt(2 / float64(d[0]*d[1]*d[3]))
				if init == InitPyTorch {
					want = 1 / math.Sqrt(3*float64(d[0]*d[1]*d[2]))
				}
				if math.Abs(std/want-1) > 0.1 {
					t.Errorf("%s %v: std %.4g, want %.4g", v.Path(), d, std, want)
				}
			}
			if kernels < 15 {
				t.Fatalf("checked %d kernels, want all of ResNet18's", kernels)
			}
			if gotBias := fcBias > 0; gotBias != (init == InitPyTorch) {
				t.Errorf("classifier bias max |b| = %g with init %q", fcBias, init)
			}
		})
	}
	if err := (Config{Arch: ArchResNet18, Init: "xavier"}).Validate(); err == nil {
		t.Error("init \"xavier\" accepted")
	}
}
