package eval

import (
	"fmt"

	"github.com/fernb/fernb/fernb/progress"
	"github.com/fernb/fernb/fernb/table"
	"github.com/fernb/fernb/fernb/train"
)

// AccuracyRow is one run in an accuracy table.
type AccuracyRow struct {
	// Run names the run (first column), About says what it is (second).
	Run, About string
	// Epochs is the number of epochs trained.
	Epochs int
	// Seconds is the training time (train.Result.TrainSeconds).
	Seconds float64
	// BestVal is the best validation accuracy; NaN when there is none (no
	// val split, or val seen in training).
	BestVal float64
	// Accuracies has one fraction per AccuracyTable.Columns; NaN: none.
	Accuracies []float64
}

// RunRow fills a row's Epochs, Seconds and BestVal from a run folder's
// result; the caller sets the names and accuracies.
func RunRow(run, about string, res *train.Result) AccuracyRow {
	bv, _ := res.BestVal()
	return AccuracyRow{Run: run, About: about, Epochs: len(res.History), Seconds: res.TrainSeconds(), BestVal: bv}
}

// AccuracyTable is the one accuracy table of fernb: the facade's results,
// `fer table` and scripts/accuracy-table.sh all build it, so that a time or
// a percentage means the same everywhere. Its Table renders as Markdown,
// LaTeX or aligned text.
type AccuracyTable struct {
	// Caption and Label are the table.Table's.
	Caption, Label string
	// RunHeader and AboutHeader head the first two columns (default "run"
	// and "recipe").
	RunHeader, AboutHeader string
	// Columns head the accuracy columns, one per AccuracyRow.Accuracies.
	Columns []string
	// Rows are the runs.
	Rows []AccuracyRow
}

// Table lays the rows out: run, about, epochs, train time, best val, then
// the accuracy columns; a row with the wrong number of accuracies is an
// error.
func (t AccuracyTable) Table() (*table.Table, error) {
	head := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	out := &table.Table{Caption: t.Caption, Label: t.Label,
		Columns: append([]string{head(t.RunHeader, "run"), head(t.AboutHeader, "recipe"), "epochs", "train time", "best val"}, t.Columns...),
		Right:   []bool{false, false, true, true, true}}
	for range t.Columns {
		out.Right = append(out.Right, true)
	}
	for _, r := range t.Rows {
		if len(r.Accuracies) != len(t.Columns) {
			return nil, fmt.Errorf("eval: accuracy row %q has %d accuracies for %d columns", r.Run, len(r.Accuracies), len(t.Columns))
		}
		cells := []string{r.Run, r.About, fmt.Sprint(r.Epochs), progress.Seconds(r.Seconds), accuracyCell(r.BestVal)}
		for _, a := range r.Accuracies {
			cells = append(cells, accuracyCell(a))
		}
		out.Rows = append(out.Rows, cells)
	}
	return out, nil
}

// accuracyCell formats an accuracy as progress.Percent does, "–" for 0 too
// (a number that was not measured or not reported).
func accuracyCell(v float64) string {
	if v == 0 {
		return "–"
	}
	return progress.Percent(v)
}
