package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fernb/fernb/fernb/bench"
	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/repo"
)

func init() {
	register("bench", "ResNet18 training/inference speed on XLA CPU and Go vs PyTorch CPU, FLOP/s vs the CPU's peak", runBench)
}

// benchUsage is fer bench's help, before its flags.
const benchUsage = "usage: fer bench [flags]\n\n" +
	"Times ResNet18 (48x48x1, 7 classes) training steps (fwd+bwd+SGD momentum 0.9, wd 1e-4) and\n" +
	"inference on each GoMLX backend and in PyTorch CPU (scripts/bench_torch.py in the project's\n" +
	"virtualenv: ./fernb.sh setup --bench), prints a table and the ratios, optionally writes JSON.\n" +
	"Progress goes to stderr. XLA_FLAGS is passed to XLA as usual.\n\n" +
	"With --profile it shows instead where a training step's time goes, fernb vs PyTorch in the same run:\n" +
	"the phases (forward, forward+backward, full step; backward and update derived) and each distinct\n" +
	"convolution shape of the network alone (forward, forward+backward), with their GFLOP/s and counts.\n" +
	"Its defaults: --backends xla:cpu --convs mixed,im2col --batchnorms graph,fused --stems standard (one stem).\n\nflags:"

func runBench(args []string) error {
	f := newBenchFlags()
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", f.fs.Args())
	}
	o, err := f.options()
	if err != nil {
		return err
	}
	o.Progress = os.Stderr
	setRootEnv()
	if f.profile {
		p, err := bench.RunProfile(o)
		if p == nil {
			return err
		}
		return writeBenchReport(p, f.jsonPath, err)
	}
	r, err := bench.Run(o)
	if r == nil {
		return err
	}
	return writeBenchReport(r, f.jsonPath, err)
}

// benchFlags are fer bench's flags, parsed once for both modes: each flag
// given overrides the defaults of the mode run, bench.DefaultOptions or,
// with --profile, bench.DefaultProfileOptions.
type benchFlags struct {
	fs *flag.FlagSet
	// profile selects RunProfile; skipGo drops the go backend; jsonPath is
	// where the report's JSON goes ("": nowhere).
	profile, skipGo bool
	jsonPath        string
	// The flags that set bench.Options fields, by the flag's name.
	batch, steps, warmup, goSteps, goWarmup, threads, convSteps, convWarmup int
	budget, ghz                                                             float64
	seed                                                                    uint64
	measureClock                                                            bool
	backends, stems, nativeStems, goStems, convs, bns, precs                string
	torch, torchDevice, torchArgs, torchFormats                             string
}

