package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fernb/fernb/fernb/data"
	fxla "github.com/fernb/fernb/xla"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// VariablesError reports a checkpoint whose variables are not those the
// run's network (and, for checkpoint-last, its optimizer) creates: loading it
// would leave some layers freshly initialised or ignore stored weights, so
// it is refused, as PyTorch's load_state_dict(strict=True) does.
type VariablesError struct {
	// File is the checkpoint file.
	File string
	// Missing are variables the graph creates that the file lacks;
	// Unexpected are variables of the file the graph does not create;
	// Mismatched describe variables whose shape differs ("path: file
	// shape, graph shape").
	Missing, Unexpected, Mismatched []string
}

func (e *VariablesError) Error() string {
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"missing", e.Missing}, {"unexpected", e.Unexpected}, {"shape mismatch", e.Mismatched}} {
		if len(p.names) == 0 {
			continue
		}
		names := p.names
		more := ""
		if len(names) > 8 {
			names, more = names[:8], fmt.Sprintf(" and %d more", len(p.names)-8)
		}
		parts = append(parts, fmt.Sprintf("%s %d (%s%s)", p.what, len(p.names), strings.Join(names, ", "), more))
	}
	return fmt.Sprintf("%s does not hold the variables of this run's model: %s", e.File, strings.Join(parts, "; "))
}

// checkVariables compares a checkpoint's variables (values) with those the
// graph creates (want: path -> shape) and returns a *VariablesError naming
// every difference, or nil.
func checkVariables(file string, values map[string]*tensors.Tensor, want map[string]shapes.Shape) error {
	e := &VariablesError{File: file}
	for p, sh := range want {
		t, ok := values[p]
		switch {
		case !ok:
			e.Missing = append(e.Missing, p)
		case !t.Shape().Equal(sh):
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: %s in the file, %s in the graph", p, t.Shape(), sh))
		}
	}
	for p := range values {
		if _, ok := want[p]; !ok {
			e.Unexpected = append(e.Unexpected, p)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) == 0 {
		return nil
	}
	slices.Sort(e.Missing)
	slices.Sort(e.Unexpected)
	slices.Sort(e.Mismatched)
	return e
}

// graphVariables returns the variables (path -> shape) that the graph of
// cfg creates: the inference network (scope ModelScope) or, with training,
// the training step (network, optimizer state and the random-number state).
// The graph is only built, on GoMLX's pure-Go backend, never run: variable
// paths and shapes do not depend on the backend.
func graphVariables(cfg Config, training bool) (vars map[string]shapes.Shape, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("building the %s graph: %v", cfg.Model, r)
		}
	}()
	backend, _, err := fxla.New("go")
	if err != nil {
		return nil, err
	}
	defer backend.Finalize()
	store := model.NewStore()
	const b = 2
	img := shapes.Make(dtypes.Float32, b, data.Size, data.Size, 1)
	var e *model.Exec
	if training {
		if err := store.SetRNGStateFromSeed(int64(cfg.Seed)); err != nil {
			return nil, err
		}
		var st *Step
		if st, err = NewStep(backend, store, cfg); err != nil {
			return nil, err
		}
		e = st.exec
		_, err = e.Compile(img, shapes.Make(dtypes.Float32, b, data.NumClasses), shapes.Make(dtypes.Int32, b),
			shapes.Make(dtypes.Float32), shapes.Make(dtypes.Float32, data.NumClasses))
	} else {
		mcfg := cfg.ModelConfig()
		if e, err = model.NewExec(backend, store, func(s *model.Scope, x *graph.Node) *graph.Node {
			return mcfg.Logits(s.At(ModelScope), x, false)
		}); err != nil {
			return nil, err
		}
		_, err = e.Compile(img)
	}
	if err != nil {
		return nil, err
	}
	e.Finalize()
	vars = make(map[string]shapes.Shape)
	for v := range store.IterVariables() {
		vars[v.Path()] = v.Shape()
	}
	return vars, nil
}
