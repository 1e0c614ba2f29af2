package main

import (
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
)

func TestBaseConfig(t *testing.T) {
	best, err := recipe.FindStep(recipe.BestCPUStep)
	if err != nil {
		t.Fatal(err)
	}
	cpu, err := recipe.FindScale("cpu")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		args      []string
		epochs    int
		optimizer train.Optimizer
		trainval  bool
		wantErr   string
	}{
		{"defaults", []string{"--run", "x"}, train.DefaultConfig().Epochs, train.DefaultConfig().Optimizer, false, ""},
		{"step full", []string{"--step", "01"}, 30, train.OptSGD, false, ""},
		{"step=", []string{"--step=08-trainval"}, 1000, train.OptMomentum, true, ""},
		{"step at scale", []string{"-step", "13", "-scale", "cpu"}, cpu.Apply(best).Epochs, train.OptNesterov, false, ""},
		{"short scale", []string{"--step", "00", "--scale=short"}, 4, train.OptSGD, false, ""},
		{"config and step", []string{"--config", "c.json", "--step", "01"}, 0, "", false, "not both"},
		{"scale alone", []string{"--scale", "cpu"}, 0, "", false, "--scale needs --step"},
		{"unknown step", []string{"--step", "99"}, 0, "", false, `unknown study step "99"`},
		{"unknown scale", []string{"--step", "01", "--scale", "huge"}, 0, "", false, `unknown scale "huge"`},
		{"missing value", []string{"--step"}, 0, "", false, "--step needs a value"},
		{"missing file", []string{"--config", "/nonexistent/c.json"}, 0, "", false, "/nonexistent/c.json"},
	}
	for _, c := range cases {
		cfg, tv, err := baseConfig(c.args)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if cfg.Epochs != c.epochs || cfg.Optimizer != c.optimizer || tv != c.trainval {
			t.Errorf("%s: epochs %d, optimizer %s, trainval %v; want %d, %s, %v",
				c.name, cfg.Epochs, cfg.Optimizer, tv, c.epochs, c.optimizer, c.trainval)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
