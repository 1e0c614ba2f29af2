package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/run"
	"github.com/fernb/fernb/fernb/train"
)

func init() {
	register("plot", "export the standard figures of a run folder (PNG, SVG, PDF)", runPlot)
}

func runPlot(args []string) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	runDir := fs.String("run", "", "run folder (made by fer train or the report notebook)")
	out := fs.String("out", "plots/out", "folder to write the figures to")
	dataPath := fs.String("data", "", "data to plot the run on (default: the data the run recorded in its data.json)")
	backend := fs.String("backend", "auto", "backend for features and Grad-CAM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runDir == "" {
		return fmt.Errorf("--run DIR is required")
	}
	if _, err := os.Stat(filepath.Join(*runDir, train.ConfigFile)); err != nil {
		return fmt.Errorf("%s is not a run folder: %w", *runDir, err)
	}
	res, err := train.ReadResult(*runDir)
	if err != nil {
		return err
	}
	var ds *data.Dataset
	var loc data.Location
	if *dataPath == "" {
		if res.Data == nil {
			return fmt.Errorf("%s has no data record (%s: made before fernb recorded it): give --data", *runDir, train.DataFile)
		}
		if ds, err = res.Data.Reload(); err != nil {
			return fmt.Errorf("%s: %w (give --data to plot on other data)", *runDir, err)
		}
		loc = data.Location{Path: res.Data.Path, From: "the run's " + train.DataFile}
	} else {
		if loc, err = data.Locate(*dataPath); err != nil {
			return err
		}
		if ds, err = data.Load(loc.Path); err != nil {
			return err
		}
		if ds.Val == nil {
			if err := ds.SplitVal(recipe.ValFraction, recipe.SplitSeed); err != nil {
				return err
			}
		}
	}
	label := ""
	if loc.Path == "" {
		label = " (synthetic)"
	}
	name := filepath.Base(filepath.Clean(*runDir))
	r := run.New(res, run.WithData(ds, loc.Name()), run.WithBackendRequest(*backend), run.WithNames(name, name, label))
	defer r.Close()
	paths, err := r.Export(*out)
	for _, p := range paths {
		fmt.Println(p)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fer plot: %d files in %s (data: %s)\n", len(paths), *out, loc)
	return nil
}
