package bench

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// torchConvShape is a convolution shape as scripts/bench_torch.py
// --conv-shapes reads it.
type torchConvShape struct {
	Key    string `json:"key"`
	InH    int    `json:"in_h"`
	InW    int    `json:"in_w"`
	InC    int    `json:"in_c"`
	OutC   int    `json:"out_c"`
	Kernel int    `json:"kernel"`
	Stride int    `json:"stride"`
	Pad    int    `json:"pad"`
}

// torchProfile is the JSON printed by scripts/bench_torch.py --profile.
type torchProfile struct {
	TorchInfo
	Profile struct {
		Stem   string `json:"stem"`
		Batch  int    `json:"batch"`
		Phases []struct {
			Format             string    `json:"format"`
			ForwardSec         []float64 `json:"forward_s"`
			ForwardBackwardSec []float64 `json:"forward_backward_s"`
			StepSec            []float64 `json:"step_s"`
		} `json:"phases"`
		Convs []struct {
			Key                string    `json:"key"`
			Format             string    `json:"format"`
			ForwardSec         []float64 `json:"forward_s"`
			ForwardBackwardSec []float64 `json:"forward_backward_s"`
		} `json:"convs"`
	} `json:"profile"`
}

// profileTorch runs scripts/bench_torch.py --profile with python for the
// stem, batch, steps, memory formats and convolution steps of opts, with the
// given number of threads, on the convolution shapes (none when
// opts.ConvSteps is 0), and returns its parsed output. The script's progress
// goes to opts.Progress.
func profileTorch(python, script string, opts Options, threads int, shapes []ConvShape) (*torchProfile, error) {
	if len(opts.Stems) != 1 {
		return nil, fmt.Errorf("bench: a profile measures one stem, not %q", opts.Stems)
	}
	stem := opts.Stems[0]
	var conv []torchConvShape
	if opts.ConvSteps > 0 {
		for _, s := range shapes {
			l := s.Layer
			conv = append(conv, torchConvShape{Key: s.Key, InH: l.InH, InW: l.InW, InC: l.InC, OutC: l.OutC, Kernel: l.Kernel, Stride: l.Stride, Pad: l.Pad})
		}
	}
	shapesJSON, err := json.Marshal(conv)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	formats := opts.TorchFormats
	if len(formats) == 0 {
		formats = []string{TorchNCHW}
	}
	// The script's warm-up counts the first call; ours does not.
	args := []string{script, "--profile", "--batch", strconv.Itoa(opts.Batch), "--steps", strconv.Itoa(opts.Steps.Train),
		"--warmup", strconv.Itoa(1 + opts.Steps.Warmup), "--threads", strconv.Itoa(threads), "--stems", stem,
		"--device", "cpu", "--budget", strconv.FormatFloat(opts.Steps.Budget, 'f', -1, 64), "--seed", strconv.FormatUint(opts.Seed, 10),
		"--formats", strings.Join(formats, ","), "--conv-shapes", string(shapesJSON),
		"--conv-steps", strconv.Itoa(max(1, opts.ConvSteps)), "--conv-warmup", strconv.Itoa(1 + opts.ConvWarmup)}
	args = append(args, opts.TorchArgs...)
	stdout, err := runTorchScript(python, TorchScript+" --profile", args, opts.Progress)
	if err != nil {
		return nil, err
	}
	var out torchProfile
	if err := json.Unmarshal(stdout, &out); err != nil {
		return nil, fmt.Errorf("bench: %s --profile printed no valid JSON: %w", TorchScript, err)
	}
	if out.Profile.Stem != stem || out.Profile.Batch != opts.Batch {
		return nil, fmt.Errorf("bench: %s --profile measured stem %q batch %d, not %q batch %d", TorchScript,
			out.Profile.Stem, out.Profile.Batch, stem, opts.Batch)
	}
	return &out, nil
}

// addTorch adds PyTorch's phases and convolution timings to p and returns
// how many it added; a convolution shape p does not list is an error.
func (p *Profile) addTorch(tp *torchProfile) (int, error) {
	n := 0
	for _, f := range tp.Profile.Phases {
		ph := Phases{Label: TorchBackend + " (" + f.Format + ")", Backend: TorchBackend, Format: f.Format,
			ForwardSec: f.ForwardSec, ForwardBackwardSec: f.ForwardBackwardSec, StepSec: f.StepSec}
		ph.fill(p.Batch)
		p.Phases = append(p.Phases, ph)
		n++
	}
	for _, c := range tp.Profile.Convs {
		i := p.convIndex(c.Key)
		if i < 0 {
			return n, fmt.Errorf("bench: %s --profile returned convolution %q, not one asked for", TorchScript, c.Key)
		}
		t := ConvTiming{Impl: TorchBackend + " (" + c.Format + ")", Backend: TorchBackend, Format: c.Format, ForwardSec: c.ForwardSec, ForwardBackwardSec: c.ForwardBackwardSec}
		t.fill(p.Convs[i].Layer, p.Batch)
		p.Convs[i].Timings = append(p.Convs[i].Timings, t)
		n++
	}
	return n, nil
}

// convIndex is the index of the convolution shape key in p.Convs, or -1.
func (p *Profile) convIndex(key string) int {
	for i, c := range p.Convs {
		if c.Key == key {
			return i
		}
	}
	return -1
}
