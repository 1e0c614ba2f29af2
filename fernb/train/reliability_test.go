package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/checkpoint"
	"github.com/fernb/fernb/fernb/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// stoppedRun trains the resume test's run into dir and stops it (as Ctrl-C
// or SIGTERM does) early in its second epoch: status "stopped", one epoch
// in history.json, checkpoint-last and checkpoint-best at epoch 1.
func stoppedRun(t *testing.T, backend compute.Backend, dir string) { stoppedRunAt(t, backend, dir, 1) }

// stoppedRunAt stops the resume test's run in dir early in epoch done+1.
func stoppedRunAt(t *testing.T, backend compute.Backend, dir string, done int) {
	t.Helper()
	cfg, ds := resumeSetup()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Fit(ctx, cfg, ds, dir, WithBackend(backend), withStepHook(func(epoch, step int) {
		if epoch == done {
			cancel()
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopping the run: %v", err)
	}
	r, err := ReadResult(dir)
	if err != nil || r.Status.State != StateStopped || len(r.History) != done {
		t.Fatalf("stopped run: %v, %+v", err, r)
	}
}

// TestResumeRefusesOlderCheckpoint: a checkpoint-last older than the
// history (copied in from an earlier point) is not resumed from.
func TestResumeRefusesOlderCheckpoint(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	dir := filepath.Join(t.TempDir(), "run")
	stoppedRunAt(t, backend, dir, 2)
	older := filepath.Join(t.TempDir(), "older")
	stoppedRunAt(t, backend, older, 1)
	if err := copyFile(filepath.Join(older, CheckpointLast), filepath.Join(dir, CheckpointLast)); err != nil {
		t.Fatal(err)
	}
	_, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume())
	if err == nil || !strings.Contains(err.Error(), "history.json records 2 epochs but checkpoint-last only 1") {
		t.Fatalf("resume from an older checkpoint-last: %v, want a refusal", err)
	}
}

// fileBytes reads the run files of dir (missing ones are nil).
func fileBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range []string{ConfigFile, HistoryFile, StatusFile, DataFile, CheckpointLast, CheckpointBest} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil {
			m[f] = b
		}
	}
	return m
}

// sameHistory compares histories without their timings.
func sameHistory(t *testing.T, what string, got, want []Epoch) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d epochs, want %d", what, len(got), len(want))
	}
	for i := range want {
		a, b := want[i], got[i]
		a.Seconds, b.Seconds, a.ImagesPerSec, b.ImagesPerSec = 0, 0, 0, 0
		a.DataWaitSeconds, b.DataWaitSeconds = 0, 0
		if a != b {
			t.Errorf("%s: epoch %d differs:\n want %+v\n got  %+v", what, i+1, a, b)
		}
	}
}

// TestResumeRefusesLostCheckpoint: a stopped run whose checkpoint-last was
// deleted is not silently restarted (which overwrote checkpoint-best and the
// history); --restart moves the old files aside and starts over.
func TestResumeRefusesLostCheckpoint(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	ref, err := Fit(context.Background(), cfg, ds, filepath.Join(t.TempDir(), "ref"), WithBackend(backend))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	stoppedRun(t, backend, dir)
	if err := os.Remove(filepath.Join(dir, CheckpointLast)); err != nil {
		t.Fatal(err)
	}
	before := fileBytes(t, dir)
	_, err = Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume())
	if err == nil || !strings.Contains(err.Error(), "checkpoint-last is missing") || !strings.Contains(err.Error(), "--restart") ||
		!strings.Contains(err.Error(), "history.json records 1 epochs") {
		t.Fatalf("resume without checkpoint-last: %v, want a refusal naming the missing file and --restart", err)
	}
	after := fileBytes(t, dir)
	for f, b := range before {
		if !bytes.Equal(after[f], b) {
			t.Errorf("the refused resume changed %s", f)
		}
	}

	res, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume(), WithRestart())
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, "restarted run", res.History, ref.History)
	if res.Replaced == "" || filepath.Dir(res.Replaced) != dir {
		t.Fatalf("Replaced = %q, want a sub-folder of %s", res.Replaced, dir)
	}
	moved := fileBytes(t, res.Replaced)
	for f, b := range before {
		if !bytes.Equal(moved[f], b) {
			t.Errorf("%s was not moved aside intact into %s", f, res.Replaced)
		}
	}
}

