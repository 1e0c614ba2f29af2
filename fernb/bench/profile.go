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
func RunProfile(opts Options) (*Profile, error) {
	cfg, err := opts.checkProfile()
	if err != nil {
		return nil, err
	}
	layers, err := ModelLayers(cfg)
	if err != nil {
		return nil, err
	}
	cpu, err := opts.machine()
	if err != nil {
		return nil, err
	}
	pr := newProfiler(opts, cfg, cpu, layers)
	for _, name := range opts.Backends {
		pr.profileBackend(name)
	}
	if opts.Torch {
		pr.profileTorchPeer(ConvShapes(layers))
	}
	return pr.finish()
}

// checkProfile checks opts selects something RunProfile can measure and
// returns the configuration of its stem.
func (o Options) checkProfile() (models.Config, error) {
	if o.Batch < 1 {
		return models.Config{}, fmt.Errorf("bench: batch %d must be >= 1", o.Batch)
	}
	if o.Steps.Train < 1 || o.Steps.Warmup < 0 || o.ConvSteps < 0 || o.ConvWarmup < 0 {
		return models.Config{}, fmt.Errorf("bench: profile steps %+v, conv steps %d, conv warm-up %d: need >= 1 timed steps and >= 0 others",
			o.Steps, o.ConvSteps, o.ConvWarmup)
	}
	if len(o.Stems) != 1 {
		return models.Config{}, fmt.Errorf("bench: a profile measures one stem, not %q", o.Stems)
	}
	cfg, err := StemConfig(o.Stems[0], o.Seed)
	if err != nil {
		return cfg, err
	}
	if err := o.checkImpls(); err != nil {
		return cfg, err
	}
	for _, f := range o.TorchFormats {
		if f != TorchNCHW && f != TorchChannelsLast {
			return cfg, fmt.Errorf("bench: PyTorch memory format %q: want %q or %q", f, TorchNCHW, TorchChannelsLast)
		}
	}
	if o.Torch && o.TorchDevice != "" && o.TorchDevice != "cpu" {
		return cfg, fmt.Errorf("bench: a profile runs PyTorch on the CPU only, not %q", o.TorchDevice)
	}
	if len(o.Backends) == 0 && !o.Torch {
		return cfg, fmt.Errorf("bench: no backend to profile and PyTorch off")
	}
	return cfg, nil
}

// profiler is one RunProfile in progress: its options, the stem's
// configuration and the Profile it fills.
type profiler struct {
	opts  Options
	cfg   models.Config
	start time.Time
	p     *Profile
	say   func(format string, args ...any)
	// convs and bns are the implementations profiled (Options' empty
	// lists resolved to auto).
	convs []models.ConvImpl
	bns   []models.BatchNormImpl
	// ok counts the phase rows and convolution timings that succeeded.
	ok int
}

// newProfiler starts a RunProfile of opts on cpu for the stem configuration
// cfg with the given layers: the Profile's header and its convolution shapes
// (none when ConvSteps is 0).
func newProfiler(opts Options, cfg models.Config, cpu CPU, layers []Layer) *profiler {
	start := time.Now()
	pr := &profiler{opts: opts, cfg: cfg, start: start, say: opts.sayer("profile"), convs: opts.Convs, bns: opts.BatchNorms}
	if len(pr.convs) == 0 {
		pr.convs = []models.ConvImpl{models.ConvAuto}
	}
	if len(pr.bns) == 0 {
		pr.bns = []models.BatchNormImpl{models.BNAuto}
	}
	steps := opts.Steps
	steps.Infer = 0 // not used
	pr.p = &Profile{Started: start.Format(time.RFC3339), GoVersion: runtime.Version(), CPU: cpu, PeakGFLOPs: cpu.PeakFLOPs() / 1e9,
		LoadBefore: loadAvg(), XLAFlags: os.Getenv("XLA_FLAGS"), Batch: opts.Batch, Stem: opts.Stems[0], Steps: steps,
		ConvSteps: opts.ConvSteps, ConvWarmup: opts.ConvWarmup}
	if opts.ConvSteps > 0 {
		for _, s := range ConvShapes(layers) {
			pr.p.Convs = append(pr.p.Convs, ConvProfile{ConvShape: s})
		}
	}
	pr.say("%s; load average %s", cpu, pr.p.LoadBefore)
	return pr
}

