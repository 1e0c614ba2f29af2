package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/checkpoint"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// File names inside a run folder.
const (
	ConfigFile  = "config.json"
	HistoryFile = "history.json"
	StatusFile  = "status.json"
	// DataFile records the data the run was trained on (a data.Record).
	DataFile       = "data.json"
	CheckpointLast = "checkpoint-last"
	CheckpointBest = "checkpoint-best"
)

// writeAtomic writes path atomically (atomicfile.Write: a synced
// temporary file renamed over path), buffered, through the tests' hooks.
func writeAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.Write(path, func(f io.Writer) error {
		out := f
		if testWrapWriter != nil {
			out = testWrapWriter(f)
		}
		if testWriteHook != nil {
			out = testWriteHook(path, out)
		}
		bw := bufio.NewWriterSize(out, 1<<20)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// testWrapWriter, when set by tests, wraps the file writer of writeAtomic
// (to inject write failures).
var testWrapWriter func(io.Writer) io.Writer

// testWriteHook, when set by tests, wraps the writer of writeAtomic for the
// file path (the fault-injection test kills the process in the middle of a
// chosen file's write).
var testWriteHook func(path string, w io.Writer) io.Writer

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	b = append(b, '\n')
	return writeAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// ReadConfig reads a training configuration from a JSON file (a run folder's
// config.json, or a recipe such as docs/recipes/resnet18-cpu-2h.json):
// fields the file leaves out keep DefaultConfig's values, and unknown fields
// are errors. `fer train --config` starts from it.
func ReadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := readJSON(path, &c); err != nil {
		return Config{}, fmt.Errorf("train: %w", err)
	}
	return c, nil
}

// readJSON reads a JSON file strictly (unknown fields are errors).
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return decodeJSON(path, b, v)
}

// decodeJSON decodes the content b of file path strictly: unknown fields
// and anything after the value are errors naming the file.
func decodeJSON(path string, b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("reading %s: unexpected data after the JSON value", path)
	}
	return nil
}

// State is the training state a run stores in its checkpoints (the
// checkpoint header's state, see fernb/checkpoint): where the run stands
// and what it has measured so far.
type State struct {
	// EpochsDone is the number of completed epochs.
	EpochsDone int `json:"epochs_done"`
	// History has one entry per completed epoch.
	History []Epoch `json:"history"`
	// BestEpoch (1-based, 0 if none) and BestValAcc locate checkpoint-best.
	BestEpoch  int     `json:"best_epoch"`
	BestValAcc float64 `json:"best_val_acc"`
	// Backend is the kind of backend (xla.KindCPU, xla.KindCUDA, xla.KindGo,
	// or another backend's name) of the session that wrote the checkpoint;
	// "" in checkpoints written before fernb recorded it. A resume on
	// another backend is refused (*BackendChangeError) unless allowed.
	Backend string `json:"backend,omitempty"`
}

// saveCheckpoint writes the variables of store (all of them, or only the
// model's when modelOnly) and state to path as a checkpoint, atomically
// (through writeAtomic, whose test hooks the fault-injection tests use).
func saveCheckpoint(path string, store *model.Store, state State, modelOnly bool) error {
	var keep func(string) bool
	if modelOnly {
		keep = func(p string) bool { return strings.HasPrefix(p, "/"+ModelScope+"/") }
	}
	vars, err := checkpoint.FromStore(store, keep)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error { return checkpoint.Encode(w, vars, state) })
}

// loadCheckpoint reads and verifies a checkpoint (checkpoint.Read, the
// state strictly a State) and checks its state, returning the state and
// the variables' values (path -> local tensor) and trainable flags.
func loadCheckpoint(path string) (State, map[string]*tensors.Tensor, map[string]bool, error) {
	var st State
	c, err := checkpoint.Read(path, &st)
	if err != nil {
		return State{}, nil, nil, err
	}
	if err := st.check(); err != nil {
		return State{}, nil, nil, fmt.Errorf("%s: %w: %v", path, checkpoint.ErrCorrupt, err)
	}
	return st, c.Values(), c.Trainable(), nil
}

// check reports a state whose counts contradict each other.
func (st State) check() error {
	if st.EpochsDone < 0 || st.EpochsDone != len(st.History) || st.BestEpoch < 0 || st.BestEpoch > st.EpochsDone {
		return fmt.Errorf("state: %d epochs done, %d in its history, best epoch %d", st.EpochsDone, len(st.History), st.BestEpoch)
	}
	return nil
}

// restoreStore creates a store holding the checkpoint's variables.
func restoreStore(values map[string]*tensors.Tensor, trainable map[string]bool) (*model.Store, error) {
	store := model.NewStore()
	paths := make([]string, 0, len(values))
	for p := range values {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		v, err := store.CreateVariable(p, values[p])
		if err != nil {
			return nil, err
		}
		v.Trainable = trainable[p]
	}
	return store, nil
}

