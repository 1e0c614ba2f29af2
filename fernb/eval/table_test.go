package eval

import (
	"math"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/train"
)

func TestAccuracyCell(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0.6147, "61.47%"}, {1, "100.00%"}, {math.NaN(), "–"}, {0, "–"}} {
		if got := accuracyCell(c.v); got != c.want {
			t.Errorf("accuracyCell(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestAccuracyTable(t *testing.T) {
	res := &train.Result{History: []train.Epoch{{Epoch: 1, Seconds: 100, HasVal: true, ValAcc: 0.4},
		{Epoch: 2, Seconds: 110, HasVal: true, ValAcc: 0.55}, {Epoch: 3, Seconds: 105, HasVal: true, ValAcc: 0.5}},
		Status: train.Status{CompileSeconds: 5}}
	row := RunRow("13-cpu-2h (best checkpoint)", "`fer train --step 13-cpu-2h --scale cpu`", res)
	if row.Epochs != 3 || row.Seconds != 320 || row.BestVal != 0.55 {
		t.Fatalf("row %+v: want 3 epochs, 320 s (compile included), best val 0.55", row)
	}
	row.Accuracies = []float64{0.6147, 0.6486}
	tab, err := AccuracyTable{Columns: []string{"test", "test, flip TTA"}, Rows: []AccuracyRow{row}}.Table()
	if err != nil {
		t.Fatal(err)
	}
	md, err := tab.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	want := "| run | recipe | epochs | train time | best val | test | test, flip TTA |\n|---|---|---:|---:|---:|---:|---:|\n" +
		"| 13-cpu-2h (best checkpoint) | `fer train --step 13-cpu-2h --scale cpu` | 3 | 5 min 20 s | 55.00% | 61.47% | 64.86% |\n"
	if md != want {
		t.Errorf("markdown\n%s\nwant\n%s", md, want)
	}
	noVal := RunRow("x", "", &train.Result{History: []train.Epoch{{Epoch: 1, Seconds: 1}}})
	if !math.IsNaN(noVal.BestVal) {
		t.Errorf("best val %g without a val split, want NaN", noVal.BestVal)
	}
	_, err = AccuracyTable{Columns: []string{"test"}, Rows: []AccuracyRow{noVal}}.Table()
	if err == nil || !strings.Contains(err.Error(), "0 accuracies for 1 columns") {
		t.Errorf("row without accuracies: error %v", err)
	}
}
