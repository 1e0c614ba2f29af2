package train

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/models"
	fxla "github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
)

// faultEnv, when set to "DIR|SETUP|POINT", makes the test binary a
// training process that trains setup SETUP (a key of faultSetups) in DIR and
// kills itself with SIGKILL at fault point POINT (see faultPoint).
const faultEnv = "FERNB_TRAIN_TEST_FAULT"

// faultSeedEnv overrides the seed of the random fault points (CI may vary
// it; a failure logs the seed that replays it).
const faultSeedEnv = "FERNB_FAULT_SEED"

// defaultFaultSeed seeds the random fault points when faultSeedEnv is unset.
const defaultFaultSeed = 20261205

// faultSetups are the runs the fault tests kill and resume, by name: the
// baseline on the pure-Go backend, and the configuration of every reported
// number (ResNet18 on XLA CPU, fused batch norm, mixed convolutions, one
// resample per image) in float32 and bfloat16.
var faultSetups = map[string]func() (Config, *data.Dataset){
	"go":       resumeSetup,
	"xla-f32":  func() (Config, *data.Dataset) { return xlaResumeSetup("") },
	"xla-bf16": func() (Config, *data.Dataset) { return xlaResumeSetup(models.PrecisionBF16) },
}

// xlaResumeSetup is the 2-hour CPU recipe (docs/recipes/resnet18-cpu-2h.json:
// ResNet18 on XLA CPU, convolution and batch norm left on auto, so mixed
// convolutions and fused batch norm, Nesterov momentum with warm-up, label
// smoothing, crop, flip, rotation and erasing in one resample per image) at
// precision p, shrunk to 3 epochs of 2 steps of 8 images, with resumeSetup's
// dropout and mixup (random state carried by the checkpoint).
func xlaResumeSetup(p models.Precision) (Config, *data.Dataset) {
	cfg, ds := resumeSetup()
	cfg.Model, cfg.Backend, cfg.Precision = models.ArchResNet18, fxla.KindCPU, p
	cfg.Conv, cfg.BatchNorm = "", ""
	cfg.Optimizer, cfg.LR, cfg.Momentum, cfg.WeightDecay = OptNesterov, 0.05, 0.9, 5e-4
	cfg.WarmupEpochs, cfg.LabelSmoothing = 1, 0.1
	a := &cfg.Augment
	a.Rotate, a.ResizedCrop, a.ResizedCropScale, a.ResizedCropRatio = 15, true, [2]float64{0.64, 1}, [2]float64{0.8, 1.25}
	a.Erase, a.SingleResample = 0.25, true
	cfg.MaxStepsPerEpoch = 2
	return cfg, ds
}

// faultSeed returns the seed of the random fault points: faultSeedEnv if
// set, else defaultFaultSeed.
func faultSeed(t *testing.T) uint64 {
	t.Helper()
	v := os.Getenv(faultSeedEnv)
	if v == "" {
		return defaultFaultSeed
	}
	seed, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", faultSeedEnv, err)
	}
	return seed
}

// randomFaultPoints draws n fault points of a run of cfg with steps steps
// per epoch: a step, a validation or a checkpoint-last or history.json write.
func randomFaultPoints(rng *rand.Rand, cfg Config, steps, n int) []faultPoint {
	var random []faultPoint
	for range n {
		switch rng.IntN(3) {
		case 0:
			random = append(random, faultPoint(fmt.Sprintf("step:%d:%d", rng.IntN(cfg.Epochs), rng.IntN(steps))))
		case 1:
			random = append(random, faultPoint(fmt.Sprintf("val:%d", rng.IntN(cfg.Epochs))))
		default:
			file := []string{CheckpointLast, HistoryFile}[rng.IntN(2)]
			random = append(random, faultPoint(fmt.Sprintf("write:%s:%d:%.2f", file, 1+rng.IntN(cfg.Epochs), rng.Float64())))
		}
	}
	return random
}

// faultPoint is where the child process dies:
//
//	step:E:S         after training step S of epoch E (0-based)
//	val:E            when validation of epoch E starts
//	write:FILE:N:F   during the N-th write (1-based) of FILE in the run,
//	                 after fraction F of its bytes reached the temporary file
type faultPoint string

func (p faultPoint) String() string { return string(p) }

