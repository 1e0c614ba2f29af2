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
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
)

// Options configures Run. The zero value is not valid; start from
// DefaultOptions.
type Options struct {
	// Batch is the number of images per step.
	Batch int
	// Steps are the timed and warm-up steps on XLA and in PyTorch.
	Steps Steps
	// GoSteps are those of the pure-Go backend (about 10 images/s).
	GoSteps Steps
	// Backends are the GoMLX backends to measure, as given to xla.New.
	Backends []string
	// Stems are the ResNet18 stems to measure.
	Stems []string
	// GoStems are the stems measured on the "go" backend (the small stem
	// there takes minutes per step).
	GoStems []string
	// NativeStems are the stems measured with models.ConvNative on XLA CPU
	// (its native convolutions are slow there: the small stem takes minutes
	// per step).
	NativeStems []string
	// Convs are the convolution implementations of fernb/models measured on
	// the XLA backends, each a row: models.ConvMixed, models.ConvIm2col,
	// models.ConvNative or models.ConvAuto (ConvNative rows only for
	// NativeStems). The go backend always runs ConvAuto (im2col: its native
	// convolution is much slower).
	Convs []models.ConvImpl
	// BatchNorms are the batch-norm implementations of fernb/models measured
	// on the XLA backends (models.BNAuto, BNGraph, BNFused), each a row per
	// convolution; empty means BNAuto. The go backend always runs BNAuto.
	BatchNorms []models.BatchNormImpl
	// Precisions are the convolution number formats measured on the XLA
	// backends (models.PrecisionF32, PrecisionBF16), each a row per
	// convolution and batch norm; empty means f32. With bf16 the PyTorch
	// peer also runs a second time under CPU autocast to bfloat16, and each
	// ratio compares rows of the same precision.
	Precisions []models.Precision
	// Torch enables the PyTorch CPU peer.
	Torch bool
	// TorchDevice is PyTorch's device: "cpu" (default) or "cuda".
	TorchDevice string
	// TorchArgs are extra arguments for scripts/bench_torch.py.
	TorchArgs []string
	// Threads is PyTorch's thread count (<= 0: runtime.NumCPU()).
	Threads int
	// GHz overrides the clock used for the peak (<= 0: /proc/cpuinfo).
	GHz float64
	// MeasureClock also measures the clock the cores really run at
	// (MeasureGHz) and reports the fractions of the peak at that clock.
	MeasureClock bool
	// Seed fixes weights and inputs.
	Seed uint64
	// Progress receives progress lines with ETAs (nil: none).
	Progress io.Writer
}