// TestRunRefusesOrphanFiles: a folder with checkpoints and history but no
// readable config.json is not trained over.
func TestRunRefusesOrphanFiles(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	dir := filepath.Join(t.TempDir(), "run")
	stoppedRun(t, backend, dir)
	if err := os.Remove(filepath.Join(dir, ConfigFile)); err != nil {
		t.Fatal(err)
	}
	_, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume())
	if err == nil || !strings.Contains(err.Error(), "not a run folder") || !strings.Contains(err.Error(), "checkpoint-best") {
		t.Fatalf("Fit over orphan run files: %v, want a refusal naming them", err)
	}
	if _, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithRestart()); err != nil {
		t.Fatalf("with restart: %v", err)
	}
}

// TestFinishedRunVerified: a finished run is reused only when the
// checkpoints it claims are intact and at the epochs recorded.
func TestFinishedRunVerified(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	base := filepath.Join(t.TempDir(), "base")
	if _, err := Fit(context.Background(), cfg, ds, base, WithBackend(backend)); err != nil {
		t.Fatal(err)
	}
	epoch1 := filepath.Join(t.TempDir(), "epoch1")
	stoppedRun(t, backend, epoch1)

	cases := []struct {
		name   string
		damage func(dir string) error
		want   string // "" = reused
	}{
		{"intact", func(string) error { return nil }, ""},
		{"best truncated", func(dir string) error { return truncate(filepath.Join(dir, CheckpointBest)) }, "checksum mismatch"},
		{"last truncated", func(dir string) error { return truncate(filepath.Join(dir, CheckpointLast)) }, "checksum mismatch"},
		{"best deleted", func(dir string) error { return os.Remove(filepath.Join(dir, CheckpointBest)) }, "no such file"},
		{"last from epoch 1", func(dir string) error {
			return copyFile(filepath.Join(epoch1, CheckpointLast), filepath.Join(dir, CheckpointLast))
		}, "holds epoch 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			if err := c.damage(dir); err != nil {
				t.Fatal(err)
			}
			res, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend))
			if c.want == "" {
				if err != nil || !res.Reused {
					t.Fatalf("intact finished run: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not reused") {
				t.Fatalf("Fit = %v, want an error with %q", err, c.want)
			}
		})
	}
}

