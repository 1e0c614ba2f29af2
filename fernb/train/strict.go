package train

import (
	"fmt"

	"github.com/fernb/fernb/fernb/checkpoint"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/models"
	fxla "github.com/fernb/fernb/xla"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// checkVariables compares a checkpoint's variables (values) with those the
// graph creates (want: path -> shape): checkpoint.Check, a
// *checkpoint.VariablesError naming every difference, or nil.
func checkVariables(file string, values map[string]*tensors.Tensor, want map[string]shapes.Shape) error {
	return checkpoint.Check(file, checkpoint.Shapes(values), want)
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
	if cfg.Conv == models.ConvNative {
		// The native max-pool's gradient needs SelectAndScatterMax, which
		// the pure-Go backend lacks. The convolution implementation changes
		// only the ops, not the variables (same paths and shapes), so the
		// im2col graph lists exactly the native one's variables.
		cfg.Conv = models.ConvIm2col
	}
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
