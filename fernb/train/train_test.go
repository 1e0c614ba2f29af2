package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/checkpoint"
	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/xla/xlatest"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// testBackend returns the shared backend called name (see xlatest).
func testBackend(t testing.TB, name string) compute.Backend { return xlatest.Backend(t, name) }

func TestLRSchedules(t *testing.T) {
	cos := Config{LR: 0.1, Epochs: 4, Schedule: SchedCosine, EtaMin: 1e-5}
	step := Config{LR: 0.1, Epochs: 10, Schedule: SchedStep, StepSize: 3, Gamma: 0.1}
	warm := Config{LR: 0.1, Epochs: 6, Schedule: SchedCosine, WarmupEpochs: 2}
	cases := []struct {
		name  string
		cfg   Config
		epoch int
		want  float64
	}{
		{"cos0", cos, 0, 0.1},
		// eta_min + (lr - eta_min)(1 + cos(pi/4))/2
		{"cos1", cos, 1, 1e-5 + (0.1-1e-5)*(1+math.Sqrt2/2)/2},
		{"cos2", cos, 2, 0.050005},
		{"cos3", cos, 3, 1e-5 + (0.1-1e-5)*(1-math.Sqrt2/2)/2},
		{"cos4", cos, 4, 1e-5},
		{"step0", step, 2, 0.1},
		{"step1", step, 3, 0.01},
		{"step2", step, 7, 0.001},
		{"warm0", warm, 0, 0.05},
		{"warm1", warm, 1, 0.1},
		{"warmcos", warm, 4, 0.05}, // T_max = 4 epochs after warm-up, 2 in
		{"const", Config{LR: 0.3, Schedule: SchedConstant}, 9, 0.3},
	}
	for _, c := range cases {
		if got := c.cfg.LRAt(c.epoch); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: LRAt(%d) = %.15g, want %.15g", c.name, c.epoch, got, c.want)
		}
	}
	// Per step: the warm-up ramps linearly over 2 epochs of 4 steps; after
	// it, and without warm-up, every step of an epoch has LRAt(epoch).
	steps := []struct {
		name              string
		cfg               Config
		epoch, step, want float64
	}{
		{"warm first", warm, 0, 0, 0.1 / 8},
		{"warm mid", warm, 0, 2, 0.1 * 3 / 8},
		{"warm end of epoch 0", warm, 0, 3, 0.05},
		{"warm epoch 1", warm, 1, 0, 0.1 * 5 / 8},
		{"warm last", warm, 1, 3, 0.1},
		{"after warm", warm, 4, 1, 0.05},
		{"cos", cos, 1, 2, 1e-5 + (0.1-1e-5)*(1+math.Sqrt2/2)/2},
	}
	for _, c := range steps {
		if got := c.cfg.LRAtStep(int(c.epoch), int(c.step), 4); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: LRAtStep(%v, %v, 4) = %.15g, want %.15g", c.name, c.epoch, c.step, got, c.want)
		}
	}
}

