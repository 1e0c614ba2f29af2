package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestCommandsRegistered(t *testing.T) {
	want := []string{"bench", "cache", "data", "eval", "info", "notebooks", "plot", "predict", "report", "table", "train"}
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

	// fer eval scores the run's own data by default and says when it scores
	// other data.
	for _, c := range []struct {
		args []string
		same bool
	}{
		{nil, true},
		{[]string{"--synthetic", "300"}, false},
	} {
		js := filepath.Join(dir, "eval.json")
		args := append([]string{"--run", run, "--split", "test", "--json", js}, c.args...)
		if err := commands["eval"].run(args); err != nil {
			t.Fatalf("fer eval %v: %v", args, err)
		}
		b, err := os.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data string `json:"data"`
			Same bool   `json:"runs_own_data"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if out.Same != c.same || !strings.Contains(out.Data, "synthetic faces") || strings.Contains(out.Data, "NOT the run's") == c.same {
			t.Errorf("fer eval %v: data %q, runs_own_data %v, want %v", c.args, out.Data, out.Same, c.same)
		}
	}
	// fer plot needs the run's data record (or --data).
	if err := os.Remove(filepath.Join(run, "data.json")); err != nil {
		t.Fatal(err)
	}
	if err := commands["plot"].run([]string{"--run", run, "--out", filepath.Join(dir, "figs2")}); err == nil || !strings.Contains(err.Error(), "no data record") {
		t.Errorf("fer plot on a run without data.json: %v", err)
	}
}
