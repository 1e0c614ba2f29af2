// Package checkpoint reads, writes and verifies fernb checkpoint files: a
// set of named tensors (a GoMLX model.Store's variables) with a JSON state
// header chosen by the writer. It knows the file format only, not who
// writes it: fernb/train stores its training state (epochs, history, best
// epoch) as the header's state and decides which variables a run needs;
// Check compares a file's variables with those a graph creates.
//
// # File layout
//
// A checkpoint file is, in order:
//
//  1. the magic line Magic ("FERNB-CHECKPOINT-1\n", 19 bytes);
//  2. the header's length n, a little-endian uint64 (8 bytes);
//  3. the header, n bytes of compact JSON:
//     {"state":<the writer's state>,"vars":[{"path":…,"dtype":…,"dims":[…],"bytes":…,"trainable":…},…]}
//     with one entry per variable, sorted by path; dtype is the GoMLX name
//     (e.g. "Float32", "BFloat16"), dims are null for a scalar, bytes is
//     the size of the variable's data;
//  4. each variable's raw little-endian bytes, one after the other in
//     header order;
//  5. the SHA-256 of all the preceding bytes (32 bytes).
//
// Reading is strict: the checksum, the header (one JSON object, no unknown
// field at any depth, nothing after it; the state as strictly, when the
// reader asks for it), absolute and distinct paths, element types of whole
// bytes, sizes that agree with the shapes and the file, and no byte left
// over. A file failing any check is an error wrapping ErrCorrupt that names
// the file. Nothing is allocated beyond the file's size.
//
// Write replaces a file atomically (fernb/atomicfile): a reader sees the
// old checkpoint or the new one, never a part.
package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Magic is the first line of every checkpoint file.
const Magic = "FERNB-CHECKPOINT-1\n"

// ErrCorrupt marks a file that is not a checkpoint or fails its checks
// (errors.Is(err, ErrCorrupt)).
var ErrCorrupt = errors.New("corrupt checkpoint")

// Variable is one named tensor of a checkpoint.
type Variable struct {
	// Path is the variable's absolute path in its store (e.g.
	// "/model/conv1/weights").
	Path string
	// Value holds the variable's value; a read checkpoint's are local
	// tensors.
	Value *tensors.Tensor
	// Trainable is the variable's model.Variable.Trainable flag.
	Trainable bool
}

// Checkpoint is a read checkpoint.
type Checkpoint struct {
	// State is the header's state as stored (compact JSON; nil when the
	// header has none).
	State json.RawMessage
	// Variables are in file order (sorted by path).
	Variables []Variable
}

// Values returns the variables' values by path.
func (c *Checkpoint) Values() map[string]*tensors.Tensor {
	m := make(map[string]*tensors.Tensor, len(c.Variables))
	for _, v := range c.Variables {
		m[v.Path] = v.Value
	}
	return m
}

// Trainable returns the variables' trainable flags by path.
func (c *Checkpoint) Trainable() map[string]bool {
	m := make(map[string]bool, len(c.Variables))
	for _, v := range c.Variables {
		m[v.Path] = v.Trainable
	}
	return m
}

// Shapes returns the variables' shapes by path (for Check).
func (c *Checkpoint) Shapes() map[string]shapes.Shape {
	return Shapes(c.Values())
}

// Shapes returns the shapes of values by path.
func Shapes(values map[string]*tensors.Tensor) map[string]shapes.Shape {
	m := make(map[string]shapes.Shape, len(values))
	for p, t := range values {
		m[p] = t.Shape()
	}
	return m
}

// FromStore returns the variables of store whose path keep accepts (all of
// them when keep is nil), with their current values.
func FromStore(store *model.Store, keep func(path string) bool) ([]Variable, error) {
	var vars []Variable
	for v := range store.IterVariables() {
		if keep != nil && !keep(v.Path()) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		vars = append(vars, Variable{Path: v.Path(), Value: t, Trainable: v.Trainable})
	}
	return vars, nil
}

// header is a checkpoint's JSON header; State is any value on writing.
type header struct {
	State any       `json:"state"`
	Vars  []varInfo `json:"vars"`
}

// readHeader is header as read: the state stays raw until the reader
// decodes it into its own type.
type readHeader struct {
	State json.RawMessage `json:"state"`
	Vars  []varInfo       `json:"vars"`
}

