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
	"github.com/fernb/fernb/fernb/notebook"
)

func init() {
	register("bench", "ResNet18 training/inference speed on XLA CPU and Go vs PyTorch CPU, FLOP/s vs the CPU's peak", runBench)
}

func runBench(args []string) error {
	d := bench.DefaultOptions()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: fer bench [flags]\n\n"+
			"Times ResNet18 (48x48x1, 7 classes) training steps (fwd+bwd+SGD momentum 0.9, wd 1e-4) and\n"+
			"inference on each GoMLX backend and in PyTorch CPU (scripts/bench_torch.py in the project's\n"+
			"virtualenv: ./fernb.sh setup --bench), prints a table and the ratios, optionally writes JSON.\n"+
			"Progress goes to stderr. XLA_FLAGS is passed to XLA as usual.\n\n"+
			"With --profile it shows instead where a training step's time goes, fernb vs PyTorch in the same run:\n"+
			"the phases (forward, forward+backward, full step; backward and update derived) and each distinct\n"+
			"convolution shape of the network alone (forward, forward+backward), with their GFLOP/s and counts.\n"+
			"Its defaults: --backends xla:cpu --convs mixed,im2col --batchnorms graph,fused --stems standard (one stem).\n\nflags:")
		fs.PrintDefaults()
	}
	batch := fs.Int("batch", d.Batch, "images per step")
	steps := fs.Int("steps", d.Steps.Train, "timed steps (training and inference) on XLA and PyTorch")
	warmup := fs.Int("warmup", d.Steps.Warmup, "untimed steps after the first (compiling) one")
	goSteps := fs.Int("go-steps", d.GoSteps.Train, "timed steps on the go backend")
	goWarmup := fs.Int("go-warmup", d.GoSteps.Warmup, "untimed steps after the first on the go backend")
	backends := fs.String("backends", strings.Join(d.Backends, ","), "GoMLX backends, comma-separated (xla:cpu, go, xla:cuda); empty for none")
	stems := fs.String("stems", strings.Join(d.Stems, ","), "ResNet18 stems, comma-separated: standard (7x7/2 + max-pool), small (3x3/1)")
	nativeStems := fs.String("native-stems", strings.Join(d.NativeStems, ","), "stems also run with the native convolution on xla:cpu (slow there)")
	budget := fs.Float64("budget", d.Steps.Budget, "seconds after which a phase's timed steps stop early (at least 2 run); 0 = no limit")
	goStems := fs.String("go-stems", strings.Join(d.GoStems, ","), "stems also run on the go backend (small takes minutes per step there)")
	convs := fs.String("convs", joinList(d.Convs), "convolutions of fernb/models measured on XLA, comma-separated: native, im2col, mixed, auto (go always runs auto = im2col)")
	bns := fs.String("batchnorms", "auto", "batch-norm implementations of fernb/models measured on XLA, comma-separated: auto, graph, fused (a row each, per convolution)")
	precs := fs.String("precisions", "f32", "convolution number formats measured on XLA, comma-separated: f32, bf16 (bf16 also runs PyTorch under CPU autocast to bfloat16; ratios pair equal precisions)")
	noGo := fs.Bool("skip-go", false, "skip the go backend (same as leaving it out of --backends)")
	torch := fs.String("torch", "on", "on or off: measure PyTorch CPU too")
	torchDevice := fs.String("torch-device", d.TorchDevice, "PyTorch's device: cpu, or cuda on a GPU machine (with --backends xla:cuda)")
	torchArgs := fs.String("torch-args", "", "extra arguments for scripts/bench_torch.py, space-separated (e.g. --channels-last)")
	threads := fs.Int("threads", 0, "PyTorch threads (default: the number of CPUs, as XLA and Go use)")
	ghz := fs.Float64("ghz", 0, "CPU clock in GHz for the peak FLOP/s (default: /proc/cpuinfo's cpu MHz)")
	measureClock := fs.Bool("measure-clock", d.MeasureClock, "also measure the real clock (turbo) and show the % of the peak at that clock")
	jsonPath := fs.String("json", "", "also write the full report as JSON to this file")
	seed := fs.Uint64("seed", d.Seed, "seed of weights and inputs")
	pd := bench.DefaultProfileOptions()
	profile := fs.Bool("profile", false, "profile where a training step's time goes (phases, each convolution shape) instead, fernb vs PyTorch")
	convSteps := fs.Int("conv-steps", pd.ConvSteps, "--profile: timed calls per convolution shape and pass (0 skips the convolutions)")
	convWarmup := fs.Int("conv-warmup", pd.ConvWarmup, "--profile: untimed calls per convolution shape and pass after the first")
	torchFormats := fs.String("torch-formats", strings.Join(pd.TorchFormats, ","), "--profile: PyTorch memory formats, comma-separated: nchw, channels_last")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *profile {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		o := pd
		o.Batch, o.Threads, o.GHz, o.Seed, o.MeasureClock = *batch, *threads, *ghz, *seed, *measureClock
		o.Steps = bench.Steps{Train: *steps, Warmup: *warmup, Budget: *budget}
		o.ConvSteps, o.ConvWarmup = *convSteps, *convWarmup
		if set["backends"] {
			o.Backends = splitList[string](*backends)
		}
		if *noGo {
			o.Backends = removeItem(o.Backends, "go")
		}
		if set["stems"] {
			st := splitList[string](*stems)
			if len(st) != 1 {
				return fmt.Errorf("--profile measures one stem, not %q", *stems)
			}
			o.Stem = st[0]
		}
		if set["convs"] {
			o.Convs = splitList[models.ConvImpl](*convs)
		}
		if set["batchnorms"] {
			o.BatchNorms = splitList[models.BatchNormImpl](*bns)
		}
		var err error
		if o.Torch, err = parseOnOff("--torch", *torch); err != nil {
			return err
		}
		if *torchDevice != "cpu" {
			return errors.New("--profile runs PyTorch on the CPU only")
		}
		o.TorchArgs, o.TorchFormats = strings.Fields(*torchArgs), splitList[string](*torchFormats)
		if *steps < 1 || *warmup < 0 || *convSteps < 0 || *convWarmup < 0 {
			return errors.New("--steps must be >= 1, --warmup, --conv-steps and --conv-warmup >= 0")
		}
		o.Progress = os.Stderr
		setRootEnv()
		p, err := bench.RunProfile(o)
		if p == nil {
			return err
		}
		return writeBenchReport(p, *jsonPath, err)
	}
	o := d
	o.Batch, o.Threads, o.GHz, o.Seed, o.MeasureClock = *batch, *threads, *ghz, *seed, *measureClock
	o.Steps = bench.Steps{Train: *steps, Infer: *steps, Warmup: *warmup, Budget: *budget}
	o.GoSteps = bench.Steps{Train: *goSteps, Infer: *goSteps, Warmup: *goWarmup, Budget: *budget}
	o.Backends = splitList[string](*backends)
	if *noGo {
		o.Backends = removeItem(o.Backends, "go")
	}
	o.Stems, o.GoStems, o.NativeStems = splitList[string](*stems), splitList[string](*goStems), splitList[string](*nativeStems)
	o.Convs = splitList[models.ConvImpl](*convs)
	o.BatchNorms = splitList[models.BatchNormImpl](*bns)
	o.Precisions = splitList[models.Precision](*precs)
	var err error
	if o.Torch, err = parseOnOff("--torch", *torch); err != nil {
		return err
	}
	o.TorchArgs, o.TorchDevice = strings.Fields(*torchArgs), *torchDevice
	if *steps < 1 || *goSteps < 1 || *warmup < 0 || *goWarmup < 0 {
		return errors.New("--steps and --go-steps must be >= 1, --warmup and --go-warmup >= 0")
	}
	o.Progress = os.Stderr
	setRootEnv()
	r, err := bench.Run(o)
	if r == nil {
		return err
	}
	return writeBenchReport(r, *jsonPath, err)
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
	if os.Getenv(notebook.RootEnv) == "" {
		if root, err := notebook.RepoRoot(); err == nil {
			os.Setenv(notebook.RootEnv, root)
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
