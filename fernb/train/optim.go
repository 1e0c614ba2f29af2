package train

import (
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// OptimizerScope is the scope of the optimizer's state variables
// (momentum buffers, Adam moments and step count).
const OptimizerScope = "optimizer"

// stateName turns a variable path into a scope name for its optimizer state.
func stateName(path string) string {
	return strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "|")
}

// applyOptimizer builds the parameter updates of one step, exactly as
// torch.optim does, for the given parameters and gradients; lr is a scalar.
func applyOptimizer(s *model.Scope, cfg Config, vars []*model.Variable, grads []*graph.Node, lr *graph.Node) {
	g := lr.Graph()
	st := s.At(OptimizerScope)
	wd := cfg.WeightDecay
	var bc1, bc2 *graph.Node
	if cfg.Optimizer == OptAdam || cfg.Optimizer == OptAdamW {
		stepVar := st.VariableWithValue("step", float32(0))
		stepVar.Trainable = false
		step := graph.OnePlus(stepVar.NodeValue(g))
		stepVar.SetNodeValue(step)
		// Bias corrections 1-β^t.
		bc1 = graph.OneMinus(graph.Pow(graph.ConstAs(step, AdamBeta1), step))
		bc2 = graph.OneMinus(graph.Pow(graph.ConstAs(step, AdamBeta2), step))
	}
	for i, v := range vars {
		p := v.NodeValue(g)
		grad := grads[i]
		lrT := graph.ConvertDType(lr, p.DType())
		name := stateName(v.Path())
		switch cfg.Optimizer {
		case OptSGD, OptMomentum, OptNesterov:
			if wd != 0 {
				grad = graph.Add(grad, graph.MulScalar(p, wd))
			}
			d := grad
			if cfg.Optimizer != OptSGD {
				bufVar := zeroState(st.At("%s", name), "momentum_buffer", p)
				buf := graph.Add(graph.MulScalar(bufVar.NodeValue(g), cfg.Momentum), grad)
				bufVar.SetNodeValue(buf)
				if cfg.Optimizer == OptNesterov {
					d = graph.Add(grad, graph.MulScalar(buf, cfg.Momentum))
				} else {
					d = buf
				}
			}
			v.SetNodeValue(graph.Sub(p, graph.Mul(lrT, d)))
		case OptAdam, OptAdamW:
			if cfg.Optimizer == OptAdamW && wd != 0 {
				p = graph.Mul(p, graph.OneMinus(graph.MulScalar(lrT, wd)))
			} else if wd != 0 {
				grad = graph.Add(grad, graph.MulScalar(p, wd))
			}
			mVar := zeroState(st.At("%s", name), "exp_avg", p)
			vVar := zeroState(st.At("%s", name), "exp_avg_sq", p)
			m := graph.Add(graph.MulScalar(mVar.NodeValue(g), AdamBeta1), graph.MulScalar(grad, 1-AdamBeta1))
			vv := graph.Add(graph.MulScalar(vVar.NodeValue(g), AdamBeta2), graph.MulScalar(graph.Square(grad), 1-AdamBeta2))
			mVar.SetNodeValue(m)
			vVar.SetNodeValue(vv)
			// torch: denom = sqrt(v)/sqrt(bc2) + eps; p -= lr/bc1 * m/denom.
			denom := graph.AddScalar(graph.Div(graph.Sqrt(vv), graph.Sqrt(bc2)), AdamEps)
			v.SetNodeValue(graph.Sub(p, graph.Mul(graph.Div(lrT, bc1), graph.Div(m, denom))))
		}
	}
}

// zeroState returns a non-trainable state variable shaped like p, created
// with zeros.
func zeroState(s *model.Scope, name string, p *graph.Node) *model.Variable {
	v := s.GetVariable(name)
	if v == nil {
		v = s.VariableWithValue(name, zerosTensor(p.Shape()))
	}
	v.Trainable = false
	return v
}
