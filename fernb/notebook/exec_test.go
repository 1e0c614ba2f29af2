package notebook

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrainingCellHeadless executes the quickstart notebook up to its
// training cell headless (synthetic faces, quick scale) and checks that the
// cell ends with the run's summary and its final curves, with no leftover
// live view, no error, and no hang.
func TestTrainingCellHeadless(t *testing.T) {
	if testing.Short() {
		t.Skip("executes a notebook: not in -short")
	}
	if _, err := exec.LookPath("jupyter"); err != nil {
		if os.Getenv("FERNB_REQUIRE_XLA") != "" {
			t.Fatal("jupyter not on PATH, and the full environment is required (FERNB_REQUIRE_XLA)")
		}
		t.Skip("jupyter not on PATH (source <(./fernb.sh env))")
	}
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "notebooks", "quickstart.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var nb map[string]any
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	cells := nb["cells"].([]any)
	trainCell := -1
	for i, c := range cells {
		cm := c.(map[string]any)
		if cm["cell_type"] == "code" && strings.Contains(joinRaw(cm["source"]), "s.Train(") {
			trainCell = i
			break
		}
	}
	if trainCell < 0 {
		t.Fatal("quickstart.ipynb has no training cell")
	}
	nb["cells"] = cells[:trainCell+1]
	dir := t.TempDir()
	path := filepath.Join(dir, "train.ipynb")
	b, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	err = Execute(ctx, path, Options{Scale: "quick", CellTimeout: 10 * time.Minute, Log: os.Stderr,
		Env: []string{"FERNB_ROOT=" + root, "FER_DATA=", "FERNB_RUNS=" + runs, "FERNB_PLOTS=" + filepath.Join(dir, "plots")}})
	if err != nil {
		t.Fatal(err)
	}
	var done struct {
		Cells []struct {
			Outputs []struct {
				OutputType string                     `json:"output_type"`
				Data       map[string]json.RawMessage `json:"data"`
				Text       json.RawMessage            `json:"text"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	raw, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &done); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, o := range done.Cells[trainCell].Outputs {
		for mime, v := range o.Data {
			all.WriteString(mime + ": " + joinText(v) + "\n")
		}
		all.WriteString(joinText(o.Text))
	}
	out := all.String()
	for _, want := range []string{`alt="training-00-baseline"`, `<img src="data:image/png;base64,`, "**00-baseline** (baseline CNN): 2 epochs"} {
		if !strings.Contains(out, want) {
			t.Errorf("the training cell's output lacks %q:\n%.2000s", want, out)
		}
	}
	if strings.Contains(out, "fernb-progress") || strings.Contains(out, "(live)") {
		t.Errorf("a headless run kept the live view:\n%.2000s", out)
	}
	if _, err := os.Stat(filepath.Join(runs, "00-baseline", "history.json")); err != nil {
		t.Errorf("the cell did not train into its run folder: %v", err)
	}
}

// joinRaw joins a notebook text field decoded into an any.
func joinRaw(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var b strings.Builder
		for _, p := range x {
			s, _ := p.(string)
			b.WriteString(s)
		}
		return b.String()
	}
	return ""
}