// profileBackend profiles the GoMLX backend name: the phases of each
// convolution and batch norm, and each convolution shape per convolution.
func (pr *profiler) profileBackend(name string) {
	backend, c, err := xla.New(name)
	if err != nil {
		pr.say("%s: %v", name, err)
		pr.p.Phases = append(pr.p.Phases, Phases{Label: name, Backend: name, Error: err.Error()})
		return
	}
	defer backend.Finalize()
	pr.p.Backends = append(pr.p.Backends, BackendInfo{Name: name, Description: strings.TrimSpace(c.Description), Devices: c.Devices, Plugin: c.PluginPath})
	for _, conv := range pr.convs {
		for _, bn := range pr.bns {
			pr.profilePhases(backend, name, conv, bn)
		}
		for i := range pr.p.Convs {
			pr.profileConv(backend, name, conv, &pr.p.Convs[i])
		}
	}
}

// profilePhases adds the phase row of convolution conv and batch norm bn on
// backend.
func (pr *profiler) profilePhases(backend compute.Backend, name string, conv models.ConvImpl, bn models.BatchNormImpl) {
	cfg := pr.cfg
	cfg.Conv, cfg.BatchNorm = conv, bn
	ph, err := ProfilePhasesGoMLX(backend, name, cfg, pr.opts.Batch, pr.opts.Steps, pr.opts.Progress)
	if err != nil {
		ph.Error = err.Error()
		pr.say("%s phases failed: %v", ph.Label, err)
	} else {
		pr.ok++
		pr.say("%s: forward %.1f ms, forward+backward %.1f ms, step %.1f ms", ph.Label, ph.ForwardMs, ph.ForwardBackwardMs, ph.StepMs)
	}
	pr.p.Phases = append(pr.p.Phases, ph)
}

// profileConv adds the timing of convolution conv on backend to the shape c.
func (pr *profiler) profileConv(backend compute.Backend, name string, conv models.ConvImpl, c *ConvProfile) {
	o := pr.opts
	t, err := ProfileConvGoMLX(backend, name, conv, c.Layer, o.Batch, o.ConvWarmup, o.ConvSteps, o.Seed)
	if err != nil {
		t.Error = err.Error()
		pr.say("%s conv %s failed: %v", t.Impl, c.Key, err)
	} else {
		pr.ok++
		pr.say("%s conv %s: forward %.2f ms (%.0f GFLOP/s), forward+backward %.2f ms (%.0f GFLOP/s)", t.Impl, c.Key,
			t.ForwardMs, t.ForwardGFLOPs, t.ForwardBackwardMs, t.ForwardBackwardGFLOPs)
	}
	c.Timings = append(c.Timings, t)
}

// profileTorchPeer runs PyTorch's profile of the phases and of the
// convolution shapes and adds it to the Profile (or why it failed).
func (pr *profiler) profileTorchPeer(shapes []ConvShape) {
	python, script, err := FindTorch()
	var tp *torchProfile
	if err == nil {
		tp, err = profileTorch(python, script, pr.opts, pr.opts.threads(), shapes)
	}
	if err != nil {
		pr.p.TorchError = err.Error()
		pr.say("pytorch failed: %v", err)
		return
	}
	pr.p.Torch = &tp.TorchInfo
	n, err := pr.p.addTorch(tp)
	if err != nil {
		pr.p.TorchError = err.Error()
		pr.say("pytorch: %v", err)
	}
	pr.ok += n
}

// finish summarises the profile: the ratios, the convolution totals, the
// load after and the wall time. It fails when nothing could be measured.
func (pr *profiler) finish() (*Profile, error) {
	p := pr.p
	p.Ratios, p.ConvTotals = p.phaseRatios(), p.convTotals()
	p.LoadAfter = loadAvg()
	p.Seconds = time.Since(pr.start).Seconds()
	if pr.ok == 0 {
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
