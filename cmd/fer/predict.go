package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/xla"
)

func init() {
	register("predict", "classify image files (any size or colour) with a trained run", runPredict)
}

func runPredict(args []string) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	runDir := fs.String("run", "", "run folder (required)")
	tta := fs.String("tta", eval.TTANone, "test-time augmentation: none, flip or tencrop")
	ckpt := fs.String("checkpoint", "best", "checkpoint: best or last")
	backend := fs.String("backend", "auto", "backend: auto, go, xla:cpu, xla:cuda")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: fer predict --run DIR [flags] IMAGE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runDir == "" {
		return fmt.Errorf("--run DIR is required")
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no image files given")
	}
	run, err := train.Open(*runDir)
	if err != nil {
		return err
	}
	b, _, err := xla.New(*backend)
	if err != nil {
		return err
	}
	defer b.Finalize()
	m, err := run.Load(b, *ckpt)
	if err != nil {
		return err
	}
	preds, err := eval.PredictFiles(m, fs.Args(), *tta)
	if err != nil {
		return err
	}
	return eval.WritePredictions(os.Stdout, preds)
}
