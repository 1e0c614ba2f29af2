package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/xla"
)

func init() {
	register("eval", "evaluate a run on a split: accuracy, per-class table, confusion matrix", runEval)
}

func runEval(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	runDir := fs.String("run", "", "run folder (required)")
	split := fs.String("split", "test", "split: train, val or test")
	tta := fs.String("tta", eval.TTANone, "test-time augmentation: none, flip or tencrop")
	ckpt := fs.String("checkpoint", "best", "checkpoint: best or last")
	backend := fs.String("backend", "auto", "backend: auto, go, xla:cpu, xla:cuda")
	jsonOut := fs.String("json", "", "also write the metrics as JSON to this file")
	df := addDataFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *runDir == "" {
		return fmt.Errorf("--run DIR is required")
	}
	run, err := train.Open(*runDir)
	if err != nil {
		return err
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	s, err := ds.Split(*split)
	if err != nil {
		return err
	}
	b, choice, err := xla.New(*backend)
	if err != nil {
		return err
	}
	defer b.Finalize()
	m, err := run.Load(b, *ckpt)
	if err != nil {
		return err
	}
	rep, err := eval.Evaluate(m, s, *tta)
	if err != nil {
		return err
	}
	fmt.Printf("run %s, checkpoint %s (epoch %d), split %s, TTA %s, backend %s\n\n", *runDir, *ckpt, m.Epoch, *split, rep.TTA, choice.Kind)
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