func truncate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.Truncate(path, fi.Size()/2)
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// TestStrictLoad: checkpoints with a missing or unexpected variable, or a
// variable of another shape, are refused (with valid checksums), when
// loading a model and when resuming.
func TestStrictLoad(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	base := filepath.Join(t.TempDir(), "base")
	if _, err := Fit(context.Background(), cfg, ds, base, WithBackend(backend)); err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(t.TempDir(), "stopped")
	stoppedRun(t, backend, stopped)

	// The classifier: the last model variable in path order whose name
	// says dense or its weights (the baseline's output layer).
	_, vals, _, err := loadCheckpoint(filepath.Join(base, CheckpointBest))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p := range vals {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	classifier := ""
	for _, p := range paths {
		if sh := vals[p].Shape(); sh.Rank() == 2 && sh.Dimensions[1] == 7 {
			classifier = p
		}
	}
	if classifier == "" {
		t.Fatalf("no [*, 7] classifier weight among %v", paths)
	}
	optVar := ""
	_, lastVals, _, err := loadCheckpoint(filepath.Join(stopped, CheckpointLast))
	if err != nil {
		t.Fatal(err)
	}
	for p := range lastVals {
		if strings.HasPrefix(p, "/"+OptimizerScope+"/") {
			optVar = p
		}
	}
	if optVar == "" {
		t.Fatal("checkpoint-last holds no optimizer variable")
	}

	edits := []struct {
		name string
		edit func(v map[string]*tensors.Tensor, target string)
		want string
	}{
		{"missing", func(v map[string]*tensors.Tensor, target string) { delete(v, target) }, "missing 1 ("},
		{"unexpected", func(v map[string]*tensors.Tensor, target string) {
			v["/"+ModelScope+"/extra/weights"] = tensors.FromShape(shapes.Make(dtypes.Float32, 3))
		}, "unexpected 1 (/model/extra/weights)"},
		{"shape", func(v map[string]*tensors.Tensor, target string) {
			v[target] = tensors.FromShape(shapes.Make(dtypes.Float32, 5, 7))
		}, "shape mismatch 1 ("},
	}
	for _, e := range edits {
		t.Run("load/"+e.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			rewriteCheckpoint(t, filepath.Join(dir, CheckpointBest), true, func(v map[string]*tensors.Tensor) { e.edit(v, classifier) })
			r, err := ReadResult(dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := r.Load(backend, "best")
			var ve *checkpoint.VariablesError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), e.want) || !strings.Contains(err.Error(), CheckpointBest) {
				if m != nil {
					m.Close()
				}
				t.Fatalf("Load = %v, want a checkpoint.VariablesError with %q", err, e.want)
			}
			if e.name != "unexpected" && !strings.Contains(err.Error(), classifier) {
				t.Errorf("error does not name %s: %v", classifier, err)
			}
		})
		t.Run("resume/"+e.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(dir, os.DirFS(stopped)); err != nil {
				t.Fatal(err)
			}
			rewriteCheckpoint(t, filepath.Join(dir, CheckpointLast), false, func(v map[string]*tensors.Tensor) { e.edit(v, optVar) })
			_, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume())
			var ve *checkpoint.VariablesError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), e.want) {
				t.Fatalf("resume = %v, want a checkpoint.VariablesError with %q", err, e.want)
			}
		})
	}
	// The intact checkpoints load.
	r, err := ReadResult(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, which := range []string{"best", "last"} {
		m, err := r.Load(backend, which)
		if err != nil {
			t.Fatalf("Load(%s) of an intact run: %v", which, err)
		}
		m.Close()
	}
}

