package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/progress"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/run"
	"github.com/fernb/fernb/fernb/train"
)

func init() {
	register("train", "train a model into a run folder (resumable; a finished run is reused)", runTrain)
}

// dataFlags are the data options shared by train and eval.
type dataFlags struct {
	path      *string
	synthetic *int
	valFrac   *float64
	valSeed   *uint64
	trainval  *bool
}

func addDataFlags(fs *flag.FlagSet) dataFlags {
	return dataFlags{
		path:      fs.String("data", "", "FER2013 path: fer2013.csv, or a folder with train/ [val/] test/ class folders (default: $FER_DATA, else synthetic faces)"),
		synthetic: fs.Int("synthetic", 3500, "number of synthetic train faces when there is no data path (test: a fifth)"),
		valFrac:   fs.Float64("val", recipe.ValFraction, "fraction of the train split held out (stratified) as the val split when the data has none"),
		valSeed:   fs.Uint64("val-seed", recipe.SplitSeed, "seed of the val split"),
		trainval:  fs.Bool("trainval", false, "train on train+val (no validation), the study's final step"),
	}
}

// modelFlags pick a trained model: the run folder, its checkpoint and the
// backend to run it on (shared by eval and predict).
type modelFlags struct {
	run, checkpoint, backend *string
}

func addModelFlags(fs *flag.FlagSet) modelFlags {
	return modelFlags{
		run:        fs.String("run", "", "run folder (required)"),
		checkpoint: fs.String("checkpoint", "best", "checkpoint: best or last"),
		backend:    fs.String("backend", "auto", "backend: auto ($GOMLX_BACKEND, else the best available), go, xla:cpu, xla:cuda"),
	}
}

// open opens the run folder on the backend of --backend, made when a model
// is first loaded; closing the run (its models, then the backend) is the
// caller's.
func (f modelFlags) open() (*run.Handle, error) {
	if *f.run == "" {
		return nil, fmt.Errorf("--run DIR is required")
	}
	return run.Open(*f.run, run.WithBackendRequest(*f.backend))
}

// load reads the data set and makes the val split (or merges it into train).
func (f dataFlags) load() (*data.Dataset, error) {
	loc, err := data.Locate(*f.path)
	if err != nil {
		return nil, err
	}
	var ds *data.Dataset
	if loc.Path == "" {
		fmt.Fprintf(os.Stderr, "No --data and no $%s: using the built-in SYNTHETIC faces (%d train), not FER2013.\n", data.PathEnv, *f.synthetic)
		ds = data.Synthetic(*f.synthetic, *f.synthetic/5, 1)
	} else if ds, err = data.Load(loc.Path, data.WithProgress(os.Stderr)); err != nil {
		return nil, err
	}
	if ds.Val == nil {
		if err := ds.SplitVal(*f.valFrac, *f.valSeed); err != nil {
			return nil, err
		}
	}
	if *f.trainval {
		ds.MergeTrainVal(false)
	}
	return ds, nil
}

// preScan returns the value of flag --name in args ("" when absent), read
// before the flag set is built because it sets the other flags' defaults.
func preScan(args []string, name string) (string, error) {
	for i, a := range args {
		if a == "--" {
			break
		}
		n, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || n != name {
			continue
		}
		if hasVal {
			return val, nil
		}
		if i+1 < len(args) {
			return args[i+1], nil
		}
		return "", fmt.Errorf("--%s needs a value", name)
	}
	return "", nil
}

// baseConfig is the configuration the flags start from: --config FILE, or
// --step ID at --scale NAME, or train.DefaultConfig. It also tells whether
// the step trains on train+val.
func baseConfig(args []string) (cfg train.Config, trainval bool, err error) {
	var file, stepID, scaleName string
	for _, p := range []struct {
		name string
		dst  *string
	}{{"config", &file}, {"step", &stepID}, {"scale", &scaleName}} {
		if *p.dst, err = preScan(args, p.name); err != nil {
			return cfg, false, err
		}
	}
	switch {
	case file != "" && stepID != "":
		return cfg, false, fmt.Errorf("give --config or --step, not both")
	case scaleName != "" && stepID == "":
		return cfg, false, fmt.Errorf("--scale needs --step")
	case file != "":
		cfg, err = train.ReadConfig(file)
		return cfg, false, err
	case stepID != "":
		st, err := recipe.FindStep(stepID)
		if err != nil {
			return cfg, false, err
		}
		if scaleName == "" {
			scaleName = "full"
		}
		sc, err := recipe.FindScale(scaleName)
		if err != nil {
			return cfg, false, err
		}
		return sc.Apply(st), st.TrainVal, nil
	}
	return train.DefaultConfig(), false, nil
}

