package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/xla"
)

// TestConvShapes checks the distinct convolution shapes of ResNet18 at
// 48x48x1 and how often each occurs.
func TestConvShapes(t *testing.T) {
	for _, tc := range []struct {
		small bool
		// want maps shape keys to counts; every shape must be listed.
		want map[string]int
		// first is the first shape's key (the stem).
		first string
	}{
		{false, map[string]int{
			"7x7/2 48x48x1->24x24x64":  1,
			"3x3/1 12x12x64->12x12x64": 4,
			"3x3/2 12x12x64->6x6x128":  1,
			"3x3/1 6x6x128->6x6x128":   3,
			"1x1/2 12x12x64->6x6x128":  1,
			"3x3/2 6x6x128->3x3x256":   1,
			"3x3/1 3x3x256->3x3x256":   3,
			"1x1/2 6x6x128->3x3x256":   1,
			"3x3/2 3x3x256->2x2x512":   1,
			"3x3/1 2x2x512->2x2x512":   3,
			"1x1/2 3x3x256->2x2x512":   1,
		}, "7x7/2 48x48x1->24x24x64"},
		{true, map[string]int{
			"3x3/1 48x48x1->48x48x64":    1,
			"3x3/1 48x48x64->48x48x64":   4,
			"3x3/2 48x48x64->24x24x128":  1,
			"3x3/1 24x24x128->24x24x128": 3,
			"1x1/2 48x48x64->24x24x128":  1,
			"3x3/2 24x24x128->12x12x256": 1,
			"3x3/1 12x12x256->12x12x256": 3,
			"1x1/2 24x24x128->12x12x256": 1,
			"3x3/2 12x12x256->6x6x512":   1,
			"3x3/1 6x6x512->6x6x512":     3,
			"1x1/2 12x12x256->6x6x512":   1,
		}, "3x3/1 48x48x1->48x48x64"},
	} {
		layers := ResNet18Layers(48, 1, 7, tc.small)
		shapes := ConvShapes(layers)
		if len(shapes) != len(tc.want) || shapes[0].Key != tc.first {
			t.Errorf("small=%v: %d shapes starting with %q, want %d starting with %q", tc.small, len(shapes), shapes[0].Key, len(tc.want), tc.first)
		}
		var n int
		var macs int64
		for _, s := range shapes {
			if tc.want[s.Key] != s.Count || len(s.Layers) != s.Count {
				t.Errorf("small=%v: shape %q occurs %d times (%v), want %d", tc.small, s.Key, s.Count, s.Layers, tc.want[s.Key])
			}
			n += s.Count
			macs += int64(s.Count) * s.Layer.MACs()
		}
		// Every convolution is in exactly one shape: 20 in ResNet18, and the
		// MACs add up to the forward FLOPs less the classifier's.
		if n != 20 || 2*macs != ForwardFLOPs(layers)-2*512*7 {
			t.Errorf("small=%v: %d convolutions with %d MACs, want 20 with %d", tc.small, n, macs, (ForwardFLOPs(layers)-2*512*7)/2)
		}
	}
}

// TestPhasesFill checks the medians and the derived phases.
func TestPhasesFill(t *testing.T) {
	for _, tc := range []struct {
		fwd, fb, step                       []float64
		wantF, wantB, wantFB, wantU, wantSt float64
	}{
		{[]float64{0.1, 0.3, 0.2}, []float64{0.5}, []float64{0.6, 0.7}, 200, 300, 500, 150, 650},
		{[]float64{0.1}, []float64{0.09}, []float64{0.08}, 100, -10, 90, -10, 80}, // noise: derived phases may be negative
	} {
		p := Phases{ForwardSec: tc.fwd, ForwardBackwardSec: tc.fb, StepSec: tc.step}
		p.fill(64)
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"forward", p.ForwardMs, tc.wantF}, {"backward", p.BackwardMs, tc.wantB}, {"forward+backward", p.ForwardBackwardMs, tc.wantFB},
			{"update", p.UpdateMs, tc.wantU}, {"step", p.StepMs, tc.wantSt}, {"img/s", p.StepImagesPerSec, 64 / (tc.wantSt / 1e3)}} {
			if math.Abs(c.got-c.want) > 1e-9 {
				t.Errorf("%v/%v/%v: %s %g ms, want %g", tc.fwd, tc.fb, tc.step, c.name, c.got, c.want)
			}
		}
	}
}

