package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/fernb/fernb/fernb/eval"
)

func init() {
	register("eval", "evaluate a run on a split: accuracy, per-class table, confusion matrix", runEval)
}

func runEval(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	mf := addModelFlags(fs)
	split := fs.String("split", "test", "split: train, val or test")
	tta := fs.String("tta", eval.TTANone, "test-time augmentation: none, flip or tencrop")
	jsonOut := fs.String("json", "", "also write the metrics as JSON to this file")
	df := addDataFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	s, err := ds.Split(*split)
	if err != nil {
		return err
	}
	m, b, choice, err := mf.load()
	if err != nil {
		return err
	}
	defer b.Finalize()
	defer m.Close()
	rep, err := eval.Evaluate(m, s, *tta)
	if err != nil {
		return err
	}
	fmt.Printf("run %s, checkpoint %s (epoch %d), split %s, TTA %s, backend %s\n\n", *mf.run, *mf.checkpoint, m.Epoch, *split, rep.TTA, choice.Kind)
	if err := rep.Metrics.WriteTable(os.Stdout); err != nil {
		return err
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep.Metrics, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}
