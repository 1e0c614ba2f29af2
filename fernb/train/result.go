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
