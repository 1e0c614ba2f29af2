// Package bench measures how fast fernb trains and runs ResNet18 on FER2013's
// 48x48x1 images, on each GoMLX backend and against PyTorch on the same CPU,
// and how close that comes to the machine's peak fp32 FLOP/s.
//
// One Run times, for each ResNet18 stem (StemStandard, StemSmall) and each
// backend (xla:cpu, go, ...):
//
//   - training images/s: forward, cross-entropy, backward and a momentum-SGD
//     step (momentum 0.9, weight decay 1e-4), batch 128 by default;
//   - inference images/s: forward in inference mode;
//   - the first step's time (graph building + compilation) and the peak
//     resident memory;
//   - the achieved GFLOP/s, from FLOPs per image counted on the architecture
//     (ModelLayers, ForwardFLOPs, TrainFLOPs), and its fraction of the peak
//     (PeakFormula);
//
// and the same network, batch and optimizer in PyTorch (scripts/bench_torch.py,
// run in the project's virtualenv with as many threads as Go has CPUs), then
// the ratios fernb/PyTorch. "fer bench" is the command-line front end;
// BenchmarkResNet18TrainStep and BenchmarkResNet18Inference are the `go test
// -bench` ones.
//
// RunProfile ("fer bench --profile") shows where a training step's time goes,
// against PyTorch in the same run: the step's phases (forward, backward,
// update), each a separately compiled graph, and every distinct convolution
// shape of the network timed alone (ConvShapes), with its count.
package bench

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
)

// BackendInfo describes a GoMLX backend as measured.
type BackendInfo struct {
	// Name is the name asked for ("xla:cpu", "go").
	Name string `json:"name"`
	// Description is the backend's own description.
	Description string `json:"description"`
	// Devices is the number of devices the backend reports.
	Devices int `json:"devices"`
	// Plugin is the PJRT plugin's path (XLA only).
	Plugin string `json:"plugin,omitempty"`
}

// Ratio compares a backend with PyTorch on one stem: images/s of Backend
// over images/s of Peer, so > 1 means faster than PyTorch.
type Ratio struct {
	Stem    string  `json:"stem"`
	Backend string  `json:"backend"`
	Peer    string  `json:"peer"`
	Train   float64 `json:"train"`
	Infer   float64 `json:"infer"`
}

// Report is everything one Run measured.
type Report struct {
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
	// PeakGFLOPsMeasuredClock is the peak at CPU.MeasuredGHz (0: not measured).
	PeakGFLOPsMeasuredClock float64 `json:"peak_gflops_measured_clock,omitempty"`
	// PeakFormula is the formula of the peak.
	PeakFormula string `json:"peak_formula"`
	// LoadBefore and LoadAfter are /proc/loadavg at the start and end: a
	// load well above 0 means other work shared the CPUs.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
	// XLAFlags is $XLA_FLAGS during the run.
	XLAFlags string `json:"xla_flags,omitempty"`
	// Options are the options run (Progress left out).
	Batch   int      `json:"batch"`
	Steps   Steps    `json:"steps"`
	GoSteps Steps    `json:"go_steps"`
	Stems   []string `json:"stems"`
	// NativeStems are the stems measured with models.ConvNative on XLA CPU
	// (its native convolutions are slow there: the small stem takes minutes
	// per step).
	NativeStems []string `json:"native_stems"`
	// Convs are the convolution implementations measured on XLA.
	Convs []models.ConvImpl `json:"convs"`
	// BatchNorms are the batch-norm implementations measured on XLA.
	BatchNorms []models.BatchNormImpl `json:"batch_norms,omitempty"`
	// Precisions are the convolution number formats measured on XLA.
	Precisions []models.Precision `json:"precisions,omitempty"`
	// Backends describes each GoMLX backend measured.
	Backends []BackendInfo `json:"backends"`
	// Torch describes the PyTorch peer (nil when not run).
	Torch *TorchInfo `json:"torch,omitempty"`
	// Measurements holds one entry per (stem, backend), failed ones with Error set.
	Measurements []Measurement `json:"measurements"`
	// Ratios compares each GoMLX backend with PyTorch per stem.
	Ratios []Ratio `json:"ratios"`
}

