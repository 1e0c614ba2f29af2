package eval

import (
	"fmt"
	"math"

	"github.com/fernb/fernb/fernb/progress"
)

// Z95 is the standard normal quantile of 0.975, the z of two-sided 95 %
// intervals.
const Z95 = 1.959964

// Wilson returns the 95 % Wilson score interval [lo, hi] of a binomial
// proportion with k successes in n trials (0 <= k <= n). With p̂ = k/n and
// z = Z95 = 1.959964:
//
//	centre     = (p̂ + z²/2n) / (1 + z²/n)
//	half-width = z/(1 + z²/n) · sqrt(p̂(1-p̂)/n + z²/4n²)
//	[lo, hi]   = centre ∓ half-width, clamped to [0, 1]
//
// Unlike the normal (Wald) interval it stays inside [0, 1] and is not
// empty at k = 0 or k = n. n = 0 gives [0, 1].
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	p, nf, z2 := float64(k)/float64(n), float64(n), Z95*Z95
	d := 1 + z2/nf
	centre := (p + z2/(2*nf)) / d
	half := Z95 / d * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// SetInterval fills AccuracyLow and AccuracyHigh from N and Accuracy (the
// number correct is round(Accuracy·N)); metrics cached before the intervals
// existed get theirs this way.
func (m *Metrics) SetInterval() {
	k := int(math.Round(m.Accuracy * float64(m.N)))
	m.AccuracyLow, m.AccuracyHigh = Wilson(k, m.N)
}

// AccuracyText is the accuracy with its 95 % interval, as
// "62.91% (95 % CI 61.32-64.47)".
func (m Metrics) AccuracyText() string {
	lo, hi := m.AccuracyLow, m.AccuracyHigh
	if lo == 0 && hi == 0 && m.N > 0 {
		c := m
		c.SetInterval()
		lo, hi = c.AccuracyLow, c.AccuracyHigh
	}
	return fmt.Sprintf("%s (95 %% CI %.2f-%.2f)", progress.Percent(m.Accuracy), 100*lo, 100*hi)
}

// Paired is the comparison of two classifiers A and B on the same images.
type Paired struct {
	// N is the number of images.
	N int `json:"n"`
	// Both, OnlyA, OnlyB and Neither count the images both got right,
	// only A got right (b in McNemar's notation), only B got right (c) and
	// neither got right.
	Both    int `json:"both_right"`
	OnlyA   int `json:"only_a_right"`
	OnlyB   int `json:"only_b_right"`
	Neither int `json:"both_wrong"`
	// P is the two-sided exact McNemar p-value (see McNemar).
	P float64 `json:"p"`
}

// AccuracyA and AccuracyB are the two accuracies.
func (p Paired) AccuracyA() float64 { return float64(p.Both+p.OnlyA) / float64(max(p.N, 1)) }

// AccuracyB is B's accuracy.
func (p Paired) AccuracyB() float64 { return float64(p.Both+p.OnlyB) / float64(max(p.N, 1)) }

// Compare pairs the per-image correctness of A and B (same images, same
// order) into the 2x2 table and the exact McNemar p-value.
func Compare(rightA, rightB []bool) (Paired, error) {
	if len(rightA) != len(rightB) {
		return Paired{}, fmt.Errorf("eval: compare: %d images for A but %d for B", len(rightA), len(rightB))
	}
	p := Paired{N: len(rightA)}
	for i, a := range rightA {
		switch b := rightB[i]; {
		case a && b:
			p.Both++
		case a:
			p.OnlyA++
		case b:
			p.OnlyB++
		default:
			p.Neither++
		}
	}
	p.P = McNemar(p.OnlyA, p.OnlyB)
	return p, nil
}

// Correct is the per-image correctness of a report's predictions.
func (r *Report) Correct() []bool {
	right := make([]bool, len(r.Labels))
	for i := range right {
		right[i] = r.Preds[i] == r.Labels[i]
	}
	return right
}

// CompareReports pairs two reports of the same images (same split, same
// order), as Compare does for their per-image correctness.
func CompareReports(a, b *Report) (Paired, error) { return Compare(a.Correct(), b.Correct()) }

// McNemar returns the two-sided exact McNemar p-value of b and c discordant
// pairs (images only A, resp. only B, classified right): the two-sided
// binomial test p = min(1, 2·P(X <= min(b, c))) with X ~ Binomial(b+c, 1/2),
// summed in log space (exact for any b+c). b = c, and b+c = 0, give 1.
func McNemar(b, c int) float64 {
	n, m := b+c, min(b, c)
	if b == c {
		return 1
	}
	lgN, _ := math.Lgamma(float64(n) + 1)
	logHalfN := float64(n) * math.Log(0.5)
	// log-sum-exp of log C(n, i) + n·log(1/2), i = 0..m.
	terms := make([]float64, m+1)
	top := math.Inf(-1)
	for i := 0; i <= m; i++ {
		li, _ := math.Lgamma(float64(i) + 1)
		lr, _ := math.Lgamma(float64(n-i) + 1)
		terms[i] = lgN - li - lr + logHalfN
		top = math.Max(top, terms[i])
	}
	sum := 0.0
	for _, t := range terms {
		sum += math.Exp(t - top)
	}
	return math.Min(1, 2*math.Exp(top)*sum)
}

// Verdict is the one-line reading of the comparison, as "B − A = +1.20
// points, p = 0.030: different at the 5 % level".
func (p Paired) Verdict() string {
	diff := 100 * (p.AccuracyB() - p.AccuracyA())
	s := fmt.Sprintf("B − A = %+.2f points, p = %.3g: ", diff, p.P)
	if p.P < 0.05 {
		return s + "different at the 5 % level"
	}
	return s + "not distinguishable at the 5 % level"
}
