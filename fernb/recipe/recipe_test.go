package recipe

import (
	"encoding/json"
	"math"
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

// TestScaleWarmup checks which steps a scale's warm-up reaches: the steps at
// the study's lr 0.1 at scales short and cpu, never the baseline (lr 0.01),
// never a step with its own warm-up, never the study's own settings (full)
// or the CI smoke (quick).
func TestScaleWarmup(t *testing.T) {
	for _, c := range []struct {
		scale, step string
		want        int
	}{
		{"short", "00-baseline", 0},
		{"short", "01-resnet18", 1},
		{"short", "03-cosine", 1},
		{"short", "08-trainval", 1},
		{"short", "12-class-weights", 1},
		{"short", BestCPUStep, 1}, // its own warm-up, unchanged
		{"cpu", "02-momentum-wd", 1},
		{"cpu", "00-baseline", 0},
		{"full", "03-cosine", 0},
		{"quick", "03-cosine", 0},
	} {
		sc, err := FindScale(c.scale)
		if err != nil {
			t.Fatal(err)
		}
		st, err := FindStep(c.step)
		if err != nil {
			t.Fatal(err)
		}
		got := sc.Apply(st)
		if got.WarmupEpochs != c.want {
			t.Errorf("scale %s, step %s: warm-up %d epochs, want %d", c.scale, c.step, got.WarmupEpochs, c.want)
		}
		if got.LR != st.Config.LR || got.Momentum != st.Config.Momentum {
			t.Errorf("scale %s, step %s: the warm-up changed lr or momentum", c.scale, c.step)
		}
	}
}

// TestForSynthetic checks the scale a study gets on the synthetic faces:
// batch SyntheticBatchSize for every step at short and cpu, lr scaled by
// the batch ratio for the steps at the study's lr 0.1 (01-12: 0.05 and
// 0.025; the baseline and step 13 keep theirs), warm-up kept, nothing else
// changed; quick and full, and real data, unchanged.
func TestForSynthetic(t *testing.T) {
	t.Setenv(RunsEnv, "/r")
	t.Setenv(PlotsEnv, "/p")
	for _, name := range []string{"quick", "short", "cpu", "full"} {
		t.Setenv(ScaleEnv, name)
		syn, err := StudyPlace(SyntheticDataName)
		if err != nil {
			t.Fatal(err)
		}
		real, err := StudyPlace("fer2013")
		if err != nil {
			t.Fatal(err)
		}
		ref := real.Scale
		if name == "short" {
			ref.Epochs = map[string]int{}
			for id, e := range real.Scale.Epochs {
				ref.Epochs[id] = min(e, SyntheticShortEpochs)
			}
		}
		for _, st := range StudySteps() {
			a, b := syn.Scale.Apply(st), ref.Apply(st)
			if name == "short" && (a.Epochs > SyntheticShortEpochs || a.Epochs < min(real.Scale.Apply(st).Epochs, SyntheticShortEpochs)) {
				t.Errorf("scale short, step %s on synthetic: %d epochs, want at most %d", st.ID, a.Epochs, SyntheticShortEpochs)
			}
			if a.WarmupEpochs != b.WarmupEpochs {
				t.Errorf("scale %s, step %s on synthetic: warm-up %d, want %d", name, st.ID, a.WarmupEpochs, b.WarmupEpochs)
			}
			if err := a.Validate(); err != nil {
				t.Errorf("scale %s, step %s on synthetic: %v", name, st.ID, err)
			}
			wantBatch := b.BatchSize
			if name == "short" || name == "cpu" {
				wantBatch = SyntheticBatchSize
			}
			if a.BatchSize != wantBatch {
				t.Errorf("scale %s, step %s on synthetic: batch %d, want %d", name, st.ID, a.BatchSize, wantBatch)
			}
			wantLR := b.LR
			if (name == "short" || name == "cpu") && st.Config.LR >= WarmupLR {
				wantLR = b.LR * SyntheticBatchSize / float64(b.BatchSize)
			}
			if math.Abs(a.LR-wantLR) > 1e-12 {
				t.Errorf("scale %s, step %s on synthetic: lr %v, want %v", name, st.ID, a.LR, wantLR)
			}
			a.BatchSize, a.LR = b.BatchSize, b.LR
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Errorf("scale %s, step %s: synthetic changed more than the batch:\n %s\n %s", name, st.ID, ja, jb)
			}
		}
		if (name == "short" || name == "cpu") && !strings.Contains(syn.Scale.About, "synthetic") {
			t.Errorf("scale %s on synthetic: About %q does not say so", name, syn.Scale.About)
		}
	}
}
