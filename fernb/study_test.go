package fernb

import (
	"os"
	"path/filepath"
	"testing"
)

// quickStudy returns a Study at the quick scale on synthetic faces, with its
// runs and plots in temporary folders.
func quickStudy(t *testing.T) *Study {
	t.Helper()
	t.Setenv(DataEnv, "")
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
	for name, fig := range map[string]func() (string, error){
		"curves": func() (string, error) { return s.Show(s.Curves("00")) },
		"lr":     func() (string, error) { return s.Show(s.LearningRates("00")) },
		"dist":   func() (string, error) { return s.Show(s.ClassDistribution()) },
		"faces":  func() (string, error) { return s.Show(s.SampleFaces(4)) },
		"aug":    func() (string, error) { return s.Show(s.AugmentationPreview("06", 0, 8)) },
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
