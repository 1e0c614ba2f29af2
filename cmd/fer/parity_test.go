package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
)

// torchPython returns a Python that can import torch: the fernb
// virtualenv's ($FERNB_VENV, else the checkout's .venv), else python3. The
// test is skipped when none can, unless FERNB_REQUIRE_TORCH=1, where it
// fails.
func torchPython(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, venv := range []string{os.Getenv("FERNB_VENV"), filepath.Join("..", "..", ".venv")} {
		if venv != "" {
			tried = append(tried, filepath.Join(venv, "bin", "python"))
		}
	}
	tried = append(tried, "python3")
	for _, py := range tried {
		if exec.Command(py, "-c", "import torch").Run() == nil {
			return py
		}
	}
	if os.Getenv("FERNB_REQUIRE_TORCH") == "1" {
		t.Fatalf("FERNB_REQUIRE_TORCH=1 but no Python with torch among %q (./fernb.sh setup --bench installs it)", tried)
	}
	t.Skipf("no Python with torch among %q (./fernb.sh setup --bench installs it)", tried)
	return ""
}

// TestParityTorchScript runs scripts/parity_torch.py, the PyTorch peer that
// produced the README's and BENCHMARKS.md's parity tables, as
// scripts/time-to-accuracy.sh does, on a tiny synthetic split: the splits
// from `fer data --write-splits`, the config.json of the 2-hour CPU recipe
// (13-cpu-2h, shortened: 3 epochs with 1 of warm-up, batches of 16). It
// checks that the script reads both, trains --stop-after 2 epochs of the
// schedule, prints one JSON line per epoch with finite values, and that its
// learning rate at the end of each epoch equals fernb's
// (Config.LRAtStep), warm-up included; then that --table lays its epochs
// beside a fernb history.json.
func TestParityTorchScript(t *testing.T) {
	py := torchPython(t)
	t.Setenv(data.PathEnv, "")
	dir := t.TempDir()
	splits := filepath.Join(dir, "splits")
	if err := runData([]string{"--synthetic", "100", "--write-splits", splits}); err != nil {
		t.Fatal(err)
	}
	nTrain := countLines(t, filepath.Join(splits, "train.tsv"))

	st, err := recipe.FindStep("13-cpu-2h")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := recipe.FindScale("cpu")
	if err != nil {
		t.Fatal(err)
	}
	cfg := sc.Apply(st)
	// 4 epochs, 2 of warm-up: the lr at the end of epoch 1 is half the base.
	cfg.Epochs, cfg.WarmupEpochs, cfg.BatchSize, cfg.TMax = 4, 2, 16, 0
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "torch.jsonl")
	cmd := exec.Command(py, filepath.Join("..", "..", "scripts", "parity_torch.py"), "--config", cfgPath, "--splits", splits,
		"--stop-after", "2", "--threads", "1", "--out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("parity_torch.py: %v\n%s", err, msg)
	}
	var epochs []map[string]float64
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc2 := bufio.NewScanner(f)
	for sc2.Scan() {
		var e map[string]float64
		if err := json.Unmarshal(sc2.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc2.Text(), err)
		}
		epochs = append(epochs, e)
	}
	if len(epochs) != 2 {
		t.Fatalf("%d epochs in %s, want 2 (--stop-after 2)", len(epochs), out)
	}
	steps := nTrain / cfg.BatchSize
	for i, e := range epochs {
		if int(e["epoch"]) != i+1 {
			t.Errorf("line %d: epoch %v", i+1, e["epoch"])
		}
		for _, k := range []string{"train_loss", "train_acc", "val_acc", "lr", "train_seconds", "seconds"} {
			if v, ok := e[k]; !ok || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Errorf("epoch %d: %s = %v (present %v)", i+1, k, v, ok)
			}
		}
		if e["train_acc"] > 1 || e["val_acc"] > 1 {
			t.Errorf("epoch %d: accuracies %v, %v above 1", i+1, e["train_acc"], e["val_acc"])
		}
		if want := cfg.LRAtStep(i, steps-1, steps); math.Abs(e["lr"]-want) > 1e-12*want {
			t.Errorf("epoch %d: lr %.10g at the last step, fernb's LRAtStep %.10g", i+1, e["lr"], want)
		}
	}

	// The whole schedule (warm-up, then cosine down to eta_min) equals
	// fernb's at every epoch's first and last step, not only the two
	// epochs trained.
	cfg.Epochs, cfg.WarmupEpochs, cfg.EtaMin = 7, 2, 1e-4
	cb, _ := json.Marshal(cfg)
	var want []float64
	for e := range cfg.Epochs + 1 {
		want = append(want, cfg.LRAtStep(e, 0, steps), cfg.LRAtStep(e, steps-1, steps))
	}
	script := `import json, sys; sys.path.insert(0, sys.argv[1]); from parity_torch import lr_at_step
cfg = json.loads(sys.argv[2]); steps = int(sys.argv[3])
print(json.dumps([lr_at_step(cfg, e, s, steps) for e in range(cfg["epochs"] + 1) for s in (0, steps - 1)]))`
	lrOut, err := exec.Command(py, "-c", script, filepath.Join("..", "..", "scripts"), string(cb), fmt.Sprint(steps)).Output()
	if err != nil {
		t.Fatalf("lr_at_step: %v", err)
	}
	var got []float64
	if err := json.Unmarshal(lrOut, &got); err != nil || len(got) != len(want) {
		t.Fatalf("lr_at_step printed %q (%v)", lrOut, err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*cfg.LR {
			t.Errorf("epoch %d step %d: parity_torch.py lr %.10g, fernb %.10g", i/2, (i%2)*(steps-1), got[i], want[i])
		}
	}

	// --table: fernb's epochs (a history.json) beside PyTorch's.
	run := filepath.Join(dir, "fernb")
	os.MkdirAll(run, 0o755)
	hist := []train.Epoch{{Epoch: 1, TrainAcc: 0.2, HasVal: true, ValAcc: 0.25, Seconds: 3}, {Epoch: 2, TrainAcc: 0.3, HasVal: true, ValAcc: 0.5, Seconds: 3}}
	hb, _ := json.Marshal(hist)
	os.WriteFile(filepath.Join(run, train.HistoryFile), hb, 0o644)
	tab, err := exec.Command(py, filepath.Join("..", "..", "scripts", "parity_torch.py"), "--out", out, "--table", run).Output()
	if err != nil {
		t.Fatalf("parity_torch.py --table: %v\n%s", err, tab)
	}
	lines := strings.Split(strings.TrimSpace(string(tab)), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "| epoch | lr | fernb train acc") || !strings.HasPrefix(lines[3], "| 2 | ") ||
		!strings.Contains(lines[3], "| 50.00% |") || !strings.HasPrefix(lines[5], "after 2 epochs: fernb val 50.00%") {
		t.Errorf("--table output:\n%s", tab)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}