// testProfile is a Profile with made-up times: fernb at half PyTorch's
// speed in the forward, the same in the update.
func testProfile() *Profile {
	p := &Profile{Batch: 4, Stem: StemStandard, Steps: Steps{Train: 2}, ConvSteps: 1}
	f := Phases{Label: "xla:cpu (im2col, bn graph)", Backend: xla.KindCPU, Conv: models.ConvIm2col,
		ForwardSec: []float64{0.02}, ForwardBackwardSec: []float64{0.05}, StepSec: []float64{0.06}}
	tq := Phases{Label: "pytorch-cpu (nchw)", Backend: TorchBackend, Format: TorchNCHW,
		ForwardSec: []float64{0.01}, ForwardBackwardSec: []float64{0.03}, StepSec: []float64{0.04}}
	f.fill(4)
	tq.fill(4)
	p.Phases = []Phases{f, tq, {Label: "go", Backend: xla.KindGo, Error: "boom"}}
	for i, s := range ConvShapes(ResNet18Layers(48, 1, 7, false))[:2] {
		c := ConvProfile{ConvShape: s}
		ft := ConvTiming{Impl: "fernb im2col (xla:cpu)", Backend: xla.KindCPU, Conv: models.ConvIm2col,
			ForwardSec: []float64{0.002 * float64(i+1)}, ForwardBackwardSec: []float64{0.006}}
		tt := ConvTiming{Impl: "pytorch-cpu (nchw)", Backend: TorchBackend, Format: TorchNCHW,
			ForwardSec: []float64{0.001}, ForwardBackwardSec: []float64{0.003}}
		ft.fill(s.Layer, p.Batch)
		tt.fill(s.Layer, p.Batch)
		c.Timings = []ConvTiming{ft, tt}
		p.Convs = append(p.Convs, c)
	}
	p.Ratios, p.ConvTotals = p.phaseRatios(), p.convTotals()
	return p
}

// TestProfileDerived checks the ratios, the convolution totals and GFLOP/s.
func TestProfileDerived(t *testing.T) {
	p := testProfile()
	if len(p.Ratios) != 1 {
		t.Fatalf("%d ratios, want 1 (the failed row has none): %+v", len(p.Ratios), p.Ratios)
	}
	r := p.Ratios[0]
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"forward", r.Forward, 0.5}, {"backward", r.Backward, 20.0 / 30}, {"update", r.Update, 1}, {"step", r.Step, 40.0 / 60},
		{"forward gap", r.ForwardGap, 10}, {"step gap", r.StepGap, 20}, {"backward gap", r.BackwardGap, 10}} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
	// Stem: 1 x 2 ms; layer1: 4 x 4 ms (fernb), 1 + 4 x 1 ms (PyTorch).
	want := []ConvTotal{{Impl: "fernb im2col (xla:cpu)", ForwardMs: 2 + 4*4, ForwardBackwardMs: 5 * 6, Shapes: 2},
		{Impl: "pytorch-cpu (nchw)", ForwardMs: 5, ForwardBackwardMs: 5 * 3, Shapes: 2}}
	if len(p.ConvTotals) != 2 {
		t.Fatalf("conv totals %+v, want %+v", p.ConvTotals, want)
	}
	for i := range want {
		g := p.ConvTotals[i]
		if g.Impl != want[i].Impl || g.Shapes != want[i].Shapes || math.Abs(g.ForwardMs-want[i].ForwardMs) > 1e-9 ||
			math.Abs(g.ForwardBackwardMs-want[i].ForwardBackwardMs) > 1e-9 {
			t.Errorf("conv total %d = %+v, want %+v", i, g, want[i])
		}
	}
	// The stem: 48x48x1 -> 24x24x64 with 7x7 kernels, 4 images, in 2 ms.
	stem := p.Convs[0].Timings[0]
	if gf := 2 * 24 * 24 * 64 * 49 * 4 / 2e-3 / 1e9; math.Abs(stem.ForwardGFLOPs-gf) > 1e-6 || math.Abs(stem.ForwardBackwardGFLOPs-gf) > 1e-6 {
		t.Errorf("stem GFLOP/s %g forward, %g forward+backward; want %g for both", stem.ForwardGFLOPs, stem.ForwardBackwardGFLOPs, gf)
	}
	if speed(1, 0) != 0 || speed(-1, 2) != 0 || speed(1, 2) != 0.5 {
		t.Error("speed of non-positive times must be 0")
	}
}

