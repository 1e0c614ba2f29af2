package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/data"
)

// tinyData is a small synthetic data set with a validation split.
func tinyData(nTrain, nVal int) *data.Dataset {
	ds := data.Synthetic(nTrain, nVal, 1)
	ds.Val, ds.Test = ds.Test, nil
	return ds
}

func tinyConfig() Config {
	c := DefaultConfig()
	c.Model = "baseline"
	c.Epochs = 3
	c.BatchSize = 16
	c.LR = 0.05
	c.Backend = "go"
	return c
}

// TestRunLearnsReusesAndLoads trains the baseline on 16 synthetic faces
// until it fits them (the whole loop learns), then checks the run folder,
// reuse of a finished run, refusal of another configuration in the same
// folder, and that the best checkpoint reproduces its validation accuracy.
func TestRunLearnsReusesAndLoads(t *testing.T) {
	backend := testBackend(t, "go")
	ds := tinyData(16, 16)
	cfg := tinyConfig()
	cfg.Optimizer, cfg.Momentum, cfg.LR, cfg.Schedule = OptAdam, 0, 3e-3, SchedConstant
	cfg.Epochs = 12
	dir := filepath.Join(t.TempDir(), "run")
	var lines strings.Builder
	start := time.Now()
	res, err := Run(context.Background(), cfg, ds, dir, WithBackend(backend), WithProgress(TextProgress(&lines, time.Nanosecond)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d epochs in %s", cfg.Epochs, time.Since(start))
	if len(res.History) != cfg.Epochs || res.Status.State != StateDone || res.Reused {
		t.Fatalf("history %d epochs, status %+v, reused %v", len(res.History), res.Status, res.Reused)
	}
	for _, f := range []string{ConfigFile, HistoryFile, StatusFile, CheckpointLast, CheckpointBest} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
	first, last := res.History[0], res.History[len(res.History)-1]
	if last.TrainAcc < 0.6 || last.TrainLoss > first.TrainLoss-0.3 {
		t.Errorf("did not fit 16 images: loss %.3f -> %.3f, accuracy %.3f -> %.3f", first.TrainLoss, last.TrainLoss, first.TrainAcc, last.TrainAcc)
	}
	for i, e := range res.History {
		if e.Epoch != i+1 || !e.HasVal || e.LR != cfg.LR {
			t.Errorf("history[%d] = %+v", i, e)
		}
	}
	if !strings.Contains(lines.String(), "img/s ETA") || !strings.Contains(lines.String(), "done: loss") {
		t.Errorf("progress lines lack step or epoch reports:\n%s", lines.String())
	}

	// Same config: reused without training.
	again, err := Run(context.Background(), cfg, ds, dir, WithBackend(backend))
	if err != nil || !again.Reused || len(again.History) != cfg.Epochs {
		t.Fatalf("second Run: %v, reused %v", err, again != nil && again.Reused)
	}
	// Another config in the same folder: refused.
	other := cfg
	other.LR = 0.01
	if _, err := Run(context.Background(), other, ds, dir, WithBackend(backend)); err == nil || !strings.Contains(err.Error(), "different configuration") {
		t.Errorf("Run with another config: %v", err)
	}

	// Loading the best model reproduces its validation accuracy.
	opened, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := opened.Load(backend, "best")
	if err != nil {
		t.Fatal(err)
	}
	_, acc, err := m.lossAndAccuracy(ds.Val, ClassWeightsFor(cfg.ClassWeights, ds.Train))
	if err != nil {
		t.Fatal(err)
	}
	best := opened.History[opened.Status.BestEpoch-1]
	if acc != best.ValAcc || best.ValAcc != opened.Status.BestValAcc {
		t.Errorf("best model accuracy %.4f, history says %.4f (status %.4f)", acc, best.ValAcc, opened.Status.BestValAcc)
	}
}

func TestNonFiniteLossStops(t *testing.T) {
	backend := testBackend(t, "go")
	ds := tinyData(96, 32)
	cfg := tinyConfig()
	// Epoch 1 at lr 0.01, then 1e6: the loss explodes in epoch 2.
	cfg.Schedule, cfg.StepSize, cfg.Gamma, cfg.LR = SchedStep, 1, 1e8, 0.01
	cfg.MaxStepsPerEpoch = 6
	cfg.Epochs = 4
	dir := t.TempDir()
	_, err := Run(context.Background(), cfg, ds, dir, WithBackend(backend))
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("Run error = %v, want a NonFiniteError", err)
	}
	if nf.Epoch != 2 || nf.KeptEpoch != 1 || !strings.Contains(err.Error(), "epoch 2 step") {
		t.Errorf("error %q: epoch %d kept %d, want epoch 2, kept 1", err, nf.Epoch, nf.KeptEpoch)
	}
	st, _, _, lerr := loadCheckpoint(filepath.Join(dir, CheckpointLast))
	if lerr != nil || st.EpochsDone != 1 {
		t.Errorf("checkpoint-last after the failure: %v, epochs done %d, want 1", lerr, st.EpochsDone)
	}
	r, oerr := Open(dir)
	if oerr != nil || r.Status.State != StateFailed || !strings.Contains(r.Status.Message, "loss is") {
		t.Errorf("status after the failure: %v %+v", oerr, r)
	}
}