// kill9 ends the process as kill -9 does: no deferred calls, no flushes.
func kill9() {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// faultChild runs the training of setup in dir with the fault point armed
// (the child side of TestKillAnywhereResumes and TestKillResumesXLA).
func faultChild(dir, setup string, p faultPoint) {
	f := strings.Split(string(p), ":")
	num := func(i int) int {
		n, err := strconv.Atoi(f[i])
		if err != nil {
			panic(err)
		}
		return n
	}
	var opts []Option
	switch f[0] {
	case "step":
		e, s := num(1), num(2)
		opts = append(opts, withStepHook(func(epoch, step int) {
			if epoch == e && step == s {
				kill9()
			}
		}))
	case "val":
		e := num(1)
		opts = append(opts, WithProgress(func(pr Progress) {
			if pr.Phase == "val" && pr.Epoch == e+1 {
				kill9()
			}
		}))
	case "write":
		file, nth := f[1], num(2)
		frac, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			panic(err)
		}
		count := 0
		testWriteHook = func(path string, w io.Writer) io.Writer {
			if filepath.Base(path) != file {
				return w
			}
			if count++; count != nth {
				return w
			}
			return &killingWriter{w: w, frac: frac}
		}
	default:
		panic("unknown fault point " + string(p))
	}
	mk, ok := faultSetups[setup]
	if !ok {
		panic("unknown fault setup " + setup)
	}
	cfg, ds := mk()
	b, _, err := fxla.New(cfg.Backend)
	if err == nil {
		_, err = Fit(context.Background(), cfg, ds, dir, append(opts, WithBackend(b), WithResume())...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0) // the fault point was never reached
}

// killingWriter writes fraction frac of the first buffer it is given, syncs
// it to the temporary file, and kills the process.
type killingWriter struct {
	w    io.Writer
	frac float64
}

func (k *killingWriter) Write(p []byte) (int, error) {
	n := int(float64(len(p)) * k.frac)
	k.w.Write(p[:n])
	if f, ok := k.w.(*os.File); ok {
		f.Sync()
	}
	kill9()
	return 0, nil
}

// runFault runs a child process that trains setup in dir and dies at p; it
// fails the test unless the child was killed.
func runFault(t *testing.T, dir, setup string, p faultPoint) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), faultEnv+"="+dir+"|"+setup+"|"+string(p))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child at %s: %v, want killed by SIGKILL; stderr: %s", p, err, stderr.String())
	}
}

// sameCheckpoint fails unless two checkpoint files hold the same variables
// with the same bytes and the same history (timings aside).
func sameCheckpoint(t *testing.T, what, got, want string) {
	t.Helper()
	gs, gv, _, err := loadCheckpoint(got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	ws, wv, _, err := loadCheckpoint(want)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, what, gs.History, ws.History)
	if gs.EpochsDone != ws.EpochsDone || gs.BestEpoch != ws.BestEpoch || gs.BestValAcc != ws.BestValAcc {
		t.Errorf("%s: state %d/%d/%v, want %d/%d/%v", what, gs.EpochsDone, gs.BestEpoch, gs.BestValAcc, ws.EpochsDone, ws.BestEpoch, ws.BestValAcc)
	}
	if len(gv) != len(wv) {
		t.Fatalf("%s: %d variables, want %d", what, len(gv), len(wv))
	}
	for p, w := range wv {
		g, ok := gv[p]
		if !ok {
			t.Fatalf("%s: variable %s missing", what, p)
		}
		var gb, wb []byte
		g.ConstBytes(func(b []byte) { gb = slices.Clone(b) })
		w.ConstBytes(func(b []byte) { wb = slices.Clone(b) })
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s: variable %s differs from the uninterrupted run's", what, p)
		}
	}
}

