package bench

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// ProfileOptions configures RunProfile. The zero value is not valid; start
// from DefaultProfileOptions.
type ProfileOptions struct {
	// Batch is the number of images per step and per convolution call.
	Batch int
	// Stem is the ResNet18 stem profiled (StemStandard or StemSmall).
	Stem string
	// Steps are the phases' timed and warm-up steps (Infer is not used).
	Steps Steps
	// ConvSteps are the timed calls per convolution shape and pass; ConvWarmup
	// the untimed ones after the first (compiling) call. ConvSteps 0 skips
	// the convolutions.
	ConvSteps, ConvWarmup int
	// Backends are the GoMLX backends profiled, as given to xla.New.
	Backends []string
	// Convs are the convolution implementations profiled (a phase row each per
	// batch norm, and a column in the convolution table), timed with
	// models.ConvFunc (models.ConvAuto resolved by models.AutoConv).
	Convs []models.ConvImpl
	// BatchNorms are the batch-norm implementations of the phase rows.
	BatchNorms []models.BatchNormImpl
	// Torch enables the PyTorch CPU peer (scripts/bench_torch.py --profile).
	Torch bool
	// TorchFormats are PyTorch's memory formats: "nchw" (its default) and/or
	// "channels_last" (NHWC, fernb's layout).
	TorchFormats []string
	// TorchArgs are extra arguments for scripts/bench_torch.py.
	TorchArgs []string
	// Threads is PyTorch's thread count (<= 0: runtime.NumCPU()).
	Threads int
	// GHz overrides the clock used for the peak (<= 0: /proc/cpuinfo).
	GHz float64
	// MeasureClock also measures the clock the cores really run at.
	MeasureClock bool
	// Seed fixes weights and inputs.
	Seed uint64
	// Progress receives progress lines (nil: none).
	Progress io.Writer
}

// DefaultProfileOptions is what "fer bench --profile" runs without other
// flags: ResNet18 with the standard stem at batch 128 on xla:cpu with the
// mixed and the im2col convolutions, batch norm from graph ops and fused, against PyTorch
// CPU in both memory formats.
func DefaultProfileOptions() ProfileOptions {
	return ProfileOptions{
		Batch:        128,
		Stem:         StemStandard,
		Steps:        Steps{Train: 10, Warmup: 2, Budget: 60},
		ConvSteps:    20,
		ConvWarmup:   3,
		Backends:     []string{xla.KindCPU},
		Convs:        []models.ConvImpl{models.ConvMixed, models.ConvIm2col},
		BatchNorms:   []models.BatchNormImpl{models.BNGraph, models.BNFused},
		Torch:        true,
		TorchFormats: []string{TorchNCHW, TorchChannelsLast},
		MeasureClock: true,
		Seed:         1,
	}
}

// PyTorch memory formats of a profile.
const (
	// TorchNCHW is PyTorch's default memory format.
	TorchNCHW = "nchw"
	// TorchChannelsLast is torch.channels_last (NHWC, as fernb).
	TorchChannelsLast = "channels_last"
)

// Phases holds the times of the three phases of one training step
// configuration: forward (training mode, loss included), forward + backward
// (all gradients, no update) and the full step (+ momentum-SGD update), each
// measured as a separate compiled graph (GoMLX) or call sequence (PyTorch).
type Phases struct {
	// Label names the configuration: a Measurement.Label for GoMLX
	// ("xla:cpu (im2col, bn fused)"), "pytorch-cpu (nchw)" for PyTorch.
	Label string `json:"label"`
	// Backend is the GoMLX backend or the PyTorch peer ("pytorch-cpu").
	Backend string `json:"backend"`
	// Conv and BatchNorm are the fernb/models implementations (GoMLX only).
	Conv      models.ConvImpl      `json:"conv,omitempty"`
	BatchNorm models.BatchNormImpl `json:"batch_norm,omitempty"`
	// Format is PyTorch's memory format (PyTorch only).
	Format string `json:"format,omitempty"`
	// ForwardSec, ForwardBackwardSec and StepSec are the timed calls.
	ForwardSec         []float64 `json:"forward_s"`
	ForwardBackwardSec []float64 `json:"forward_backward_s"`
	StepSec            []float64 `json:"step_s"`
	// ForwardFirstSec, ForwardBackwardFirstSec and StepFirstSec are the first
	// (compiling) calls (GoMLX only).
	ForwardFirstSec         float64 `json:"forward_first_s,omitempty"`
	ForwardBackwardFirstSec float64 `json:"forward_backward_first_s,omitempty"`
	StepFirstSec            float64 `json:"step_first_s,omitempty"`
	// ForwardMs, ForwardBackwardMs and StepMs are the medians of the timed
	// calls in milliseconds; BackwardMs = ForwardBackwardMs - ForwardMs and
	// UpdateMs = StepMs - ForwardBackwardMs are derived from them.
	ForwardMs         float64 `json:"forward_ms"`
	ForwardBackwardMs float64 `json:"forward_backward_ms"`
	StepMs            float64 `json:"step_ms"`
	BackwardMs        float64 `json:"backward_ms"`
	UpdateMs          float64 `json:"update_ms"`
	// StepImagesPerSec is the batch over the median step.
	StepImagesPerSec float64 `json:"step_images_per_s"`
	// Error says why the configuration could not be measured.
	Error string `json:"error,omitempty"`
}

