package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The golden files were written by fernb/train's saveCheckpoint before the
// format moved to this package (a training state of two epochs, five
// variables of four element types including a scalar;
// checkpoint-best.golden holds the /model/ ones alone). Their hashes pin
// the format: existing run folders must keep loading, and a new checkpoint
// of the same content must be the same bytes. (Not named *.ckpt, which
// .gitignore leaves out.)
var golden = map[string]string{
	"checkpoint-last.golden": "6c25a2a0e944e1bf95274599ed15026cb4c51cb48f8e7e4ca9ce432fc3e1709d",
	"checkpoint-best.golden": "a0c1cf09538783a463611203a38cfffa91f978d9afc2da74abd2f6f14754652b",
}

// TestGolden: the golden checkpoints read back to their values, and
// writing what was read gives the same bytes.
func TestGolden(t *testing.T) {
	for name, hash := range golden {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != hash {
				t.Fatalf("%s changed: SHA-256 %x, want %s", path, sum, hash)
			}
			if err := Verify(path); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var st struct {
				EpochsDone int             `json:"epochs_done"`
				History    json.RawMessage `json:"history"`
				BestEpoch  int             `json:"best_epoch"`
				BestValAcc float64         `json:"best_val_acc"`
				Backend    string          `json:"backend"`
			}
			c, err := Read(path, &st)
			if err != nil {
				t.Fatal(err)
			}
			if st.EpochsDone != 2 || st.BestEpoch != 2 || st.BestValAcc != 0.375 || st.Backend != "go" {
				t.Errorf("state %+v", st)
			}
			want := []string{"/model/bf", "/model/bn/mean", "/model/dense/weights", "/optimizer/step", "/rng/state"}
			if name == "checkpoint-best.golden" {
				want = want[:3]
			}
			var paths []string
			for _, v := range c.Variables {
				paths = append(paths, v.Path)
			}
			if strings.Join(paths, " ") != strings.Join(want, " ") {
				t.Errorf("variables %v, want %v", paths, want)
			}
			vals, tr := c.Values(), c.Trainable()
			if got := tensors.MustCopyFlatData[float32](vals["/model/dense/weights"]); !equal(got, []float32{1, -2, 3.5, 0.25, 5, -6}) || !tr["/model/dense/weights"] || tr["/model/bn/mean"] {
				t.Errorf("dense weights %v, trainable %v", got, tr)
			}
			if sh := vals["/model/bf"].Shape(); sh.DType != dtypes.BFloat16 || sh.Size() != 3 {
				t.Errorf("/model/bf: %s", sh)
			}
			if name == "checkpoint-last.golden" {
				if v := tensors.ToScalar[int64](vals["/optimizer/step"]); v != 7 {
					t.Errorf("/optimizer/step = %d", v)
				}
			}
			var again bytes.Buffer
			if err := Encode(&again, c.Variables, c.State); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), b) {
				t.Errorf("re-encoded %d bytes differ from the file's %d", again.Len(), len(b))
			}
			out := filepath.Join(t.TempDir(), name)
			if err := Write(out, c.Variables, c.State); err != nil {
				t.Fatal(err)
			}
			if w, _ := os.ReadFile(out); !bytes.Equal(w, b) {
				t.Errorf("Write gave %d bytes unlike the file's %d", len(w), len(b))
			}
		})
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStoreRoundTrip: FromStore (all or some variables) and Read give back
// the store's values, flags and the state.
func TestStoreRoundTrip(t *testing.T) {
	store := model.NewStore()
	w, _ := store.CreateVariable("/model/w", tensors.FromValue([][]float32{{1, 2}, {3, 4}}))
	w.Trainable = true
	s, err := store.CreateVariable("/optimizer/s", tensors.FromValue([]float32{5}))
	if err != nil {
		t.Fatal(err)
	}
	s.Trainable = false
	vars, err := FromStore(store, func(p string) bool { return strings.HasPrefix(p, "/model/") })
	if err != nil || len(vars) != 1 {
		t.Fatalf("FromStore(model) = %d variables, %v", len(vars), err)
	}
	if vars, err = FromStore(store, nil); err != nil || len(vars) != 2 {
		t.Fatalf("FromStore(all) = %d variables, %v", len(vars), err)
	}
	path := filepath.Join(t.TempDir(), "ckpt")
	type state struct {
		Epochs int `json:"epochs"`
	}
	if err := Write(path, vars, state{3}); err != nil {
		t.Fatal(err)
	}
	var st state
	c, err := Read(path, &st)
	if err != nil || st.Epochs != 3 || string(c.State) != `{"epochs":3}` {
		t.Fatalf("Read: %v, state %+v (%s)", err, st, c.State)
	}
	if got := tensors.MustCopyFlatData[float32](c.Values()["/model/w"]); !equal(got, []float32{1, 2, 3, 4}) || !c.Trainable()["/model/w"] || c.Trainable()["/optimizer/s"] {
		t.Errorf("/model/w = %v, trainable %v", got, c.Trainable())
	}
	if err := Check(path, c.Shapes(), map[string]shapes.Shape{"/model/w": shapes.Make(dtypes.Float32, 2, 2), "/optimizer/s": shapes.Make(dtypes.Float32, 1)}); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestCorrupt: a damaged file is an error wrapping ErrCorrupt that names
// the file, from Read and Verify alike.
func TestCorrupt(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "checkpoint-last.golden"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	badMagic := append([]byte("FERNB-CHECKPOINT-2\n"), good[len(Magic):]...)
	for name, bad := range map[string][]byte{
		"truncated": good[:len(good)-10],
		"flipped":   append(append([]byte{}, good[:len(good)/2]...), append([]byte{good[len(good)/2] ^ 1}, good[len(good)/2+1:]...)...),
		"empty":     {},
		"magic":     badMagic,
		"extra":     withBody(good, func(b []byte) []byte { return append(b, 0) }),
		"short":     withBody(good, func(b []byte) []byte { return b[:len(b)-1] }),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, bad, 0o644)
		_, err := Read(p, nil)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: Read error %v, want ErrCorrupt naming the file", name, err)
		}
		if err := Verify(p); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Verify error %v, want ErrCorrupt", name, err)
		}
	}
	if err := Verify(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Verify(missing) = %v", err)
	}
}

