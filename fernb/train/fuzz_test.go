package train

import (
	"crypto/sha256"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// smallCheckpoint returns the bytes of a valid checkpoint with two small
// variables and one epoch of history.
func smallCheckpoint(tb testing.TB) []byte {
	tb.Helper()
	store := model.NewStore()
	for _, v := range []struct {
		path string
		t    *tensors.Tensor
	}{
		{"/model/dense/weights", tensors.FromShape(shapes.Make(dtypes.Float32, 2, 3))},
		{"/optimizer/step", tensors.FromScalar(int64(7))},
	} {
		if _, err := store.CreateVariable(v.path, v.t); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(tb.TempDir(), "ckpt")
	st := State{EpochsDone: 1, History: []Epoch{{Epoch: 1, TrainLoss: 1.5, LR: 0.1, Steps: 2}}, BestEpoch: 1}
	if err := saveCheckpoint(path, store, st, false); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// withHeader returns checkpoint b with its JSON header replaced by
// edit(header), and the checksum recomputed.
func withHeader(b []byte, edit func(string) string) []byte {
	p := len(ckptMagic)
	hl := binary.LittleEndian.Uint64(b[p:])
	hdr := edit(string(b[p+8 : p+8+int(hl)]))
	out := append([]byte(nil), b[:p]...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(hdr)))
	out = append(out, hdr...)
	out = append(out, b[p+8+int(hl):len(b)-sha256.Size]...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// FuzzParseCheckpoint checks that no checkpoint file content panics or is
// accepted inconsistently. Each input is tried as it is (the checksum
// rejects almost everything) and with its last 32 bytes replaced by the
// right SHA-256, so that the header and variable parsing behind the
// checksum is fuzzed too.
func FuzzParseCheckpoint(f *testing.F) {
	good := smallCheckpoint(f)
	if _, _, _, err := parseCheckpoint("seed", good); err != nil {
		f.Fatalf("seed: %v", err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(ckptMagic))
	// A header with an unknown field behind a valid checksum.
	f.Add(withHeader(good, func(h string) string { return strings.Replace(h, `{"state":`, `{"extra":1,"state":`, 1) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(b []byte) {
			st, vals, tr, err := parseCheckpoint("fuzz", b)
			if err != nil {
				return
			}
			if st.EpochsDone != len(st.History) || len(vals) != len(tr) {
				t.Fatalf("accepted an inconsistent checkpoint: state %+v, %d values, %d flags", st, len(vals), len(tr))
			}
			for p, v := range vals {
				if v.Shape().ByteSize() > int64(len(b)) {
					t.Fatalf("variable %s: %s larger than the file", p, v.Shape())
				}
			}
			if _, err := restoreStore(vals, tr); err != nil {
				return
			}
		}
		check(b)
		if len(b) > sha256.Size {
			fixed := append([]byte(nil), b[:len(b)-sha256.Size]...)
			sum := sha256.Sum256(fixed)
			check(append(fixed, sum[:]...))
		}
	})
}

// FuzzDecodeRunJSON checks that no content of a run folder's JSON files
// (config.json, history.json, status.json) panics, and that an accepted
// configuration can be validated.
func FuzzDecodeRunJSON(f *testing.F) {
	for _, s := range []string{
		`{"model":"baseline","epochs":2,"batch_size":16,"lr":0.1}`,
		`[{"epoch":1,"train_loss":1.2,"train_acc":0.3,"has_val":true,"val_acc":0.4,"lr":0.1,"steps":3}]`,
		`{"state":"done","epochs_done":2,"epochs":2,"best_epoch":1,"best_val_acc":0.5}`,
		`{"model":"resnet18","augment":{"hflip":true,"rotate":1e309}}`,
		`{} {}`, `null`, `{"unknown":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg := DefaultConfig()
		if decodeJSON("config.json", b, &cfg) == nil {
			_ = cfg.normalized().Validate()
			_ = cfg.describe()
		}
		var h []Epoch
		_ = decodeJSON("history.json", b, &h)
		var st Status
		_ = decodeJSON("status.json", b, &st)
	})
}

// TestFuzzTargetsListed: fernb.sh's fuzz smoke (FUZZ_TARGETS) runs every
// fuzz target of the repository.
func TestFuzzTargetsListed(t *testing.T) {
	root := filepath.Join("..", "..")
	sh, err := os.ReadFile(filepath.Join(root, "fernb.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FUZZ_TARGETS="([^"]*)"`).FindSubmatch(sh)
	if m == nil {
		t.Fatal("fernb.sh has no FUZZ_TARGETS line")
	}
	listed := strings.Fields(string(m[1]))
	var found []string
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "runs" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, f := range fuzzFunc.FindAllSubmatch(b, -1) {
			found = append(found, filepath.ToSlash(rel)+":"+string(f[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	slices.Sort(found)
	if len(found) < 5 || !slices.Equal(listed, found) {
		t.Errorf("fernb.sh FUZZ_TARGETS = %v\nfuzz targets in the repository: %v", listed, found)
	}
}