// TestKillAnywhereResumes kills a training process with SIGKILL at fixed
// and random points (during a step, at validation, and in the middle of
// each file's atomic write: checkpoint-last, checkpoint-best, history.json,
// status.json), resumes the run after each kill, and checks that the final
// history and both checkpoints' weights equal an uninterrupted run's,
// byte for byte.
func TestKillAnywhereResumes(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	_, steps := (&trainer{cfg: cfg, ds: ds}).batchSize()
	// Fixed points: the writes that matter, at the epoch boundaries.
	// checkpoint-best is written in epoch 1 before checkpoint-last, so its
	// first write dies with no checkpoint at all; checkpoint-last's second
	// write dies with checkpoint-best already at epoch 2.
	scenarios := [][]faultPoint{
		{"write:checkpoint-last:2:0.5"},
		{"write:checkpoint-best:1:0.5"},
		{"write:checkpoint-last:1:0"},
		{"write:history.json:2:0.5"},
		// The last epoch's history write: nothing after it rewrites the
		// history, so the resume must (found by a random point in CI).
		{"write:history.json:3:0.5"},
		{"write:status.json:3:0.5"},
		{"val:1"},
		{"step:1:1"},
		// Several kills in a row in the same folder.
		{"step:0:2", "write:checkpoint-last:1:0.9", "val:2"},
	}
	// Random points, each in a scenario of its own (a later point of one
	// sequence could lie before where the run resumes, and never be reached).
	seed := faultSeed(t)
	random := randomFaultPoints(rand.New(rand.NewPCG(seed, 1)), cfg, steps, 3)
	t.Logf("random fault points (%s=%d): %v", faultSeedEnv, seed, random)
	for _, p := range random {
		scenarios = append(scenarios, []faultPoint{p})
	}
	killAndResume(t, "go", backend, scenarios, seed)
}

// TestKillResumesXLA is TestKillAnywhereResumes on the configuration of
// every reported number: ResNet18 on XLA CPU with fused batch norm, mixed
// convolutions and one resample per image, in float32 (a kill in the middle
// of epoch 2) and bfloat16 (a kill in the middle of epoch 2's
// checkpoint-last write). The resumed run's history and the bytes of both
// checkpoints must equal an uninterrupted run's: XLA CPU repeats a run bit
// for bit, across processes too (the killed children are other processes
// than the reference run). Random points are left to the Go backend's test:
// each scenario here costs two XLA compilations of ResNet18.
func TestKillResumesXLA(t *testing.T) {
	backend := testBackend(t, fxla.KindCPU)
	for _, c := range []struct {
		setup string
		point faultPoint
	}{
		{"xla-f32", "step:1:0"},
		{"xla-bf16", "write:checkpoint-last:2:0.5"},
	} {
		t.Run(c.setup, func(t *testing.T) {
			killAndResume(t, c.setup, backend, [][]faultPoint{{c.point}}, 0)
		})
	}
}

// killAndResume trains fault setup setup uninterrupted on backend, then,
// for each scenario, in a fresh folder: child processes killed at each of
// its points in turn, and a resume on backend; the resumed run must be
// "done" with the uninterrupted run's history and checkpoints (byte for
// byte) and no temporary file left. A failure logs seed, the seed of the
// random points among the scenarios (0: none).
func killAndResume(t *testing.T, setup string, backend compute.Backend, scenarios [][]faultPoint, seed uint64) {
	t.Helper()
	cfg, ds := faultSetups[setup]()
	refDir := filepath.Join(t.TempDir(), "ref")
	ref, err := Fit(context.Background(), cfg, ds, refDir, WithBackend(backend))
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scenarios {
		t.Run(fmt.Sprint(sc), func(t *testing.T) {
			defer func() {
				if t.Failed() && seed != 0 {
					t.Logf("setup %s, fault points %v; random points were drawn with %s=%d", setup, sc, faultSeedEnv, seed)
				}
			}()
			dir := filepath.Join(t.TempDir(), "run")
			for _, p := range sc {
				runFault(t, dir, setup, p)
			}
			res, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume())
			if err != nil {
				t.Fatalf("resuming after %v: %v", sc, err)
			}
			if res.Status.State != StateDone {
				t.Fatalf("status %+v", res.Status)
			}
			sameHistory(t, "history", res.History, ref.History)
			var onDisk []Epoch
			if err := readJSON(filepath.Join(dir, HistoryFile), &onDisk); err != nil {
				t.Fatal(err)
			}
			sameHistory(t, HistoryFile, onDisk, ref.History)
			sameCheckpoint(t, CheckpointLast, filepath.Join(dir, CheckpointLast), filepath.Join(refDir, CheckpointLast))
			sameCheckpoint(t, CheckpointBest, filepath.Join(dir, CheckpointBest), filepath.Join(refDir, CheckpointBest))
			if tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(tmps) > 0 {
				t.Errorf("temporary files of interrupted writes left: %v", tmps)
			}
		})
	}
}
