package train

import (
	"fmt"
	"time"

	"github.com/fernb/fernb/fernb/progress"
)

// TargetReached is the error a StopAtVal hook ends training with: the run
// reached its target val accuracy. Fit returns it (test with errors.As);
// the run is then "stopped" and resumable with WithResume, or "done" when
// Epoch was its last.
type TargetReached struct {
	// Target is the val accuracy asked for, a fraction.
	Target float64
	// Epoch is the first epoch whose val accuracy reached Target.
	Epoch Epoch
	// Seconds sums this session's epoch times (training + validation) up
	// to and including Epoch.
	Seconds float64
	// Wall is the time since the hook was made (by StopAtVal), loading
	// and compiling included when it was made before Fit.
	Wall float64
}

// Error implements error.
func (r *TargetReached) Error() string {
	return fmt.Sprintf("val accuracy %s >= %s first at epoch %d: %.0f s of epochs (training + validation) in this session, %.0f s wall",
		progress.Percent(r.Epoch.ValAcc), progress.Percent(r.Target), r.Epoch.Epoch, r.Seconds, r.Wall)
}

// StopAtVal returns an epoch-end hook (for WithEpochEnd) that ends training
// with a *TargetReached after the first epoch whose val accuracy is at
// least target (a fraction in (0, 1]). It measures time-to-accuracy: make it
// just before Fit so that Wall counts loading and compiling. Epochs without
// validation never stop the run.
func StopAtVal(target float64) (EpochEnd, error) {
	if !(target > 0 && target <= 1) {
		return nil, fmt.Errorf("train: stop at val accuracy %g: want a fraction in (0, 1]", target)
	}
	start := time.Now()
	var seconds float64
	return func(ep Epoch) error {
		seconds += ep.Seconds
		if ep.HasVal && ep.ValAcc >= target {
			return &TargetReached{Target: target, Epoch: ep, Seconds: seconds, Wall: time.Since(start).Seconds()}
		}
		return nil
	}, nil
}

// EpochLimit is the error a StopAfter hook ends training with: the session
// trained up to its epoch limit. The run is "stopped" and resumable with
// WithResume (it continues the same schedule), or "done" when Epoch was its
// last.
type EpochLimit struct {
	// Epoch is the epoch after which training stopped.
	Epoch int
}

// Error implements error.
func (e *EpochLimit) Error() string {
	return fmt.Sprintf("stopped after epoch %d as asked", e.Epoch)
}

// StopAfter returns an epoch-end hook (for WithEpochEnd) that ends training
// with an *EpochLimit after epoch (1-based) of the run's schedule: the first
// epochs of a longer schedule, e.g. to compare them with a peer's, with the
// learning rate the full schedule gives them. A resumed run that is already
// past epoch stops after its next epoch.
func StopAfter(epoch int) (EpochEnd, error) {
	if epoch < 1 {
		return nil, fmt.Errorf("train: stop after epoch %d: want >= 1", epoch)
	}
	return func(ep Epoch) error {
		if ep.Epoch >= epoch {
			return &EpochLimit{Epoch: ep.Epoch}
		}
		return nil
	}, nil
}
