package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/recipe"
)

func init() {
	register("data", "data summary and quality report of a FER2013 copy (or the synthetic faces)", runData)
}

func runData(args []string) error {
	fs := flag.NewFlagSet("data", flag.ContinueOnError)
	dataPath := fs.String("data", "", "FER2013 path: fer2013.csv, or a folder with train/ [val/] test/ class folders (default: $FER_DATA, else synthetic faces)")
	clean := fs.Bool("clean", false, "drop blank images and train copies of test images, and list what was dropped (the test split is kept)")
	cacheDir := fs.String("cache", "", "cache folder (default: $XDG_CACHE_HOME/fernb or ~/.cache/fernb)")
	noCache := fs.Bool("no-cache", false, "neither read nor write the cache")
	progress := fs.Bool("progress", false, "report decoding progress on stderr")
	synth := fs.Int("synthetic", 3500, "number of synthetic train faces when no data path is given (test: a fifth)")
	verify := fs.Bool("verify", false, "decode every image again and compare with the cache (finds a file changed in place with its size and time kept), then stop; the same as fer cache verify")
	writeSplits := fs.String("write-splits", "", "write the train, val (fer train's default split) and test file lists to this folder (NAME.tsv: one 'path<TAB>label' line per image; NAME.u8: the decoded 48x48 pixels) for a peer to train on the same split, then stop")
	valFrac := fs.Float64("val", recipe.ValFraction, "with --write-splits: the val fraction")
	valSeed := fs.Uint64("val-seed", recipe.SplitSeed, "with --write-splits: the val seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *verify {
		dir := *cacheDir
		if dir == "" {
			d, err := data.DefaultCacheDir()
			if err != nil {
				return err
			}
			dir = d
		}
		return cacheVerify(os.Stdout, dir, *dataPath)
	}
	loc, err := data.Locate(*dataPath)
	if err != nil {
		return err
	}
	var ds *data.Dataset
	if loc.Path == "" {
		fmt.Printf("No --data and no $%s: using the built-in SYNTHETIC faces (%d train, %d test), not FER2013.\n\n", data.PathEnv, *synth, *synth/5)
		t0 := time.Now()
		ds = data.Synthetic(*synth, *synth/5, 1)
		fmt.Printf("rendered %d synthetic faces in %s\n", ds.Train.Len()+ds.Test.Len(), time.Since(t0).Round(time.Millisecond))
	} else {
		var opts []data.Option
		if *cacheDir != "" {
			opts = append(opts, data.WithCacheDir(*cacheDir))
		}
		if *noCache {
			opts = append(opts, data.WithoutCache())
		}
		if *progress {
			opts = append(opts, data.WithProgress(os.Stderr))
		}
		ds, err = data.Load(loc.Path, opts...)
		if err != nil {
			return err
		}
	}
	if *writeSplits != "" {
		return writeSplitLists(ds, *writeSplits, *valFrac, *valSeed)
	}
	ds.WriteSummary(os.Stdout)
	t0 := time.Now()
	q := data.Quality(ds)
	fmt.Printf("\nquality report (%s):\n", time.Since(t0).Round(time.Millisecond))
	q.WriteTo(os.Stdout)
	if *clean {
		rep, err := ds.Clean(data.CleanOptions{Blank: true, CrossSplit: true})
		if err != nil {
			return err
		}
		fmt.Printf("\nclean (blank images, train copies of test images; test kept):\n%s", rep)
	}
	return nil
}

// writeSplitLists splits val off ds (when it has no val split) with frac and
// seed, as fer train does, and writes every split's list and pixels into
// dir (data.Dataset.WriteSplits).
func writeSplitLists(ds *data.Dataset, dir string, frac float64, seed uint64) error {
	if ds.Val == nil {
		if err := ds.SplitVal(frac, seed); err != nil {
			return err
		}
	}
	files, err := ds.WriteSplits(dir)
	for _, f := range files {
		fmt.Printf("%s: %d images, fingerprint %s\n", f.List, f.Images, f.Fingerprint)
	}
	return err
}
