package recipe

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/train"
)

// TestStepsValidAtEveryScale checks that every step's configuration, as
// each scale shortens it, is a valid training configuration.
func TestStepsValidAtEveryScale(t *testing.T) {
	for _, sc := range Scales() {
		for _, st := range StudySteps() {
			c := sc.Apply(st)
			if err := c.Validate(); err != nil {
				t.Errorf("scale %s, step %s: %v", sc.Name, st.ID, err)
			}
			if c.WarmupEpochs > 0 && c.WarmupEpochs >= c.Epochs {
				t.Errorf("scale %s, step %s: warm-up %d of %d epochs", sc.Name, st.ID, c.WarmupEpochs, c.Epochs)
			}
		}
	}
}

// TestBestCPURecipeFile checks that docs/recipes/resnet18-cpu-2h.json, the
// file README's reproducing command passes to `fer train --config`, is the
// configuration of step BestCPUStep at the "cpu" scale.
func TestBestCPURecipeFile(t *testing.T) {
	file, err := train.ReadConfig("../../docs/recipes/resnet18-cpu-2h.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := FindStep(BestCPUStep)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := FindScale("cpu")
	if err != nil {
		t.Fatal(err)
	}
	want := sc.Apply(st)
	if st.TrainVal {
		t.Errorf("step %s trains on train+val: its val split must stay held out to choose the recipe", st.ID)
	}
	file.Name, file.Backend, want.Name, want.Backend = "", "", "", ""
	a, _ := json.Marshal(file)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("recipe file and step %s differ:\n file %s\n step %s", st.ID, a, b)
	}
}

// TestImportsNoNotebookCode checks the package's reason to exist: the fer
// command looks up steps and scales without linking GoNB.
func TestImportsNoNotebookCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "gonb") || dep == "github.com/fernb/fernb/fernb" || strings.HasPrefix(dep, "github.com/fernb/fernb/plots") {
			t.Errorf("recipe depends on %s", dep)
		}
	}
}

func TestStudyPlace(t *testing.T) {
	for _, c := range []struct {
		scale, runs, plots string
		wantScale          string
		wantRuns           string // suffix
		wantErr            string
	}{
		{"", "", "", DefaultScale, "/runs/" + DefaultScale + "-fer2013", ""},
		{"cpu", "/r", "/p", "cpu", "/r", ""},
		{"huge", "", "", "", "", `$FERNB_SCALE: unknown scale "huge"`},
	} {
		t.Setenv(ScaleEnv, c.scale)
		t.Setenv(RunsEnv, c.runs)
		t.Setenv(PlotsEnv, c.plots)
		p, err := StudyPlace("fer2013")
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("scale %q: error %v, want %q", c.scale, err, c.wantErr)
			}
			continue
		}
		if err != nil || p.Scale.Name != c.wantScale || !strings.HasSuffix(p.RunsDir, c.wantRuns) || (c.plots != "" && p.PlotsDir != c.plots) {
			t.Errorf("scale %q runs %q plots %q: %+v, %v", c.scale, c.runs, c.plots, p, err)
		}
	}
}