// varInfo describes one variable in the header.
type varInfo struct {
	Path      string `json:"path"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Bytes     int64  `json:"bytes"`
	Trainable bool   `json:"trainable"`
}

// Encode writes a checkpoint of vars (in path order, whatever their order
// in the slice) and state (any value encoding/json marshals) to w.
func Encode(w io.Writer, vars []Variable, state any) error {
	vars = slices.Clone(vars)
	slices.SortFunc(vars, func(a, b Variable) int { return strings.Compare(a.Path, b.Path) })
	h := header{State: state}
	for _, v := range vars {
		sh := v.Value.Shape()
		h.Vars = append(h.Vars, varInfo{Path: v.Path, DType: sh.DType.String(), Dims: slices.Clone(sh.Dimensions), Bytes: int64(sh.ByteSize()), Trainable: v.Trainable})
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	sum := sha256.New()
	mw := io.MultiWriter(w, sum)
	if _, err := io.WriteString(mw, Magic); err != nil {
		return err
	}
	if err := binary.Write(mw, binary.LittleEndian, uint64(len(hb))); err != nil {
		return err
	}
	if _, err := mw.Write(hb); err != nil {
		return err
	}
	for _, v := range vars {
		var werr error
		if err := v.Value.ConstBytes(func(b []byte) { _, werr = mw.Write(b) }); err != nil {
			return fmt.Errorf("variable %s: %w", v.Path, err)
		}
		if werr != nil {
			return werr
		}
	}
	_, err = w.Write(sum.Sum(nil))
	return err
}

// Write writes a checkpoint of vars and state (see Encode) to path
// atomically: path holds its old content or the whole new checkpoint.
func Write(path string, vars []Variable, state any) error {
	return atomicfile.Write(path, func(f io.Writer) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := Encode(bw, vars, state); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// Read reads and verifies the checkpoint file path. When state is not nil,
// the header's state is decoded into it strictly (as encoding/json does,
// with unknown fields and another type of value being errors).
func Read(path string, state any) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b, state)
}

// Verify checks that path is a whole, well-formed checkpoint (see Read).
func Verify(path string) error {
	_, err := Read(path, nil)
	return err
}

// dtypesAllowed are the element types a checkpoint may hold (whole bytes).
var dtypesAllowed = map[dtypes.DType]bool{
	dtypes.Bool: true, dtypes.Int8: true, dtypes.Int16: true, dtypes.Int32: true, dtypes.Int64: true,
	dtypes.Uint8: true, dtypes.Uint16: true, dtypes.Uint32: true, dtypes.Uint64: true,
	dtypes.Float16: true, dtypes.BFloat16: true, dtypes.Float32: true, dtypes.Float64: true,
}

// Parse verifies and decodes b, the content of the checkpoint file name
// (used in errors); state is as for Read.
func Parse(name string, b []byte, state any) (*Checkpoint, error) {
	fail := func(format string, args ...any) (*Checkpoint, error) {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if len(b) < len(Magic)+8+sha256.Size || string(b[:len(Magic)]) != Magic {
		return fail("not a fernb checkpoint (bad magic or too short: %d bytes)", len(b))
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return fail("checksum mismatch (truncated or damaged file)")
	}
	p := len(Magic)
	hl := binary.LittleEndian.Uint64(body[p:])
	p += 8
	if hl > uint64(len(body)-p) {
		return fail("header length %d beyond file end", hl)
	}
	h, err := parseHeader(body[p:p+int(hl)], state)
	if err != nil {
		return fail("header: %v", err)
	}
	p += int(hl)
	c := &Checkpoint{State: h.State, Variables: make([]Variable, 0, len(h.Vars))}
	seen := make(map[string]bool, len(h.Vars))
	for _, v := range h.Vars {
		dt, err := dtypes.DTypeString(v.DType)
		if err != nil {
			return fail("variable %s: dtype %q: %v", v.Path, v.DType, err)
		}
		if seen[v.Path] || !strings.HasPrefix(v.Path, "/") {
			return fail("variable %q: duplicate or not an absolute path", v.Path)
		}
		if !dtypesAllowed[dt] {
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
		seen[v.Path] = true
		c.Variables = append(c.Variables, Variable{Path: v.Path, Value: t, Trainable: v.Trainable})
	}
	if p != len(body) {
		return fail("%d unexpected bytes after the variables", len(body)-p)
	}
	return c, nil
}

// parseHeader decodes a checkpoint's JSON header strictly: one JSON object
// of the header's form, no unknown field (at any depth, the state's
// included when state is not nil), no value of another type, nothing after
// it.
func parseHeader(b []byte, state any) (readHeader, error) {
	var h readHeader
	if err := decodeStrict(b, &h); err != nil {
		return h, err
	}
	if state != nil && h.State != nil {
		dec := json.NewDecoder(bytes.NewReader(h.State))
		dec.DisallowUnknownFields()
		if err := dec.Decode(state); err != nil {
			return h, err
		}
	}
	return h, nil
}

// decodeStrict decodes b, one JSON object, into v with unknown fields as
// errors and nothing allowed after it.
func decodeStrict(b []byte, v any) error {
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}
