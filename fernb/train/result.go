package train

import "math"

// BestVal returns the best validation accuracy of the history and its
// epoch (1-based); NaN and 0 when no epoch measured one.
func (r *Result) BestVal() (acc float64, epoch int) {
	acc = math.NaN()
	for _, e := range r.History {
		if e.HasVal && (math.IsNaN(acc) || e.ValAcc > acc) {
			acc, epoch = e.ValAcc, e.Epoch
		}
	}
	return acc, epoch
}

// TrainSeconds is the run's training time: the seconds of its recorded
// epochs plus the compile time of its last session's first step (which no
// epoch counts). Every accuracy table reports this number.
func (r *Result) TrainSeconds() float64 {
	secs := r.Status.CompileSeconds
	for _, e := range r.History {
		secs += e.Seconds
	}
	return secs
}

// SameSplitData reports whether r and o could have been trained and scored
// on the same images of split: false only when both recorded their data
// (data.json) and the split's content fingerprints differ or one lacks the
// split. Without a record there is nothing to check, and it is true.
func (r *Result) SameSplitData(o *Result, split string) bool {
	if r.Data == nil || o.Data == nil {
		return true
	}
	a, b := r.Data.Split(split), o.Data.Split(split)
	return a != nil && b != nil && a.Fingerprint == b.Fingerprint
}