// TestProfileTable checks the text table shows the phases, the ratios, the
// convolution shapes with their counts and the failed row.
func TestProfileTable(t *testing.T) {
	var b bytes.Buffer
	if err := testProfile().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	for _, want := range []string{"forward ms", "backward ms (derived)", "update ms (derived)", "step img/s",
		"xla:cpu (im2col, bn graph)", "pytorch-cpu (nchw)", "0.50x [+10.0]", "1.00x [+0.0]", "0.67x [+20.0]",
		"7x7/2 48x48x1->24x24x64", "3x3/1 12x12x64->12x12x64", "speed vs nchw", "all convolutions",
		"go failed: boom", "convolutions 18.0 of 20.0 ms forward (90%)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The layer1 row of the forward table: 4 occurrences of 4 ms, 0.25x
	// PyTorch's speed.
	found := false
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "3x3/1 12x12x64") && strings.Contains(line, "4.00") {
			found = true
			if f := strings.Fields(line); f[2] != "4" || !strings.Contains(line, "16.0") || !strings.Contains(line, "0.25x") {
				t.Errorf("layer1 row %q: want n 4, n x ms 16.0, speed 0.25x", line)
			}
		}
	}
	if !found {
		t.Errorf("no forward row for layer1's shape:\n%s", out)
	}
}

// TestAddTorch checks PyTorch's output lands on the right shapes and an
// unknown shape is an error.
func TestAddTorch(t *testing.T) {
	p := &Profile{Batch: 2}
	for _, s := range ConvShapes(ResNet18Layers(48, 1, 7, false)) {
		p.Convs = append(p.Convs, ConvProfile{ConvShape: s})
	}
	var tp torchProfile
	js := `{"torch": "2", "threads": 1, "profile": {"stem": "standard", "batch": 2,
		"phases": [{"format": "channels_last", "forward_s": [0.1], "forward_backward_s": [0.3], "step_s": [0.4]}],
		"convs": [{"key": "1x1/2 12x12x64->6x6x128", "format": "nchw", "forward_s": [0.001], "forward_backward_s": [0.002]},
		          {"key": "5x5/1 1x1x1->1x1x1", "format": "nchw", "forward_s": [0.001], "forward_backward_s": [0.002]}]}}`
	if err := json.Unmarshal([]byte(js), &tp); err != nil {
		t.Fatal(err)
	}
	n, err := p.addTorch(&tp)
	if err == nil || !strings.Contains(err.Error(), "5x5/1") || n != 2 {
		t.Errorf("addTorch = %d, %v; want 2 added and an error naming the unknown shape", n, err)
	}
	if len(p.Phases) != 1 || p.Phases[0].Label != "pytorch-cpu (channels_last)" || math.Abs(p.Phases[0].BackwardMs-200) > 1e-9 {
		t.Errorf("PyTorch phases %+v", p.Phases)
	}
	c := p.Convs[p.convIndex("1x1/2 12x12x64->6x6x128")]
	if len(c.Timings) != 1 || !c.Timings[0].IsTorch() || math.Abs(c.Timings[0].ForwardMs-1) > 1e-9 {
		t.Errorf("PyTorch convolution timing %+v", c.Timings)
	}
}

