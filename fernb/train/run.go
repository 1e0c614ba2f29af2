package train

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
	fxla "github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// ModelScope is the scope of the network's variables in a store.
const ModelScope = "model"

// Epoch is one entry of history.json.
type Epoch struct {
	// Epoch is 1-based.
	Epoch int `json:"epoch"`
	// TrainLoss and TrainAcc are means over the epoch's training steps
	// (training mode, augmented images, as PyTorch scripts report them).
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	// HasVal tells whether ValLoss and ValAcc were measured (the run had a
	// validation split). They are the loss (same criterion as training) and
	// accuracy on the un-augmented validation split after the epoch.
	HasVal  bool    `json:"has_val"`
	ValLoss float64 `json:"val_loss,omitempty"`
	ValAcc  float64 `json:"val_acc,omitempty"`
	// LR is the learning rate used during the epoch.
	LR float64 `json:"lr"`
	// Steps is the number of training steps of the epoch.
	Steps int `json:"steps"`
	// Seconds is the wall time of the epoch (training and validation);
	// ImagesPerSec the training throughput. They vary between runs.
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_sec"`
	// DataWaitSeconds is the time the training steps waited for their
	// batch (decoding and augmentation run ahead on other goroutines; this is
	// what they did not hide), the first step's included.
	DataWaitSeconds float64 `json:"data_wait_seconds"`
}

// Run states recorded in status.json.
const (
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
	StateStopped = "stopped"
)

// Status is status.json: what became of a run.
type Status struct {
	// State is "running" (or killed while running), "done", "failed" or "stopped".
	State string `json:"state"`
	// Message explains a failure or stop.
	Message string `json:"message,omitempty"`
	// EpochsDone of Epochs.
	EpochsDone int `json:"epochs_done"`
	Epochs     int `json:"epochs"`
	// BestEpoch (1-based) is the epoch saved in checkpoint-best.
	BestEpoch  int     `json:"best_epoch"`
	BestValAcc float64 `json:"best_val_acc"`
	// Backend describes the backend of the last session.
	Backend string `json:"backend,omitempty"`
	// CompileSeconds is the duration of the first training step of the last
	// session (dominated by graph compilation).
	CompileSeconds float64 `json:"compile_seconds,omitempty"`
	// Updated is when the status was written.
	Updated time.Time `json:"updated"`
}

// Result is a run folder's content: what Fit returns and ReadResult reads.
type Result struct {
	// Dir is the run folder.
	Dir string
	// Config is the run's configuration.
	Config Config
	// History has one entry per completed epoch.
	History []Epoch
	// Status is the run's status.
	Status Status
	// Reused is true when Fit found the finished run and did not train.
	Reused bool
	// Data records the data the run was trained on (data.json); nil for a
	// run folder made before fernb recorded it.
	Data *data.Record
	// Replaced is the sub-folder where WithRestart moved the files of the
	// run the folder held before ("" if none).
	Replaced string
}

// NonFiniteError reports a loss that became NaN or infinite.
type NonFiniteError struct {
	Epoch, Step int
	Loss        float64
	// KeptEpoch is the epoch of the last good checkpoint (0: none).
	KeptEpoch int
	Dir       string
}

func (e *NonFiniteError) Error() string {
	kept := "no checkpoint was written yet"
	if e.KeptEpoch > 0 {
		kept = fmt.Sprintf("the last good checkpoint (epoch %d) is kept in %s", e.KeptEpoch, filepath.Join(e.Dir, CheckpointLast))
	}
	return fmt.Sprintf("train: epoch %d step %d: loss is %v (learning rate too high?); training stopped, %s", e.Epoch, e.Step, e.Loss, kept)
}

type options struct {
	progress ProgressFunc
	resume   bool
	restart  bool
	// backendChange allows a resume on another backend kind.
	backendChange bool
	backend       compute.Backend
	stepHook      func(epoch, step int)
	epochEnd      []EpochEnd
}

// Option modifies Fit.
type Option func(*options)

// WithProgress sends progress reports to fn.
func WithProgress(fn ProgressFunc) Option { return func(o *options) { o.progress = fn } }

