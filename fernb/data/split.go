package data

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SplitVal moves a stratified, seeded random fraction of Train into a new
// Val split (name "val"): each class gives round(fraction*count) of its
// images (at least one when it has two or more), so class proportions are
// kept. The same data, fraction and seed give the same split. Both splits
// keep the original image order. It is an error when the data set has no
// Train, already has a Val, or fraction is not in (0, 1).
func (d *Dataset) SplitVal(fraction float64, seed uint64) error {
	if d.Train == nil || d.Train.Len() == 0 {
		return errors.New("data: SplitVal: no train split")
	}
	if d.Val != nil {
		return fmt.Errorf("data: SplitVal: the data set already has a val split (%d images)", d.Val.Len())
	}
	if !(fraction > 0 && fraction < 1) {
		return fmt.Errorf("data: SplitVal: fraction %v, want 0 < fraction < 1", fraction)
	}
	trainIdx, valIdx := StratifiedSplit(d.Train.Labels, fraction, seed)
	if len(valIdx) == 0 {
		return fmt.Errorf("data: SplitVal: fraction %v of %d train images is no image", fraction, d.Train.Len())
	}
	val, err := d.Train.Subset("val", valIdx)
	if err != nil {
		return err
	}
	train, err := d.Train.Subset(d.Train.Name, trainIdx)
	if err != nil {
		return err
	}
	d.Train, d.Val = train, val
	d.ValFraction, d.ValSeed = fraction, seed
	return nil
}

// StratifiedSplit splits the indices 0..len(labels)-1 into two sorted sets:
// rest and picked, where picked holds round(fraction*count) indices of each
// label (at least one for a label with two or more images, never all of a
// label's images), chosen with a PCG generator seeded by seed.
func StratifiedSplit(labels []uint8, fraction float64, seed uint64) (rest, picked []int) {
	byClass := indicesByClass(labels)
	var quota [256]int
	for c, idx := range byClass {
		if len(idx) == 0 {
			continue
		}
		k := int(math.Round(fraction * float64(len(idx))))
		if k == 0 && len(idx) >= 2 && fraction > 0 {
			k = 1
		}
		quota[c] = min(k, len(idx)-1)
	}
	return stratifiedPick(byClass, quota, seed)
}

// StratifiedSample returns limit of the indices 0..len(labels)-1, sorted,
// keeping each label's share: label c gets limit·count(c)/n rounded by
// largest remainder, and at least one index for every label present (so
// rare classes such as "disgust" stay in a subset). The indices are drawn
// as StratifiedSplit draws them, from seed: the same labels, limit and seed
// give the same sample. A limit of len(labels) or more returns every
// index; a limit below 1 or below the number of labels present is an
// error.
func StratifiedSample(labels []uint8, limit int, seed uint64) ([]int, error) {
	n := len(labels)
	if limit < 1 {
		return nil, fmt.Errorf("data: StratifiedSample limit=%d, must be >= 1", limit)
	}
	if limit >= n {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	byClass := indicesByClass(labels)
	quota, err := sampleQuotas(byClass, n, limit)
	if err != nil {
		return nil, err
	}
	_, picked := stratifiedPick(byClass, quota, seed)
	return picked, nil
}

// sampleQuotas shares limit of the n indices among the classes by largest
// remainder, with a floor of one per class present (floors that overshoot
// are taken back from the largest quotas, the lowest label first among
// equal ones).
func sampleQuotas(byClass [256][]int, n, limit int) ([256]int, error) {
	var quota [256]int
	var present []int
	rem := map[int]float64{}
	used := 0
	for c, idx := range byClass {
		if len(idx) == 0 {
			continue
		}
		present = append(present, c)
		exact := float64(limit) * float64(len(idx)) / float64(n)
		quota[c] = min(max(int(exact), 1), len(idx))
		rem[c] = exact - math.Floor(exact)
		used += quota[c]
	}
	if len(present) > limit {
		return quota, fmt.Errorf("data: StratifiedSample limit=%d is smaller than the %d labels present", limit, len(present))
	}
	// Largest remainders first; ties go to the smaller label.
	slices.SortStableFunc(present, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for used < limit {
		grew := false
		for _, c := range present {
			if used < limit && quota[c] < len(byClass[c]) {
				quota[c]++
				used++
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	slices.Sort(present) // overshoot: ties for the largest go to the lowest label (as pca.Subsample did)
	for used > limit {
		big := present[0]
		for _, c := range present {
			if quota[c] > quota[big] {
				big = c
			}
		}
		quota[big]--
		used--
	}
	return quota, nil
}

// indicesByClass lists the indices of each label, in increasing order.
func indicesByClass(labels []uint8) [256][]int {
	var byClass [256][]int
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	return byClass
}

// stratifiedPick picks quota[c] indices of each class c (the first quota[c]
// of a partial Fisher-Yates shuffle, classes in label order, one PCG
// generator seeded by seed) and returns the rest and the picked, sorted.
// byClass's lists are shuffled in place.
func stratifiedPick(byClass [256][]int, quota [256]int, seed uint64) (rest, picked []int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed_fe2b_da7a_5117))
	for c, idx := range byClass {
		k := quota[c]
		for i := range k {
			j := i + rng.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		picked = append(picked, idx[:k]...)
		rest = append(rest, idx[k:]...)
	}
	slices.Sort(picked)
	slices.Sort(rest)
	return rest, picked
}