// stemName is the stem of a ResNet18 configuration.
func stemName(cfg models.Config) string {
	if cfg.SmallStem {
		return StemSmall
	}
	return StemStandard
}

// fill computes the medians and the derived phases.
func (p *Phases) fill(batch int) {
	if len(p.ForwardSec) == 0 || len(p.ForwardBackwardSec) == 0 || len(p.StepSec) == 0 {
		return
	}
	p.ForwardMs = 1e3 * median(p.ForwardSec)
	p.ForwardBackwardMs = 1e3 * median(p.ForwardBackwardSec)
	p.StepMs = 1e3 * median(p.StepSec)
	p.BackwardMs = p.ForwardBackwardMs - p.ForwardMs
	p.UpdateMs = p.StepMs - p.ForwardBackwardMs
	p.StepImagesPerSec = float64(batch) / (p.StepMs / 1e3)
}

// IsTorch tells whether the phases are PyTorch's.
func (p Phases) IsTorch() bool { return IsTorch(p.Backend) }

// ConvShape is one distinct convolution of a network (same input, kernel,
// stride and padding) and how often it occurs.
type ConvShape struct {
	// Key names the shape, e.g. "3x3/2 12x12x64->6x6x128".
	Key string `json:"key"`
	// Layer holds the shape (its Name is the first layer's).
	Layer Layer `json:"layer"`
	// Count is the number of layers of the network with this shape.
	Count int `json:"count"`
	// Layers are their names.
	Layers []string `json:"layers"`
}

// ConvShapes groups the convolutions of layers (dense layers are left out)
// by shape, in the order they first occur.
func ConvShapes(layers []Layer) []ConvShape {
	var out []ConvShape
	index := map[string]int{}
	for _, l := range layers {
		if l.Dense {
			continue
		}
		key := fmt.Sprintf("%dx%d/%d %dx%dx%d->%dx%dx%d", l.Kernel, l.Kernel, l.Stride, l.InH, l.InW, l.InC, l.OutH, l.OutW, l.OutC)
		if l.Pad != (l.Kernel-1)/2 {
			key += fmt.Sprintf(" pad %d", l.Pad)
		}
		if i, ok := index[key]; ok {
			out[i].Count++
			out[i].Layers = append(out[i].Layers, l.Name)
			continue
		}
		index[key] = len(out)
		out = append(out, ConvShape{Key: key, Layer: l, Count: 1, Layers: []string{l.Name}})
	}
	return out
}

// ConvTiming is one implementation's times for one convolution shape.
type ConvTiming struct {
	// Impl names the implementation: "fernb im2col (xla:cpu)",
	// "pytorch-cpu (nchw)", ...
	Impl string `json:"impl"`
	// Backend is the GoMLX backend or the PyTorch peer ("pytorch-cpu").
	Backend string `json:"backend"`
	// Conv is the fernb/models implementation asked for (GoMLX only).
	Conv models.ConvImpl `json:"conv,omitempty"`
	// Format is PyTorch's memory format (PyTorch only).
	Format string `json:"format,omitempty"`
	// ForwardSec and ForwardBackwardSec are the timed calls: the convolution
	// alone, and the convolution with the gradients of sum(y * dy) with
	// respect to its input and kernel for a fixed random dy.
	ForwardSec         []float64 `json:"forward_s"`
	ForwardBackwardSec []float64 `json:"forward_backward_s"`
	// ForwardMs and ForwardBackwardMs are their medians in milliseconds.
	ForwardMs         float64 `json:"forward_ms"`
	ForwardBackwardMs float64 `json:"forward_backward_ms"`
	// ForwardGFLOPs and ForwardBackwardGFLOPs are the achieved GFLOP/s:
	// 2 x MACs x batch per forward, 3x that with both gradients.
	ForwardGFLOPs         float64 `json:"forward_gflops"`
	ForwardBackwardGFLOPs float64 `json:"forward_backward_gflops"`
	// Error says why it could not be measured.
	Error string `json:"error,omitempty"`
}