// WithResume lets Fit continue an unfinished run found in its folder (with
// the same configuration) from its last checkpoint. Without it Fit refuses
// to touch an unfinished run.
func WithResume() Option { return func(o *options) { o.resume = true } }

// WithRestart lets Fit start over in a folder that holds a run, whatever its
// state: the run's files are first moved aside into a sub-folder
// "replaced-<UTC time>" of dir (nothing is deleted), then training starts
// from epoch 1. `fer train --restart` uses it.
func WithRestart() Option { return func(o *options) { o.restart = true } }

// WithBackendChange lets WithResume continue a run on another kind of
// backend than the one that wrote its checkpoint-last (say, a run begun on
// XLA CPU resumed on the pure-Go backend). Without it such a resume is a
// *BackendChangeError: backends differ in the last bits of every result,
// so the resumed run would not be the one an uninterrupted run gives.
// `fer train --allow-backend-change` uses it.
func WithBackendChange() Option { return func(o *options) { o.backendChange = true } }

// BackendChangeError refuses to resume a run on another kind of backend than
// the one that wrote its checkpoint-last (see WithBackendChange).
type BackendChangeError struct {
	// Dir is the run folder; Run is the backend kind recorded in its
	// checkpoint-last, Now the kind of the backend asked to resume it.
	Dir, Run, Now string
}

func (e *BackendChangeError) Error() string {
	return fmt.Sprintf("train: cannot resume %s on backend %s: its %s was trained on backend %s, and backends differ in the last bits of every result. Resume on %s (fer train --backend %s; in a notebook, GOMLX_BACKEND=%s in the kernel's environment or os.Setenv before the study's first Train), or allow the change (fer train --allow-backend-change, train.WithBackendChange())",
		e.Dir, e.Now, CheckpointLast, e.Run, e.Run, e.Run, e.Run)
}

// backendKind names the kind of backend b: xla.KindCPU or xla.KindCUDA for
// XLA, xla.KindGo for GoMLX's pure-Go backend, else the backend's name.
func backendKind(b compute.Backend) string {
	if cuda, ok := b.(interface{ IsCUDA() bool }); ok && cuda.IsCUDA() {
		return fxla.KindCUDA
	}
	switch name := b.Name(); {
	case name == "xla":
		return fxla.KindCPU
	case strings.EqualFold(name, "go") || strings.EqualFold(name, "go backend"):
		return fxla.KindGo
	default:
		return name
	}
}

// sessionBackend is the kind of backend the session will train on: that of
// the WithBackend backend, else the one cfg.Backend chooses.
func sessionBackend(cfg Config, o options) (string, error) {
	if o.backend != nil {
		return backendKind(o.backend), nil
	}
	c, err := fxla.Choose(cfg.Backend)
	if err != nil {
		return "", err
	}
	return c.Kind, nil
}

// WithBackend trains on the given backend instead of creating one from
// Config.Backend.
func WithBackend(b compute.Backend) Option { return func(o *options) { o.backend = b } }

// withStepHook is called after every training step (tests).
func withStepHook(fn func(epoch, step int)) Option { return func(o *options) { o.stepHook = fn } }

// normalized fills defaulted fields.
func (c Config) normalized() Config {
	if c.ClassWeights == "" {
		c.ClassWeights = WeightsNone
	}
	return c
}

// ReadStatus reads the status.json of run folder dir, strictly (unknown
// fields are an error naming the file); a missing file is fs.ErrNotExist.
func ReadStatus(dir string) (Status, error) {
	var st Status
	err := readJSON(filepath.Join(dir, StatusFile), &st)
	return st, err
}

// ReadResult reads a run folder's Result.
func ReadResult(dir string) (*Result, error) {
	r := &Result{Dir: dir}
	if err := readJSON(filepath.Join(dir, ConfigFile), &r.Config); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("train: %s is not a run folder (no %s)", dir, ConfigFile)
		}
		return nil, fmt.Errorf("train: %w", err)
	}
	var err error
	if r.Status, err = ReadStatus(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := readJSON(filepath.Join(dir, HistoryFile), &r.History); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("train: %w", err)
	}
	var rec data.Record
	switch err := readJSON(filepath.Join(dir, DataFile), &rec); {
	case err == nil:
		r.Data = &rec
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("train: %w", err)
	}
	return r, nil
}