func runTrain(args []string) error {
	cfg, stepTrainVal, err := baseConfig(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.String("config", "", "JSON file with a train.Config (a run folder's config.json works); flags override it")
	fs.String("step", "", "start from a study step's configuration (flags override it): "+stepIDs())
	fs.String("scale", "", "with --step: the epochs, steps per epoch and batch size of scale quick, short, cpu or full (default full: the study's own)")
	runDir := fs.String("run", "", "run folder (required)")
	resume := fs.Bool("resume", false, "continue the unfinished run in --run from its last checkpoint")
	restart := fs.Bool("restart", false, "start over in --run: the run it holds is first moved aside into --run/replaced-<time>/")
	backendChange := fs.Bool("allow-backend-change", false, "with --resume: continue a run on another kind of backend than the one that wrote its checkpoint-last (the resumed run then differs from an uninterrupted one in the last bits)")
	every := fs.Duration("progress", 10*time.Second, "interval between step progress lines (0: epochs only)")
	stopAt := fs.Float64("stop-at-val", 0, "stop after the first epoch whose val accuracy reaches this fraction (e.g. 0.60), print the time it took, and leave the run resumable (0: off)")
	stopAfter := fs.Int("stop-after", 0, "stop after this epoch of the schedule, leaving the run resumable (0: train every epoch)")
	df := addDataFlags(fs)
	*df.trainval = stepTrainVal

	if err := bindFlags(fs, &cfg); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *runDir == "" {
		return fmt.Errorf("--run DIR is required")
	}
	if cfg.Optimizer != train.OptMomentum && cfg.Optimizer != train.OptNesterov && !flagSet(fs, "momentum") {
		cfg.Momentum = 0
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "training %d images (val %d) into %s\n", ds.Train.Len(), ds.Val.Len(), *runDir)
	ctx, stop := stopOnSignal()
	defer stop()
	opts := []train.Option{train.WithProgress(train.TextProgress(os.Stdout, *every))}
	if *resume {
		opts = append(opts, train.WithResume())
	}
	if *restart {
		opts = append(opts, train.WithRestart())
	}
	if *backendChange {
		opts = append(opts, train.WithBackendChange())
	}
	if *stopAt != 0 {
		if ds.Val.Len() == 0 {
			return fmt.Errorf("--stop-at-val needs a validation split (this run trains on train+val)")
		}
		hook, err := train.StopAtVal(*stopAt)
		if err != nil {
			return fmt.Errorf("--stop-at-val: %w", err)
		}
		opts = append(opts, train.WithEpochEnd(hook))
	}
	if *stopAfter != 0 {
		hook, err := train.StopAfter(*stopAfter)
		if err != nil {
			return fmt.Errorf("--stop-after: %w", err)
		}
		opts = append(opts, train.WithEpochEnd(hook))
	}
	res, err := train.Fit(ctx, cfg, ds, *runDir, opts...)
	if res != nil && res.Replaced != "" {
		fmt.Fprintf(os.Stderr, "the run %s held before was moved to %s\n", *runDir, res.Replaced)
	}
	if epoch, ok := stoppedByHook(err); ok {
		left := "stopped there, resumable with --resume"
		if epoch == cfg.Epochs {
			left = "that was its last epoch: the run is finished"
		}
		fmt.Printf("run %s: %v; %s\n", *runDir, err, left)
		return nil
	}
	if err != nil {
		return err
	}
	if res.Reused {
		fmt.Printf("%s already holds this finished run: not retrained.\n", *runDir)
	}
	fmt.Printf("run %s: %s; best epoch %d (val acc %s); backend %s\n", res.Dir, res.Status.State, res.Status.BestEpoch, progress.Percent(res.Status.BestValAcc), res.Status.Backend)
	return nil
}

// stoppedByHook tells whether err is the stop of --stop-after or
// --stop-at-val (not a failure), and after which epoch.
func stoppedByHook(err error) (epoch int, ok bool) {
	var limit *train.EpochLimit
	var reached *train.TargetReached
	switch {
	case errors.As(err, &limit):
		return limit.Epoch, true
	case errors.As(err, &reached):
		return reached.Epoch.Epoch, true
	}
	return 0, false
}

// stopSignals stop training the way Ctrl-C does: SIGINT, and SIGTERM (docker
// stop, batch schedulers, systemd).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// stopOnSignal returns a context cancelled by the first of stopSignals:
// training then stops between steps with its last checkpoint intact and
// status "stopped" (resumable with --resume). A second signal is not caught
// and ends the process at once.
func stopOnSignal() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	go func() {
		<-ctx.Done()
		if cause := context.Cause(ctx); cause != context.Canceled {
			fmt.Fprintf(os.Stderr, "fer train: %v: stopping after the current step, keeping the last checkpoint (send the signal again to quit at once)\n", cause)
		}
		stop()
	}()
	return ctx, stop
}

// flagSet tells whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// stepIDs lists the study steps' IDs for the help text.
func stepIDs() string {
	var ids []string
	for _, st := range recipe.StudySteps() {
		ids = append(ids, st.ID)
	}
	return strings.Join(ids, ", ")
}