// fill computes the medians and GFLOP/s for one call of l at batch.
func (t *ConvTiming) fill(l Layer, batch int) {
	flops := 2 * float64(l.MACs()) * float64(batch)
	if len(t.ForwardSec) > 0 {
		t.ForwardMs = 1e3 * median(t.ForwardSec)
		t.ForwardGFLOPs = flops / t.ForwardMs / 1e6
	}
	if len(t.ForwardBackwardSec) > 0 {
		t.ForwardBackwardMs = 1e3 * median(t.ForwardBackwardSec)
		t.ForwardBackwardGFLOPs = 3 * flops / t.ForwardBackwardMs / 1e6
	}
}

// ConvProfile is one convolution shape with every implementation's times.
type ConvProfile struct {
	ConvShape
	// Timings holds one entry per implementation: fernb's first, then
	// PyTorch's per memory format.
	Timings []ConvTiming `json:"timings"`
}

// Profile is what RunProfile measured.
type Profile struct {
	// Started is when the run began (RFC 3339).
	Started string `json:"started"`
	// Seconds is the run's wall time.
	Seconds float64 `json:"seconds"`
	// GoVersion is runtime.Version().
	GoVersion string `json:"go_version"`
	// CPU is the machine, with its peak.
	CPU CPU `json:"cpu"`
	// PeakGFLOPs is CPU.PeakFLOPs()/1e9.
	PeakGFLOPs float64 `json:"peak_gflops"`
	// LoadBefore and LoadAfter are /proc/loadavg at the start and end.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
	// XLAFlags is $XLA_FLAGS during the run.
	XLAFlags string `json:"xla_flags,omitempty"`
	// Batch, Stem, Steps, ConvSteps and ConvWarmup are the options run.
	Batch      int    `json:"batch"`
	Stem       string `json:"stem"`
	Steps      Steps  `json:"steps"`
	ConvSteps  int    `json:"conv_steps"`
	ConvWarmup int    `json:"conv_warmup"`
	// Backends describes each GoMLX backend profiled.
	Backends []BackendInfo `json:"backends"`
	// Torch describes the PyTorch peer (nil when not run).
	Torch *TorchInfo `json:"torch,omitempty"`
	// TorchError says why the PyTorch peer failed (empty when it ran or was off).
	TorchError string `json:"torch_error,omitempty"`
	// Phases holds one entry per GoMLX (backend, conv, batch norm) and per
	// PyTorch memory format.
	Phases []Phases `json:"phases"`
	// Convs holds the network's distinct convolution shapes with their times.
	Convs []ConvProfile `json:"convs"`
	// Ratios compares each GoMLX configuration's phases with each PyTorch
	// format's.
	Ratios []PhaseRatio `json:"ratios"`
	// ConvTotals sums each convolution implementation over the network.
	ConvTotals []ConvTotal `json:"conv_totals"`
}

