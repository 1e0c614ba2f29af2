package fernb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/plots"
)

// quickStudy returns a Study at the quick scale on synthetic faces, with its
// runs and plots in temporary folders.
func quickStudy(t *testing.T) *Study {
	t.Helper()
	t.Setenv(data.PathEnv, "")
	t.Setenv(ScaleEnv, "quick")
	t.Setenv(RunsEnv, t.TempDir())
	t.Setenv(PlotsEnv, t.TempDir())
	s, err := OpenStudy()
	if err != nil {
		t.Fatal(err)
	}
	s.Log = testWriter{t}
	return s
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestStudyTrainReuseAndFigures(t *testing.T) {
	s := quickStudy(t)
	res, err := s.Train("00")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.History) != 2 || res.Reused {
		t.Fatalf("first Train: %d epochs, reused %v; want 2 epochs, trained", len(res.History), res.Reused)
	}
	again, err := s.Train("00-baseline")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused {
		t.Error("second Train retrained instead of reusing the run folder")
	}
	// save shows a figure the way a notebook cell does outside a notebook,
	// which saves its PNG in the plots folder, and returns the PNG's path.
	n := &Notebook{Study: s, SessionDir: t.TempDir()}
	save := func(f *plots.Figure, err error) (string, error) {
		if err := n.show(f, err); err != nil {
			return "", err
		}
		return filepath.Join(s.PlotsDir, f.Name+".png"), nil
	}
	for name, fig := range map[string]func() (string, error){
		"curves": func() (string, error) { return save(s.Curves("00")) },
		"lr":     func() (string, error) { return save(s.LearningRates("00")) },
		"dist":   func() (string, error) { return save(s.ClassDistribution()) },
		"faces":  func() (string, error) { return save(s.SampleFaces(4)) },
		"aug":    func() (string, error) { return save(s.AugmentationPreview("06", 0, 8)) },
		"conf":   func() (string, error) { return save(s.ConfusionMatrix("00", "test")) },
		"class":  func() (string, error) { return save(s.PerClass("00", "val")) },
		"wrong":  func() (string, error) { return save(s.Misclassified("00", "test", 6)) },
		"cam":    func() (string, error) { return save(s.GradCAM("00", "test", 7)) },
		"table":  func() (string, error) { return save(s.ResultsFigure()) },
	} {
		p, err := fig()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fi, err := os.Stat(p); err != nil || fi.Size() < 1000 || filepath.Dir(p) != s.PlotsDir {
			t.Errorf("%s: figure %s not saved in %s: %v", name, p, s.PlotsDir, err)
		}
	}
	if _, err := s.Result("01"); err == nil {
		t.Error("Result of an untrained step: no error")
	}
}

func TestStudyResultsExportPredict(t *testing.T) {
	s := quickStudy(t)
	if _, err := s.Results(); err == nil {
		t.Error("Results with no runs: no error")
	}
	if _, err := s.Train("00"); err != nil {
		t.Fatal(err)
	}
	table, err := s.ResultsTable()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "| 00-baseline | baseline CNN | 2 |") || !strings.Contains(table, "32.22%") {
		t.Errorf("results table lacks the baseline row with the study's number:\n%s", table)
	}
	// Evaluate caches its metrics: the second call reads the file.
	m1, err := s.Evaluate("00", "test", "none")
	if err != nil {
		t.Fatal(err)
	}
	caches, _ := filepath.Glob(filepath.Join(s.RunDir("00-baseline"), "eval-test-none-*.json"))
	if len(caches) != 1 {
		t.Fatalf("metrics cache files %q, want one keyed by the data", caches)
	}
	m2, err := s.Evaluate("00", "test", "none")
	if err != nil || m1.Accuracy != m2.Accuracy || m1.N != 128 {
		t.Errorf("cached evaluation %v (N %d) differs from %v: %v", m2.Accuracy, m1.N, m1.Accuracy, err)
	}
	// A cache entry made on other data (same file name: a collision of the
	// short key) is not served: the full fingerprint is checked.
	b, err := os.ReadFile(caches[0])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if d, _ := c["data"].(string); !strings.Contains(d, "synthetic") || !strings.Contains(d, "fingerprint") {
		t.Errorf("cache does not name the data it scored: %q", d)
	}
	c["data"] = "other data"
	c["metrics"].(map[string]any)["accuracy"] = 2.0
	b, _ = json.Marshal(c)
	if err := os.WriteFile(caches[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	if m3, err := s.Evaluate("00", "test", "none"); err != nil || m3.Accuracy != m1.Accuracy {
		t.Errorf("served a cache made on other data: accuracy %v, want %v (%v)", m3.Accuracy, m1.Accuracy, err)
	}
	files, err := s.ExampleFiles(3)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.PredictFiles("00", files...)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "\n"); n != 4 || !strings.Contains(out, "surprise") {
		t.Errorf("PredictFiles output (%d lines):\n%s", n, out)
	}
	paths, err := s.ExportAll()
	if err != nil {
		t.Fatal(err)
	}
	var png, svg, pdf int
	for _, p := range paths {
		switch filepath.Ext(p) {
		case ".png":
			png++
		case ".svg":
			svg++
		case ".pdf":
			pdf++
		}
	}
	// data views 2 + per run 4 + results + mistakes + Grad-CAM + 3 PCA = 12 figures.
	if png != 12 || svg != 12 || pdf != 12 {
		t.Errorf("ExportAll wrote %d PNG, %d SVG, %d PDF; want 12 each", png, svg, pdf)
	}
}

// TestStudyConsistency checks the split-consistency report and its
// sharpness histogram on the synthetic faces (splits of one generator agree).
func TestStudyConsistency(t *testing.T) {
	s := quickStudy(t)
	r, err := s.Consistency()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Splits) < 2 || len(r.Warnings) > 0 {
		t.Errorf("consistency report: %d splits, warnings %q", len(r.Splits), r.Warnings)
	}
	f, err := s.SharpnessHistogram()
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "sharpness-histogram" {
		t.Errorf("figure name %q", f.Name)
	}
}
