package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestCommandsRegistered(t *testing.T) {
	want := []string{"bench", "cache", "data", "eval", "info", "notebooks", "plot", "predict", "report", "train"}
	var got []string
	for n := range commands {
		got = append(got, n)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("commands %v, want %v", got, want)
	}
}

// TestTrainEvalPredictPlot runs the shell workflow on synthetic faces: train
// a tiny baseline run, evaluate it, classify an image file, export its
// figures.
func TestTrainEvalPredictPlot(t *testing.T) {
	t.Setenv("FER_DATA", "")
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	steps := []struct {
		cmd  string
		args []string
	}{
		{"train", []string{"--model", "baseline", "--epochs", "1", "--max-steps", "2", "--batch", "16",
			"--synthetic", "200", "--run", run}},
		{"eval", []string{"--run", run, "--synthetic", "200", "--split", "test"}},
		{"plot", []string{"--run", run, "--out", filepath.Join(dir, "figs")}},
	}
	for _, st := range steps {
		if err := commands[st.cmd].run(st.args); err != nil {
			t.Fatalf("fer %s %s: %v", st.cmd, strings.Join(st.args, " "), err)
		}
	}
	// The figures of one run: 6 figures and 3 PCA scatters, in 3 formats.
	files, _ := filepath.Glob(filepath.Join(dir, "figs", "*"))
	if len(files) != 27 {
		t.Errorf("fer plot wrote %d files, want 27: %v", len(files), files)
	}
	// fer predict on a PNG written from a figure (any size and colour works).
	var png string
	for _, f := range files {
		if strings.HasSuffix(f, ".png") {
			png = f
			break
		}
	}
	if err := commands["predict"].run([]string{"--run", run, png}); err != nil {
		t.Errorf("fer predict %s: %v", png, err)
	}
	if err := commands["plot"].run([]string{"--run", filepath.Join(dir, "missing")}); err == nil {
		t.Error("fer plot on a missing run folder: no error")
	}
	if _, err := os.Stat(filepath.Join(run, "history.json")); err != nil {
		t.Error(err)
	}
}