// TestOptimizers runs two steps of each optimizer on loss = Σ p²/2
// (gradient p) from p = [1, -2] and compares with values computed by hand
// from torch.optim's update rules.
func TestOptimizers(t *testing.T) {
	// Adam reference for one coordinate (torch.optim.Adam/AdamW, two steps).
	adam := func(p0, lr, wd float64, decoupled bool) []float64 {
		p, m, v := p0, 0.0, 0.0
		var out []float64
		for step := 1; step <= 2; step++ {
			g := p
			if decoupled {
				p *= 1 - lr*wd
			} else {
				g += wd * p
			}
			m = 0.9*m + 0.1*g
			v = 0.999*v + 0.001*g*g
			bc1, bc2 := 1-math.Pow(0.9, float64(step)), 1-math.Pow(0.999, float64(step))
			p -= lr / bc1 * m / (math.Sqrt(v)/math.Sqrt(bc2) + 1e-8)
			out = append(out, p)
		}
		return out
	}
	cases := []struct {
		name string
		cfg  Config
		want [2][2]float64 // [step][coordinate]
	}{
		// p1 = 1 - 0.5*(1+0.1) = 0.45; g2 = 0.495, buf = 0.9*1.1+0.495 = 1.485, p2 = 0.45-0.7425
		{"momentum", Config{Optimizer: OptMomentum, Momentum: 0.9, WeightDecay: 0.1}, [2][2]float64{{0.45, -0.9}, {-0.2925, 0.585}}},
		// d1 = 1.1 + 0.9*1.1 = 2.09 -> p1 = -0.045; g2 = -0.0495, buf = 0.9405, d2 = 0.79695, p2 = -0.443475
		{"nesterov", Config{Optimizer: OptNesterov, Momentum: 0.9, WeightDecay: 0.1}, [2][2]float64{{-0.045, 0.09}, {-0.443475, 0.88695}}},
		// Plain SGD: p -= 0.5*p -> 0.5, 0.25.
		{"sgd", Config{Optimizer: OptSGD}, [2][2]float64{{0.5, -1}, {0.25, -0.5}}},
		{"adam", Config{Optimizer: OptAdam, WeightDecay: 0.1}, [2][2]float64{}},
		{"adamw", Config{Optimizer: OptAdamW, WeightDecay: 0.1}, [2][2]float64{}},
	}
	for _, c := range cases {
		lr := 0.5
		if strings.HasPrefix(c.name, "adam") {
			lr = 0.1
			a, b := adam(1, lr, 0.1, c.name == "adamw"), adam(-2, lr, 0.1, c.name == "adamw")
			c.want = [2][2]float64{{a[0], b[0]}, {a[1], b[1]}}
		}
		for _, bn := range []string{"go", "xla:cpu"} {
			t.Run(c.name+"/"+bn, func(t *testing.T) {
				backend := testBackend(t, bn)
				store := model.NewStore()
				if _, err := store.CreateVariable("/"+ModelScope+"/p", tensors.FromValue([]float32{1, -2})); err != nil {
					t.Fatal(err)
				}
				e := model.MustNewExec(backend, store, func(s *model.Scope, lrN *graph.Node) *graph.Node {
					v := store.GetVariable("/" + ModelScope + "/p")
					p := v.NodeValue(lrN.Graph())
					loss := graph.MulScalar(graph.ReduceAllSum(graph.Square(p)), 0.5)
					applyOptimizer(s, c.cfg, []*model.Variable{v}, graph.Gradient(loss, p), lrN)
					return loss
				})
				for step := 0; step < 2; step++ {
					e.MustCall(float32(lr))
					got := tensors.MustCopyFlatData[float32](store.GetVariable("/" + ModelScope + "/p").MustValue())
					for i := range got {
						if math.Abs(float64(got[i])-c.want[step][i]) > 1e-5 {
							t.Errorf("step %d p[%d] = %.7g, want %.7g", step+1, i, got[i], c.want[step][i])
						}
					}
				}
			})
		}
	}
}

