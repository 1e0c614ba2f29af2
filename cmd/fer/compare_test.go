package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalCompare trains two tiny runs on the same synthetic faces and
// compares them with fer eval --compare (with the zoom+flip TTA): the paired table adds up to the
// split and matches both accuracies; runs recorded on different data are
// refused, naming both.
func TestEvalCompare(t *testing.T) {
	t.Setenv("FER_DATA", "")
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	for _, r := range []struct {
		dir, steps, synthetic string
	}{{a, "1", "200"}, {b, "3", "200"}, {c, "1", "300"}} {
		args := []string{"--model", "baseline", "--epochs", "1", "--max-steps", r.steps, "--batch", "16",
			"--synthetic", r.synthetic, "--run", r.dir}
		if err := commands["train"].run(args); err != nil {
			t.Fatalf("fer train %v: %v", args, err)
		}
	}
	js := filepath.Join(dir, "cmp.json")
	if err := commands["eval"].run([]string{"--run", a, "--compare", b, "--split", "test", "--tta", "zoomflip", "--json", js}); err != nil {
		t.Fatalf("fer eval --compare: %v", err)
	}
	raw, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		N        int                `json:"n"`
		Accuracy float64            `json:"accuracy"`
		Low      float64            `json:"accuracy_low"`
		High     float64            `json:"accuracy_high"`
		Paired   map[string]float64 `json:"paired"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	tab := out.Paired
	if int(tab["n"]) != out.N || out.N == 0 {
		t.Fatalf("paired %v for %d images:\n%s", tab, out.N, raw)
	}
	both, onlyA, onlyB, neither := int(tab["both_right"]), int(tab["only_a_right"]), int(tab["only_b_right"]), int(tab["both_wrong"])
	if both+onlyA+onlyB+neither != out.N || float64(both+onlyA)/float64(out.N) != out.Accuracy {
		t.Errorf("table %v does not add up to %d images at A's accuracy %v", tab, out.N, out.Accuracy)
	}
	if !(out.Low <= out.Accuracy && out.Accuracy <= out.High && out.High > 0) || tab["p"] <= 0 || tab["p"] > 1 {
		t.Errorf("interval [%v, %v] around %v, p %v", out.Low, out.High, out.Accuracy, tab["p"])
	}
	err = commands["eval"].run([]string{"--run", a, "--compare", c, "--split", "test"})
	if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), c) || !strings.Contains(err.Error(), "different test splits") {
		t.Errorf("fer eval --compare on runs of different data: %v", err)
	}
}
