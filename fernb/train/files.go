package train

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
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
	"github.com/gomlx/compute/dtypes"
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

// Checkpoint file format: the magic line, a little-endian uint64 header
// length, the JSON header, the variables' raw little-endian bytes one after
// the other in header order, and the SHA-256 of all the preceding bytes.
const ckptMagic = "FERNB-CHECKPOINT-1\n"

// ckptHeader is a checkpoint's JSON header.
type ckptHeader struct {
	State State     `json:"state"`
	Vars  []ckptVar `json:"vars"`
}

type ckptVar struct {
	Path      string `json:"path"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Bytes     int64  `json:"bytes"`
	Trainable bool   `json:"trainable"`
}

// State is the training state stored in checkpoint-last: where the run
// stands and what it has measured so far.
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
// model's when modelOnly) and state to path, atomically.
func saveCheckpoint(path string, store *model.Store, state State, modelOnly bool) error {
	type entry struct {
		v    *model.Variable
		meta ckptVar
	}
	var entries []entry
	for v := range store.IterVariables() {
		if modelOnly && !strings.HasPrefix(v.Path(), "/"+ModelScope+"/") {
			continue
		}
		sh := v.Shape()
		entries = append(entries, entry{v, ckptVar{Path: v.Path(), DType: sh.DType.String(), Dims: slices.Clone(sh.Dimensions), Bytes: int64(sh.ByteSize()), Trainable: v.Trainable}})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.meta.Path, b.meta.Path) })
	h := ckptHeader{State: state}
	for _, e := range entries {
		h.Vars = append(h.Vars, e.meta)
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		sum := sha256.New()
		mw := io.MultiWriter(w, sum)
		if _, err := io.WriteString(mw, ckptMagic); err != nil {
			return err
		}
		if err := binary.Write(mw, binary.LittleEndian, uint64(len(hb))); err != nil {
			return err
		}
		if _, err := mw.Write(hb); err != nil {
			return err
		}
		for _, e := range entries {
			t, err := e.v.Value()
			if err != nil {
				return fmt.Errorf("variable %s: %w", e.meta.Path, err)
			}
			var werr error
			if err := t.ConstBytes(func(b []byte) { _, werr = mw.Write(b) }); err != nil {
				return fmt.Errorf("variable %s: %w", e.meta.Path, err)
			}
			if werr != nil {
				return werr
			}
		}
		_, err := w.Write(sum.Sum(nil))
		return err
	})
}

// ckptDTypes are the element types a checkpoint may hold (whole bytes).
var ckptDTypes = map[dtypes.DType]bool{
	dtypes.Bool: true, dtypes.Int8: true, dtypes.Int16: true, dtypes.Int32: true, dtypes.Int64: true,
	dtypes.Uint8: true, dtypes.Uint16: true, dtypes.Uint32: true, dtypes.Uint64: true,
	dtypes.Float16: true, dtypes.BFloat16: true, dtypes.Float32: true, dtypes.Float64: true,
}

// errCorrupt marks a checkpoint that fails its checks.
var errCorrupt = errors.New("corrupt checkpoint")

// loadCheckpoint reads and verifies a checkpoint, returning its state and
// variable values (path -> local tensor) with their trainable flags.
func loadCheckpoint(path string) (State, map[string]*tensors.Tensor, map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return State{}, nil, nil, err
	}
	return parseCheckpoint(path, b)
}

// parseCheckpoint verifies and decodes the content b of checkpoint file path.
func parseCheckpoint(path string, b []byte) (State, map[string]*tensors.Tensor, map[string]bool, error) {
	fail := func(format string, args ...any) (State, map[string]*tensors.Tensor, map[string]bool, error) {
		return State{}, nil, nil, fmt.Errorf("%s: %w: %s", path, errCorrupt, fmt.Sprintf(format, args...))
	}
	if len(b) < len(ckptMagic)+8+sha256.Size || string(b[:len(ckptMagic)]) != ckptMagic {
		return fail("not a fernb checkpoint (bad magic or too short: %d bytes)", len(b))
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return fail("checksum mismatch (truncated or damaged file)")
	}
	p := len(ckptMagic)
	hl := binary.LittleEndian.Uint64(body[p:])
	p += 8
	if hl > uint64(len(body)-p) {
		return fail("header length %d beyond file end", hl)
	}
	h, err := parseHeader(body[p : p+int(hl)])
	if err != nil {
		return fail("header: %v", err)
	}
	p += int(hl)
	if st := h.State; st.EpochsDone < 0 || st.EpochsDone != len(st.History) || st.BestEpoch < 0 || st.BestEpoch > st.EpochsDone {
		return fail("state: %d epochs done, %d in its history, best epoch %d", st.EpochsDone, len(st.History), st.BestEpoch)
	}
	values := make(map[string]*tensors.Tensor, len(h.Vars))
	trainable := make(map[string]bool, len(h.Vars))
	for _, v := range h.Vars {
		dt, err := dtypes.DTypeString(v.DType)
		if err != nil {
			return fail("variable %s: dtype %q: %v", v.Path, v.DType, err)
		}
		if _, dup := values[v.Path]; dup || !strings.HasPrefix(v.Path, "/") {
			return fail("variable %q: duplicate or not an absolute path", v.Path)
		}
		if !ckptDTypes[dt] {
			return fail("variable %s: unsupported dtype %q", v.Path, v.DType)
		}
		// The element count must fit the file before a shape is made of it.
		left := int64(len(body) - p)
		n := int64(1)
		for _, d := range v.Dims {
			if d < 0 || (d > 0 && n > left/int64(d)) {
				return fail("variable %s: dimensions %v do not fit the file", v.Path, v.Dims)
			}
			n *= int64(d)
		}
		sh := shapes.Make(dt, v.Dims...)
		if n*int64(dt.Size()) != v.Bytes || int64(sh.ByteSize()) != v.Bytes || v.Bytes > left {
			return fail("variable %s: %d bytes do not fit shape %s or the file", v.Path, v.Bytes, sh)
		}
		t := tensors.FromShape(sh)
		data := body[p : p+int(v.Bytes)]
		if err := t.MutableBytes(func(dst []byte) { copy(dst, data) }); err != nil {
			return fail("variable %s: %v", v.Path, err)
		}
		p += int(v.Bytes)
		values[v.Path] = t
		trainable[v.Path] = v.Trainable
	}
	if p != len(body) {
		return fail("%d unexpected bytes after the variables", len(body)-p)
	}
	return h.State, values, trainable, nil
}

// parseHeader decodes a checkpoint's JSON header strictly: one JSON object
// of ckptHeader's form, no unknown field (at any depth), no value of another
// type, nothing after it.
func parseHeader(b []byte) (ckptHeader, error) {
	var h ckptHeader
	if len(b) == 0 || b[0] != '{' {
		return h, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return h, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return h, errors.New("unexpected data after the JSON object")
	}
	return h, nil
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
				errCorrupt, st.EpochsDone, StatusFile, r.Status.EpochsDone, HistoryFile, len(r.History)))
		case file == CheckpointBest && st.BestEpoch != r.Status.BestEpoch:
			return fail(file, fmt.Errorf("%w: it holds epoch %d, while %s says the best is %d",
				errCorrupt, st.BestEpoch, StatusFile, r.Status.BestEpoch))
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