func TestLoss(t *testing.T) {
	backend := testBackend(t, "go")
	logits := [][]float32{{2, 0, -1}, {0.5, 0.5, 3}}
	labels := []int32{0, 2}
	weights := []float32{1, 2, 3}
	const eps = 0.1
	// By hand: smoothed one-hot t, loss = Σ w_c t_c nll_c / Σ w_c t_c.
	var num, den float64
	for i, row := range logits {
		lse := 0.0
		for _, v := range row {
			lse += math.Exp(float64(v))
		}
		lse = math.Log(lse)
		for c, v := range row {
			tc := eps / 3
			if int32(c) == labels[i] {
				tc += 1 - eps
			}
			num += float64(weights[c]) * tc * (lse - float64(v))
			den += float64(weights[c]) * tc
		}
	}
	want := num / den
	onehot := [][]float32{{1, 0, 0}, {0, 0, 1}}
	got := graph.MustExecOnce(backend, func(l, tg, w *graph.Node) *graph.Node { return Loss(l, tg, w, eps) }, logits, onehot, weights)
	if g := float64(got.Value().(float32)); math.Abs(g-want) > 1e-6 {
		t.Errorf("graph Loss = %g, want %g", g, want)
	}
	hn, hd := hostLoss([]float32{2, 0, -1, 0.5, 0.5, 3}, labels, weights, eps)
	if math.Abs(hn/hd-want) > 1e-9 {
		t.Errorf("hostLoss = %g, want %g", hn/hd, want)
	}
	// Without smoothing and weights: plain mean cross-entropy.
	plain := graph.MustExecOnce(backend, func(l, tg, w *graph.Node) *graph.Node { return Loss(l, tg, w, 0) }, logits, onehot, []float32{1, 1, 1})
	ce := (math.Log(math.Exp(2)+1+math.Exp(-1)) - 2 + math.Log(2*math.Exp(0.5)+math.Exp(3)) - 3) / 2
	if g := float64(plain.Value().(float32)); math.Abs(g-ce) > 1e-6 {
		t.Errorf("plain Loss = %g, want %g", g, ce)
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"model", func(c *Config) { c.Model = "vgg" }, "unknown architecture"},
		{"epochs", func(c *Config) { c.Epochs = 0 }, "epochs must be"},
		{"batch", func(c *Config) { c.BatchSize = 0 }, "batch size"},
		{"lr", func(c *Config) { c.LR = -1 }, "learning rate"},
		{"opt", func(c *Config) { c.Optimizer = "rmsprop" }, "unknown optimizer"},
		{"momentum", func(c *Config) { c.Momentum = 1.5 }, "momentum in (0, 1)"},
		{"momentumUnused", func(c *Config) { c.Optimizer = OptAdam }, "does not use it"},
		{"sched", func(c *Config) { c.Schedule = "poly" }, "unknown schedule"},
		{"step", func(c *Config) { c.Schedule = SchedStep }, "step_size"},
		{"etamin", func(c *Config) { c.EtaMin = 1 }, "eta_min"},
		{"smooth", func(c *Config) { c.LabelSmoothing = 1 }, "label smoothing"},
		{"weights", func(c *Config) { c.ClassWeights = "focal" }, "class weighting"},
		{"dropout", func(c *Config) { c.Dropout = 1 }, "dropout"},
		{"warmup", func(c *Config) { c.WarmupEpochs = 30 }, "warmup"},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		c.mutate(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestAtomicWrite checks that a failure in the middle of writing leaves the
// previous file intact and no temporary file, and that damaged checkpoints
// are refused.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	if err := writeJSON(path, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	injected := errors.New("injected failure")
	err := writeAtomic(path, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 3<<20)) // beyond the buffer: reaches the temp file
		return injected
	})
	if !errors.Is(err, injected) {
		t.Fatalf("writeAtomic error = %v, want the injected one", err)
	}
	var m map[string]int
	if err := readJSON(path, &m); err != nil || m["a"] != 1 {
		t.Fatalf("after a failed write: %v, %v; want the old content", m, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	// A checkpoint, then damaged copies of it.
	store := model.NewStore()
	store.CreateVariable("/model/w", tensors.FromValue([][]float32{{1, 2}, {3, 4}}))
	store.CreateVariable("/optimizer/s", tensors.FromValue([]float32{5}))
	ck := filepath.Join(dir, CheckpointLast)
	if err := saveCheckpoint(ck, store, State{EpochsDone: 3, History: make([]Epoch, 3)}, false); err != nil {
		t.Fatal(err)
	}
	st, values, _, err := loadCheckpoint(ck)
	if err != nil || st.EpochsDone != 3 || len(values) != 2 {
		t.Fatalf("loadCheckpoint: %v, %d values, state %+v", err, len(values), st)
	}
	if got := tensors.MustCopyFlatData[float32](values["/model/w"]); got[3] != 4 {
		t.Errorf("restored w = %v", got)
	}
	good, _ := os.ReadFile(ck)
	for name, bad := range map[string][]byte{
		"truncated": good[:len(good)-10],
		"flipped":   append(append([]byte{}, good[:len(good)/2]...), append([]byte{good[len(good)/2] ^ 1}, good[len(good)/2+1:]...)...),
		"empty":     {},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, bad, 0o644)
		if _, _, _, err := loadCheckpoint(p); !errors.Is(err, checkpoint.ErrCorrupt) {
			t.Errorf("%s checkpoint: error %v, want checkpoint.ErrCorrupt", name, err)
		}
	}
	// A failure while writing a checkpoint (disk full after 40 bytes) keeps
	// the old one loadable.
	testWrapWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, left: 40} }
	defer func() { testWrapWriter = nil }()
	if err := saveCheckpoint(ck, store, State{EpochsDone: 4, History: make([]Epoch, 4)}, false); !errors.Is(err, errDiskFull) {
		t.Fatalf("saving with a failing disk: %v, want errDiskFull", err)
	}
	testWrapWriter = nil
	if st, _, _, err := loadCheckpoint(ck); err != nil || st.EpochsDone != 3 {
		t.Errorf("after a failed save: %v, state %+v; want the old checkpoint", err, st)
	}
}

