package fernb

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/table"
	"github.com/fernb/fernb/fernb/train"
)

// captureStderr runs fn and returns what it wrote to os.Stderr.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	defer func() { os.Stderr = old }()
	fn()
	w.Close()
	os.Stderr = old
	return <-done
}

func TestNotebookErrorsAreMessages(t *testing.T) {
	n := &Notebook{Study: quickStudy(t), SessionDir: t.TempDir()}
	tests := []struct {
		name string
		cell func()
		want string // in the message on stderr
	}{
		{"unknown step", func() { n.Curves("99") }, `s.Curves("99") failed: `},
		{"untrained step", func() { n.ConfusionMatrix("01", "test") }, `s.ConfusionMatrix("01", "test") failed: step 01-resnet18 has no run`},
		{"no step", func() { n.Train() }, `s.Train() failed: name a step to train`},
		{"bad split", func() { n.SampleFaces(-1); n.Augmentation("06", 1<<30, 3) }, `s.Augmentation("06", 1073741824, 3) failed: image index`},
		{"no export folder", func() { n.Export(" ") }, `s.Export(" ") failed: name the folder`},
		{"panic", func() {
			n.do(call("Boom", 1, "x"), func(*Study) error { panic("boom") })
		}, `s.Boom(1, "x") failed: boom`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := captureStderr(t, tt.cell)
			if !strings.Contains(out, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", out, tt.want)
			}
			if strings.Contains(out, "goroutine ") {
				t.Errorf("stderr holds a stack trace: %q", out)
			}
		})
	}
	broken := &Notebook{err: os.ErrNotExist}
	if out := captureStderr(t, broken.Header); !strings.Contains(out, "s.Header() failed: the study could not be opened") {
		t.Errorf("a study that failed to open: %q", out)
	}
}