// TestRunProfileGoBackend runs the whole profile on the pure-Go backend with
// a tiny batch and checks every phase and shape got positive times.
func TestRunProfileGoBackend(t *testing.T) {
	o := DefaultProfileOptions()
	o.Batch, o.Steps, o.ConvSteps, o.ConvWarmup = 2, Steps{Train: 2, Warmup: 0}, 1, 0
	o.Backends, o.Convs, o.BatchNorms, o.Torch, o.MeasureClock = []string{xla.KindGo}, []models.ConvImpl{models.ConvIm2col}, []models.BatchNormImpl{models.BNGraph}, false, false
	p, err := RunProfile(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Phases) != 1 {
		t.Fatalf("%d phase rows, want 1: %+v", len(p.Phases), p.Phases)
	}
	ph := p.Phases[0]
	if ph.Error != "" || ph.Label != "go (im2col, bn graph)" || len(ph.ForwardSec) != 2 || len(ph.StepSec) != 2 ||
		ph.ForwardMs <= 0 || ph.ForwardBackwardMs <= 0 || ph.StepMs <= 0 || ph.ForwardFirstSec <= 0 {
		t.Errorf("incomplete phases %+v", ph)
	}
	// A backward pass costs more than the forward one.
	if ph.ForwardBackwardMs <= ph.ForwardMs {
		t.Errorf("forward+backward %.1f ms <= forward %.1f ms", ph.ForwardBackwardMs, ph.ForwardMs)
	}
	if len(p.Convs) != 11 {
		t.Fatalf("%d convolution shapes, want 11", len(p.Convs))
	}
	for _, c := range p.Convs {
		if len(c.Timings) != 1 {
			t.Fatalf("%s: %d timings, want 1", c.Key, len(c.Timings))
		}
		ct := c.Timings[0]
		if ct.Error != "" || ct.Impl != "fernb im2col (go)" || ct.ForwardMs <= 0 || ct.ForwardBackwardMs <= 0 || ct.ForwardGFLOPs <= 0 {
			t.Errorf("%s: incomplete timing %+v", c.Key, ct)
		}
	}
	if len(p.ConvTotals) != 1 || p.ConvTotals[0].Shapes != 11 || len(p.Ratios) != 0 {
		t.Errorf("totals %+v, ratios %+v: want one total over 11 shapes and no ratios without PyTorch", p.ConvTotals, p.Ratios)
	}
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := p.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	var back Profile
	if data, err := os.ReadFile(path); err != nil || json.Unmarshal(data, &back) != nil || len(back.Convs) != 11 || back.Phases[0].StepMs != ph.StepMs {
		t.Errorf("JSON did not round-trip (%v)", err)
	}
}

// TestProfileConvErrors checks the convolution profile fails on a shape
// that is not a convolution and on bad step counts.
func TestProfileConvErrors(t *testing.T) {
	backend, _, err := xla.New(xla.KindGo)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	l := ResNet18Layers(48, 1, 7, false)
	for _, tc := range []struct {
		l           Layer
		steps, warm int
	}{{l[len(l)-1], 1, 0}, {l[1], 0, 0}, {l[1], 1, -1}} {
		if _, err := ProfileConvGoMLX(backend, xla.KindGo, models.ConvIm2col, tc.l, 1, tc.warm, tc.steps, 1); err == nil {
			t.Errorf("%s, %d steps, %d warm-up: no error", tc.l.Name, tc.steps, tc.warm)
		}
	}
	if _, err := RunProfile(Options{Batch: 1, Stems: []string{"tiny"}, Steps: Steps{Train: 1}}); err == nil {
		t.Error("unknown stem: no error")
	}
	o := DefaultProfileOptions()
	o.TorchFormats = []string{"nhwc"}
	if _, err := RunProfile(o); err == nil || !strings.Contains(err.Error(), "nhwc") {
		t.Errorf("unknown PyTorch format: %v", err)
	}
}

// TestProfileTorch runs the PyTorch side of the profile on a tiny batch when
// PyTorch is installed; CI without it skips, saying so.
func TestProfileTorch(t *testing.T) {
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
	o := DefaultProfileOptions()
	o.Batch, o.Steps, o.ConvSteps, o.ConvWarmup = 2, Steps{Train: 2}, 2, 0
	shapes := ConvShapes(ResNet18Layers(48, 1, 7, false))[:3]
	tp, err := profileTorch(python, script, o, 1, shapes)
	if err != nil {
		t.Fatal(err)
	}
	p := &Profile{Batch: o.Batch}
	for _, s := range shapes {
		p.Convs = append(p.Convs, ConvProfile{ConvShape: s})
	}
	if n, err := p.addTorch(tp); err != nil || n != 2+3*2 {
		t.Fatalf("addTorch = %d, %v; want 2 phase rows and 3 shapes x 2 formats", n, err)
	}
	for _, ph := range p.Phases {
		if len(ph.StepSec) != 2 || ph.ForwardMs <= 0 || ph.ForwardBackwardMs <= 0 || ph.StepMs <= 0 {
			t.Errorf("incomplete PyTorch phases %+v", ph)
		}
	}
	for _, c := range p.Convs {
		if len(c.Timings) != 2 || c.Timings[0].Format != TorchNCHW || c.Timings[1].Format != TorchChannelsLast ||
			c.Timings[0].ForwardMs <= 0 || c.Timings[1].ForwardBackwardGFLOPs <= 0 || len(c.Timings[1].ForwardSec) != 2 {
			t.Errorf("%s: incomplete PyTorch timings %+v", c.Key, c.Timings)
		}
	}
	if tp.Threads != 1 || tp.Version == "" {
		t.Errorf("PyTorch info %+v", tp.TorchInfo)
	}
}