// newBenchFlags defines fer bench's flags, with fer bench's defaults (and
// the profile's for the profile-only ones).
func newBenchFlags() *benchFlags {
	d, pd := bench.DefaultOptions(), bench.DefaultProfileOptions()
	f := &benchFlags{fs: flag.NewFlagSet("bench", flag.ContinueOnError)}
	fs := f.fs
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	fs.IntVar(&f.batch, "batch", d.Batch, "images per step")
	fs.IntVar(&f.steps, "steps", d.Steps.Train, "timed steps (training and inference) on XLA and PyTorch")
	fs.IntVar(&f.warmup, "warmup", d.Steps.Warmup, "untimed steps after the first (compiling) one")
	fs.IntVar(&f.goSteps, "go-steps", d.GoSteps.Train, "timed steps on the go backend")
	fs.IntVar(&f.goWarmup, "go-warmup", d.GoSteps.Warmup, "untimed steps after the first on the go backend")
	fs.StringVar(&f.backends, "backends", strings.Join(d.Backends, ","), "GoMLX backends, comma-separated (xla:cpu, go, xla:cuda); empty for none")
	fs.StringVar(&f.stems, "stems", strings.Join(d.Stems, ","), "ResNet18 stems, comma-separated: standard (7x7/2 + max-pool), small (3x3/1)")
	fs.StringVar(&f.nativeStems, "native-stems", strings.Join(d.NativeStems, ","), "stems also run with the native convolution on xla:cpu (slow there)")
	fs.Float64Var(&f.budget, "budget", d.Steps.Budget, "seconds after which a phase's timed steps stop early (at least 2 run); 0 = no limit")
	fs.StringVar(&f.goStems, "go-stems", strings.Join(d.GoStems, ","), "stems also run on the go backend (small takes minutes per step there)")
	fs.StringVar(&f.convs, "convs", joinList(d.Convs), "convolutions of fernb/models measured on XLA, comma-separated: native, im2col, mixed, auto (go always runs auto = im2col)")
	fs.StringVar(&f.bns, "batchnorms", joinList(d.BatchNorms), "batch-norm implementations of fernb/models measured on XLA, comma-separated: auto, graph, fused (a row each, per convolution)")
	fs.StringVar(&f.precs, "precisions", joinList(d.Precisions), "convolution number formats measured on XLA, comma-separated: f32, bf16 (bf16 also runs PyTorch under CPU autocast to bfloat16; ratios pair equal precisions)")
	fs.BoolVar(&f.skipGo, "skip-go", false, "skip the go backend (same as leaving it out of --backends)")
	fs.StringVar(&f.torch, "torch", "on", "on or off: measure PyTorch CPU too")
	fs.StringVar(&f.torchDevice, "torch-device", d.TorchDevice, "PyTorch's device: cpu, or cuda on a GPU machine (with --backends xla:cuda)")
	fs.StringVar(&f.torchArgs, "torch-args", "", "extra arguments for scripts/bench_torch.py, space-separated (e.g. --channels-last)")
	fs.IntVar(&f.threads, "threads", 0, "PyTorch threads (default: the number of CPUs, as XLA and Go use)")
	fs.Float64Var(&f.ghz, "ghz", 0, "CPU clock in GHz for the peak FLOP/s (default: /proc/cpuinfo's cpu MHz)")
	fs.BoolVar(&f.measureClock, "measure-clock", d.MeasureClock, "also measure the real clock (turbo) and show the % of the peak at that clock")
	fs.StringVar(&f.jsonPath, "json", "", "also write the full report as JSON to this file")
	fs.Uint64Var(&f.seed, "seed", d.Seed, "seed of weights and inputs")
	fs.BoolVar(&f.profile, "profile", false, "profile where a training step's time goes (phases, each convolution shape) instead, fernb vs PyTorch")
	fs.IntVar(&f.convSteps, "conv-steps", pd.ConvSteps, "--profile: timed calls per convolution shape and pass (0 skips the convolutions)")
	fs.IntVar(&f.convWarmup, "conv-warmup", pd.ConvWarmup, "--profile: untimed calls per convolution shape and pass after the first")
	fs.StringVar(&f.torchFormats, "torch-formats", strings.Join(pd.TorchFormats, ","), "--profile: PyTorch memory formats, comma-separated: nchw, channels_last")
	return f
}

// options are the mode's defaults with the flags given on top, checked for
// what the flags alone can tell.
func (f *benchFlags) options() (bench.Options, error) {
	o := bench.DefaultOptions()
	if f.profile {
		o = bench.DefaultProfileOptions()
	}
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		if err == nil {
			err = f.override(&o, fl.Name)
		}
	})
	if err != nil {
		return o, err
	}
	if f.skipGo {
		o.Backends = removeItem(o.Backends, "go")
	}
	if f.profile {
		return o, checkProfileFlags(o, f.stems)
	}
	if o.Steps.Train < 1 || o.GoSteps.Train < 1 || o.Steps.Warmup < 0 || o.GoSteps.Warmup < 0 {
		return o, errors.New("--steps and --go-steps must be >= 1, --warmup and --go-warmup >= 0")
	}
	return o, nil
}

