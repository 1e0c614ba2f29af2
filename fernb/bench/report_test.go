package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/models"
)

func TestMeasurementFill(t *testing.T) {
	ls := []Layer{conv("c", 5, 5, 2, 4, 3, 1, 1)} // 1800 MACs
	m := Measurement{Batch: 10, TrainStepSec: []float64{1, 3, 2}, InferStepSec: []float64{0.5, 0.5},
		TrainFirstStepSec: 7, InferFirstStepSec: 0.25}
	m.fill(ls, 1e6)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"train img/s", m.TrainImagesPerSec, 5},  // 30 images in 6 s
		{"infer img/s", m.InferImagesPerSec, 20}, // 20 images in 1 s
		{"train compile", m.TrainCompileSec, 5},  // 7 - median 2
		{"infer compile", m.InferCompileSec, 0},  // never negative
		{"train GFLOP/s", m.TrainGFLOPs, 5 * 10800 / 1e9},
		{"infer GFLOP/s", m.InferGFLOPs, 20 * 3600 / 1e9},
		{"train peak fraction", m.TrainPeakFraction, 5 * 10800 / 1e6},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
}

func TestRatiosAndOutput(t *testing.T) {
	r := &Report{Batch: 128, Steps: Steps{Train: 10, Infer: 10, Warmup: 2}, GoSteps: Steps{Train: 2, Infer: 2}, CPU: CPU{Model: "test", Cores: 2, GHz: 2, ISA: "avx512", FLOPsPerCycle: 64},
		PeakFormula: PeakFormula, Measurements: []Measurement{
			{Backend: "xla:cpu", Conv: "im2col", Stem: StemStandard, TrainImagesPerSec: 150, InferImagesPerSec: 400},
			{Backend: "go", Stem: StemStandard, TrainImagesPerSec: 10, InferImagesPerSec: 40},
			{Backend: TorchBackend, Stem: StemStandard, TrainImagesPerSec: 100, InferImagesPerSec: 200},
			{Backend: "xla:cpu", Conv: "im2col", Precision: "bf16", Stem: StemStandard, TrainImagesPerSec: 240, InferImagesPerSec: 600},
			{Backend: TorchBackend, Precision: "bf16", Stem: StemStandard, TrainImagesPerSec: 200, InferImagesPerSec: 300},
			{Backend: "xla:cpu", Stem: StemSmall, TrainImagesPerSec: 30},
			{Backend: TorchBackend, Stem: StemSmall, Error: "no torch"},
		}}
	r.Ratios = ratios(r.Measurements)
	// Each GoMLX row against the peer of its own precision only.
	want := []Ratio{{StemStandard, "xla:cpu (im2col)", TorchBackend, 1.5, 2}, {StemStandard, "go", TorchBackend, 0.1, 0.2},
		{StemStandard, "xla:cpu (im2col, bf16)", TorchBackend + " (bf16)", 1.2, 2}}
	if len(r.Ratios) != len(want) {
		t.Fatalf("ratios %+v, want %+v", r.Ratios, want)
	}
	for i := range want {
		g := r.Ratios[i]
		if g.Stem != want[i].Stem || g.Backend != want[i].Backend || g.Peer != want[i].Peer || math.Abs(g.Train-want[i].Train) > 1e-12 || math.Abs(g.Infer-want[i].Infer) > 1e-12 {
			t.Errorf("ratio %d = %+v, want %+v", i, g, want[i])
		}
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"xla:cpu (im2col) / pytorch-cpu  1.50x", "go / pytorch-cpu  0.10x", "pytorch-cpu/small: no torch", "= 2 x 2.000 GHz x 64 = "} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, b.String())
		}
	}
	path := filepath.Join(t.TempDir(), "b.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Measurements) != 7 || back.Ratios[0].Train != 1.5 || back.Measurements[3].Precision != models.PrecisionBF16 {
		t.Errorf("JSON round trip lost data: %+v", back)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	cases := []func(*Options){
		func(o *Options) { o.Batch = 0 },
		func(o *Options) { o.Stems = []string{"huge"} },
		func(o *Options) { o.Stems = nil },
		func(o *Options) { o.Precisions = []models.Precision{"fp8"} },
		func(o *Options) { o.Backends, o.Torch = nil, false },
		func(o *Options) { o.Convs = []models.ConvImpl{"fft"} },
	}
	for i, mod := range cases {
		o := DefaultOptions()
		mod(&o)
		if _, err := Run(o); err == nil {
			t.Errorf("case %d: Run(%+v) succeeded", i, o)
		}
	}
}

func TestTimeStepsBudget(t *testing.T) {
	cases := []struct {
		name             string
		untimed, timed   int
		budget           float64
		minWant, maxWant int // timed steps run
	}{
		{"no budget", 2, 5, 0, 5, 5},
		{"budget stops early", 1, 50, 0.035, 2, 4}, // >= 10 ms steps: at most 4 reach 35 ms
		{"at least two timed", 1, 5, 1e-9, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			var progress bytes.Buffer
			first, times, err := timeSteps(&progress, "x", c.untimed, c.timed, c.budget, func() error {
				calls++
				time.Sleep(10 * time.Millisecond)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != c.untimed+len(times) || len(times) < c.minWant || len(times) > c.maxWant || first < 0.01 {
				t.Errorf("%d calls, %d timed, first %g; want %d untimed + %d..%d timed", calls, len(times), first, c.untimed, c.minWant, c.maxWant)
			}
			if n := strings.Count(progress.String(), "\n"); n != calls {
				t.Errorf("%d progress lines for %d calls", n, calls)
			}
		})
	}
}

func TestDefaultOptions(t *testing.T) {
	o := DefaultOptions()
	if o.Batch != 128 || o.Steps.Budget <= 0 || o.GoSteps.Budget <= 0 || !slices.Equal(o.Convs, []models.ConvImpl{models.ConvMixed, models.ConvIm2col, models.ConvNative}) || len(o.NativeStems) == 0 ||
		len(o.Stems) != 2 || !o.Torch || o.TorchDevice != "cpu" {
		t.Errorf("unexpected defaults %+v", o)
	}
}

func TestMeasurementLabel(t *testing.T) {
	for _, c := range []struct {
		m    Measurement
		want string
	}{
		{Measurement{Backend: "go"}, "go"},
		{Measurement{Backend: "xla:cpu", Conv: models.ConvAuto, BatchNorm: models.BNAuto}, "xla:cpu"},
		{Measurement{Backend: "xla:cpu", Conv: models.ConvIm2col}, "xla:cpu (im2col)"},
		{Measurement{Backend: "xla:cpu", Conv: models.ConvIm2col, BatchNorm: models.BNFused}, "xla:cpu (im2col, bn fused)"},
		{Measurement{Backend: "xla:cpu", BatchNorm: models.BNGraph}, "xla:cpu (bn graph)"},
	} {
		if got := c.m.Label(); got != c.want {
			t.Errorf("Label() = %q, want %q", got, c.want)
		}
	}
}
