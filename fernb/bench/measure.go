package bench

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/progress"
	"github.com/gomlx/compute"
)

// Stems of ResNet18 that fer bench measures.
const (
	// StemStandard is torchvision's 7x7/2 convolution + 3x3/2 max-pool.
	StemStandard = "standard"
	// StemSmall is one 3x3/1 convolution without max-pool (16x the compute).
	StemSmall = "small"
)

// StemConfig returns the ResNet18 configuration of a stem name.
func StemConfig(stem string, seed uint64) (models.Config, error) {
	switch stem {
	case StemStandard:
		return models.Config{Arch: models.ArchResNet18, Seed: seed}, nil
	case StemSmall:
		return models.Config{Arch: models.ArchResNet18, SmallStem: true, Seed: seed}, nil
	}
	return models.Config{}, fmt.Errorf("bench: unknown stem %q (want %q or %q)", stem, StemStandard, StemSmall)
}

// Measurement is the result of timing one network on one backend (or peer).
type Measurement struct {
	// Backend is "xla:cpu", "go", "xla:cuda" or "pytorch-cpu".
	Backend string `json:"backend"`
	// Stem is StemStandard or StemSmall.
	Stem string `json:"stem"`
	// Conv is the convolution implementation asked of fernb/models ("" = auto).
	Conv models.ConvImpl `json:"conv,omitempty"`
	// BatchNorm is the batch-norm implementation asked of fernb/models ("" = auto).
	BatchNorm models.BatchNormImpl `json:"batch_norm,omitempty"`
	// Precision is the convolutions' number format ("" = f32); for the
	// PyTorch peer, "bf16" means CPU autocast to bfloat16.
	Precision models.Precision `json:"precision,omitempty"`
	// Batch is the number of images per step.
	Batch int `json:"batch"`
	// Warmup is the number of untimed steps after the first.
	Warmup int `json:"warmup"`
	// TrainImagesPerSec and InferImagesPerSec are Batch x timed steps / their
	// total time.
	TrainImagesPerSec float64 `json:"train_images_per_s"`
	InferImagesPerSec float64 `json:"infer_images_per_s"`
	// TrainFirstStepSec and InferFirstStepSec are the first call's time:
	// graph building and compilation plus one step for GoMLX, one eager step
	// for PyTorch.
	TrainFirstStepSec float64 `json:"train_first_step_s"`
	InferFirstStepSec float64 `json:"infer_first_step_s"`
	// TrainCompileSec and InferCompileSec estimate compilation alone: the
	// first call less the median timed step.
	TrainCompileSec float64 `json:"train_compile_s"`
	InferCompileSec float64 `json:"infer_compile_s"`
	// TrainStepSec and InferStepSec are the timed steps.
	TrainStepSec []float64 `json:"train_step_s"`
	InferStepSec []float64 `json:"infer_step_s"`
	// PeakRSSMiB is the process's peak resident memory during this
	// measurement (Go: VmHWM, reset before it; PyTorch: ru_maxrss of a
	// process that measured only this stem).
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// GoHeapMiB is the largest Go heap in use seen after each step (GoMLX
	// only; XLA's buffers live outside the Go heap).
	GoHeapMiB float64 `json:"go_heap_mib,omitempty"`
	// TrainFLOPsPerImage and InferFLOPsPerImage come from ModelLayers
	// (TrainFLOPs and ForwardFLOPs).
	TrainFLOPsPerImage int64 `json:"train_flops_per_image"`
	InferFLOPsPerImage int64 `json:"infer_flops_per_image"`
	// TrainGFLOPs and InferGFLOPs are the achieved GFLOP/s; the fractions
	// divide them by the machine's peak.
	TrainGFLOPs       float64 `json:"train_gflops"`
	InferGFLOPs       float64 `json:"infer_gflops"`
	TrainPeakFraction float64 `json:"train_peak_fraction"`
	InferPeakFraction float64 `json:"infer_peak_fraction"`
	FinalLoss         float64 `json:"final_loss,omitempty"`
	Error             string  `json:"error,omitempty"`
}

// Label names the row: the backend, with the convolution and batch-norm
// implementations when they were asked for, e.g. "xla:cpu (im2col)" or
// "xla:cpu (im2col, bn fused)".
func (m Measurement) Label() string {
	var parts []string
	if m.Conv != "" && m.Conv != models.ConvAuto {
		parts = append(parts, string(m.Conv))
	}
	if m.BatchNorm != "" && m.BatchNorm != models.BNAuto {
		parts = append(parts, "bn "+string(m.BatchNorm))
	}
	if m.Precision != "" && m.Precision != models.PrecisionF32 {
		parts = append(parts, string(m.Precision))
	}
	if len(parts) == 0 {
		return m.Backend
	}
	return m.Backend + " (" + strings.Join(parts, ", ") + ")"
}

// fill computes the derived figures from the step times.
func (m *Measurement) fill(layers []Layer, peak float64) {
	m.TrainImagesPerSec = imagesPerSec(m.Batch, m.TrainStepSec)
	m.InferImagesPerSec = imagesPerSec(m.Batch, m.InferStepSec)
	if len(m.TrainStepSec) > 0 {
		m.TrainCompileSec = max(0, m.TrainFirstStepSec-median(m.TrainStepSec))
	}
	if len(m.InferStepSec) > 0 {
		m.InferCompileSec = max(0, m.InferFirstStepSec-median(m.InferStepSec))
	}
	m.TrainFLOPsPerImage = TrainFLOPs(layers)
	m.InferFLOPsPerImage = ForwardFLOPs(layers)
	m.TrainGFLOPs = m.TrainImagesPerSec * float64(m.TrainFLOPsPerImage) / 1e9
	m.InferGFLOPs = m.InferImagesPerSec * float64(m.InferFLOPsPerImage) / 1e9
	if peak > 0 {
		m.TrainPeakFraction = m.TrainGFLOPs * 1e9 / peak
		m.InferPeakFraction = m.InferGFLOPs * 1e9 / peak
	}
}