// rewriteCheckpoint rewrites a checkpoint (with a valid checksum) after
// edit changed its variables.
func rewriteCheckpoint(t *testing.T, path string, modelOnly bool, edit func(map[string]*tensors.Tensor)) {
	t.Helper()
	st, vals, tr, err := loadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(vals)
	store, err := restoreStore(vals, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := saveCheckpoint(path, store, st, modelOnly); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := loadCheckpoint(path); err != nil {
		t.Fatalf("rewritten checkpoint: %v", err)
	}
}

// TestGraphVariablesAgree: for every network configuration, the variables
// of the inference graph (what strict loading of checkpoint-best expects)
// are exactly the model variables of the training graph (what training
// saves), so strict loading accepts every checkpoint training writes.
func TestGraphVariablesAgree(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
	}{
		{"baseline", func(c *Config) { c.Model = "baseline" }},
		{"baseline dropout", func(c *Config) { c.Model, c.Dropout = "baseline", 0.3 }},
		{"resnet18", func(c *Config) { c.Model = "resnet18" }},
		{"resnet18 nesterov dropout", func(c *Config) { c.Model, c.Optimizer, c.Momentum, c.Dropout = "resnet18", OptNesterov, 0.9, 0.2 }},
		{"resnet18 adam", func(c *Config) { c.Model, c.Optimizer, c.Momentum = "resnet18", OptAdam, 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.edit(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			infer, err := graphVariables(cfg, false)
			if err != nil {
				t.Fatal(err)
			}
			trainVars, err := graphVariables(cfg, true)
			if err != nil {
				t.Fatal(err)
			}
			modelVars := map[string]*tensors.Tensor{}
			opt := 0
			for p, sh := range trainVars {
				if strings.HasPrefix(p, "/"+ModelScope+"/") {
					modelVars[p] = tensors.FromShape(sh)
				} else if strings.HasPrefix(p, "/"+OptimizerScope+"/") {
					opt++
				}
			}
			if len(infer) < 4 || opt == 0 {
				t.Fatalf("%d inference variables, %d optimizer variables", len(infer), opt)
			}
			if err := checkVariables("training graph", modelVars, infer); err != nil {
				t.Fatal(err)
			}
		})
	}
	// An explicit native convolution: its max-pool's gradient needs
	// SelectAndScatterMax, which the pure-Go backend lacks, yet the
	// training graph's variables must still be listed (resume, Load of
	// "last"), and equal those of im2col.
	t.Run("resnet18 native", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Model, cfg.Conv = "resnet18", models.ConvNative
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		native, err := graphVariables(cfg, true)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Conv = models.ConvIm2col
		im2col, err := graphVariables(cfg, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(native) != len(im2col) {
			t.Fatalf("%d variables with native, %d with im2col", len(native), len(im2col))
		}
		for p, sh := range im2col {
			if got, ok := native[p]; !ok || !got.Equal(sh) {
				t.Errorf("%s: native %v (present %v), im2col %v", p, got, ok, sh)
			}
		}
	})
}

// TestBackendChangeErrorMessage: the refusal names both ways out for both
// callers: the recorded backend (fer train --backend, GOMLX_BACKEND for a
// notebook's study) and the allowance (fer train --allow-backend-change,
// train.WithBackendChange()).
func TestBackendChangeErrorMessage(t *testing.T) {
	msg := (&BackendChangeError{Dir: "runs/x", Run: "xla:cpu", Now: "go"}).Error()
	for _, want := range []string{"runs/x", "backend go", "backend xla:cpu", "fer train --backend xla:cpu",
		"GOMLX_BACKEND=xla:cpu", "fer train --allow-backend-change", "train.WithBackendChange()"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// setCheckpointBackend rewrites the backend recorded in a checkpoint (with
// a valid checksum).
func setCheckpointBackend(t *testing.T, path, backend string) {
	t.Helper()
	st, vals, tr, err := loadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	store, err := restoreStore(vals, tr)
	if err != nil {
		t.Fatal(err)
	}
	st.Backend = backend
	if err := saveCheckpoint(path, store, st, false); err != nil {
		t.Fatal(err)
	}
}

// TestResumeBackendChange: a run records the kind of backend that wrote
// its checkpoints; a resume on another kind is refused with a
// BackendChangeError naming both (nothing is written), unless
// WithBackendChange allows it; a checkpoint of before backends were recorded
// is resumed, and the resumed run records its backend.
func TestResumeBackendChange(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	stopped := filepath.Join(t.TempDir(), "stopped")
	stoppedRun(t, backend, stopped)
	for _, file := range []string{CheckpointLast, CheckpointBest} {
		if st, _, _, err := loadCheckpoint(filepath.Join(stopped, file)); err != nil || st.Backend != "go" {
			t.Fatalf("%s records backend %q (%v), want go", file, st.Backend, err)
		}
	}
	for _, c := range []struct {
		name, recorded string
		allow, refused bool
	}{
		{"same backend", "go", false, false},
		{"other backend", "xla:cuda", false, true},
		{"other backend allowed", "xla:cuda", true, false},
		{"not recorded (old run)", "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(dir, os.DirFS(stopped)); err != nil {
				t.Fatal(err)
			}
			setCheckpointBackend(t, filepath.Join(dir, CheckpointLast), c.recorded)
			before := fileBytes(t, dir)
			opts := []Option{WithBackend(backend), WithResume()}
			if c.allow {
				opts = append(opts, WithBackendChange())
			}
			res, err := Fit(context.Background(), cfg, ds, dir, opts...)
			var be *BackendChangeError
			if c.refused {
				if !errors.As(err, &be) || !strings.Contains(err.Error(), "backend go") || !strings.Contains(err.Error(), "backend "+c.recorded) {
					t.Fatalf("resume on go of a run trained on %s: %v, want a BackendChangeError naming both", c.recorded, err)
				}
				if after := fileBytes(t, dir); !maps.EqualFunc(before, after, bytes.Equal) {
					t.Error("the refused resume changed the run's files")
				}
				return
			}
			if err != nil || res.Status.State != StateDone {
				t.Fatalf("resume: %v, %+v", err, res)
			}
			if st, _, _, err := loadCheckpoint(filepath.Join(dir, CheckpointLast)); err != nil || st.Backend != "go" {
				t.Errorf("resumed run's checkpoint-last records backend %q (%v), want go", st.Backend, err)
			}
		})
	}
}

// TestCheckpointStateStrict: a checkpoint's state (behind a valid
// checksum; the rest of the header is fernb/checkpoint's TestHeaderStrict)
// is a State read strictly, with counts that agree: an unknown field at any
// depth, a value of another type, or epochs unlike the history or the best
// epoch is a corrupt checkpoint naming the file.
func TestCheckpointStateStrict(t *testing.T) {
	vars := []checkpoint.Variable{{Path: "/model/w", Value: tensors.FromValue([]float32{1, 2}), Trainable: true}}
	cases := []struct{ name, state, wantError string }{
		{"good", `{"epochs_done":1,"history":[{"epoch":1,"lr":0.1}],"best_epoch":1,"best_val_acc":0.5,"backend":"go"}`, ""},
		{"unknown state field", `{"epochs":1,"epochs_done":0,"history":[]}`, `unknown field "epochs"`},
		{"unknown history field", `{"epochs_done":1,"history":[{"epoch":1,"note":"x"}]}`, `unknown field "note"`},
		{"wrong type", `{"epochs_done":"1"}`, "cannot unmarshal string"},
		{"epochs unlike history", `{"epochs_done":2,"history":[{"epoch":1}]}`, "2 epochs done, 1 in its history"},
		{"negative epochs", `{"epochs_done":-1}`, "-1 epochs done"},
		{"best beyond done", `{"epochs_done":0,"history":[],"best_epoch":1}`, "best epoch 1"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			if err := checkpoint.Write(path, vars, json.RawMessage(c.state)); err != nil {
				t.Fatal(err)
			}
			st, vals, _, err := loadCheckpoint(path)
			if c.wantError == "" {
				if err != nil || st.EpochsDone != 1 || st.Backend != "go" || len(vals) != 1 {
					t.Fatalf("good state: %v, %+v, %d values", err, st, len(vals))
				}
				return
			}
			if !errors.Is(err, checkpoint.ErrCorrupt) || !strings.Contains(err.Error(), c.wantError) || !strings.Contains(err.Error(), path) {
				t.Fatalf("load = %v, want a corrupt checkpoint naming the file with %q", err, c.wantError)
			}
		})
	}
}

