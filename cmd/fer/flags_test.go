package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/train"
)

// trainConfigFlags are the flags `fer train` had for train.Config before
// they were generated from its tags: every one must still exist.
var trainConfigFlags = []string{
	"name", "model", "small-stem", "epochs", "batch", "optimizer", "lr", "momentum", "wd", "schedule",
	"tmax", "eta-min", "step-size", "gamma", "warmup", "label-smoothing", "dropout", "init",
	"class-weights", "seed", "backend", "max-steps",
	"hflip", "rotate", "resized-crop", "pad-crop", "erase", "brightness", "contrast", "mixup", "cutmix", "mean", "std",
}

func configFlagSet(t *testing.T, cfg *train.Config) *flag.FlagSet {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := bindFlags(fs, cfg); err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestTrainFlagsFromConfig checks that every train.Config field has a flag
// (bindFlags refuses an untagged one), that the flags of old are all there,
// and that defaults come from the configuration.
func TestTrainFlagsFromConfig(t *testing.T) {
	cfg := train.DefaultConfig()
	fs := configFlagSet(t, &cfg)
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		names = append(names, f.Name)
		if f.Usage == "" {
			t.Errorf("flag --%s has no help", f.Name)
		}
	})
	for _, n := range trainConfigFlags {
		if !slices.Contains(names, n) {
			t.Errorf("flag --%s is gone", n)
		}
	}
	for name, want := range map[string]string{"lr": "0.1", "optimizer": "momentum", "model": "resnet18", "batch": "128",
		"seed": "1", "mean": "0.5077", "hflip": "false", "tmax": "0", "resized-crop-scale": ""} {
		if got := fs.Lookup(name).DefValue; got != want {
			t.Errorf("--%s default %q, want %q", name, got, want)
		}
	}
}

func TestTrainFlagsSetConfig(t *testing.T) {
	for _, c := range []struct {
		args    []string
		check   func(c train.Config) bool
		wantErr string
	}{
		{[]string{"--lr", "0.3"}, func(c train.Config) bool { return c.LR == 0.3 }, ""},
		{[]string{"--optimizer=adamw"}, func(c train.Config) bool { return c.Optimizer == train.OptAdamW }, ""},
		{[]string{"--model", "baseline", "--small-stem"}, func(c train.Config) bool { return c.Model == "baseline" && c.SmallStem }, ""},
		{[]string{"--hflip", "--rotate", "15"}, func(c train.Config) bool { return c.Augment.HFlip && c.Augment.Rotate == 15 }, ""},
		{[]string{"--hflip=false"}, func(c train.Config) bool { return !c.Augment.HFlip }, ""},
		{[]string{"--mean", "0.5", "--std", "0.25"}, func(c train.Config) bool { return c.Augment.Mean == 0.5 && c.Augment.Std == 0.25 }, ""},
		{[]string{"--seed", "7", "--epochs", "3", "--warmup", "1"}, func(c train.Config) bool { return c.Seed == 7 && c.Epochs == 3 && c.WarmupEpochs == 1 }, ""},
		{[]string{"--resized-crop-scale", "0.64,1"}, func(c train.Config) bool { return c.Augment.ResizedCropScale == [2]float64{0.64, 1} }, ""},
		{[]string{"--epochs", "many"}, nil, "invalid value"},
		{[]string{"--seed", "-1"}, nil, "invalid value"},
		{[]string{"--resized-crop-ratio", "0.8"}, nil, "want LO,HI"},
		{[]string{"--no-such-flag"}, nil, "not defined"},
	} {
		cfg := train.DefaultConfig()
		err := configFlagSet(t, &cfg).Parse(c.args)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", c.args, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", c.args, err)
		case !c.check(cfg):
			t.Errorf("%q: config %+v", c.args, cfg)
		}
	}
}

func TestBindFlagsRefuses(t *testing.T) {
	type untagged struct{ A int }
	type dup struct {
		A int `flag:"x"`
		B int `flag:"x"`
	}
	type unsupported struct {
		A []int `flag:"a"`
	}
	type skipped struct {
		A int `flag:"-"`
		B int `flag:"b" help:"b"`
	}
	for _, c := range []struct {
		v       any
		wantErr string
	}{
		{untagged{}, "pointer to a struct"},
		{&untagged{}, "no flag tag"},
		{&dup{}, "defined twice"},
		{&unsupported{}, "unsupported type"},
		{&skipped{}, ""},
	} {
		err := bindFlags(flag.NewFlagSet("test", flag.ContinueOnError), c.v)
		if (c.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%T: error %v, want %q", c.v, err, c.wantErr)
		}
	}
}
