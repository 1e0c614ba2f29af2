package recipe

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/fernb/fernb/fernb/repo"
)

// Environment variables that place a study (fernb.sh and fer set them).
const (
	// ScaleEnv picks the scale: quick, short, cpu or full.
	ScaleEnv = "FERNB_SCALE"
	// RunsEnv overrides the folder holding the run folders.
	RunsEnv = "FERNB_RUNS"
	// PlotsEnv overrides the folder figures are exported to.
	PlotsEnv = "FERNB_PLOTS"
)

// SyntheticDataName is data.Location.Name of the built-in synthetic faces.
const SyntheticDataName = "synthetic"

// Place is where a study runs: its scale, the folder of its run folders
// and the folder its figures are exported to.
type Place struct {
	Scale             Scale
	RunsDir, PlotsDir string
}

// StudyPlace reads the study's place from the environment for data named
// dataName (data.Location.Name): $FERNB_SCALE (else DefaultScale),
// $FERNB_RUNS (else <repository>/runs/<scale>-<dataName>) and $FERNB_PLOTS
// (else <repository>/plots/out); the repository is repo.Root's.
// On the synthetic faces (dataName SyntheticDataName) the scale is
// Scale.ForSynthetic's.
func StudyPlace(dataName string) (Place, error) {
	name := os.Getenv(ScaleEnv)
	if name == "" {
		name = DefaultScale
	}
	sc, err := FindScale(name)
	if err != nil {
		return Place{}, fmt.Errorf("$%s: %w", ScaleEnv, err)
	}
	if dataName == SyntheticDataName {
		sc = sc.ForSynthetic()
	}
	p := Place{Scale: sc}
	root, rootErr := repo.Root()
	p.RunsDir = os.Getenv(RunsEnv)
	if p.RunsDir == "" {
		if rootErr != nil {
			return Place{}, fmt.Errorf("no $%s and %w", RunsEnv, rootErr)
		}
		p.RunsDir = filepath.Join(root, "runs", sc.Name+"-"+dataName)
	}
	p.PlotsDir = os.Getenv(PlotsEnv)
	if p.PlotsDir == "" {
		if rootErr != nil {
			return Place{}, fmt.Errorf("no $%s and %w", PlotsEnv, rootErr)
		}
		p.PlotsDir = filepath.Join(root, "plots", "out")
	}
	return p, nil
}
