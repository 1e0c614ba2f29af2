// Exporting the figures of every run to files.

package fernb

import (
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/run"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
)

// ExportAll saves every figure of every trained step (curves, learning rate,
// confusion matrix, per-class bars, mistakes, Grad-CAM, PCA) and the data
// views to the plots folder as PNG, SVG and PDF, and returns the files.
func (s *Study) ExportAll() ([]string, error) {
	var figs []func() (*plots.Figure, error)
	figs = append(figs, s.ClassDistribution, func() (*plots.Figure, error) { return s.SampleFaces(8) })
	var trained []string
	for _, st := range recipe.StudySteps() {
		if _, err := train.ReadResult(s.RunDir(st.ID)); err != nil {
			continue
		}
		id := st.ID
		trained = append(trained, id)
		figs = append(figs,
			func() (*plots.Figure, error) { return s.Curves(id) },
			func() (*plots.Figure, error) { return s.LearningRates(id) },
			func() (*plots.Figure, error) { return s.ConfusionMatrix(id, "test") },
			func() (*plots.Figure, error) { return s.PerClass(id, "test") })
	}
	if len(trained) > 0 {
		figs = append(figs, s.ResultsFigure)
		last := trained[len(trained)-1]
		figs = append(figs,
			func() (*plots.Figure, error) { return s.Misclassified(last, "test", 24) },
			func() (*plots.Figure, error) { return s.GradCAM(last, "test", 14) })
	}
	paths, err := run.SaveAll(s.PlotsDir, figs)
	if err != nil || len(trained) == 0 {
		return paths, err
	}
	p, err := withRun(s, trained[len(trained)-1], func(r *run.Handle) ([]string, error) { return r.SavePCA(s.PlotsDir) })
	return append(paths, p...), err
}
