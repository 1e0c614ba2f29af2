// The results of every trained step, as rows and as the accuracy table.

package fernb

import (
	"fmt"
	"math"

	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/table"
	"github.com/fernb/fernb/fernb/train"
)

// ResultRow is one line of the results table.
type ResultRow struct {
	Step                recipe.Step
	Epochs              int
	Seconds             float64
	BestVal, Test       float64
	StudyVal, StudyTest float64
}

// Results lists every step that has a run at this scale, with its best
// validation and test accuracy beside the study's numbers.
func (s *Study) Results() ([]ResultRow, error) {
	var rows []ResultRow
	for _, st := range recipe.StudySteps() {
		res, err := train.ReadResult(s.RunDir(st.ID))
		if err != nil {
			continue // not trained at this scale
		}
		m, err := s.Evaluate(st.ID, "test", eval.TTANone)
		if err != nil {
			return nil, err
		}
		r := ResultRow{Step: st, Epochs: len(res.History), Seconds: res.TrainSeconds(), Test: m.Accuracy,
			StudyVal: st.StudyVal, StudyTest: st.StudyTest}
		r.BestVal, _ = res.BestVal()
		if st.TrainVal {
			r.BestVal = math.NaN() // seen in training: not a held-out number
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no runs in %s yet", s.RunsDir)
	}
	return rows, nil
}

// ResultsTable returns the results as a Markdown table (ResultsTableData's).
func (s *Study) ResultsTable() (string, error) {
	rows, err := s.Results()
	if err != nil {
		return "", err
	}
	t, err := resultsTable(rows)
	if err != nil {
		return "", err
	}
	md, err := t.Markdown()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Scale `%s` on %s.\n\n", s.Scale.Name, s.DataName()) + md, nil
}

// resultsTable lays the results out as eval.AccuracyTable, the accuracy
// table `fer table` prints too.
func resultsTable(rows []ResultRow) (*table.Table, error) {
	t := eval.AccuracyTable{RunHeader: "step", AboutHeader: "change", Columns: []string{"test", "study val", "study test"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, eval.AccuracyRow{Run: r.Step.ID, About: r.Step.Title, Epochs: r.Epochs, Seconds: r.Seconds,
			BestVal: r.BestVal, Accuracies: []float64{r.Test, r.StudyVal, r.StudyTest}})
	}
	return t.Table()
}