// RunProfile measures where a ResNet18 training step's time goes, on each
// GoMLX backend of opts and in PyTorch in the same run: the phases of the step
// (forward, forward + backward, full step; backward and update derived) and
// every distinct convolution shape of the network alone (forward, forward +
// backward). Failures of one backend or of the peer are recorded in the
// Profile; RunProfile fails only on invalid options or when nothing could be
// measured.
func RunProfile(opts ProfileOptions) (*Profile, error) {
	if opts.Batch < 1 {
		return nil, fmt.Errorf("bench: batch %d must be >= 1", opts.Batch)
	}
	if opts.Steps.Train < 1 || opts.Steps.Warmup < 0 || opts.ConvSteps < 0 || opts.ConvWarmup < 0 {
		return nil, fmt.Errorf("bench: profile steps %+v, conv steps %d, conv warm-up %d: need >= 1 timed steps and >= 0 others",
			opts.Steps, opts.ConvSteps, opts.ConvWarmup)
	}
	cfg0, err := StemConfig(opts.Stem, opts.Seed)
	if err != nil {
		return nil, err
	}
	for _, c := range opts.Convs {
		if err := (models.Config{Arch: models.ArchResNet18, Conv: c}).Validate(); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	for _, bn := range opts.BatchNorms {
		if err := (models.Config{Arch: models.ArchResNet18, BatchNorm: bn}).Validate(); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	for _, f := range opts.TorchFormats {
		if f != TorchNCHW && f != TorchChannelsLast {
			return nil, fmt.Errorf("bench: PyTorch memory format %q: want %q or %q", f, TorchNCHW, TorchChannelsLast)
		}
	}
	if len(opts.Backends) == 0 && !opts.Torch {
		return nil, fmt.Errorf("bench: no backend to profile and PyTorch off")
	}
	convs := opts.Convs
	if len(convs) == 0 {
		convs = []models.ConvImpl{models.ConvAuto}
	}
	bns := opts.BatchNorms
	if len(bns) == 0 {
		bns = []models.BatchNormImpl{models.BNAuto}
	}
	layers, err := ModelLayers(cfg0)
	if err != nil {
		return nil, err
	}
	cpu, err := DetectCPU(0, opts.GHz)
	if err != nil {
		return nil, err
	}
	if opts.MeasureClock {
		cpu.MeasuredGHz = MeasureGHz(time.Second, cpu.Cores)
	}
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "[profile] "+format+"\n", args...)
		}
	}
	start := time.Now()
	p := &Profile{Started: start.Format(time.RFC3339), GoVersion: runtime.Version(), CPU: cpu, PeakGFLOPs: cpu.PeakFLOPs() / 1e9,
		LoadBefore: loadAvg(), XLAFlags: os.Getenv("XLA_FLAGS"), Batch: opts.Batch, Stem: opts.Stem, Steps: opts.Steps,
		ConvSteps: opts.ConvSteps, ConvWarmup: opts.ConvWarmup}
	if opts.ConvSteps > 0 {
		for _, s := range ConvShapes(layers) {
			p.Convs = append(p.Convs, ConvProfile{ConvShape: s})
		}
	}
	say("%s; load average %s", cpu, p.LoadBefore)
	ok := 0
	for _, name := range opts.Backends {
		backend, c, err := xla.New(name)
		if err != nil {
			say("%s: %v", name, err)
			p.Phases = append(p.Phases, Phases{Label: name, Backend: name, Error: err.Error()})
			continue
		}
		p.Backends = append(p.Backends, BackendInfo{Name: name, Description: strings.TrimSpace(c.Description), Devices: c.Devices, Plugin: c.PluginPath})
		for _, conv := range convs {
			for _, bn := range bns {
				cfg := cfg0
				cfg.Conv, cfg.BatchNorm = conv, bn
				ph, err := ProfilePhasesGoMLX(backend, name, cfg, opts.Batch, opts.Steps, opts.Progress)
				if err != nil {
					ph.Error = err.Error()
					say("%s phases failed: %v", ph.Label, err)
				} else {
					ok++
					say("%s: forward %.1f ms, forward+backward %.1f ms, step %.1f ms", ph.Label, ph.ForwardMs, ph.ForwardBackwardMs, ph.StepMs)
				}
				p.Phases = append(p.Phases, ph)
			}
			for i := range p.Convs {
				t, err := ProfileConvGoMLX(backend, name, conv, p.Convs[i].Layer, opts.Batch, opts.ConvWarmup, opts.ConvSteps, opts.Seed)
				if err != nil {
					t.Error = err.Error()
					say("%s conv %s failed: %v", t.Impl, p.Convs[i].Key, err)
				} else {
					ok++
					say("%s conv %s: forward %.2f ms (%.0f GFLOP/s), forward+backward %.2f ms (%.0f GFLOP/s)", t.Impl, p.Convs[i].Key,
						t.ForwardMs, t.ForwardGFLOPs, t.ForwardBackwardMs, t.ForwardBackwardGFLOPs)
				}
				p.Convs[i].Timings = append(p.Convs[i].Timings, t)
			}
		}
		backend.Finalize()
	}
	if opts.Torch {
		threads := opts.Threads
		if threads <= 0 {
			threads = runtime.NumCPU()
		}
		python, script, err := FindTorch()
		var tp *torchProfile
		if err == nil {
			tp, err = profileTorch(python, script, opts, threads, ConvShapes(layers))
		}
		if err != nil {
			p.TorchError = err.Error()
			say("pytorch failed: %v", err)
		} else {
			p.Torch = &tp.TorchInfo
			n, err := p.addTorch(tp)
			if err != nil {
				p.TorchError = err.Error()
				say("pytorch: %v", err)
			}
			ok += n
		}
	}
	p.Ratios, p.ConvTotals = p.phaseRatios(), p.convTotals()
	p.LoadAfter = loadAvg()
	p.Seconds = time.Since(start).Seconds()
	if ok == 0 {
		return p, fmt.Errorf("bench: profile: nothing could be measured")
	}
	return p, nil
}

