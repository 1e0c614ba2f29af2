package pca

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
)

// Subsample returns up to limit row indices out of n, in increasing order,
// chosen deterministically from seed. When labels is non-nil (len(labels) must
// be n) the sample is stratified: each label keeps its share of the rows
// (largest-remainder rounding, at least one row for every label present), so
// rare classes such as FER2013's "disgust" stay visible in scatter plots.
// When limit >= n all indices are returned.
func Subsample(n int, labels []int, limit int, seed uint64) ([]int, error) {
	if n < 0 {
		return nil, fmt.Errorf("pca: Subsample of n=%d rows", n)
	}
	if limit < 1 {
		return nil, fmt.Errorf("pca: Subsample limit=%d, must be >= 1", limit)
	}
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("pca: Subsample got %d labels for n=%d rows", len(labels), n)
	}
	if limit >= n {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	if labels == nil {
		perm := rng.Perm(n)[:limit]
		slices.Sort(perm)
		return perm, nil
	}
	byLabel := map[int][]int{}
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	keys := make([]int, 0, len(byLabel))
	for l := range byLabel {
		keys = append(keys, l)
	}
	slices.Sort(keys)
	if len(keys) > limit {
		return nil, fmt.Errorf("pca: Subsample limit=%d is smaller than the %d labels present", limit, len(keys))
	}
	// Largest-remainder allocation with a floor of one per label.
	quota := make([]int, len(keys))
	type rem struct {
		i    int
		frac float64
	}
	rems := make([]rem, len(keys))
	used := 0
	for i, l := range keys {
		exact := float64(limit) * float64(len(byLabel[l])) / float64(n)
		q := max(int(exact), 1)
		q = min(q, len(byLabel[l]))
		quota[i] = q
		used += q
		rems[i] = rem{i, exact - float64(int(exact))}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].frac > rems[b].frac })
	for used < limit {
		progressed := false
		for _, r := range rems {
			if used == limit {
				break
			}
			if quota[r.i] < len(byLabel[keys[r.i]]) {
				quota[r.i]++
				used++
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	for used > limit { // floors of one can overshoot: trim the largest groups
		bi := 0
		for i := range quota {
			if quota[i] > quota[bi] {
				bi = i
			}
		}
		quota[bi]--
		used--
	}
	out := make([]int, 0, limit)
	for i, l := range keys {
		idx := byLabel[l]
		perm := rng.Perm(len(idx))[:quota[i]]
		for _, p := range perm {
			out = append(out, idx[p])
		}
	}
	slices.Sort(out)
	return out, nil
}