func TestNotebookTrainShowExport(t *testing.T) {
	s := quickStudy(t)
	n := &Notebook{Study: s, SessionDir: t.TempDir()}
	var errs string
	errs += captureStderr(t, func() {
		n.Train("00")
		n.Curves("00")
		n.Augmentation("06", 0, 4)
		n.ClassDistribution()
		n.Curves("00") // shown twice: exported once
	})
	if errs != "" {
		t.Fatalf("cells failed: %s", errs)
	}
	if shown, err := shownFigures(n.SessionDir); err != nil || strings.Join(shown, " ") != "training-00-baseline curves-00-baseline augmentation-06-resized-crop class-distribution" {
		t.Errorf("figures kept: %q (%v)", shown, err)
	}
	if _, err := os.Stat(filepath.Join(s.PlotsDir, "training-00-baseline.png")); err != nil {
		t.Errorf("the final training figure is not in the plots folder: %v", err)
	}
	if out := captureStderr(t, func() { n.Export("write-up") }); out != "" {
		t.Fatalf("Export: %s", out)
	}
	dir := filepath.Join(s.PlotsDir, "write-up")
	for _, f := range []string{"training-00-baseline.png", "training-00-baseline.svg", "training-00-baseline.pdf",
		"curves-00-baseline.pdf", "augmentation-06-resized-crop.svg", "class-distribution.png", "figures.md", "results.md", "results.tex"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("export lacks %s: %v", f, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4*3+3 {
		t.Errorf("export holds %d files, want 15 (4 figures x 3 formats, figures.md, results.md, results.tex)", len(entries))
	}
	// PNGs at 300 dpi: a 10.5-inch-wide figure is 3150 pixels wide.
	b, err := os.ReadFile(filepath.Join(dir, "training-00-baseline.png"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != 3150 {
		t.Errorf("exported PNG is %dx%d (%v), want %d pixels wide (300 dpi)", cfg.Width, cfg.Height, err, 3150)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "results.md"))
	tex, _ := os.ReadFile(filepath.Join(dir, "results.tex"))
	if !strings.Contains(string(md), "| 00-baseline | baseline CNN | 2 |") || !strings.Contains(string(md), "32.22%") {
		t.Errorf("results.md lacks the baseline row:\n%s", md)
	}
	if !strings.Contains(string(tex), `00-baseline & baseline CNN & 2 &`) || !strings.Contains(string(tex), `32.22\%`) ||
		!strings.Contains(string(tex), `\begin{tabular}{llrrrrrr}`) || !strings.Contains(string(tex), "SYNTHETIC") {
		t.Errorf("results.tex lacks the baseline row or the table:\n%s", tex)
	}
	idx, _ := os.ReadFile(filepath.Join(dir, "figures.md"))
	if !strings.Contains(string(idx), "![training-00-baseline](training-00-baseline.png)\n\n![curves-00-baseline]") {
		t.Errorf("figures.md does not list the figures in the order shown:\n%s", idx)
	}
	// An absolute folder is used as given.
	abs := filepath.Join(t.TempDir(), "paper")
	if got, err := s.ExportDir(abs); err != nil || got != abs {
		t.Errorf("ExportDir(%q) = %q, %v", abs, got, err)
	}
}

func TestExportSessionNothing(t *testing.T) {
	if _, err := exportSession(t.TempDir(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "nothing to export") {
		t.Errorf("export of an empty session: %v", err)
	}
	tbl := &table.Table{Columns: []string{"a"}, Rows: [][]string{{"1"}}}
	files, err := exportSession(t.TempDir(), t.TempDir(), tbl)
	if err != nil || len(files) != 2 {
		t.Errorf("table only: %q, %v; want results.md and results.tex", files, err)
	}
}

func TestLiveView(t *testing.T) {
	s := quickStudy(t)
	if _, err := s.Train("00"); err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	updates := 0
	v := newLiveView("00-baseline", " (synthetic)")
	v.update = func(id, h string) { blocks[id] = h; updates++ }
	v.every = time.Hour
	run := s.RunDir("00-baseline")
	res, err := train.ReadResult(run)
	if err != nil {
		t.Fatal(err)
	}
	v.progress(train.Progress{Phase: "compile", Run: run, Epoch: 1, Epochs: 2, Steps: 2})
	v.progress(train.Progress{Phase: "train", Run: run, Epoch: 1, Epochs: 2, Step: 1, Steps: 2, Loss: 1.9, Acc: 0.2})
	v.progress(train.Progress{Phase: "train", Run: run, Epoch: 1, Epochs: 2, Step: 2, Steps: 2}) // throttled
	if updates != 2 || !strings.Contains(blocks[v.barID], "step 1/2 · loss 1.9000 · acc 20.0%") || !strings.Contains(blocks[v.barID], `<progress value="1" max="4" `) {
		t.Errorf("after a step: %d updates, bar %q", updates, blocks[v.barID])
	}
	v.progress(train.Progress{Phase: "epoch", Run: run, Epoch: 2, Epochs: 2, Steps: 2, Done: &res.History[1], ETA: 75 * time.Second, Elapsed: time.Hour + 2*time.Minute})
	if !strings.Contains(blocks[v.barID], `<progress value="4" max="4" `) || !strings.Contains(blocks[v.barID], "elapsed 1 h 02 min · left 1 min 15 s") {
		t.Errorf("bar at the end: %q", blocks[v.barID])
	}
	if !strings.Contains(blocks[v.figID], `<img src="data:image/png;base64,`) || !strings.Contains(blocks[v.figID], `alt="training-00-baseline"`) {
		t.Errorf("curves block after an epoch: %.100q", blocks[v.figID])
	}
	v.close()
	if blocks[v.barID] != "" || blocks[v.figID] != "" {
		t.Error("close left the live blocks in the notebook")
	}
	n := updates
	v.progress(train.Progress{Phase: "val", Run: run, Epoch: 2, Epochs: 2})
	if updates != n {
		t.Error("a closed view still updates")
	}
}

func TestScaleAugmentation(t *testing.T) {
	full := augment.Config{HFlip: true, Rotate: 30, ResizedCrop: true, PadCrop: 4, Erase: 0.5, Brightness: 0.4, Mean: 0.5, Std: 0.25, Mixup: 0.2}
	tests := []struct {
		name     string
		strength float64
		want     augment.Config
	}{
		{"full", 1, augment.Config{HFlip: true, Rotate: 30, ResizedCrop: true, ResizedCropScale: [2]float64{0.08, 1}, ResizedCropRatio: [2]float64{0.75, 4.0 / 3},
			PadCrop: 4, Erase: 0.5, Brightness: 0.4, Mean: 0.5, Std: 0.25, Mixup: 0.2}},
		{"half", 0.5, augment.Config{HFlip: true, Rotate: 15, ResizedCrop: true, ResizedCropScale: [2]float64{0.54, 1}, ResizedCropRatio: [2]float64{0.875, 1 + 1.0/6},
			PadCrop: 2, Erase: 0.25, Brightness: 0.2, Mean: 0.5, Std: 0.25, Mixup: 0.2}},
		{"none", 0, augment.Config{HFlip: true, Mean: 0.5, Std: 0.25, Mixup: 0.2}},
		{"clamped", 7, augment.Config{HFlip: true, Rotate: 30, ResizedCrop: true, ResizedCropScale: [2]float64{0.08, 1}, ResizedCropRatio: [2]float64{0.75, 4.0 / 3},
			PadCrop: 4, Erase: 0.5, Brightness: 0.4, Mean: 0.5, Std: 0.25, Mixup: 0.2}},
	}
	near := func(a, b [2]float64) bool { return abs(a[0]-b[0]) < 1e-12 && abs(a[1]-b[1]) < 1e-12 }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scaleAugmentation(full, tt.strength)
			if !near(got.ResizedCropScale, tt.want.ResizedCropScale) || !near(got.ResizedCropRatio, tt.want.ResizedCropRatio) {
				t.Errorf("crop scale %v ratio %v, want %v %v", got.ResizedCropScale, got.ResizedCropRatio, tt.want.ResizedCropScale, tt.want.ResizedCropRatio)
			}
			got.ResizedCropScale, got.ResizedCropRatio = tt.want.ResizedCropScale, tt.want.ResizedCropRatio
			if got != tt.want {
				t.Errorf("scaleAugmentation(%v) = %+v, want %+v", tt.strength, got, tt.want)
			}
			if _, err := scaleAugmentation(full, tt.strength).Pipeline(); err != nil {
				t.Errorf("not a valid augmentation: %v", err)
			}
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestGradCAMOfOneFace(t *testing.T) {
	s := quickStudy(t)
	if _, err := s.Train("00"); err != nil {
		t.Fatal(err)
	}
	f, err := s.GradCAMOf("00", "test", 5)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "gradcam-00-baseline-test-5" || f.Width < 2.9*72 {
		t.Errorf("one face: figure %q %.1f in wide, want gradcam-00-baseline-test-5 at 3 in", f.Name, float64(f.Width/72))
	}
	if _, err := s.GradCAMOf("00", "test", 1<<20); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("a face out of range: %v", err)
	}
	if _, err := s.GradCAMOf("00", "test"); err == nil {
		t.Error("no face: no error")
	}
}

func TestExplorersWithoutBrowser(t *testing.T) {
	s := quickStudy(t)
	n := &Notebook{Study: s, SessionDir: t.TempDir()}
	if out := captureStderr(t, n.ExploreRuns); !strings.Contains(out, "s.ExploreRuns() failed: no trained run") {
		t.Errorf("ExploreRuns with no run: %q", out)
	}
	errs := captureStderr(t, func() {
		n.Train("00")
		n.ExploreAugmentation("06")
		n.ExploreRuns()
		n.ExploreGradCAM("00", "test")
	})
	if errs != "" {
		t.Fatalf("explorers failed outside a notebook: %s", errs)
	}
	shown, err := shownFigures(n.SessionDir)
	want := "training-00-baseline augmentation-06-resized-crop-strength100-face0 confusion-00-baseline-test misclassified-00-baseline-test gradcam-00-baseline-test-0"
	if err != nil || strings.Join(shown, " ") != want {
		t.Errorf("explorers' starting views kept: %q (%v), want %s", shown, err, want)
	}
}

// interruptWriter sends the test process an interrupt when the training
// reports that it compiles (the first step), as Ctrl-C or GoNB's "interrupt
// the kernel" would.
type interruptWriter struct {
	t    *testing.T
	sent bool
}

func (w *interruptWriter) Write(p []byte) (int, error) {
	if !w.sent && strings.Contains(string(p), "compiling") {
		w.sent = true
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			w.t.Error(err)
		}
	}
	return len(p), nil
}

func TestTrainInterruptedResumes(t *testing.T) {
	s := quickStudy(t)
	s.Log = &interruptWriter{t: t}
	_, err := s.Train("00")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped during epoch 1") {
		t.Fatalf("interrupted Train: %v, want a stop during epoch 1 wrapping context.Canceled", err)
	}
	res, err := train.ReadResult(s.RunDir("00-baseline"))
	if err != nil || res.Status.State != train.StateStopped {
		t.Fatalf("run after the interrupt: %+v, %v; want state stopped", res, err)
	}
	s.Log = testWriter{t}
	res, err = s.Train("00")
	if err != nil || len(res.History) != 2 || res.Reused {
		t.Fatalf("Train after the interrupt: %v, %d epochs, reused %v; want the run resumed to 2 epochs", err, len(res.History), res.Reused)
	}
}

func TestInJupyterRoot(t *testing.T) {
	tests := []struct {
		root  string
		files []string
		want  []string
	}{
		{"/srv/notebooks", []string{"face.jpg", "/abs/x.png", "sub/y.png"}, []string{"/srv/notebooks/face.jpg", "/abs/x.png", "/srv/notebooks/sub/y.png"}},
		{"", []string{"face.jpg"}, []string{"face.jpg"}},
	}
	for _, tt := range tests {
		if got := inJupyterRoot(tt.files, tt.root); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("inJupyterRoot(%q, %q) = %q, want %q", tt.files, tt.root, got, tt.want)
		}
	}
}
