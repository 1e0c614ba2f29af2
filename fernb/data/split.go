package data

import (
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
	var byClass [256][]int
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed_fe2b_da7a_5117))
	for c := range byClass {
		idx := byClass[c]
		if len(idx) == 0 {
			continue
		}
		k := int(math.Round(fraction * float64(len(idx))))
		if k == 0 && len(idx) >= 2 && fraction > 0 {
			k = 1
		}
		if k >= len(idx) {
			k = len(idx) - 1
		}
		// Partial Fisher-Yates: the first k of a seeded shuffle.
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
