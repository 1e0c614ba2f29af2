package bench

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/xla"
)

// TestRunGoBackend runs the whole harness on the pure-Go backend with tiny
// batches and checks the figures are filled in and consistent.
func TestRunGoBackend(t *testing.T) {
	o := DefaultOptions()
	o.Batch, o.GoSteps, o.Backends, o.Stems, o.Torch = 2, Steps{Train: 2, Infer: 1, Warmup: 1}, []string{xla.KindGo}, []string{StemStandard}, false
	r, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Measurements) != 1 {
		t.Fatalf("%d measurements, want 1", len(r.Measurements))
	}
	m := r.Measurements[0]
	if m.Error != "" || len(m.TrainStepSec) != 2 || len(m.InferStepSec) != 1 || m.TrainImagesPerSec <= 0 ||
		m.InferImagesPerSec <= 0 || m.PeakRSSMiB <= 0 || m.GoHeapMiB <= 0 || m.TrainFLOPsPerImage != 3*2*94_346_752 {
		t.Errorf("incomplete measurement %+v", m)
	}
	if m.FinalLoss <= 0 || m.FinalLoss > 10 {
		t.Errorf("final loss %g: not a cross-entropy over 7 classes", m.FinalLoss)
	}
}

// TestHarnessLearns checks the training step really trains: on a fixed set
// of 4 random batches the loss falls.
func TestHarnessLearns(t *testing.T) {
	backend, _, err := xla.New(xla.KindGo)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	h, err := NewHarness(backend, models.Config{Arch: models.ArchResNet18, Seed: 3}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var first, last float32
	for i := 0; i < 4*4; i++ {
		l, err := h.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		if i < 4 {
			first += l
		} else if i >= 12 {
			last += l
		}
	}
	if !(last < first*0.7) {
		t.Errorf("loss over the 4 batches went from %g to %g: not learning", first/4, last/4)
	}
}

// TestMeasureTorch runs the PyTorch peer on a tiny batch when PyTorch is
// installed (./fernb.sh setup --bench); CI without it skips, saying so.
func TestMeasureTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starting PyTorch takes seconds")
	}
	python, script, err := FindTorch()
	if err != nil {
		t.Skipf("PyTorch peer not available: %v", err)
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("PyTorch not installed in %s (./fernb.sh setup --bench)", python)
	}
	m, info, err := MeasureTorch(python, script, "cpu", StemStandard, 2, Steps{Train: 2, Infer: 1, Warmup: 0}, 1, 1, 1e9, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Threads != 1 || info.Version == "" || len(m.TrainStepSec) != 2 || len(m.InferStepSec) != 1 ||
		m.TrainImagesPerSec <= 0 || m.PeakRSSMiB < 50 || m.TrainPeakFraction <= 0 {
		t.Errorf("incomplete PyTorch measurement %+v %+v", m, info)
	}
}

// benchBackend is the backend of the Go benchmarks: $FERNB_BENCH_BACKEND,
// else xla:cpu.
func benchBackend(b *testing.B) string {
	if n := os.Getenv("FERNB_BENCH_BACKEND"); n != "" {
		return n
	}
	return xla.KindCPU
}

func benchHarness(b *testing.B) *Harness {
	if testing.Short() {
		b.Skip("-short: ResNet18 batch 128 takes seconds to compile and run")
	}
	name := benchBackend(b)
	backend, _, err := xla.New(name)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	b.Cleanup(backend.Finalize)
	// $FERNB_BENCH_CONV and $FERNB_BENCH_BN pick the convolution and the
	// batch norm (default auto, as training does).
	h, err := NewHarness(backend, models.Config{Arch: models.ArchResNet18, Seed: 1, Conv: models.ConvImpl(os.Getenv("FERNB_BENCH_CONV")),
		BatchNorm: models.BatchNormImpl(os.Getenv("FERNB_BENCH_BN"))}, 128, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h
}

// BenchmarkResNet18TrainStep times one training step (batch 128, standard
// stem) on $FERNB_BENCH_BACKEND (default xla:cpu) with the convolution
// $FERNB_BENCH_CONV (default auto) and reports images/s.
func BenchmarkResNet18TrainStep(b *testing.B) {
	h := benchHarness(b)
	t0 := time.Now()
	if _, err := h.TrainStep(); err != nil { // compiles
		b.Fatal(err)
	}
	firstStep := time.Since(t0).Seconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := h.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*h.Batch())/b.Elapsed().Seconds(), "img/s")
	b.ReportMetric(firstStep, "first-step-s") // compilation + one step
}

// BenchmarkResNet18Inference times inference on a batch of 128 (standard
// stem) on $FERNB_BENCH_BACKEND (default xla:cpu) and reports images/s.
func BenchmarkResNet18Inference(b *testing.B) {
	h := benchHarness(b)
	if err := h.Infer(); err != nil { // compiles
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := h.Infer(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*h.Batch())/b.Elapsed().Seconds(), "img/s")
}

// TestHarnessTimesTrainStep checks that what bench times is fernb's own
// training step: train.Step's optimizer state (torch's momentum_buffer per
// parameter) appears in the harness's store after one step, and the
// network's convolution and batch norm reach the training configuration.
func TestHarnessTimesTrainStep(t *testing.T) {
	backend, _, err := xla.New(xla.KindGo)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	cfg := models.Config{Arch: models.ArchBaseline, Seed: 1, Conv: models.ConvIm2col, BatchNorm: models.BNGraph}
	if tc := TrainConfig(cfg); tc.ModelConfig() != cfg || tc.Validate() != nil {
		t.Fatalf("TrainConfig(%+v).ModelConfig() = %+v (valid: %v)", cfg, tc.ModelConfig(), tc.Validate())
	}
	h, err := NewHarness(backend, cfg, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.TrainStep(); err != nil {
		t.Fatal(err)
	}
	buffers, params := 0, 0
	for v := range h.store.IterVariables() {
		switch {
		case strings.HasPrefix(v.Path(), "/"+train.OptimizerScope+"/") && strings.HasSuffix(v.Path(), "/momentum_buffer"):
			buffers++
		case v.Trainable:
			params++
		}
	}
	if params == 0 || buffers != params {
		t.Errorf("%d momentum buffers of train.Step for %d parameters", buffers, params)
	}
}
