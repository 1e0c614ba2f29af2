package bench

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/xla"
)

// Options configures Run ("fer bench") and RunProfile ("fer bench
// --profile"). The zero value is not valid: start from DefaultOptions for
// Run and from DefaultProfileOptions for RunProfile. The fields after
// Progress are used by one of the two only, as their docs say; the other
// ignores them.
type Options struct {
	// Batch is the number of images per step (and per convolution call in
	// RunProfile).
	Batch int
	// Steps are the timed and warm-up steps on XLA and in PyTorch
	// (RunProfile: of each phase; Infer is not used there).
	Steps Steps
	// Backends are the GoMLX backends to measure, as given to xla.New.
	Backends []string
	// Stems are the ResNet18 stems to measure (StemStandard, StemSmall);
	// RunProfile takes exactly one.
	Stems []string
	// Convs are the convolution implementations of fernb/models measured:
	// models.ConvMixed, ConvIm2col, ConvNative or ConvAuto. In Run each is
	// a row on the XLA backends (ConvNative rows only for NativeStems; the
	// go backend always runs ConvAuto = im2col, its native convolution
	// being much slower); in RunProfile each is a phase row per batch norm
	// and a column of the convolution table, timed with models.ConvFunc
	// (ConvAuto resolved by models.AutoConv). Empty means ConvAuto.
	Convs []models.ConvImpl
	// BatchNorms are the batch-norm implementations of fernb/models measured
	// (models.BNAuto, BNGraph, BNFused), each a row per convolution (in Run
	// on the XLA backends only: the go backend always runs BNAuto). Empty
	// means BNAuto.
	BatchNorms []models.BatchNormImpl
	// Torch enables the PyTorch peer (scripts/bench_torch.py).
	Torch bool
	// TorchDevice is PyTorch's device: "cpu" (default) or, in Run only,
	// "cuda".
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

	// GoSteps are the steps on the pure-Go backend (about 10 images/s).
	// Run only.
	GoSteps Steps
	// GoStems are the stems measured on the "go" backend (the small stem
	// there takes minutes per step). Run only.
	GoStems []string
	// NativeStems are the stems measured with models.ConvNative on XLA CPU
	// (its native convolutions are slow there: the small stem takes minutes
	// per step). Run only.
	NativeStems []string
	// Precisions are the convolution number formats measured on the XLA
	// backends (models.PrecisionF32, PrecisionBF16), each a row per
	// convolution and batch norm; empty means f32. With bf16 the PyTorch
	// peer also runs a second time under CPU autocast to bfloat16, and each
	// ratio compares rows of the same precision. Run only.
	Precisions []models.Precision

	// ConvSteps are the timed calls per convolution shape and pass;
	// ConvWarmup the untimed ones after the first (compiling) call.
	// ConvSteps 0 skips the convolutions. RunProfile only.
	ConvSteps, ConvWarmup int
	// TorchFormats are PyTorch's memory formats: TorchNCHW (its default)
	// and/or TorchChannelsLast (NHWC, fernb's layout). RunProfile only.
	TorchFormats []string
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
		BatchNorms:   []models.BatchNormImpl{models.BNAuto},
		Precisions:   []models.Precision{models.PrecisionF32},
		Torch:        true,
		TorchDevice:  "cpu",
		MeasureClock: true,
		Seed:         1,
	}
}

// DefaultProfileOptions is what "fer bench --profile" runs without other
// flags: ResNet18 with the standard stem at batch 128 on xla:cpu with the
// mixed and the im2col convolutions, batch norm from graph ops and fused,
// against PyTorch CPU in both memory formats.
func DefaultProfileOptions() Options {
	return Options{
		Batch:        128,
		Stems:        []string{StemStandard},
		Steps:        Steps{Train: 10, Warmup: 2, Budget: 60},
		ConvSteps:    20,
		ConvWarmup:   3,
		Backends:     []string{xla.KindCPU},
		Convs:        []models.ConvImpl{models.ConvMixed, models.ConvIm2col},
		BatchNorms:   []models.BatchNormImpl{models.BNGraph, models.BNFused},
		Torch:        true,
		TorchDevice:  "cpu",
		TorchFormats: []string{TorchNCHW, TorchChannelsLast},
		MeasureClock: true,
		Seed:         1,
	}
}

// checkImpls checks the convolutions and batch norms of o name
// implementations fernb/models knows.
func (o Options) checkImpls() error {
	for _, c := range o.Convs {
		if err := (models.Config{Arch: models.ArchResNet18, Conv: c}).Validate(); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	for _, bn := range o.BatchNorms {
		if err := (models.Config{Arch: models.ArchResNet18, BatchNorm: bn}).Validate(); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

// threads is PyTorch's thread count: Threads, or runtime.NumCPU().
func (o Options) threads() int {
	if o.Threads <= 0 {
		return runtime.NumCPU()
	}
	return o.Threads
}

// machine detects the CPU with o's clock override and, with MeasureClock,
// measures its clock under load.
func (o Options) machine() (CPU, error) {
	cpu, err := DetectCPU(0, o.GHz)
	if err != nil {
		return cpu, err
	}
	if o.MeasureClock {
		cpu.MeasuredGHz = MeasureGHz(time.Second, cpu.Cores)
	}
	return cpu, nil
}

// sayer returns a function that writes one progress line, prefixed with
// "[prefix] ", to o.Progress (nothing when it is nil).
func (o Options) sayer(prefix string) func(format string, args ...any) {
	return func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "["+prefix+"] "+format+"\n", args...)
		}
	}
}
