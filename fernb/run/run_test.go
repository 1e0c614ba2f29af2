package run

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
)

// trainedRun trains a tiny baseline on synthetic faces into a run folder
// (which records its data) and returns the folder.
func trainedRun(t *testing.T) string {
	t.Helper()
	ds := data.Synthetic(200, 40, 1)
	if err := ds.SplitVal(0.2, 1); err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.Model, cfg.Epochs, cfg.BatchSize, cfg.MaxStepsPerEpoch = "baseline", 1, 16, 2
	dir := filepath.Join(t.TempDir(), "tiny")
	if _, err := train.Fit(context.Background(), cfg, ds, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRunHandle opens a run from its folder alone: it scores the data the
// run recorded, caches its metrics in the folder, draws and exports its
// figures, and Close releases the backend it made.
func TestRunHandle(t *testing.T) {
	dir := trainedRun(t)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Name != "tiny" || r.FigID != "tiny" || r.Label != "" {
		t.Errorf("names %q, %q, %q", r.Name, r.FigID, r.Label)
	}
	ds, err := r.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	if ds.Test.Len() != 40 || !strings.Contains(r.DataName, "synthetic") {
		t.Errorf("recorded data: %d test images, named %q", ds.Test.Len(), r.DataName)
	}
	m1, err := r.Evaluate("test", "")
	if err != nil {
		t.Fatal(err)
	}
	caches, _ := filepath.Glob(filepath.Join(dir, "eval-test-none-*.json"))
	if len(caches) != 1 || m1.N != 40 {
		t.Fatalf("cache files %q, %d images scored", caches, m1.N)
	}
	m2, err := r.Evaluate("test", "none")
	if err != nil || m2.Accuracy != m1.Accuracy {
		t.Errorf("cached evaluation %v, %v; want %v", m2.Accuracy, err, m1.Accuracy)
	}
	// A cache written before the 95 % intervals existed still loads, and
	// gets its interval.
	old, err := os.ReadFile(caches[0])
	if err != nil {
		t.Fatal(err)
	}
	stripped := regexp.MustCompile(`(?m)^\s*"accuracy_(low|high)": [^\n]*\n`).ReplaceAll(old, nil)
	if len(stripped) == len(old) {
		t.Fatalf("cache %s has no accuracy_low/high to strip", caches[0])
	}
	if err := os.WriteFile(caches[0], stripped, 0o644); err != nil {
		t.Fatal(err)
	}
	if m3, err := r.Evaluate("test", "none"); err != nil || m3.AccuracyLow != m1.AccuracyLow || m3.AccuracyHigh != m1.AccuracyHigh || m1.AccuracyHigh == 0 {
		t.Errorf("old cache: interval [%v, %v], %v; want [%v, %v]", m3.AccuracyLow, m3.AccuracyHigh, err, m1.AccuracyLow, m1.AccuracyHigh)
	}
	if r.Choice.Kind == "" {
		t.Error("the run made a backend but no choice is recorded")
	}
	for _, c := range []struct {
		name string
		draw func() (string, error)
		want string
	}{
		{"curves", func() (string, error) { f, err := r.Curves(); return name(f, err) }, "curves-tiny"},
		{"confusion", func() (string, error) { f, err := r.Confusion("val"); return name(f, err) }, "confusion-tiny-val"},
		{"training", func() (string, error) { f, err := r.TrainingCurves(); return name(f, err) }, "training-tiny"},
		{"gradcam of", func() (string, error) { f, err := r.GradCAMOf("test", 3); return name(f, err) }, "gradcam-tiny-test-3"},
	} {
		got, err := c.draw()
		if err != nil || got != c.want {
			t.Errorf("%s: figure %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := r.GradCAMOf("test", 40); err == nil {
		t.Error("Grad-CAM of face 40 of 40: no error")
	}
	out := t.TempDir()
	paths, err := r.Export(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 27 {
		t.Errorf("Export wrote %d files, want 27 (9 figures in 3 formats)", len(paths))
	}
	r.Close()
	if r.backend != nil || len(r.models) != 0 {
		t.Error("Close kept the backend or models")
	}
}

// name returns a drawn figure's name.
func name(f *plots.Figure, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return f.Name, nil
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("Open of an empty folder: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, train.ConfigFile), []byte(`{"model": "baseline"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Dataset(); err == nil || !strings.Contains(err.Error(), "no data record") {
		t.Errorf("Dataset of a run without a data record: %v", err)
	}
	if _, err := r.Evaluate("test", "none"); err == nil {
		t.Error("Evaluate without data: no error")
	}
}