// TestLoadAccountsForEveryVariable: Load checks every variable of a
// checkpoint, not only the network's: one outside the network that the
// run's graph does not create (in checkpoint-best, which holds the network
// alone, or in checkpoint-last, next to the optimizer's state), or an
// optimizer variable missing from checkpoint-last, is a VariablesError
// naming it.
func TestLoadAccountsForEveryVariable(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	cfg.Epochs = 1
	base := filepath.Join(t.TempDir(), "base")
	if _, err := Fit(context.Background(), cfg, ds, base, WithBackend(backend)); err != nil {
		t.Fatal(err)
	}
	_, lastVals, _, err := loadCheckpoint(filepath.Join(base, CheckpointLast))
	if err != nil {
		t.Fatal(err)
	}
	optVar := ""
	for p := range lastVals {
		if strings.HasPrefix(p, "/"+OptimizerScope+"/") {
			optVar = p
		}
	}
	if optVar == "" {
		t.Fatal("checkpoint-last holds no optimizer variable")
	}
	scalar := func() *tensors.Tensor { return tensors.FromShape(shapes.Make(dtypes.Float32)) }
	cases := []struct {
		name, which string
		edit        func(map[string]*tensors.Tensor)
		want        string
	}{
		{"best: optimizer variable", "best", func(v map[string]*tensors.Tensor) { v[optVar] = tensors.FromShape(lastVals[optVar].Shape()) }, "unexpected 1 (" + optVar + ")"},
		{"best: other scope", "best", func(v map[string]*tensors.Tensor) { v["/stray/x"] = scalar() }, "unexpected 1 (/stray/x)"},
		{"last: unknown optimizer state", "last", func(v map[string]*tensors.Tensor) { v["/"+OptimizerScope+"/bogus"] = scalar() }, "unexpected 1 (/" + OptimizerScope + "/bogus)"},
		{"last: other scope", "last", func(v map[string]*tensors.Tensor) { v["/stray/x"] = scalar() }, "unexpected 1 (/stray/x)"},
		{"last: optimizer state missing", "last", func(v map[string]*tensors.Tensor) { delete(v, optVar) }, "missing 1 (" + optVar + ")"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			file := map[string]string{"best": CheckpointBest, "last": CheckpointLast}[c.which]
			rewriteCheckpoint(t, filepath.Join(dir, file), false, c.edit)
			r, err := ReadResult(dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := r.Load(backend, c.which)
			var ve *checkpoint.VariablesError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), file) {
				if m != nil {
					m.Close()
				}
				t.Fatalf("Load(%s) = %v, want a checkpoint.VariablesError with %q", c.which, err, c.want)
			}
		})
	}
}