// Run measures every (stem, backend) of opts and the PyTorch peer. A backend
// or the peer that fails to start or run is recorded in its Measurement's
// Error and the others still run; Run fails only on invalid options or when
// nothing at all could be measured.
func Run(opts Options) (*Report, error) {
	if err := opts.checkRun(); err != nil {
		return nil, err
	}
	cpu, err := opts.machine()
	if err != nil {
		return nil, err
	}
	rn := newRunner(opts, cpu)
	defer rn.close()
	rn.say("%s", cpu)
	for _, stem := range opts.Stems {
		for _, name := range opts.Backends {
			rn.measureBackend(name, stem)
		}
		rn.measureTorch(stem)
	}
	return rn.finish()
}

// checkRun checks opts selects something Run can measure.
func (o Options) checkRun() error {
	if o.Batch < 1 {
		return fmt.Errorf("bench: batch %d must be >= 1", o.Batch)
	}
	if err := o.checkImpls(); err != nil {
		return err
	}
	for _, p := range o.Precisions {
		if err := (models.Config{Arch: models.ArchResNet18, Precision: p}).Validate(); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	for _, s := range [][]string{o.Stems, o.GoStems, o.NativeStems} {
		for _, stem := range s {
			if _, err := StemConfig(stem, 0); err != nil {
				return err
			}
		}
	}
	if len(o.Stems) == 0 {
		return fmt.Errorf("bench: no stem to measure")
	}
	if len(o.Backends) == 0 && !o.Torch {
		return fmt.Errorf("bench: no backend to measure and PyTorch off")
	}
	if n, skipped := planned(o); n == 0 && !o.Torch {
		return fmt.Errorf("bench: nothing to measure with PyTorch off: %s", strings.Join(skipped, "; "))
	}
	return nil
}

// runner is one Run in progress: its options, the report it fills, and the
// backends (created once, shared by the stems) and PyTorch peer it measures.
type runner struct {
	opts  Options
	cpu   CPU
	start time.Time
	r     *Report
	say   func(format string, args ...any)
	// backends holds each GoMLX backend asked for, created on first use.
	backends map[string]*backendState
	// python, script and torchErr are FindTorch's answer (Torch only).
	python, script string
	torchErr       error
	// ok counts the measurements that succeeded.
	ok int
}

// backendState is a GoMLX backend of a Run: created, or why not.
type backendState struct {
	info BackendInfo
	b    compute.Backend
	err  error
}

// newRunner starts a Run of opts on cpu: the report's header and the
// PyTorch peer's location.
func newRunner(opts Options, cpu CPU) *runner {
	start := time.Now()
	rn := &runner{opts: opts, cpu: cpu, start: start, say: opts.sayer("bench"), backends: map[string]*backendState{}}
	rn.r = &Report{Started: start.Format(time.RFC3339), GoVersion: runtime.Version(), CPU: cpu,
		PeakGFLOPs: cpu.PeakFLOPs() / 1e9, PeakGFLOPsMeasuredClock: cpu.PeakFLOPsAt(cpu.MeasuredGHz) / 1e9, PeakFormula: PeakFormula, LoadBefore: loadAvg(),
		XLAFlags: os.Getenv("XLA_FLAGS"), Batch: opts.Batch, Steps: opts.Steps, GoSteps: opts.GoSteps,
		Stems: opts.Stems, NativeStems: opts.NativeStems, Convs: opts.Convs, BatchNorms: opts.BatchNorms, Precisions: opts.Precisions}
	if opts.Torch {
		rn.python, rn.script, rn.torchErr = FindTorch()
	}
	return rn
}

// close finalizes the backends.
func (rn *runner) close() {
	for _, st := range rn.backends {
		if st.b != nil {
			st.b.Finalize()
		}
	}
}

// peak is the CPU's peak FLOP/s for backend: 0 (no fraction) on a GPU.
func (rn *runner) peak(backend string) float64 {
	if strings.Contains(backend, "cuda") {
		return 0
	}
	return rn.cpu.PeakFLOPs()
}

// backend is the GoMLX backend name, created on first use (and described in
// the report when it starts).
func (rn *runner) backend(name string) *backendState {
	if st := rn.backends[name]; st != nil {
		return st
	}
	st := &backendState{info: BackendInfo{Name: name}}
	b, c, err := xla.New(name)
	if err != nil {
		st.err = err
	} else {
		st.b = b
		st.info = BackendInfo{Name: name, Description: strings.TrimSpace(c.Description), Devices: c.Devices, Plugin: c.PluginPath}
		rn.r.Backends = append(rn.r.Backends, st.info)
	}
	rn.backends[name] = st
	return st
}

// measureBackend measures stem on the GoMLX backend name: a row per
// convolution, batch norm and precision it runs there (see Options).
func (rn *runner) measureBackend(name, stem string) {
	o := rn.opts
	if why := backendSkip(o, name, stem); why != "" {
		rn.say("skipping %s", why)
		return
	}
	st := rn.backend(name)
	if st.err != nil {
		rn.r.Measurements = append(rn.r.Measurements, Measurement{Backend: name, Stem: stem, Batch: o.Batch, Error: st.err.Error()})
		rn.say("%s/%s: %v", name, stem, st.err)
		return
	}
	bns, precs := o.BatchNorms, o.Precisions
	if name == xla.KindGo || len(bns) == 0 {
		bns = []models.BatchNormImpl{models.BNAuto}
	}
	if name == xla.KindGo || len(precs) == 0 {
		precs = []models.Precision{models.PrecisionF32}
	}
	for _, conv := range convsOf(o, name) {
		if why := convSkip(o, name, stem, conv); why != "" {
			rn.say("skipping %s", why)
			continue
		}
		for _, bn := range bns {
			for _, prec := range precs {
				cfg, _ := StemConfig(stem, o.Seed)
				cfg.Conv, cfg.BatchNorm, cfg.Precision = conv, bn, prec
				rn.measureRow(st.b, name, stem, cfg)
			}
		}
	}
}

// measureRow measures one row: stem's configuration cfg on backend.
func (rn *runner) measureRow(backend compute.Backend, name, stem string, cfg models.Config) {
	steps := rn.opts.Steps
	if name == xla.KindGo {
		steps = rn.opts.GoSteps
	}
	m, err := MeasureGoMLX(backend, name, cfg, rn.opts.Batch, steps, rn.peak(name), rn.opts.Progress)
	if err != nil {
		m.Error = err.Error()
		rn.say("%s/%s failed: %v", m.Label(), stem, err)
	} else {
		rn.ok++
	}
	rn.r.Measurements = append(rn.r.Measurements, m)
}

// measureTorch measures stem in PyTorch (with Torch): in f32, and again
// under autocast to bf16 when Precisions has bf16.
func (rn *runner) measureTorch(stem string) {
	if !rn.opts.Torch {
		return
	}
	precs := []models.Precision{models.PrecisionF32}
	if slices.Contains(rn.opts.Precisions, models.PrecisionBF16) {
		precs = append(precs, models.PrecisionBF16)
	}
	for _, prec := range precs {
		rn.measureTorchRow(stem, prec)
	}
}

// measureTorchRow measures stem in PyTorch at precision prec.
func (rn *runner) measureTorchRow(stem string, prec models.Precision) {
	o := rn.opts
	device := o.TorchDevice
	if device == "" {
		device = "cpu"
	}
	var m Measurement
	var info TorchInfo
	err := rn.torchErr
	args := o.TorchArgs
	if prec == models.PrecisionBF16 {
		args = append(slices.Clone(args), "--autocast", "bf16")
	}
	if err == nil {
		m, info, err = MeasureTorch(rn.python, rn.script, device, stem, o.Batch, o.Steps, o.threads(), o.Seed, rn.peak("pytorch-"+device), o.Progress, args...)
	}
	if err != nil {
		m = Measurement{Backend: "pytorch-" + device, Stem: stem, Batch: o.Batch, Error: err.Error()}
		rn.say("pytorch-%s/%s %s failed: %v", device, stem, prec, err)
	} else {
		rn.ok++
		rn.r.Torch = &info
	}
	if prec == models.PrecisionBF16 {
		m.Precision = prec
	}
	rn.r.Measurements = append(rn.r.Measurements, m)
}

// finish summarises the run: the ratios, the load after and the wall time.
// It fails when no measurement succeeded.
func (rn *runner) finish() (*Report, error) {
	r := rn.r
	r.Ratios = ratios(r.Measurements)
	r.LoadAfter = loadAvg()
	r.Seconds = time.Since(rn.start).Seconds()
	if rn.ok == 0 {
		if len(r.Measurements) == 0 { // planned rules this out; never index an empty list
			return r, errors.New("bench: nothing was measured")
		}
		return r, fmt.Errorf("bench: every measurement failed (first: %s)", r.Measurements[0].Error)
	}
	return r, nil
}

// backendSkip says why Run skips backend name on stem ("" if it runs it):
// the go backend runs only the stems of Options.GoStems.
func backendSkip(o Options, name, stem string) string {
	if name == xla.KindGo && !slices.Contains(o.GoStems, stem) {
		return fmt.Sprintf("go/%s (not in --go-stems %q)", stem, strings.Join(o.GoStems, ","))
	}
	return ""
}

// convsOf is the convolutions Run measures on backend name: the go backend
// runs auto (im2col) only.
func convsOf(o Options, name string) []models.ConvImpl {
	if name == xla.KindGo || len(o.Convs) == 0 {
		return []models.ConvImpl{models.ConvAuto}
	}
	return o.Convs
}

// convSkip says why Run skips convolution conv of backend name on stem (""
// if it runs it): the native convolution on xla:cpu runs only the stems of
// Options.NativeStems.
func convSkip(o Options, name, stem string, conv models.ConvImpl) string {
	if conv == models.ConvNative && name == xla.KindCPU && !slices.Contains(o.NativeStems, stem) {
		return fmt.Sprintf("%s native/%s (not in --native-stems %q)", name, stem, strings.Join(o.NativeStems, ","))
	}
	return ""
}

// planned returns how many (stem, backend, convolution) combinations Run
// measures on GoMLX backends, and what it skips and why.
func planned(o Options) (n int, skipped []string) {
	for _, stem := range o.Stems {
		for _, name := range o.Backends {
			if why := backendSkip(o, name, stem); why != "" {
				skipped = append(skipped, why)
				continue
			}
			for _, conv := range convsOf(o, name) {
				if why := convSkip(o, name, stem, conv); why != "" {
					skipped = append(skipped, why)
					continue
				}
				n++
			}
		}
	}
	return n, skipped
}

// precision is m's precision, "" read as f32.
func precision(m Measurement) models.Precision {
	if m.Precision == "" {
		return models.PrecisionF32
	}
	return m.Precision
}

// ratios divides each GoMLX measurement by PyTorch's on the same stem and
// precision.
func ratios(ms []Measurement) []Ratio {
	var out []Ratio
	for _, t := range ms {
		if !IsTorch(t.Backend) || t.Error != "" {
			continue
		}
		for _, m := range ms {
			if IsTorch(m.Backend) || m.Stem != t.Stem || m.Error != "" || precision(m) != precision(t) {
				continue
			}
			out = append(out, Ratio{Stem: m.Stem, Backend: m.Label(), Peer: t.Label(),
				Train: m.TrainImagesPerSec / t.TrainImagesPerSec, Infer: m.InferImagesPerSec / t.InferImagesPerSec})
		}
	}
	return out
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