// DataMismatchError reports a run folder trained on other data than the
// data it is asked to reuse or resume with.
type DataMismatchError struct {
	Dir      string
	Run, Now *data.Record
	Reason   string
}

func (e *DataMismatchError) Error() string {
	if e.Run == nil {
		return fmt.Sprintf("train: %s holds a run with no data record (%s is missing: made before fernb recorded its data), so it cannot be reused or resumed with %s; train into a new folder",
			e.Dir, DataFile, e.Now)
	}
	return fmt.Sprintf("train: %s was trained on other data: %s.\n  run's data: %s\n  given:      %s\nTrain into a new folder, or give the run's data.",
		e.Dir, e.Reason, e.Run, e.Now)
}

// Fit trains cfg on ds.Train (validating on ds.Val after each epoch when it
// is not nil) and keeps the run in folder dir. If dir holds the finished run
// of the same configuration, Fit returns it without training (Reused). If it
// holds an unfinished one, Fit continues it with WithResume and refuses
// otherwise; a different configuration is an error, and so is a resume on
// another kind of backend than the one that wrote the run's checkpoint-last
// (*BackendChangeError) unless WithBackendChange allows it.
//
// A NaN or infinite loss stops the run with a *NonFiniteError; cancelling
// ctx stops it between steps. Both keep the last checkpoint, from which the
// run can be resumed.
func Fit(ctx context.Context, cfg Config, ds *data.Dataset, dir string, opts ...Option) (*Result, error) {
	f := &fit{cfg: cfg.normalized(), ds: ds, dir: dir}
	for _, opt := range opts {
		opt(&f.o)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	// One trainer per folder: a second one would interleave checkpoints and
	// history with the first's.
	unlock, err := lockRun(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f.rec = ds.Record()
	if f.o.restart {
		if f.replaced, err = moveAside(dir); err != nil {
			return nil, fmt.Errorf("train: restarting %s: %w", dir, err)
		}
	}
	prev, err := f.open()
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.Reused {
		return prev, nil
	}
	if prev != nil {
		if err := f.restore(prev); err != nil {
			return nil, err
		}
	}
	if err := f.begin(); err != nil {
		return nil, err
	}
	return f.session(ctx)
}

// fit is one call of Fit: its arguments, and the state and variables the
// training continues from (a fresh start when store is nil).
type fit struct {
	cfg      Config
	ds       *data.Dataset
	dir      string
	o        options
	rec      data.Record
	replaced string // where a restart moved the folder's old run

	state State
	store *model.Store
}

// check checks Fit's arguments and makes the run folder.
func (f *fit) check() error {
	if err := f.cfg.Validate(); err != nil {
		return err
	}
	if f.ds == nil || f.ds.Train.Len() == 0 {
		return errors.New("train: the data set has no training images")
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// open reads what the run folder holds and checks that Fit may go on
// there. It returns nil when the folder holds no run; the finished run of
// this configuration on the same data, marked Reused, after verifying its
// checkpoints; an unfinished one when WithResume lets Fit continue it. A
// folder with run files but no readable run is refused.
func (f *fit) open() (*Result, error) {
	dir, cfg := f.dir, f.cfg
	prev, err := ReadResult(dir)
	if err != nil {
		if leftovers := runFilesIn(dir); len(leftovers) > 0 {
			return nil, fmt.Errorf("%w\n(%s holds %s; start over with --restart, which moves them aside, or choose another folder)", err, dir, strings.Join(leftovers, ", "))
		}
		return nil, nil
	}
	if !sameRun(prev.Config.normalized(), cfg) {
		return nil, fmt.Errorf("train: %s holds a run with a different configuration (%s); choose another folder (or start over there with --restart)", dir, prev.Config.describe())
	}
	if prev.Data == nil {
		return nil, &DataMismatchError{Dir: dir, Now: &f.rec}
	}
	if ok, why := prev.Data.SameTraining(f.rec); !ok {
		return nil, &DataMismatchError{Dir: dir, Run: prev.Data, Now: &f.rec, Reason: why}
	}
	if prev.Status.State == StateDone {
		// A finished run is reused only if the checkpoints it claims are
		// there, intact and at the epochs its status says.
		if err := verifyFinished(prev); err != nil {
			return nil, err
		}
		prev.Reused = true
		return prev, nil
	}
	if !f.o.resume {
		return nil, fmt.Errorf("train: %s holds an unfinished run (%s after %d/%d epochs); resume it (WithResume, fer train --resume), start over (--restart) or choose another folder",
			dir, orUnknown(prev.Status.State), len(prev.History), cfg.Epochs)
	}
	return prev, nil
}

// restore sets the state and variables the unfinished run prev continues
// from: its checkpoint-last, or none (a fresh start) when it stopped before
// its first checkpoint and left no epochs behind.
func (f *fit) restore(prev *Result) error {
	dir := f.dir
	st, values, trainable, err := loadCheckpoint(filepath.Join(dir, CheckpointLast))
	switch {
	case err == nil:
		return f.resume(prev, st, values, trainable)
	case errors.Is(err, fs.ErrNotExist):
		// Stopped before the first checkpoint: start over, unless the
		// folder shows that epochs were done (their checkpoint is lost, and
		// starting over would overwrite what is left of them).
		if done := epochsOnDisk(dir, prev); done != "" {
			return fmt.Errorf("train: cannot resume %s: %s is missing but %s; refusing to start over on top of them. Start over with --restart (moves the old files aside) or restore %s",
				dir, CheckpointLast, done, CheckpointLast)
		}
		return nil
	default:
		return fmt.Errorf("train: cannot resume %s: %w; start over with --restart (moves the old files aside)", dir, err)
	}
}

// resume checks that checkpoint-last (state st, variables values) can
// continue the run prev in this session (its history, backend kind and
// variables) and restores it.
func (f *fit) resume(prev *Result, st State, values map[string]*tensors.Tensor, trainable map[string]bool) error {
	dir, last := f.dir, filepath.Join(f.dir, CheckpointLast)
	if len(prev.History) > st.EpochsDone {
		return fmt.Errorf("train: cannot resume %s: %s records %d epochs but %s only %d (an older checkpoint?); start over with --restart",
			dir, HistoryFile, len(prev.History), CheckpointLast, st.EpochsDone)
	}
	kind, err := sessionBackend(f.cfg, f.o)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	// A checkpoint of before fernb recorded backends is accepted (and
	// records this session's from now on).
	if st.Backend != "" && st.Backend != kind && !f.o.backendChange {
		return &BackendChangeError{Dir: dir, Run: st.Backend, Now: kind}
	}
	want, err := graphVariables(f.cfg, true)
	if err != nil {
		return fmt.Errorf("train: resuming %s: %w", dir, err)
	}
	if err := checkVariables(last, values, want); err != nil {
		return fmt.Errorf("train: cannot resume %s: %w", dir, err)
	}
	f.state = st
	if f.store, err = restoreStore(values, trainable); err != nil {
		return fmt.Errorf("train: resuming %s: %w", dir, err)
	}
	if len(prev.History) < len(st.History) {
		// Killed between checkpoint-last and history.json: the checkpoint's
		// history is the newer one. Written now, or a run killed in its last
		// epoch's history write would end "done" with that epoch missing
		// from history.json.
		if err := writeJSON(filepath.Join(dir, HistoryFile), st.History); err != nil {
			return fmt.Errorf("train: resuming %s: %w", dir, err)
		}
	}
	return nil
}

// begin prepares the folder for this session: removes the temporary files
// of writes interrupted by a crash or kill -9 (the files they were
// replacing are intact), records the data and configuration, and makes
// fresh variables when there is no checkpoint to continue from.
func (f *fit) begin() error {
	removeStaleTemps(f.dir)
	if err := writeJSON(filepath.Join(f.dir, DataFile), f.rec); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := writeJSON(filepath.Join(f.dir, ConfigFile), f.cfg); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if f.store == nil {
		f.store = model.NewStore()
		if err := f.store.SetRNGStateFromSeed(int64(f.cfg.Seed)); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	return nil
}

// session runs the epochs on WithBackend's backend, or on one made from
// cfg.Backend (finalized at the end), and returns the run folder's result.
func (f *fit) session(ctx context.Context) (*Result, error) {
	backend := f.o.backend
	backendDesc := ""
	if backend == nil {
		b, choice, err := fxla.New(f.cfg.Backend)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		backend, backendDesc = b, choice.String()
		defer backend.Finalize()
	} else {
		backendDesc = backend.Name() + ": " + backend.Description()
	}
	f.state.Backend = backendKind(backend)
	t := &trainer{cfg: f.cfg, ds: f.ds, dir: f.dir, opts: f.o, store: f.store, backend: backend, state: f.state,
		status: Status{State: StateRunning, Epochs: f.cfg.Epochs, Backend: backendDesc}}
	err := t.run(ctx)
	res := &Result{Dir: f.dir, Config: f.cfg, History: t.state.History, Status: t.status, Data: &f.rec, Replaced: f.replaced}
	return res, err
}

func orUnknown(s string) string {
	if s == "" {
		return "no status"
	}
	return s
}

// trainer holds one training session.
type trainer struct {
	cfg     Config
	ds      *data.Dataset
	dir     string
	opts    options
	store   *model.Store
	backend compute.Backend
	state   State
	// saved is the state that checkpoint-last holds (the session's start
	// until the session writes one).
	saved    State
	status   Status
	pipeline *augment.Pipeline
	weights  []float32
}

// batchSize returns the effective batch size and steps per epoch.
func (t *trainer) batchSize() (int, int) {
	n := t.ds.Train.Len()
	b := min(t.cfg.BatchSize, n)
	steps := n / b
	if t.cfg.MaxStepsPerEpoch > 0 {
		steps = min(steps, t.cfg.MaxStepsPerEpoch)
	}
	return b, steps
}

// permutation returns the order of the training images in an epoch.
func permutation(seed uint64, epoch, n int) []int {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(epoch)))
	return rng.Perm(n)
}

// stepSeed is the augmentation seed of a training step.
func stepSeed(seed uint64, epoch, step int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%d", seed, epoch, step)
	return h.Sum64()
}

// ClassWeightsFor returns the per-class loss weights of the configuration
// for a training split: all ones for "none"; n/(7·n_c) for "balanced"
// (0 for absent classes).
func ClassWeightsFor(mode ClassWeights, s *data.Split) []float32 {
	w := make([]float32, data.NumClasses)
	if mode != WeightsBalanced {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	var counts [data.NumClasses]int
	for _, l := range s.Labels {
		if int(l) < data.NumClasses {
			counts[l]++
		}
	}
	for c, n := range counts {
		if n > 0 {
			w[c] = float32(float64(s.Len()) / float64(data.NumClasses*n))
		}
	}
	return w
}

type hostBatch struct {
	b   augment.Batch
	err error
}

func (t *trainer) saveStatus() error {
	t.status.Updated = time.Now().UTC()
	t.status.EpochsDone = t.state.EpochsDone
	t.status.BestEpoch, t.status.BestValAcc = t.state.BestEpoch, t.state.BestValAcc
	return writeJSON(filepath.Join(t.dir, StatusFile), t.status)
}

func (t *trainer) fail(state, msg string) {
	t.status.State, t.status.Message = state, msg
	_ = t.saveStatus()
}

func (t *trainer) makeBatch(idx []int, seed uint64) (b augment.Batch, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("making a batch: %v", r)
		}
	}()
	b = t.pipeline.MakeBatch(t.ds.Train, idx, seed, true)
	n := len(idx)
	if len(b.Images) != n*data.Pixels || len(b.Targets) != n*data.NumClasses || len(b.Labels) != n {
		return b, fmt.Errorf("augment returned a batch of %d images, %d targets, %d labels for %d indices",
			len(b.Images)/data.Pixels, len(b.Targets)/data.NumClasses, len(b.Labels), n)
	}
	return b, nil
}

func (t *trainer) report(p Progress) {
	if t.opts.progress != nil {
		p.Run = t.dir
		t.opts.progress(p)
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