// DefaultOptions is what "fer bench" runs without flags.
func DefaultOptions() Options {
	return Options{
		Batch:        128,
		Steps:        Steps{Train: 10, Infer: 10, Warmup: 2, Budget: 60},
		GoSteps:      Steps{Train: 3, Infer: 3, Warmup: 0, Budget: 60},
		Backends:     []string{xla.KindCPU, xla.KindGo},
		Stems:        []string{StemStandard, StemSmall},
		GoStems:      []string{StemStandard},
		NativeStems:  []string{StemStandard},
		Convs:        []models.ConvImpl{models.ConvMixed, models.ConvIm2col, models.ConvNative},
		Torch:        true,
		TorchDevice:  "cpu",
		MeasureClock: true,
		Seed:         1,
	}
}

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
	NativeStems []string
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
	if opts.Batch < 1 {
		return nil, fmt.Errorf("bench: batch %d must be >= 1", opts.Batch)
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
	for _, p := range opts.Precisions {
		if err := (models.Config{Arch: models.ArchResNet18, Precision: p}).Validate(); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	for _, s := range [][]string{opts.Stems, opts.GoStems, opts.NativeStems} {
		for _, stem := range s {
			if _, err := StemConfig(stem, 0); err != nil {
				return nil, err
			}
		}
	}
	if len(opts.Stems) == 0 {
		return nil, fmt.Errorf("bench: no stem to measure")
	}
	if len(opts.Backends) == 0 && !opts.Torch {
		return nil, fmt.Errorf("bench: no backend to measure and PyTorch off")
	}
	if n, skipped := planned(opts); n == 0 && !opts.Torch {
		return nil, fmt.Errorf("bench: nothing to measure with PyTorch off: %s", strings.Join(skipped, "; "))
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	cpu, err := DetectCPU(0, opts.GHz)
	if err != nil {
		return nil, err
	}
	if opts.MeasureClock {
		cpu.MeasuredGHz = MeasureGHz(time.Second, cpu.Cores)
	}
	start := time.Now()
	r := &Report{Started: start.Format(time.RFC3339), GoVersion: runtime.Version(), CPU: cpu,
		PeakGFLOPs: cpu.PeakFLOPs() / 1e9, PeakGFLOPsMeasuredClock: cpu.PeakFLOPsAt(cpu.MeasuredGHz) / 1e9, PeakFormula: PeakFormula, LoadBefore: loadAvg(),
		XLAFlags: os.Getenv("XLA_FLAGS"), Batch: opts.Batch, Steps: opts.Steps, GoSteps: opts.GoSteps,
		Stems: opts.Stems, Convs: opts.Convs, BatchNorms: opts.BatchNorms, Precisions: opts.Precisions}
	// The peak is the CPU's: GPU measurements get no fraction.
	cpuPeak := func(backend string) float64 {
		if strings.Contains(backend, "cuda") {
			return 0
		}
		return cpu.PeakFLOPs()
	}
	device := opts.TorchDevice
	if device == "" {
		device = "cpu"
	}
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "[bench] "+format+"\n", args...)
		}
	}
	say("%s", cpu)

	// Backends are created once and shared by the stems.
	type backendState struct {
		info BackendInfo
		b    compute.Backend
		err  error
	}
	backends := map[string]*backendState{}
	defer func() {
		for _, st := range backends {
			if st.b != nil {
				st.b.Finalize()
			}
		}
	}()
	var python, script string
	var torchErr error
	if opts.Torch {
		python, script, torchErr = FindTorch()
	}
	ok := 0
	for _, stem := range opts.Stems {
		for _, name := range opts.Backends {
			steps := opts.Steps
			if why := backendSkip(opts, name, stem); why != "" {
				say("skipping %s", why)
				continue
			}
			if name == xla.KindGo {
				steps = opts.GoSteps
			}
			st := backends[name]
			if st == nil {
				st = &backendState{info: BackendInfo{Name: name}}
				b, c, err := xla.New(name)
				if err != nil {
					st.err = err
				} else {
					st.b = b
					st.info = BackendInfo{Name: name, Description: strings.TrimSpace(c.Description), Devices: c.Devices, Plugin: c.PluginPath}
					r.Backends = append(r.Backends, st.info)
				}
				backends[name] = st
			}
			if st.err != nil {
				r.Measurements = append(r.Measurements, Measurement{Backend: name, Stem: stem, Batch: opts.Batch, Error: st.err.Error()})
				say("%s/%s: %v", name, stem, st.err)
				continue
			}
			convs := convsOf(opts, name)
			bns := opts.BatchNorms
			if name == xla.KindGo || len(bns) == 0 {
				bns = []models.BatchNormImpl{models.BNAuto}
			}
			precs := opts.Precisions
			if name == xla.KindGo || len(precs) == 0 {
				precs = []models.Precision{models.PrecisionF32}
			}
			for _, conv := range convs {
				if why := convSkip(opts, name, stem, conv); why != "" {
					say("skipping %s", why)
					continue
				}
				for _, bn := range bns {
					for _, prec := range precs {
						cfg, _ := StemConfig(stem, opts.Seed)
						cfg.Conv, cfg.BatchNorm, cfg.Precision = conv, bn, prec
						m, err := MeasureGoMLX(st.b, name, cfg, opts.Batch, steps, cpuPeak(name), opts.Progress)
						if err != nil {
							m.Error = err.Error()
							say("%s/%s failed: %v", m.Label(), stem, err)
						} else {
							ok++
						}
						r.Measurements = append(r.Measurements, m)
					}
				}
			}
		}
		var torchPrecs []models.Precision // the peer runs in f32, and under autocast for bf16 rows
		if opts.Torch {
			torchPrecs = append(torchPrecs, models.PrecisionF32)
			if slices.Contains(opts.Precisions, models.PrecisionBF16) {
				torchPrecs = append(torchPrecs, models.PrecisionBF16)
			}
		}
		for _, prec := range torchPrecs {
			var m Measurement
			var info TorchInfo
			err := torchErr
			args := opts.TorchArgs
			if prec == models.PrecisionBF16 {
				args = append(slices.Clone(args), "--autocast", "bf16")
			}
			if err == nil {
				m, info, err = MeasureTorch(python, script, device, stem, opts.Batch, opts.Steps, threads, opts.Seed, cpuPeak("pytorch-"+device), opts.Progress, args...)
			}
			if err != nil {
				m = Measurement{Backend: "pytorch-" + device, Stem: stem, Batch: opts.Batch, Error: err.Error()}
				say("pytorch-%s/%s %s failed: %v", device, stem, prec, err)
			} else {
				ok++
				r.Torch = &info
			}
			if prec == models.PrecisionBF16 {
				m.Precision = prec
			}
			r.Measurements = append(r.Measurements, m)
		}
	}
	r.Ratios = ratios(r.Measurements)
	r.LoadAfter = loadAvg()
	r.Seconds = time.Since(start).Seconds()
	if ok == 0 {
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
