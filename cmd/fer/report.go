package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/notebook"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/repo"
)

func init() {
	register("report", "run notebooks/report.ipynb headless (the main job), writing its outputs and figures in place", runReport)
	register("notebooks", "execute every notebook headless into a scratch folder and check its outputs (CI)", runNotebooks)
}

func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	dataPath := fs.String("data", "", "FER2013 path (default $FER_DATA, else synthetic faces)")
	scale := fs.String("scale", "", "quick, short, cpu or full (default $FERNB_SCALE, else "+recipe.DefaultScale+")")
	nb := fs.String("notebook", "", "notebook to run (default notebooks/report.ipynb of the repository)")
	cellTimeout := fs.Duration("cell-timeout", 0, "time limit per cell (0: none; a training cell at scale cpu runs for hours)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	if *nb == "" {
		*nb = filepath.Join(root, "notebooks", "report.ipynb")
	}
	loc, err := data.Locate(*dataPath)
	if err != nil {
		return err
	}
	env := []string{repo.RootEnv + "=" + root}
	if loc.Path != "" {
		env = append(env, data.PathEnv+"="+loc.Path)
	}
	fmt.Fprintf(os.Stderr, "fer report: %s on %s\n", *nb, loc)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// The kernel's output goes into the notebook; this process reports the
	// training progress from the study's run folders, with an ETA.
	if sc := *scale; sc != "" {
		os.Setenv(recipe.ScaleEnv, sc)
	}
	if loc.Path != "" {
		os.Setenv(data.PathEnv, loc.Path)
	}
	if s, err := recipe.StudyPlace(loc.Name()); err == nil {
		fmt.Fprintf(os.Stderr, "fer report: scale %s, run folders %s; progress below as epochs end\n", s.Scale.Name, s.RunsDir)
		watchCtx, stopWatch := context.WithCancel(ctx)
		defer stopWatch()
		go watchReport(watchCtx, s.RunsDir, reportPlan(s.Scale), 15*time.Second, os.Stderr)
	} else {
		fmt.Fprintf(os.Stderr, "fer report: no progress reports (%v)\n", err)
	}
	start := time.Now()
	limit := *cellTimeout
	if limit <= 0 {
		limit = -1 // no limit: progress lines above show it is alive
	}
	if err := executeInPlace(ctx, *nb, notebook.Options{Scale: *scale, Env: env, CellTimeout: limit}, notebook.Execute); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fer report: done in %s; executed notebook %s, figures in %s\n",
		time.Since(start).Round(time.Second), *nb, filepath.Join(root, "plots", "out"))
	return nil
}

// executeInPlace runs the notebook nb with execute (notebook.Execute) and
// replaces nb with the executed notebook atomically: nbconvert writes into
// a temporary file beside nb (.NAME.tmp-RANDOM.ipynb, which fer notebooks
// and atomicfile.IsTemp recognise), which is renamed over nb only once
// nbconvert has written it completely. If nbconvert fails, is interrupted
// (Ctrl-C) or killed, nb keeps its old content and the temporary file is
// removed (unless this process itself is killed). A notebook that ran but
// shows problems (a *notebook.ProblemsError) is put in place, so they can
// be read in it, and the error returned names nb.
func executeInPlace(ctx context.Context, nb string, opts notebook.Options, execute func(context.Context, string, notebook.Options) error) error {
	abs, err := filepath.Abs(nb)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(abs), atomicfile.TempGlob(filepath.Base(abs))+".ipynb")
	if err != nil {
		return fmt.Errorf("notebook %s: no temporary file beside it for nbconvert: %w", nb, err)
	}
	tmp := f.Name()
	// CreateTemp makes the file 0600: give it the notebook's mode (0644
	// for a new one), which the rename would otherwise change to 0600.
	mode := os.FileMode(0o644)
	if fi, serr := os.Stat(abs); serr == nil {
		mode = fi.Mode().Perm()
	}
	cerr := f.Chmod(mode)
	f.Close()
	if cerr != nil {
		os.Remove(tmp)
		return fmt.Errorf("notebook %s: %w", nb, cerr)
	}
	opts.Output = tmp
	err = execute(ctx, abs, opts)
	var problems *notebook.ProblemsError
	if err != nil && !errors.As(err, &problems) {
		os.Remove(tmp)
		return err
	}
	// Again, in case nbconvert wrote a new file rather than into this one.
	if cerr := os.Chmod(tmp, mode); cerr != nil {
		os.Remove(tmp)
		return fmt.Errorf("notebook %s: %w", nb, cerr)
	}
	if rerr := atomicfile.Replace(tmp, abs); rerr != nil {
		return rerr
	}
	if problems != nil {
		problems.Notebook = nb
	}
	return err
}

func runNotebooks(args []string) error {
	fs := flag.NewFlagSet("notebooks", flag.ContinueOnError)
	quick := fs.Bool("quick", true, "run in quick mode ($FERNB_SCALE=quick)")
	out := fs.String("out", "", "folder for the executed copies (default: a temporary folder)")
	timeout := fs.Duration("timeout", 15*time.Minute, "time limit per notebook")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		files, _ = filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
		// Not the temporary file of a fer report killed while running.
		files = slices.DeleteFunc(files, func(f string) bool { return atomicfile.IsTemp(filepath.Base(f)) })
	}
	if len(files) == 0 {
		return fmt.Errorf("no notebooks found in %s", filepath.Join(root, "notebooks"))
	}
	if *out == "" {
		if *out, err = os.MkdirTemp("", "fernb-notebooks-"); err != nil {
			return err
		}
	}
	scale := "full"
	if *quick {
		scale = "quick"
	}
	failed := 0
	for _, f := range files {
		start := time.Now()
		dst := filepath.Join(*out, filepath.Base(f))
		err := notebook.Execute(context.Background(), f, notebook.Options{
			Scale: scale, Output: dst, Timeout: *timeout,
			Env: []string{repo.RootEnv + "=" + root, "FERNB_RUNS=" + filepath.Join(*out, "runs"), "FERNB_PLOTS=" + filepath.Join(*out, "plots")},
		})
		status := "ok"
		if err != nil {
			failed++
			status = "FAIL"
			fmt.Fprintln(os.Stderr, err)
		}
		fmt.Printf("%-4s %s (%s) -> %s\n", status, filepath.Base(f), time.Since(start).Round(time.Second), dst)
	}
	fmt.Printf("notebooks: %d passed, %d failed\n", len(files)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d notebooks failed", failed, len(files))
	}
	return nil
}