// override sets the field of o that the flag name sets to its value.
func (f *benchFlags) override(o *bench.Options, name string) (err error) {
	switch name {
	case "batch":
		o.Batch = f.batch
	case "steps":
		o.Steps.Train, o.Steps.Infer = f.steps, f.steps
	case "warmup":
		o.Steps.Warmup = f.warmup
	case "budget":
		o.Steps.Budget, o.GoSteps.Budget = f.budget, f.budget
	case "go-steps":
		o.GoSteps.Train, o.GoSteps.Infer = f.goSteps, f.goSteps
	case "go-warmup":
		o.GoSteps.Warmup = f.goWarmup
	case "backends":
		o.Backends = splitList[string](f.backends)
	case "stems":
		o.Stems = splitList[string](f.stems)
	case "go-stems":
		o.GoStems = splitList[string](f.goStems)
	case "native-stems":
		o.NativeStems = splitList[string](f.nativeStems)
	case "convs":
		o.Convs = splitList[models.ConvImpl](f.convs)
	case "batchnorms":
		o.BatchNorms = splitList[models.BatchNormImpl](f.bns)
	case "precisions":
		o.Precisions = splitList[models.Precision](f.precs)
	case "torch":
		o.Torch, err = parseOnOff("--torch", f.torch)
	case "torch-device":
		o.TorchDevice = f.torchDevice
	case "torch-args":
		o.TorchArgs = strings.Fields(f.torchArgs)
	case "torch-formats":
		o.TorchFormats = splitList[string](f.torchFormats)
	case "threads":
		o.Threads = f.threads
	case "ghz":
		o.GHz = f.ghz
	case "measure-clock":
		o.MeasureClock = f.measureClock
	case "seed":
		o.Seed = f.seed
	case "conv-steps":
		o.ConvSteps = f.convSteps
	case "conv-warmup":
		o.ConvWarmup = f.convWarmup
	}
	return err
}

// checkProfileFlags refuses, before anything is measured, the --profile
// options it cannot run; stems is the --stems flag's value.
func checkProfileFlags(o bench.Options, stems string) error {
	if len(o.Stems) != 1 {
		return fmt.Errorf("--profile measures one stem, not %q", stems)
	}
	if o.TorchDevice != "cpu" {
		return errors.New("--profile runs PyTorch on the CPU only")
	}
	if o.Steps.Train < 1 || o.Steps.Warmup < 0 || o.ConvSteps < 0 || o.ConvWarmup < 0 {
		return errors.New("--steps must be >= 1, --warmup, --conv-steps and --conv-warmup >= 0")
	}
	return nil
}

// benchReport is what fer bench prints: a benchmark or a profile.
type benchReport interface {
	WriteTable(io.Writer) error
	WriteJSON(path string) error
}

// writeBenchReport prints r's table and writes its JSON to jsonPath (if
// set), even when the run ended with err (a partial report); it returns
// the first error.
func writeBenchReport(r benchReport, jsonPath string, err error) error {
	if werr := r.WriteTable(os.Stdout); werr != nil && err == nil {
		err = werr
	}
	if jsonPath != "" {
		if werr := r.WriteJSON(jsonPath); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// parseOnOff reads an on/off flag value.
func parseOnOff(name, v string) (bool, error) {
	switch v {
	case "on", "true", "1":
		return true, nil
	case "off", "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s %q: want on or off", name, v)
}

// setRootEnv sets the repository root for the PyTorch peer, which lives in
// the repository (scripts/, .venv/), unless it is set already.
func setRootEnv() {
	if os.Getenv(repo.RootEnv) == "" {
		if root, err := repo.Root(); err == nil {
			os.Setenv(repo.RootEnv, root)
		}
	}
}

func splitList[T ~string](s string) []T {
	var out []T
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, T(f))
		}
	}
	return out
}

// joinList joins a list of names with commas.
func joinList[T ~string](list []T) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}

func removeItem(list []string, item string) []string {
	var out []string
	for _, s := range list {
		if s != item {
			out = append(out, s)
		}
	}
	return out
}