func imagesPerSec(batch int, steps []float64) float64 {
	var t float64
	for _, s := range steps {
		t += s
	}
	if t == 0 {
		return 0
	}
	return float64(batch*len(steps)) / t
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Steps says how many steps to run.
type Steps struct {
	// Train and Infer are the timed steps; Warmup the untimed ones after the
	// first (compiling) call, which is never timed with them.
	Train, Infer, Warmup int
	// Budget, when > 0, ends the timed steps of a phase early once they
	// have taken Budget seconds and at least MinTimedSteps were run: slow
	// rows (the go backend, native convolutions on XLA CPU) then stay short.
	Budget float64
}

// MinTimedSteps is the fewest timed steps a Budget leaves.
const MinTimedSteps = 2

// MeasureGoMLX times the ResNet18 configuration cfg (see StemConfig) on
// backend (named backendName in the result): first the training step, then
// inference with the trained weights; cfg.Seed also seeds the inputs.
// Progress lines with an ETA go to progress (may be nil). peak is the
// machine's peak FLOP/s (0: no fraction).
func MeasureGoMLX(backend compute.Backend, backendName string, cfg models.Config, batch int, steps Steps, peak float64, progress io.Writer) (Measurement, error) {
	stem := StemStandard
	if cfg.SmallStem {
		stem = StemSmall
	}
	m := Measurement{Backend: backendName, Stem: stem, Conv: cfg.Conv, BatchNorm: cfg.BatchNorm, Precision: cfg.Precision, Batch: batch, Warmup: steps.Warmup}
	if steps.Train < 1 || steps.Infer < 1 || steps.Warmup < 0 {
		return m, fmt.Errorf("bench: steps %+v: need >= 1 timed steps and >= 0 warm-up", steps)
	}
	seed := cfg.Seed
	layers, err := ModelLayers(cfg)
	if err != nil {
		return m, err
	}
	runtime.GC()
	if err := ResetPeakRSS(); err != nil {
		return m, err
	}
	h, err := NewHarness(backend, cfg, batch, seed)
	if err != nil {
		return m, err
	}
	defer h.Close()
	var heap uint64
	sampleHeap := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapInuse)
	}
	label := m.Label() + " " + stem
	var loss float32
	first, times, err := timeSteps(progress, label+" train", 1+steps.Warmup, steps.Train, steps.Budget, func() error {
		var err error
		loss, err = h.TrainStep()
		sampleHeap()
		return err
	})
	if err != nil {
		return m, err
	}
	m.TrainFirstStepSec, m.TrainStepSec, m.FinalLoss = first, times, float64(loss)
	first, times, err = timeSteps(progress, label+" inference", 1+steps.Warmup, steps.Infer, steps.Budget, func() error {
		err := h.Infer()
		sampleHeap()
		return err
	})
	if err != nil {
		return m, err
	}
	m.InferFirstStepSec, m.InferStepSec = first, times
	if m.PeakRSSMiB, err = PeakRSSMiB(); err != nil {
		return m, err
	}
	m.GoHeapMiB = float64(heap) / (1 << 20)
	m.fill(layers, peak)
	return m, nil
}

// timeSteps calls fn untimed times (the first compiles) then up to timed
// times, stopping early once the timed calls took budget seconds (if > 0)
// and at least MinTimedSteps ran. It reports progress with an ETA to w and
// returns the first call's time and the timed calls' times.
func timeSteps(w io.Writer, label string, untimed, timed int, budget float64, fn func() error) (first float64, times []float64, err error) {
	n := untimed + timed
	start := time.Now()
	var timedSum float64
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, nil, fmt.Errorf("%s, step %d: %w", label, i+1, err)
		}
		d := time.Since(t0).Seconds()
		if i == 0 {
			first = d
		}
		if i >= untimed {
			times = append(times, d)
			timedSum += d
		}
		stop := budget > 0 && len(times) >= MinTimedSteps && timedSum >= budget && i < n-1
		if w != nil {
			var eta float64
			if i == 0 {
				eta = d * float64(n-1) // pessimistic until a compiled step is seen
			} else {
				eta = (time.Since(start).Seconds() - first) / float64(i) * float64(n-1-i)
			}
			if budget > 0 {
				eta = min(eta, max(0, budget-timedSum)+float64(max(0, untimed-1-i))*d)
			}
			note := ""
			if i == 0 {
				note = " (includes compilation)"
			} else if i < untimed {
				note = " (warm-up)"
			}
			if stop {
				note += fmt.Sprintf(", budget of %.0fs reached after %d timed steps", budget, len(times))
				eta = 0
			}
			fmt.Fprintf(w, "[bench] %s: step %d/%d %.3fs%s, ETA %s\n", label, i+1, n, d, note, progress.Seconds(eta))
		}
		if stop {
			break
		}
	}
	return first, times, nil
}