// TestProfileTableSeveralImpls checks the convolution tables with two fernb
// implementations (one failing a shape) and two PyTorch formats: a speed
// column per (fernb, PyTorch) pair, named after both, "-" where a timing
// failed, the totals' speeds from the sums, and a share line per phase row.
func TestProfileTableSeveralImpls(t *testing.T) {
	p := testProfile()
	mixed := Phases{Label: "xla:cpu (mixed, bn fused)", Backend: xla.KindCPU, Conv: models.ConvMixed,
		ForwardSec: []float64{0.015}, ForwardBackwardSec: []float64{0.04}, StepSec: []float64{0.05}}
	cl := Phases{Label: "pytorch-cpu (channels_last)", Backend: TorchBackend, Format: TorchChannelsLast,
		ForwardSec: []float64{0.012}, ForwardBackwardSec: []float64{0.032}, StepSec: []float64{0.041}}
	mixed.fill(p.Batch)
	cl.fill(p.Batch)
	p.Phases = append(p.Phases, mixed, cl)
	for i := range p.Convs {
		m := ConvTiming{Impl: "fernb mixed (xla:cpu)", Backend: xla.KindCPU, Conv: models.ConvMixed,
			ForwardSec: []float64{0.0015}, ForwardBackwardSec: []float64{0.005}}
		if i == 1 {
			m.Error = "boom"
		}
		tc := ConvTiming{Impl: "pytorch-cpu (channels_last)", Backend: TorchBackend, Format: TorchChannelsLast,
			ForwardSec: []float64{0.0011}, ForwardBackwardSec: []float64{0.0031}}
		m.fill(p.Convs[i].Layer, p.Batch)
		tc.fill(p.Convs[i].Layer, p.Batch)
		p.Convs[i].Timings = append(p.Convs[i].Timings, m, tc)
	}
	p.Ratios, p.ConvTotals = p.phaseRatios(), p.convTotals()
	var b bytes.Buffer
	if err := p.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// Forward ms: fernb im2col 2 and 4, mixed 1.5 and failed; PyTorch nchw 1
	// and 1, channels_last 1.1 and 1.1; layer1 counts 4.
	forward := out[strings.Index(out, "each convolution shape alone, forward,"):strings.Index(out, "each convolution shape alone, forward+backward")]
	for _, want := range []string{
		"fernb im2col (xla:cpu) speed vs nchw  fernb im2col (xla:cpu) speed vs channels_last  fernb mixed (xla:cpu) speed vs nchw  fernb mixed (xla:cpu) speed vs channels_last",
		"0.50x  0.55x  0.67x  0.73x\n", // the stem: 1/2, 1.1/2, 1/1.5, 1.1/1.5
		"0.25x  0.28x  -  -\n",         // layer1: the mixed timing failed
		"0.28x  0.31x  3.33x  3.67x\n", // totals: 5/18, 5.5/18, 5/1.5, 5.5/1.5
	} {
		if !strings.Contains(squeeze(forward), squeeze(want)) {
			t.Errorf("forward table lacks %q:\n%s", want, forward)
		}
	}
	for _, want := range []string{
		"xla:cpu (mixed, bn fused): convolutions 1.5 of 15.0 ms forward (10%), 5.0 of 40.0 ms forward+backward (12%)",
		"pytorch-cpu (channels_last): convolutions 5.5 of 12.0 ms forward (46%), 15.5 of 32.0 ms forward+backward (48%)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// squeeze collapses each line's runs of spaces to one space.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
