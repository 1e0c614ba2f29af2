package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fernb/fernb/fernb/eval"
)

func init() {
	register("predict", "classify image files (any size or colour) with a trained run", runPredict)
}

func runPredict(args []string) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	mf := addModelFlags(fs)
	tta := fs.String("tta", eval.TTANone, "test-time augmentation: none, flip, tencrop, zoom (the centre, at the training crops' mean scale) or zoomflip (zoom and its mirror)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: fer predict --run DIR [flags] IMAGE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("no image files given")
	}
	r, err := mf.open()
	if err != nil {
		return err
	}
	defer r.Close()
	m, err := r.Model(*mf.checkpoint)
	if err != nil {
		return err
	}
	preds, err := eval.PredictFiles(m, fs.Args(), *tta)
	if err != nil {
		return err
	}
	return eval.WritePredictions(os.Stdout, preds)
}
