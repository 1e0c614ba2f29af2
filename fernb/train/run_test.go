package train

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/data"
	fxla "github.com/fernb/fernb/xla"
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
	res, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithProgress(TextProgress(&lines, time.Nanosecond)))
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
		if e.DataWaitSeconds < 0 || e.DataWaitSeconds >= e.Seconds {
			t.Errorf("history[%d]: data wait %gs of a %gs epoch", i, e.DataWaitSeconds, e.Seconds)
		}
	}
	if !strings.Contains(lines.String(), "img/s, elapsed ") || !strings.Contains(lines.String(), "done: loss") || !strings.Contains(lines.String(), "data wait") {
		t.Errorf("progress lines lack step or epoch reports:\n%s", lines.String())
	}

	// Same config: reused without training.
	again, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend))
	if err != nil || !again.Reused || len(again.History) != cfg.Epochs {
		t.Fatalf("second Fit: %v, reused %v", err, again != nil && again.Reused)
	}
	// Another config in the same folder: refused.
	other := cfg
	other.LR = 0.01
	if _, err := Fit(context.Background(), other, ds, dir, WithBackend(backend)); err == nil || !strings.Contains(err.Error(), "different configuration") {
		t.Errorf("Fit with another config: %v", err)
	}

	// Loading the best model reproduces its validation accuracy.
	opened, err := ReadResult(dir)
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
	_, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend))
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("Fit error = %v, want a NonFiniteError", err)
	}
	if nf.Epoch != 2 || nf.KeptEpoch != 1 || !strings.Contains(err.Error(), "epoch 2 step") {
		t.Errorf("error %q: epoch %d kept %d, want epoch 2, kept 1", err, nf.Epoch, nf.KeptEpoch)
	}
	st, _, _, lerr := loadCheckpoint(filepath.Join(dir, CheckpointLast))
	if lerr != nil || st.EpochsDone != 1 {
		t.Errorf("checkpoint-last after the failure: %v, epochs done %d, want 1", lerr, st.EpochsDone)
	}
	r, oerr := ReadResult(dir)
	if oerr != nil || r.Status.State != StateFailed || !strings.Contains(r.Status.Message, "loss is") {
		t.Errorf("status after the failure: %v %+v", oerr, r)
	}
}

// resumeSetup is the run of the resume test: dropout and augmentation with
// mixup make every step depend on the checkpointed random state and on the
// (seed, epoch, step) augmentation seeds.
func resumeSetup() (Config, *data.Dataset) {
	cfg := tinyConfig()
	cfg.Epochs = 3
	cfg.BatchSize = 8
	cfg.Dropout = 0.3
	cfg.Augment.HFlip = true
	cfg.Augment.Mixup = 0.4
	cfg.Augment.Mean, cfg.Augment.Std = 0.5, 0.25
	return cfg, tinyData(24, 16)
}

const childEnv = "FERNB_TRAIN_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if v := os.Getenv(faultEnv); v != "" {
		f := strings.SplitN(v, "|", 3)
		if len(f) != 3 {
			panic(faultEnv + " must be DIR|SETUP|POINT, got " + v)
		}
		faultChild(f[0], f[1], faultPoint(f[2]))
	}
	if dir := os.Getenv(childEnv); dir != "" {
		// Child process of TestResumeAfterKill: train slowly from the second
		// epoch on, so that the parent can kill it mid-epoch.
		cfg, ds := resumeSetup()
		b, _, err := fxla.New("go")
		if err == nil {
			_, err = Fit(context.Background(), cfg, ds, dir, WithBackend(b), withStepHook(func(epoch, step int) {
				if epoch >= 1 {
					time.Sleep(300 * time.Millisecond)
				}
			}))
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestResumeAfterKill kills a training process with SIGKILL in the middle of
// its second epoch, resumes the run, and checks that its history equals an
// uninterrupted run's (timings aside).
func TestResumeAfterKill(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	ref, err := Fit(context.Background(), cfg, ds, filepath.Join(t.TempDir(), "ref"), WithBackend(backend))
	if err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var h []Epoch
		if readJSON(filepath.Join(dir, HistoryFile), &h) == nil && len(h) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the child wrote no epoch in 60s; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond) // into the second epoch's steps
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if killed.Status.State != StateRunning || len(killed.History) != 1 {
		t.Fatalf("after the kill: state %q, %d epochs; want a run killed in epoch 2 (stderr: %s)", killed.Status.State, len(killed.History), stderr.String())
	}
	if _, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend)); err == nil || !strings.Contains(err.Error(), "unfinished") {
		t.Errorf("Fit without WithResume on an unfinished run: %v, want a refusal", err)
	}
	resumed, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume())
	if err != nil {
		t.Fatal(err)
	}
	if len(resumed.History) != len(ref.History) {
		t.Fatalf("resumed run has %d epochs, uninterrupted %d", len(resumed.History), len(ref.History))
	}
	for i := range ref.History {
		a, b := ref.History[i], resumed.History[i]
		a.Seconds, b.Seconds, a.ImagesPerSec, b.ImagesPerSec = 0, 0, 0, 0
		a.DataWaitSeconds, b.DataWaitSeconds = 0, 0
		if a != b {
			t.Errorf("epoch %d differs:\n uninterrupted %+v\n resumed       %+v", i+1, a, b)
		}
	}
	var onDisk []Epoch
	if err := readJSON(filepath.Join(dir, HistoryFile), &onDisk); err != nil || len(onDisk) != len(ref.History) {
		t.Errorf("history.json after resuming: %v, %d epochs", err, len(onDisk))
	}
}
