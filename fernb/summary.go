// Markdown summaries of a run for notebook cells.

package fernb

import (
	"fmt"
	"strings"

	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/progress"
	"github.com/fernb/fernb/fernb/recipe"
)

// RunSummary describes a step's run in one Markdown line: epochs, time, best
// validation accuracy, test accuracy, and what the study reported.
func (s *Study) RunSummary(id string) (string, error) {
	st, err := recipe.FindStep(id)
	if err != nil {
		return "", err
	}
	res, err := s.Result(st.ID)
	if err != nil {
		return "", err
	}
	m, err := s.Evaluate(st.ID, "test", eval.TTANone)
	if err != nil {
		return "", err
	}
	secs := res.TrainSeconds()
	bv, at := res.BestVal()
	seen := ""
	if st.TrainVal {
		seen = " (val seen in training)"
	}
	reused := ""
	if res.Reused {
		reused = " — reused from its run folder"
	}
	return fmt.Sprintf("**%s** (%s): %d epochs in %s%s. Best val %s%s (epoch %d), **test %s** (best checkpoint). Study: val %s, test %s.",
		st.ID, st.Title, len(res.History), progress.Seconds(secs), reused, progress.Percent(bv), seen, at, progress.Percent(m.Accuracy), progress.Percent(st.StudyVal), progress.Percent(st.StudyTest)), nil
}

// FinalTestTable returns a step's test accuracy and macro F1 with each
// test-time augmentation (none, horizontal flip, ten crops) as a Markdown
// table.
func (s *Study) FinalTestTable(id string) (string, error) {
	var b strings.Builder
	b.WriteString("| test-time augmentation | test accuracy | macro F1 |\n|---|---|---|\n")
	for _, tta := range []string{eval.TTANone, eval.TTAFlip, eval.TTATenCrop} {
		m, err := s.Evaluate(id, "test", tta)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "| %s | %s | %.3f |\n", tta, progress.Percent(m.Accuracy), m.MacroF1)
	}
	return b.String(), nil
}
