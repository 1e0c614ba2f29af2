package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fernb/fernb/fernb"
)

func init() {
	register("plot", "export the standard figures of a run folder (PNG, SVG, PDF)", runPlot)
}

func runPlot(args []string) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	run := fs.String("run", "", "run folder (made by fer train or the report notebook)")
	out := fs.String("out", "plots/out", "folder to write the figures to")
	dataPath := fs.String("data", "", "FER2013 path the run was trained on (default $FER_DATA, else synthetic faces)")
	backend := fs.String("backend", "auto", "backend for features and Grad-CAM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *run == "" {
		return fmt.Errorf("--run DIR is required")
	}
	if _, err := os.Stat(filepath.Join(*run, "config.json")); err != nil {
		return fmt.Errorf("%s is not a run folder: %w", *run, err)
	}
	loc, err := fernb.FindData(*dataPath)
	if err != nil {
		return err
	}
	full, err := fernb.FindScale("full")
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*run)
	if err != nil {
		return err
	}
	s := &fernb.Study{Data: loc, Scale: full, RunsDir: filepath.Dir(abs), PlotsDir: *out, Backend: *backend, Log: os.Stderr}
	paths, err := s.ExportRun(filepath.Base(abs))
	for _, p := range paths {
		fmt.Println(p)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fer plot: %d files in %s (data: %s)\n", len(paths), *out, loc)
	return nil
}
