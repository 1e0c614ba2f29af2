package train

import (
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// Loss is the training criterion: softmax cross-entropy of logits [B, K]
// against soft targets [B, K] (one-hot, or mixed by mixup/cutmix), smoothed
// as (1-ε)·t + ε/K, weighted per class by classWeights [K]:
//
//	loss = Σ_i Σ_c w_c t_ic (−log p_ic) / Σ_i Σ_c w_c t_ic
//
// Without class weights this is the batch mean of the cross-entropy, as
// torch.nn.CrossEntropyLoss(label_smoothing=ε); with one-hot targets and
// weights it is torch's weighted mean Σ w_{y_i} l_i / Σ w_{y_i}.
func Loss(logits, targets, classWeights *graph.Node, smoothing float64) *graph.Node {
	k := logits.Shape().Dimensions[1]
	t := targets
	if smoothing > 0 {
		t = graph.AddScalar(graph.MulScalar(t, 1-smoothing), smoothing/float64(k))
	}
	w := graph.Mul(t, graph.Reshape(classWeights, 1, k))
	nll := graph.Neg(graph.LogSoftmax(logits, 1))
	return graph.Div(graph.ReduceAllSum(graph.Mul(w, nll)), graph.ReduceAllSum(w))
}

// hostLoss computes Loss for one-hot targets on the host, returning the
// numerator and denominator sums so batches can be accumulated.
func hostLoss(logits []float32, labels []int32, classWeights []float32, smoothing float64) (num, den float64) {
	k := len(classWeights)
	for i, y := range labels {
		row := logits[i*k : (i+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var se float64
		for _, v := range row {
			se += math.Exp(float64(v) - mx)
		}
		lse := mx + math.Log(se)
		for c := 0; c < k; c++ {
			t := smoothing / float64(k)
			if int32(c) == y {
				t += 1 - smoothing
			}
			w := float64(classWeights[c]) * t
			num += w * (lse - float64(row[c]))
			den += w
		}
	}
	return num, den
}