var errDiskFull = errors.New("disk full (injected)")

// failingWriter writes up to left bytes, then fails.
type failingWriter struct {
	w    io.Writer
	left int
}

func (f *failingWriter) Write(b []byte) (int, error) {
	if len(b) > f.left {
		n, _ := f.w.Write(b[:f.left])
		f.left = 0
		return n, errDiskFull
	}
	f.left -= len(b)
	return f.w.Write(b)
}

func TestReadConfig(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, json, wantErr string
		wantLR              float64
		wantEpochs          int
	}{
		{"partial keeps defaults", `{"lr": 0.02}`, "", 0.02, DefaultConfig().Epochs},
		{"unknown field", `{"lr": 0.02, "learning_rate": 1}`, "unknown field", 0, 0},
		{"bad JSON", `{"lr": }`, "invalid character", 0, 0},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
		if err := os.WriteFile(p, []byte(c.json), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := ReadConfig(p)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: error %v, want one naming %s and containing %q", c.name, err, p, c.wantErr)
			}
			continue
		}
		if err != nil || cfg.LR != c.wantLR || cfg.Epochs != c.wantEpochs {
			t.Errorf("%s: %+v, %v", c.name, cfg, err)
		}
	}
}

// TestConfigModelImplementations checks that Config carries the model's
// convolution and batch-norm choices to models.Config, that unknown ones
// are refused, and that the defaults ("" = auto) leave config.json as it was.
func TestConfigModelImplementations(t *testing.T) {
	for _, c := range []struct {
		conv    models.ConvImpl
		bn      models.BatchNormImpl
		wantErr string
	}{
		{"", "", ""}, {models.ConvIm2col, models.BNFused, ""}, {models.ConvNative, models.BNGraph, ""},
		{"fft", "", "unknown convolution"}, {"", "cudnn", "unknown batch-norm"},
	} {
		cfg := DefaultConfig()
		cfg.Conv, cfg.BatchNorm = c.conv, c.bn
		if m := cfg.ModelConfig(); m.Conv != c.conv || m.BatchNorm != c.bn {
			t.Errorf("ModelConfig() has conv %q, batch norm %q; want %q, %q", m.Conv, m.BatchNorm, c.conv, c.bn)
		}
		err := cfg.Validate()
		if (c.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("conv %q, batch norm %q: Validate() = %v, want %q", c.conv, c.bn, err, c.wantErr)
		}
	}
	b, err := json.Marshal(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"conv"`) || strings.Contains(string(b), `"batch_norm"`) {
		t.Errorf("the default config's JSON names an implementation: %s", b)
	}
}