// withBody returns checkpoint b with its bytes before the checksum
// replaced by edit(them), and the checksum recomputed.
func withBody(b []byte, edit func([]byte) []byte) []byte {
	body := edit(append([]byte(nil), b[:len(b)-sha256.Size]...))
	sum := sha256.Sum256(body)
	return append(body, sum[:]...)
}

// testState is a writer's state with a nested list, for the strictness
// tests.
type testState struct {
	EpochsDone int `json:"epochs_done"`
	History    []struct {
		Epoch int     `json:"epoch"`
		LR    float64 `json:"lr"`
	} `json:"history"`
}

// smallCheckpoint returns the bytes of a valid checkpoint with two small
// variables and a state of one epoch.
func smallCheckpoint(tb testing.TB) []byte {
	tb.Helper()
	vars := []Variable{
		{Path: "/optimizer/step", Value: tensors.FromScalar(int64(7))},
		{Path: "/model/dense/weights", Value: tensors.FromShape(shapes.Make(dtypes.Float32, 2, 3)), Trainable: true},
	}
	var b bytes.Buffer
	if err := Encode(&b, vars, json.RawMessage(`{"epochs_done":1,"history":[{"epoch":1,"lr":0.1}]}`)); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// withHeader returns checkpoint b with its JSON header replaced by
// edit(header), and the checksum recomputed.
func withHeader(b []byte, edit func(string) string) []byte {
	p := len(Magic)
	hl := binary.LittleEndian.Uint64(b[p:])
	hdr := edit(string(b[p+8 : p+8+int(hl)]))
	out := append([]byte(nil), b[:p]...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(hdr)))
	out = append(out, hdr...)
	out = append(out, b[p+8+int(hl):len(b)-sha256.Size]...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// TestHeaderStrict: a header (behind a valid checksum) with an unknown
// field at any depth (the state's, when the reader decodes it), a value of
// another type, data after the JSON object, or no object at all is a
// corrupt checkpoint naming the file; the unchanged header is accepted.
func TestHeaderStrict(t *testing.T) {
	good := smallCheckpoint(t)
	cases := []struct {
		name      string
		edit      func(string) string
		wantError string
	}{
		{"unchanged", func(h string) string { return h }, ""},
		{"unknown field", func(h string) string { return strings.Replace(h, `{"state":`, `{"extra":1,"state":`, 1) }, `unknown field "extra"`},
		{"unknown state field", func(h string) string { return strings.Replace(h, `"epochs_done":`, `"epochs":1,"epochs_done":`, 1) }, `unknown field "epochs"`},
		{"unknown history field", func(h string) string { return strings.Replace(h, `"epoch":1`, `"epoch":1,"note":"x"`, 1) }, `unknown field "note"`},
		{"unknown variable field", func(h string) string { return strings.Replace(h, `"trainable":`, `"frozen":true,"trainable":`, 1) }, `unknown field "frozen"`},
		{"wrong type", func(h string) string { return strings.Replace(h, `"epochs_done":1`, `"epochs_done":"1"`, 1) }, "cannot unmarshal string"},
		{"wrong variable type", func(h string) string { return strings.Replace(h, `"bytes":8`, `"bytes":"8"`, 1) }, "cannot unmarshal string"},
		{"trailing data", func(h string) string { return h + ` {}` }, "after the JSON object"},
		{"not an object", func(h string) string { return "null" }, "not a JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := withHeader(good, c.edit)
			if c.wantError != "" && bytes.Equal(b, good) {
				t.Fatal("the edit changed nothing")
			}
			var st testState
			_, err := Parse("/runs/x/checkpoint-last", b, &st)
			if c.wantError == "" {
				if err != nil || st.EpochsDone != 1 || len(st.History) != 1 {
					t.Fatalf("unchanged header: %v, state %+v", err, st)
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.wantError) || !strings.Contains(err.Error(), "/runs/x/checkpoint-last") {
				t.Fatalf("parse = %v, want a corrupt checkpoint naming the file with %q", err, c.wantError)
			}
		})
	}
}

// TestCheck: every missing, unexpected and reshaped variable is named,
// sorted; equal sets are nil.
func TestCheck(t *testing.T) {
	f32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
	want := map[string]shapes.Shape{"/model/a": f32(2), "/model/b": f32(3), "/model/c": f32(1), "/model/d": f32(4)}
	got := map[string]shapes.Shape{"/model/a": f32(2), "/model/b": f32(4), "/model/x": f32(1), "/model/w": f32(1)}
	err := Check("ckpt", got, want)
	var ve *VariablesError
	if !errors.As(err, &ve) {
		t.Fatalf("Check = %v, want a *VariablesError", err)
	}
	if strings.Join(ve.Missing, " ") != "/model/c /model/d" || strings.Join(ve.Unexpected, " ") != "/model/w /model/x" ||
		len(ve.Mismatched) != 1 || !strings.HasPrefix(ve.Mismatched[0], "/model/b: ") {
		t.Errorf("VariablesError %+v", ve)
	}
	for _, s := range []string{"ckpt does not hold", "missing 2 (/model/c, /model/d)", "unexpected 2", "shape mismatch 1"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q lacks %q", err, s)
		}
	}
	if err := Check("ckpt", want, want); err != nil {
		t.Errorf("Check(same) = %v", err)
	}
}