// zerosTensor returns a local tensor of zeros.
func zerosTensor(sh shapes.Shape) *tensors.Tensor { return tensors.FromShape(sh) }

// runFiles are the files of a run folder that hold or describe its work.
var runFiles = []string{ConfigFile, HistoryFile, CheckpointLast, CheckpointBest}

// runFilesIn lists the run files present in dir.
func runFilesIn(dir string) []string {
	var have []string
	for _, f := range runFiles {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			have = append(have, f)
		}
	}
	return have
}

// epochsOnDisk tells, in words, whether dir shows completed epochs of run
// prev whose checkpoint-last is missing ("" if it does not): recorded in
// history.json or status.json, or a checkpoint-best past epoch 1 (or
// unreadable). A checkpoint-best of epoch 1 alone is what a crash during the
// first checkpoint-last write leaves (checkpoint-best is written first),
// and starting over rewrites it identically.
func epochsOnDisk(dir string, prev *Result) string {
	var why []string
	if n := len(prev.History); n > 0 {
		why = append(why, fmt.Sprintf("%s records %d epochs", HistoryFile, n))
	}
	if n := prev.Status.EpochsDone; n > 0 && n != len(prev.History) {
		why = append(why, fmt.Sprintf("%s says %d epochs are done", StatusFile, n))
	}
	best := filepath.Join(dir, CheckpointBest)
	if _, err := os.Lstat(best); err == nil {
		st, _, _, err := loadCheckpoint(best)
		switch {
		case err != nil:
			why = append(why, fmt.Sprintf("%s exists (%v)", CheckpointBest, err))
		case st.EpochsDone > 1 || len(why) > 0:
			why = append(why, fmt.Sprintf("%s holds epoch %d", CheckpointBest, st.BestEpoch))
		}
	}
	return strings.Join(why, " and ")
}

// verifyFinished checks the checkpoints a finished run claims: both are
// present, pass their checksum and hold the epochs its status records.
func verifyFinished(r *Result) error {
	fail := func(file string, err error) error {
		return fmt.Errorf("train: %s says it is finished, but %s: %w; it is not reused. Start over with --restart (moves the old files aside) or restore the file",
			r.Dir, file, err)
	}
	for _, file := range []string{CheckpointLast, CheckpointBest} {
		st, _, _, err := loadCheckpoint(filepath.Join(r.Dir, file))
		if err != nil {
			return fail(file, err)
		}
		switch {
		case file == CheckpointLast && (st.EpochsDone != r.Status.EpochsDone || st.EpochsDone != len(r.History)):
			return fail(file, fmt.Errorf("%w: it holds epoch %d, while %s says %d and %s records %d",
				checkpoint.ErrCorrupt, st.EpochsDone, StatusFile, r.Status.EpochsDone, HistoryFile, len(r.History)))
		case file == CheckpointBest && st.BestEpoch != r.Status.BestEpoch:
			return fail(file, fmt.Errorf("%w: it holds epoch %d, while %s says the best is %d",
				checkpoint.ErrCorrupt, st.BestEpoch, StatusFile, r.Status.BestEpoch))
		}
	}
	return nil
}

// moveAside moves the files of the run in dir (and temporary files of
// interrupted writes) into a new sub-folder "replaced-<UTC time>" and
// returns it; "" when dir holds no run file. Nothing is deleted.
func moveAside(dir string) (string, error) {
	names := []string{ConfigFile, HistoryFile, StatusFile, DataFile, CheckpointLast, CheckpointBest}
	tmps, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempGlob("*")))
	var move []string
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			move = append(move, n)
		}
	}
	for _, t := range tmps {
		move = append(move, filepath.Base(t))
	}
	if len(move) == 0 {
		return "", nil
	}
	base := filepath.Join(dir, "replaced-"+time.Now().UTC().Format("20060102T150405Z"))
	aside := base
	for i := 2; ; i++ {
		err := os.Mkdir(aside, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
		aside = fmt.Sprintf("%s-%d", base, i)
	}
	for _, n := range move {
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(aside, n)); err != nil {
			return "", err
		}
	}
	return aside, nil
}

// removeStaleTemps removes the temporary files that writeAtomic leaves in
// dir when the process dies during a write (their targets are intact).
func removeStaleTemps(dir string) {
	for _, n := range []string{ConfigFile, HistoryFile, StatusFile, DataFile, CheckpointLast, CheckpointBest} {
		tmps, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempGlob(n)))
		for _, t := range tmps {
			os.Remove(t)
		}
	}
}
