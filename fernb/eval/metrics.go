// Package eval measures trained fernb models: accuracy, per-class
// precision/recall/F1 and confusion matrices on any split, test-time
// augmentation (TTA), penultimate features for PCA, class probabilities for
// image files, Grad-CAM heatmaps, and the accuracy table every report of
// fernb prints (AccuracyTable).
package eval

import (
	"fmt"
	"io"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/table"
)

// ClassMetrics are one class's one-vs-rest scores.
type ClassMetrics struct {
	// Precision is TP/(TP+FP) (0 when the class is never predicted).
	Precision float64 `json:"precision"`
	// Recall is TP/(TP+FN) (0 when the class is absent).
	Recall float64 `json:"recall"`
	// F1 is the harmonic mean of precision and recall (0 when both are 0).
	F1 float64 `json:"f1"`
	// Support is the number of images of the class.
	Support int `json:"support"`
}

// Metrics summarise predictions against labels.
type Metrics struct {
	// N is the number of images.
	N int `json:"n"`
	// Accuracy is the fraction predicted correctly.
	Accuracy float64 `json:"accuracy"`
	// AccuracyLow and AccuracyHigh bound the 95 % Wilson score interval of
	// the accuracy (see Wilson). Metrics cached before they existed read
	// them as 0: SetInterval fills them.
	AccuracyLow  float64 `json:"accuracy_low"`
	AccuracyHigh float64 `json:"accuracy_high"`
	// Confusion[t][p] counts images of true class t predicted as p.
	Confusion [data.NumClasses][data.NumClasses]int `json:"confusion"`
	// PerClass has the scores of each class, in label order.
	PerClass [data.NumClasses]ClassMetrics `json:"per_class"`
	// MacroF1 is the mean F1 over the classes present in the labels.
	MacroF1 float64 `json:"macro_f1"`
}

// Compute returns the metrics of predictions preds for labels (both
// 0..6, same length).
func Compute(labels, preds []int) (Metrics, error) {
	var m Metrics
	if len(labels) != len(preds) {
		return m, fmt.Errorf("eval: %d labels but %d predictions", len(labels), len(preds))
	}
	for i := range labels {
		t, p := labels[i], preds[i]
		if t < 0 || t >= data.NumClasses || p < 0 || p >= data.NumClasses {
			return m, fmt.Errorf("eval: image %d: label %d or prediction %d out of 0..%d", i, t, p, data.NumClasses-1)
		}
		m.Confusion[t][p]++
	}
	m.N = len(labels)
	correct, present := 0, 0
	for c := 0; c < data.NumClasses; c++ {
		tp := m.Confusion[c][c]
		correct += tp
		predicted, support := 0, 0
		for k := 0; k < data.NumClasses; k++ {
			predicted += m.Confusion[k][c]
			support += m.Confusion[c][k]
		}
		cm := ClassMetrics{Support: support}
		if predicted > 0 {
			cm.Precision = float64(tp) / float64(predicted)
		}
		if support > 0 {
			cm.Recall = float64(tp) / float64(support)
			present++
		}
		if cm.Precision+cm.Recall > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
		}
		m.PerClass[c] = cm
		if support > 0 {
			m.MacroF1 += cm.F1
		}
	}
	if present > 0 {
		m.MacroF1 /= float64(present)
	}
	if m.N > 0 {
		m.Accuracy = float64(correct) / float64(m.N)
	}
	m.AccuracyLow, m.AccuracyHigh = Wilson(correct, m.N)
	return m, nil
}

// WriteTable writes the accuracy with its 95 % interval, the per-class table and the confusion
// matrix (rows: true class, columns: predicted) as aligned text (through
// table.Table, the tables' one writer).
func (m Metrics) WriteTable(w io.Writer) error {
	perClass := table.Table{Columns: []string{"class", "precision", "recall", "f1", "support"},
		Right: []bool{false, true, true, true, true}}
	for c, cm := range m.PerClass {
		perClass.Rows = append(perClass.Rows, []string{data.Classes[c], fmt.Sprintf("%.3f", cm.Precision),
			fmt.Sprintf("%.3f", cm.Recall), fmt.Sprintf("%.3f", cm.F1), fmt.Sprint(cm.Support)})
	}
	confusion := table.Table{Caption: "confusion (rows: true, columns: predicted)", Columns: []string{""},
		Right: []bool{false}}
	for _, name := range data.Classes {
		confusion.Columns = append(confusion.Columns, name)
		confusion.Right = append(confusion.Right, true)
	}
	for t, row := range m.Confusion {
		cells := []string{data.Classes[t]}
		for _, n := range row {
			cells = append(cells, fmt.Sprint(n))
		}
		confusion.Rows = append(confusion.Rows, cells)
	}
	pc, err := perClass.Text()
	if err != nil {
		return err
	}
	cf, err := confusion.Text()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "accuracy %s (%d images), macro F1 %.3f\n\n%s\n%s", m.AccuracyText(), m.N, m.MacroF1, pc, cf)
	return err
}
