package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// TorchBackend is the Backend name of PyTorch CPU measurements; on another
// device it is "pytorch-" + the device (e.g. "pytorch-cuda").
const TorchBackend = "pytorch-cpu"

// IsTorch tells whether a Measurement's Backend is a PyTorch one.
func IsTorch(backend string) bool { return strings.HasPrefix(backend, "pytorch-") }

// TorchScript is the PyTorch peer's path relative to the repository root.
const TorchScript = "scripts/bench_torch.py"

// TorchInfo is what the PyTorch script says about itself.
type TorchInfo struct {
	// Version is torch.__version__.
	Version string `json:"torch"`
	// Threads is torch.get_num_threads() during the run.
	Threads int `json:"threads"`
	// MKLDNN tells whether oneDNN was available.
	MKLDNN bool `json:"mkldnn"`
	// ChannelsLast tells whether the NHWC memory format was used.
	ChannelsLast bool `json:"channels_last"`
	// CPUCapability is torch.backends.cpu.get_cpu_capability(), e.g. "AVX512".
	CPUCapability string `json:"cpu_capability"`
	// Device is "cpu" or the GPU's name.
	Device string `json:"device"`
}

// torchOutput is the JSON printed by scripts/bench_torch.py.
type torchOutput struct {
	TorchInfo
	Results []struct {
		Stem            string    `json:"stem"`
		Batch           int       `json:"batch"`
		TrainFirstStepS float64   `json:"train_first_step_s"`
		InferFirstStepS float64   `json:"infer_first_step_s"`
		TrainStepS      []float64 `json:"train_step_s"`
		InferStepS      []float64 `json:"infer_step_s"`
		PeakRSSMiB      float64   `json:"peak_rss_mib"`
		TrainImagesPerS float64   `json:"train_images_per_s"`
		InferImagesPerS float64   `json:"infer_images_per_s"`
	} `json:"results"`
}

// FindTorch locates the Python interpreter with PyTorch and the peer script:
// python is $FERNB_VENV/bin/python, else .venv/bin/python in the repository
// root; the root is $FERNB_ROOT, else the first directory upwards from the
// working directory holding scripts/bench_torch.py.
func FindTorch() (python, script string, err error) {
	root := os.Getenv("FERNB_ROOT")
	if root == "" {
		dir, err := os.Getwd()
		if err != nil {
			return "", "", fmt.Errorf("bench: %w", err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, TorchScript)); err == nil {
				root = dir
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return "", "", fmt.Errorf("bench: %s not found above the working directory; run from the fernb repository or set FERNB_ROOT", TorchScript)
			}
			dir = parent
		}
	}
	script = filepath.Join(root, TorchScript)
	if _, err := os.Stat(script); err != nil {
		return "", "", fmt.Errorf("bench: PyTorch peer script: %w", err)
	}
	venv := os.Getenv("FERNB_VENV")
	if venv == "" {
		venv = filepath.Join(root, ".venv")
	}
	python = filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(python); err != nil {
		return "", "", fmt.Errorf("bench: no Python virtualenv at %s (run ./fernb.sh setup --bench): %w", venv, err)
	}
	return python, script, nil
}

// MeasureTorch runs the PyTorch peer script for one stem in its own process
// on device ("cpu" or "cuda") with the given number of intra-op threads and
// returns its measurement. The script's progress lines go to progress (may
// be nil). extraArgs are passed on (e.g. "--channels-last").
func MeasureTorch(python, script, device, stem string, batch int, steps Steps, threads int, seed uint64, peak float64, progress io.Writer, extraArgs ...string) (Measurement, TorchInfo, error) {
	m := Measurement{Backend: "pytorch-" + device, Stem: stem, Batch: batch, Warmup: steps.Warmup}
	cfg, err := StemConfig(stem, seed)
	if err != nil {
		return m, TorchInfo{}, err
	}
	layers, err := ModelLayers(cfg)
	if err != nil {
		return m, TorchInfo{}, err
	}
	// The script's warm-up counts the first step; ours does not.
	args := []string{script, "--batch", strconv.Itoa(batch), "--steps", strconv.Itoa(steps.Train),
		"--infer-steps", strconv.Itoa(steps.Infer), "--warmup", strconv.Itoa(1 + steps.Warmup),
		"--threads", strconv.Itoa(threads), "--stems", stem, "--device", device,
		"--budget", strconv.FormatFloat(steps.Budget, 'f', -1, 64), "--seed", strconv.FormatUint(seed, 10)}
	args = append(args, extraArgs...)
	stdout, err := runTorchScript(python, TorchScript, args, progress)
	if err != nil {
		return m, TorchInfo{}, err
	}
	var out torchOutput
	if err := json.Unmarshal(stdout, &out); err != nil {
		return m, TorchInfo{}, fmt.Errorf("bench: %s printed no valid JSON: %w", TorchScript, err)
	}
	if len(out.Results) != 1 || out.Results[0].Stem != stem {
		return m, out.TorchInfo, errors.New("bench: " + TorchScript + " returned results for other stems than asked")
	}
	r := out.Results[0]
	m.TrainFirstStepSec, m.InferFirstStepSec = r.TrainFirstStepS, r.InferFirstStepS
	m.TrainStepSec, m.InferStepSec = r.TrainStepS, r.InferStepS
	m.PeakRSSMiB = r.PeakRSSMiB
	m.fill(layers, peak)
	return m, out.TorchInfo, nil
}

// runTorchScript runs the PyTorch peer script with args (args[0] is the
// script; what names the run in errors, e.g. TorchScript) and returns what it printed on stdout; its stderr goes to progress
// as well, and an error carries the end of it (with the set-up command when
// PyTorch is missing).
func runTorchScript(python, what string, args []string, progress io.Writer) ([]byte, error) {
	cmd := exec.Command(python, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	if progress != nil {
		cmd.Stderr = io.MultiWriter(&stderr, progress)
	} else {
		cmd.Stderr = &stderr
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 && len(msg) > 2000 {
			msg = msg[i+1:]
		}
		if strings.Contains(msg, "No module named 'torch'") {
			msg += " (install PyTorch with ./fernb.sh setup --bench)"
		}
		return nil, fmt.Errorf("bench: %s %s: %w: %s", python, what, err, msg)
	}
	return stdout.Bytes(), nil
}
