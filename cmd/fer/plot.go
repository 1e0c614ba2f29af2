package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fernb/fernb/fernb"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
)

func init() {
	register("plot", "export the standard figures of a run folder (PNG, SVG, PDF)", runPlot)
}

func runPlot(args []string) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	run := fs.String("run", "", "run folder (made by fer train or the report notebook)")
	out := fs.String("out", "plots/out", "folder to write the figures to")
	dataPath := fs.String("data", "", "data to plot the run on (default: the data the run recorded in its data.json)")
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
	res, err := train.Open(*run)
	if err != nil {
		return err
	}
	var ds *data.Dataset
	var loc data.Location
	if *dataPath == "" {
		if res.Data == nil {
			return fmt.Errorf("%s has no data record (%s: made before fernb recorded it): give --data", *run, train.DataFile)
		}
		if ds, err = res.Data.Reload(); err != nil {
			return fmt.Errorf("%s: %w (give --data to plot on other data)", *run, err)
		}
		loc = data.Location{Path: res.Data.Path, From: "the run's " + train.DataFile}
	} else if loc, err = data.Locate(*dataPath); err != nil {
		return err
	}
	full, err := recipe.FindScale("full")
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*run)
	if err != nil {
		return err
	}
	s := &fernb.Study{Data: loc, Scale: full, RunsDir: filepath.Dir(abs), PlotsDir: *out, Backend: *backend, Log: os.Stderr}
	if ds != nil {
		s.UseData(ds)
	}
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