// TestFailedWriteFailsRun: a write that fails at the end of an epoch (disk
// full in checkpoint-last, history.json or status.json) ends the run with
// the error, status.json "failed" with the error's text and the epochs of
// checkpoint-last, which is intact (the last saved epoch's), and the run
// resumable to the uninterrupted run's history.
func TestFailedWriteFailsRun(t *testing.T) {
	backend := testBackend(t, "go")
	cfg, ds := resumeSetup()
	ref, err := Fit(context.Background(), cfg, ds, filepath.Join(t.TempDir(), "ref"), WithBackend(backend))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		nth  int // the failing write of file (1-based)
		kept int // the epoch checkpoint-last holds after the failure
	}{
		{CheckpointLast, 2, 1},
		{HistoryFile, 2, 2},
		{StatusFile, 3, 2}, // the first is the session's start
	} {
		t.Run(c.file, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			count := 0
			testWriteHook = func(path string, w io.Writer) io.Writer {
				if filepath.Base(path) == c.file {
					if count++; count == c.nth {
						return &failingWriter{w: w, left: 10}
					}
				}
				return w
			}
			_, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend))
			testWriteHook = nil
			if !errors.Is(err, errDiskFull) {
				t.Fatalf("Fit = %v, want the write failure", err)
			}
			st, err := ReadStatus(dir)
			if err != nil || st.State != StateFailed || !strings.Contains(st.Message, errDiskFull.Error()) || !strings.Contains(st.Message, c.file) || st.EpochsDone != c.kept {
				t.Fatalf("status after the failure: %+v (%v), want failed with %q naming %s, %d epochs done", st, err, errDiskFull, c.file, c.kept)
			}
			if ck, _, _, err := loadCheckpoint(filepath.Join(dir, CheckpointLast)); err != nil || ck.EpochsDone != c.kept {
				t.Fatalf("checkpoint-last after the failure: %v, epoch %d, want %d", err, ck.EpochsDone, c.kept)
			}
			res, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume())
			if err != nil || res.Status.State != StateDone {
				t.Fatalf("resuming after the failure: %v", err)
			}
			sameHistory(t, "history", res.History, ref.History)
		})
	}
}
