package notebook

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// action is what the fake front-end does once an output holds Wait: it
// sends Value to the N-th widget the cell created.
type action struct {
	Wait  string `json:"wait"`
	N     int    `json:"n"`
	Value any    `json:"value"`
}

type fakeCell struct {
	Source  string   `json:"source"`
	Actions []action `json:"actions,omitempty"`
}

type fakeResult struct {
	Status      string   `json:"status"`
	Outputs     []string `json:"outputs"`
	ActionsLeft int      `json:"actions_left"`
}

// alt returns an <img alt="name"> marker for a figure.
func alt(name string) string { return `alt="` + name + `"` }

// TestWidgetsFakeFrontEnd runs the explorers and a training cell in a real
// GoNB kernel, live (no FERNB_HEADLESS), with testdata/fake_frontend.py in
// the browser's place: it speaks GoNB's widget protocol (the gonb_comm comm,
// heartbeats, widget values), moves the sliders, picks from the lists and
// presses Done. Each explorer must redraw its view for every change and keep
// the last view; the training cell must update its progress bar and curves
// in place and end with its final curves.
func TestWidgetsFakeFrontEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a GoNB kernel: not in -short")
	}
	jupyter, err := exec.LookPath("jupyter")
	if err != nil {
		if os.Getenv("FERNB_REQUIRE_XLA") != "" {
			t.Fatal("jupyter not on PATH, and the full environment is required (FERNB_REQUIRE_XLA)")
		}
		t.Skip("jupyter not on PATH (source <(./fernb.sh env))")
	}
	python := filepath.Join(filepath.Dir(jupyter), "python3")
	root := repoRoot(t)
	cells := []fakeCell{
		{Source: `!*rm -f go.work && go work init && go work use . "${FERNB_ROOT}"` + "\n%goworkfix"},
		{Source: "import \"github.com/fernb/fernb/fernb\"\n\nvar s = fernb.OpenNotebook()"},
		{Source: "%%\ns.Train(\"00\")"},
		{Source: "%%\ns.ExploreAugmentation(\"06\")", Actions: []action{
			{alt("augmentation-06-resized-crop-strength100-face0"), 0, "40"},
			{alt("augmentation-06-resized-crop-strength40-face0"), 1, "7"},
			{alt("augmentation-06-resized-crop-strength40-face7"), 2, 1}}},
		{Source: "%%\ns.ExploreRuns()", Actions: []action{
			{alt("misclassified-00-baseline-test"), 1, "1"},
			{alt("misclassified-00-baseline-val"), 2, 1}}},
		{Source: "%%\ns.ExploreGradCAM(\"00\", \"test\")", Actions: []action{
			{alt("gradcam-00-baseline-test-0"), 0, "5"},
			{alt("gradcam-00-baseline-test-5"), 1, 1}}},
	}
	in, err := json.Marshal(cells)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "fake_frontend.py"), "300")
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Env = append(os.Environ(), "FERNB_ROOT="+root, "FER_DATA=", ScaleEnv+"=quick", HeadlessEnv+"=",
		"FERNB_RUNS="+filepath.Join(dir, "runs"), "FERNB_PLOTS="+filepath.Join(dir, "plots"))
	var stderr tailBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fake front-end's log (tail):\n%s\nfake front-end: %v", stderr.String(), err)
	}
	var res []fakeResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("fake front-end's report: %v\n%s", err, out)
	}
	imgs := regexp.MustCompile(`alt="([^"]+)"`)
	if len(res) != len(cells) {
		// The kernel's log first, the summary last: CI shows only the tail.
		var sum strings.Builder
		for i, r := range res {
			var shown []string
			for _, o := range r.Outputs {
				for _, m := range imgs.FindAllStringSubmatch(o, -1) {
					shown = append(shown, m[1])
				}
			}
			fmt.Fprintf(&sum, "cell %d %q: status %s, %d actions not played, figures %q\n", i, cells[i].Source, r.Status, r.ActionsLeft, shown)
		}
		t.Fatalf("kernel log (tail):\n%s\n%d of %d cells ran:\n%s", stderr.String(), len(res), len(cells), sum.String())
	}
	for i, r := range res {
		var shown []string
		for _, o := range r.Outputs {
			if strings.Contains(o, ErrorClass) {
				t.Errorf("cell %d shows an error: %.300s", i, o)
			}
			for _, m := range imgs.FindAllStringSubmatch(o, -1) {
				shown = append(shown, m[1])
			}
		}
		if r.Status != "ok" || r.ActionsLeft != 0 {
			t.Errorf("cell %d %q: status %s, %d actions not played; figures %q", i, cells[i].Source, r.Status, r.ActionsLeft, shown)
		}
		t.Logf("cell %d figures, in order: %q", i, shown)
		want := map[int][]string{ // the figures each cell shows, in order (live views included)
			2: {"training-00-baseline", "training-00-baseline", "training-00-baseline"},
			3: {"augmentation-06-resized-crop-strength100-face0", "augmentation-06-resized-crop-strength40-face0",
				"augmentation-06-resized-crop-strength40-face7", "augmentation-06-resized-crop-strength40-face7"},
			4: {"confusion-00-baseline-test", "misclassified-00-baseline-test", "confusion-00-baseline-val", "misclassified-00-baseline-val",
				"confusion-00-baseline-val", "misclassified-00-baseline-val"},
			5: {"gradcam-00-baseline-test-0", "gradcam-00-baseline-test-5", "gradcam-00-baseline-test-5"},
		}[i]
		if want != nil && strings.Join(shown, " ") != strings.Join(want, " ") {
			t.Errorf("cell %d showed %q, want %q", i, shown, want)
		}
	}
	joined := strings.Join(res[2].Outputs, "\n")
	if !strings.Contains(joined, `<progress value="`) || !strings.Contains(joined, "**00-baseline** (baseline CNN): 2 epochs") {
		t.Errorf("the training cell showed no progress bar or no summary:\n%.1500s", joined)
	}
	if strings.Contains(strings.Join(res[3].Outputs, ""), "No browser answered") {
		t.Error("the augmentation explorer fell back to its starting view although the front-end answered")
	}
}
