package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/train"
)

func init() {
	register("table", "the accuracy table of run folders and their fer eval --json results (Markdown, LaTeX or text)", runTable)
}

// ttaColumns heads the accuracy column of each test-time augmentation.
var ttaColumns = map[string]string{eval.TTANone: "test", eval.TTAFlip: "test, flip TTA", eval.TTATenCrop: "test, ten-crop TTA",
	eval.TTAZoom: "test, zoom TTA", eval.TTAZoomFlip: "test, zoom+flip TTA"}

func runTable(args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fer table [flags] RUN[=RECIPE]...\n\n"+
			"One row per run folder RUN: epochs, train time (epochs + compile), best val, and the accuracy\n"+
			"of RUN/PREFIX<tta>.json (written by fer eval --json) for each --tta; RECIPE fills the recipe column.\n\n")
		fs.PrintDefaults()
	}
	ttas := fs.String("tta", strings.Join([]string{eval.TTANone, eval.TTAFlip, eval.TTATenCrop}, ","), "test-time augmentations, comma-separated: a column each ("+strings.Join(eval.TTAs, ", ")+")")
	prefix := fs.String("evals", "table-test-", "file name prefix of each run's fer eval --json results (PREFIX<tta>.json)")
	checkpoint := fs.String("checkpoint", "", "the checkpoint the results scored, named in the run column (e.g. best)")
	format := fs.String("format", "markdown", "markdown, latex or text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no run folders given")
	}
	t, err := accuracyTable(fs.Args(), splitList[string](*ttas), *prefix, *checkpoint)
	if err != nil {
		return err
	}
	tab, err := t.Table()
	if err != nil {
		return err
	}
	var out string
	switch *format {
	case "markdown":
		out, err = tab.Markdown()
	case "latex":
		out, err = tab.LaTeX()
	case "text":
		out, err = tab.Text()
	default:
		return fmt.Errorf("unknown format %q (want markdown, latex or text)", *format)
	}
	if err != nil {
		return err
	}
	fmt.Print(out)
	return nil
}

// accuracyTable reads each run folder (RUN or RUN=RECIPE) and its results.
func accuracyTable(runs, ttas []string, prefix, checkpoint string) (eval.AccuracyTable, error) {
	t := eval.AccuracyTable{}
	for _, tta := range ttas {
		col, ok := ttaColumns[tta]
		if !ok {
			return t, fmt.Errorf("unknown TTA %q (want %s)", tta, strings.Join(eval.TTAs, ", "))
		}
		t.Columns = append(t.Columns, col)
	}
	for _, arg := range runs {
		dir, recipe, _ := strings.Cut(arg, "=")
		res, err := train.ReadResult(dir)
		if err != nil {
			return t, err
		}
		name := filepath.Base(filepath.Clean(dir))
		if checkpoint != "" {
			name += " (" + checkpoint + " checkpoint)"
		}
		row := eval.RunRow(name, recipe, res)
		for _, tta := range ttas {
			path := filepath.Join(dir, prefix+tta+".json")
			b, err := os.ReadFile(path)
			if err != nil {
				return t, fmt.Errorf("%w (write it with fer eval --run %s --tta %s --json %s)", err, dir, tta, path)
			}
			var m eval.Metrics
			if err := json.Unmarshal(b, &m); err != nil {
				return t, fmt.Errorf("%s: %w", path, err)
			}
			row.Accuracies = append(row.Accuracies, m.Accuracy)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
