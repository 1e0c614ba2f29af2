// Figures of a step's evaluation (drawn by its run.Handle): confusion matrix,
// per-class scores, misclassified faces, Grad-CAM; and the results bar chart.

package fernb

import (
	"github.com/fernb/fernb/fernb/run"
	"github.com/fernb/fernb/plots"
)

// ConfusionMatrix draws a step's confusion matrix on a split.
func (s *Study) ConfusionMatrix(id, split string) (*plots.Figure, error) {
	return withRun(s, id, func(r *run.Handle) (*plots.Figure, error) { return r.Confusion(split) })
}

// PerClass draws a step's per-class precision, recall and F1 on a split.
func (s *Study) PerClass(id, split string) (*plots.Figure, error) {
	return withRun(s, id, func(r *run.Handle) (*plots.Figure, error) { return r.PerClass(split) })
}

// Misclassified draws up to n faces of a split that a step's model gets
// wrong, most confident mistakes first, captioned with true and predicted
// class.
func (s *Study) Misclassified(id, split string, n int) (*plots.Figure, error) {
	return withRun(s, id, func(r *run.Handle) (*plots.Figure, error) { return r.Misclassified(split, n) })
}

// GradCAM draws Grad-CAM heatmaps of a step's model over n faces of a split,
// two of each class in turn, explaining the predicted class.
func (s *Study) GradCAM(id, split string, n int) (*plots.Figure, error) {
	return withRun(s, id, func(r *run.Handle) (*plots.Figure, error) { return r.GradCAM(split, n) })
}

// ResultsFigure draws the validation and test accuracy of every run.
func (s *Study) ResultsFigure() (*plots.Figure, error) {
	rows, err := s.Results()
	if err != nil {
		return nil, err
	}
	var prow []plots.Row
	for _, r := range rows {
		prow = append(prow, plots.Row{Name: r.Step.ID, Values: []float64{r.BestVal, r.Test}})
	}
	f, err := plots.Comparison([]string{"best val", "test"}, prow, plots.Title("accuracy of every step"+s.Label()))
	return named(f, err, "results")
}