// ProfilePhasesGoMLX times the three phases of the training step of cfg on
// backend (named backendName), at the given batch: forward (training mode,
// cross-entropy included: the running batch-norm statistics are updated as in
// training), forward + backward (the loss and the gradients of every
// trainable variable, returned as outputs so none is pruned, no update), and
// the full step (train.Step, as Harness.TrainStep). Each is its own compiled
// graph over the same variables; each is called once untimed (compiling),
// steps.Warmup times untimed, then up to steps.Train times timed.
func ProfilePhasesGoMLX(backend compute.Backend, backendName string, cfg models.Config, batch int, steps Steps, progress io.Writer) (ph Phases, err error) {
	m := Measurement{Backend: backendName, Conv: cfg.Conv, BatchNorm: cfg.BatchNorm}
	ph = Phases{Label: m.Label(), Backend: backendName, Conv: cfg.Conv, BatchNorm: cfg.BatchNorm}
	if steps.Train < 1 || steps.Warmup < 0 {
		return ph, fmt.Errorf("bench: steps %+v: need >= 1 timed steps and >= 0 warm-up", steps)
	}
	defer recoverErr(&err, "profile phases")
	h, err := NewHarness(backend, cfg, batch, cfg.Seed)
	if err != nil {
		return ph, err
	}
	defer h.Close()
	mcfg := TrainConfig(cfg).ModelConfig()
	lossOf := func(s *model.Scope, images, targets, cw *graph.Node) *graph.Node {
		return train.Loss(mcfg.Logits(s.At(train.ModelScope), images, true), targets, cw, 0)
	}
	fwd, err := model.NewExec(backend, h.store, lossOf)
	if err != nil {
		return ph, fmt.Errorf("bench: forward graph: %w", err)
	}
	defer fwd.Finalize()
	fwdBwd, err := model.NewExec(backend, h.store, func(s *model.Scope, images, targets, cw *graph.Node) []*graph.Node {
		loss := lossOf(s, images, targets, cw)
		var params []*graph.Node
		for v := range s.Store().IterVariables() {
			if v.Trainable && v.InUseByGraph(images.Graph()) {
				params = append(params, v.NodeValue(images.Graph()))
			}
		}
		return append([]*graph.Node{loss}, graph.Gradient(loss, params...)...)
	})
	if err != nil {
		return ph, fmt.Errorf("bench: forward+backward graph: %w", err)
	}
	defer fwdBwd.Finalize()
	// call runs exec on the next batch; the loss is copied to the host (the
	// call has finished when it returns), the other outputs are freed.
	call := func(exec *model.Exec) func() error {
		return func() error {
			b := h.nextBatch()
			outs, err := exec.Call(
				tensors.FromFlatDataAndDimensions(b.Images, batch, data.Size, data.Size, 1),
				tensors.FromFlatDataAndDimensions(b.Targets, batch, data.NumClasses),
				tensors.FromFlatDataAndDimensions(h.weights, data.NumClasses))
			if err != nil {
				return err
			}
			loss := tensors.MustCopyFlatData[float32](outs[0])[0]
			for _, o := range outs {
				o.FinalizeAll()
			}
			if math.IsNaN(float64(loss)) {
				return fmt.Errorf("loss is NaN")
			}
			return nil
		}
	}
	step := func() error { _, err := h.TrainStep(); return err }
	label := ph.Label + " " + stemName(cfg)
	if ph.ForwardFirstSec, ph.ForwardSec, err = timeSteps(progress, label+" forward", 1+steps.Warmup, steps.Train, steps.Budget, call(fwd)); err != nil {
		return ph, err
	}
	if ph.ForwardBackwardFirstSec, ph.ForwardBackwardSec, err = timeSteps(progress, label+" forward+backward", 1+steps.Warmup, steps.Train, steps.Budget, call(fwdBwd)); err != nil {
		return ph, err
	}
	if ph.StepFirstSec, ph.StepSec, err = timeSteps(progress, label+" step", 1+steps.Warmup, steps.Train, steps.Budget, step); err != nil {
		return ph, err
	}
	ph.fill(batch)
	return ph, nil
}

