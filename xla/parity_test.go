package xla

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// requireCPUPlugin returns the XLA CPU plugin's path. Under CI (CI=true) a
// missing plugin fails the test: CI must exercise XLA for real. Elsewhere it
// skips with the command that installs the plugin.
func requireCPUPlugin(t *testing.T) string {
	t.Helper()
	p, searched, rejected := FindPlugin("cpu")
	if p == "" {
		err := &PluginNotFoundError{Plugin: "cpu", Searched: searched, Rejected: rejected}
		if Required() {
			t.Fatalf("XLA CPU is required here: %v", err)
		}
		t.Skipf("XLA CPU plugin not installed (run %s): %v", SetupCommand, err)
	}
	return p
}

// smallStep is one training step of a small network: 3x3 convolution, batch
// norm (batch statistics, written from graph ops), ReLU, 2x2 max-pool (as a
// max over strided slices), dense layer, softmax cross-entropy, its gradient
// and one SGD step. It returns the loss and the updated parameters.
func smallStep(x, labels, kernel, gamma, beta, w, b *Node) []*Node {
	const lr = 0.1
	conv := Convolve(x, kernel).PadSame().Done() // [B,8,8,4]
	mean := ReduceAndKeep(conv, ReduceMean, 0, 1, 2)
	centered := Sub(conv, mean)
	variance := ReduceAndKeep(Square(centered), ReduceMean, 0, 1, 2)
	bn := Add(Mul(Div(centered, Sqrt(AddScalar(variance, 1e-5))), ExpandLeftToRank(gamma, 4)), ExpandLeftToRank(beta, 4))
	act := Max(bn, ZerosLike(bn))
	pool := Max(
		Max(Slice(act, AxisRange(), AxisRange().Stride(2), AxisRangeToEnd(0).Stride(2), AxisRange()),
			Slice(act, AxisRange(), AxisRangeToEnd(1).Stride(2), AxisRangeToEnd(0).Stride(2), AxisRange())),
		Max(Slice(act, AxisRange(), AxisRange().Stride(2), AxisRangeToEnd(1).Stride(2), AxisRange()),
			Slice(act, AxisRange(), AxisRangeToEnd(1).Stride(2), AxisRangeToEnd(1).Stride(2), AxisRange())))
	batch := pool.Shape().Dimensions[0]
	flat := Reshape(pool, batch, -1)
	logits := Add(MatMul(flat, w), ExpandLeftToRank(b, 2))
	onehot := OneHot(labels, 3, logits.DType())
	loss := ReduceAllMean(Neg(ReduceSum(Mul(onehot, LogSoftmax(logits, -1)), -1)))
	params := []*Node{kernel, gamma, beta, w, b}
	grads := Gradient(loss, params...)
	out := []*Node{loss}
	for i, p := range params {
		out = append(out, Sub(p, MulScalar(grads[i], lr)))
	}
	return out
}

func randomInputs(seed uint64) []any {
	r := rand.New(rand.NewPCG(seed, 1))
	f := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * scale)
		}
		return v
	}
	const B = 6
	labels := make([]int32, B)
	for i := range labels {
		labels[i] = int32(r.IntN(3))
	}
	gamma := f(4, 0.1)
	for i := range gamma {
		gamma[i] += 1
	}
	return []any{
		tensors.FromFlatDataAndDimensions(f(B*8*8*2, 1), B, 8, 8, 2),
		tensors.FromFlatDataAndDimensions(labels, B),
		tensors.FromFlatDataAndDimensions(f(3*3*2*4, 0.3), 3, 3, 2, 4),
		tensors.FromFlatDataAndDimensions(gamma, 4),
		tensors.FromFlatDataAndDimensions(f(4, 0.1), 4),
		tensors.FromFlatDataAndDimensions(f(4*4*4*3, 0.2), 4*4*4, 3),
		tensors.FromFlatDataAndDimensions(f(3, 0.1), 3),
	}
}

func runSmallStep(t *testing.T, request string) [][]float32 {
	t.Helper()
	backend, choice, err := New(request)
	if err != nil {
		t.Fatalf("New(%q): %v", request, err)
	}
	defer backend.Finalize()
	exec, err := NewExec(backend, func(in []*Node) []*Node {
		return smallStep(in[0], in[1], in[2], in[3], in[4], in[5], in[6])
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call(randomInputs(42)...)
	if err != nil {
		t.Fatalf("%s: %v", choice.Kind, err)
	}
	res := make([][]float32, len(outs))
	for i, o := range outs {
		res[i] = tensors.MustCopyFlatData[float32](o)
	}
	return res
}

// TestGoAndXLACPUAgree runs the same training step on the pure-Go backend and
// on XLA CPU and compares the loss and every updated parameter. Tolerance:
// 1e-4 relative to max(1, |value|) — float32 sums in different orders.
func TestGoAndXLACPUAgree(t *testing.T) {
	plugin := requireCPUPlugin(t)
	goRes := runSmallStep(t, "go")
	xlaRes := runSmallStep(t, "xla:"+plugin)
	names := []string{"loss", "kernel", "gamma", "beta", "w", "b"}
	const tol = 1e-4
	for i := range goRes {
		if len(goRes[i]) != len(xlaRes[i]) {
			t.Fatalf("%s: %d values on go, %d on xla", names[i], len(goRes[i]), len(xlaRes[i]))
		}
		maxDiff := 0.0
		for j := range goRes[i] {
			a, b := float64(goRes[i][j]), float64(xlaRes[i][j])
			if math.IsNaN(a) || math.IsNaN(b) {
				t.Fatalf("%s[%d]: NaN (go %v, xla %v)", names[i], j, a, b)
			}
			d := math.Abs(a-b) / math.Max(1, math.Abs(a))
			maxDiff = max(maxDiff, d)
		}
		if maxDiff > tol {
			t.Errorf("%s: go and xla:cpu differ by %.3g (> %g)", names[i], maxDiff, tol)
		}
		t.Logf("%-6s max relative difference %.2g", names[i], maxDiff)
	}
	if l := goRes[0][0]; !(l > 0.5 && l < 3) {
		t.Errorf("loss %v is not plausible for 3 classes", l)
	}
	// The step must actually change the parameters.
	in := randomInputs(42)
	k0 := tensors.MustCopyFlatData[float32](in[2].(*tensors.Tensor))
	moved := 0.0
	for j := range k0 {
		moved = max(moved, math.Abs(float64(k0[j]-goRes[1][j])))
	}
	if moved == 0 {
		t.Error("the SGD step did not change the convolution kernel")
	}
}