// ProfileConvGoMLX times one convolution of shape l at the given batch on
// backend (named backendName) with fernb's implementation conv (the function
// fernb/models uses: models.ConvFunc of conv, ConvAuto resolved by
// models.AutoConv): the forward alone, and
// the forward with the gradients of sum(y * dy) with respect to the input and
// the kernel (dy a fixed random tensor), each a compiled graph called once
// untimed (compiling), warmup times untimed, then steps times timed. Inputs
// stay on the device between calls; the outputs are freed unread (the call
// has finished when Exec returns).
func ProfileConvGoMLX(backend compute.Backend, backendName string, conv models.ConvImpl, l Layer, batch, warmup, steps int, seed uint64) (t ConvTiming, err error) {
	impl := models.Config{Conv: conv}.ConvFor(backend)
	fn, implName := models.ConvFunc(impl), string(impl)
	t = ConvTiming{Impl: fmt.Sprintf("fernb %s (%s)", implName, backendName), Backend: backendName, Conv: conv}
	if l.Dense || steps < 1 || warmup < 0 {
		return t, fmt.Errorf("bench: convolution %+v with %d steps, %d warm-up: need a convolution, >= 1 steps, >= 0 warm-up", l, steps, warmup)
	}
	defer recoverErr(&err, "convolution "+l.Name)
	rng := rand.New(rand.NewPCG(seed, 0x636f6e76))
	randn := func(scale float64, dims ...int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	x := randn(1, batch, l.InH, l.InW, l.InC)
	k := randn(math.Sqrt(2/float64(l.Kernel*l.Kernel*l.OutC)), l.Kernel, l.Kernel, l.InC, l.OutC)
	dy := randn(1, batch, l.OutH, l.OutW, l.OutC)
	defer func() {
		for _, v := range []*tensors.Tensor{x, k, dy} {
			v.FinalizeAll()
		}
	}()
	fwd, err := graph.NewExec(backend, func(x, k *graph.Node) *graph.Node { return fn(x, k, l.Stride, l.Pad) })
	if err != nil {
		return t, err
	}
	defer fwd.Finalize()
	fwdBwd, err := graph.NewExec(backend, func(x, k, dy *graph.Node) []*graph.Node {
		y := fn(x, k, l.Stride, l.Pad)
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(y, dy)), x, k)
	})
	if err != nil {
		return t, err
	}
	defer fwdBwd.Finalize()
	// run calls exec; the first call checks the outputs' shapes.
	run := func(exec *graph.Exec, want [][]int, args ...any) func() error {
		checked := false
		return func() error {
			outs, err := exec.Call(args...)
			if err != nil {
				return err
			}
			defer func() {
				for _, o := range outs {
					o.FinalizeAll()
				}
			}()
			if checked {
				return nil
			}
			checked = true
			if len(outs) != len(want) {
				return fmt.Errorf("%d outputs, want %d", len(outs), len(want))
			}
			for i, o := range outs {
				if d := o.Shape().Dimensions; fmt.Sprint(d) != fmt.Sprint(want[i]) {
					return fmt.Errorf("output %d is %v, want %v", i, d, want[i])
				}
			}
			return nil
		}
	}
	yDims := []int{batch, l.OutH, l.OutW, l.OutC}
	if _, t.ForwardSec, err = timeSteps(nil, "", 1+warmup, steps, 0, run(fwd, [][]int{yDims}, x, k)); err != nil {
		return t, fmt.Errorf("bench: convolution %s forward: %w", l.Name, err)
	}
	gradDims := [][]int{x.Shape().Dimensions, k.Shape().Dimensions}
	if _, t.ForwardBackwardSec, err = timeSteps(nil, "", 1+warmup, steps, 0, run(fwdBwd, gradDims, x, k, dy)); err != nil {
		return t, fmt.Errorf("bench: convolution %s forward+backward: %w", l.Name, err)
	}
	t.fill(l, batch)
	return t, nil
}

// IsTorch tells whether the timing is PyTorch's conv2d.
func (t ConvTiming) IsTorch() bool { return IsTorch(t.Backend) }

// matches tells whether t measured the convolution of the phases ph: the
// same GoMLX backend and convolution, or the same PyTorch memory format.
func (t ConvTiming) matches(ph Phases) bool {
	if t.Backend != ph.Backend {
		return false
	}
	if t.IsTorch() {
		return t.Format == ph.Format
	}
	return t.Conv == ph.Conv
}
