package train

import (
	"fmt"
	"io"
	"time"

	"github.com/fernb/fernb/fernb/progress"
)

// Progress is one report of a running training.
type Progress struct {
	// Phase is "compile" (first step, graph compilation), "train", "val"
	// or "epoch" (an epoch just ended; Done holds its history entry).
	Phase string
	// Run is the run folder.
	Run string
	// Epoch (1-based) of Epochs; Step (1-based) of Steps in this epoch.
	Epoch, Epochs int
	Step, Steps   int
	// Loss and Acc are the running means over the epoch's steps so far.
	Loss, Acc float64
	// LR is this epoch's learning rate.
	LR float64
	// ImagesPerSec is the training throughput of this epoch so far
	// (compilation excluded).
	ImagesPerSec float64
	// Elapsed is the time since this call started; ETA estimates the time
	// left for the whole run.
	Elapsed, ETA time.Duration
	// Done is set when Phase is "epoch".
	Done *Epoch
}

// ProgressFunc receives progress reports. It is called from the training
// goroutine: it must return quickly.
type ProgressFunc func(Progress)

// Parts is how far the whole run is, in steps: done of Epochs·Steps after
// Elapsed (an epoch counts as done once its training steps are), with
// p.ETA as the time left once the loop has estimated it. Without an ETA
// (p.ETA ≤ 0: while compiling, or validating the first epoch of a resumed
// run) the time left is unknown, not estimated from the steps done, which
// include the epochs of earlier sessions that Elapsed leaves out; only a
// run with every step done has 0 left.
func (p Progress) Parts() progress.Parts {
	steps := max(1, p.Steps)
	done := (p.Epoch - 1) * steps
	switch p.Phase {
	case "train":
		done += p.Step
	case "val", "epoch":
		done += steps
	}
	total := max(1, p.Epochs*steps)
	parts := progress.Of(float64(done), float64(total), p.Elapsed)
	switch {
	case p.ETA > 0:
		parts = parts.WithETA(p.ETA)
	case done >= total:
		parts = parts.WithETA(0)
	default:
		parts.ETA, parts.ETAKnown = 0, false
	}
	return parts
}

// String formats p on one line, e.g. "epoch 3/30 step 120/186 (8%) loss
// 1.2340 acc 45.1% 152 img/s, elapsed 1 min 02 s, ETA 14 min 12 s".
func (p Progress) String() string {
	switch p.Phase {
	case "compile":
		return fmt.Sprintf("epoch %d/%d compiling the training graph...", p.Epoch, p.Epochs)
	case "val":
		return fmt.Sprintf("epoch %d/%d validating...", p.Epoch, p.Epochs)
	}
	parts := p.Parts()
	when := fmt.Sprintf("elapsed %s, ETA %s", parts.ElapsedText(), parts.ETAText())
	if p.Phase == "epoch" {
		d := p.Done
		s := fmt.Sprintf("epoch %d/%d done: loss %.4f acc %.1f%%", d.Epoch, p.Epochs, d.TrainLoss, 100*d.TrainAcc)
		if d.HasVal {
			s += fmt.Sprintf(" | val loss %.4f acc %.1f%%", d.ValLoss, 100*d.ValAcc)
		}
		return s + fmt.Sprintf(" | lr %.3g | %.1fs, %.0f img/s, data wait %.1fs | %s", d.LR, d.Seconds, d.ImagesPerSec, d.DataWaitSeconds, when)
	}
	return fmt.Sprintf("epoch %d/%d step %d/%d (%s) loss %.4f acc %.1f%% %.0f img/s, %s",
		p.Epoch, p.Epochs, p.Step, p.Steps, parts.PercentText(), p.Loss, 100*p.Acc, p.ImagesPerSec, when)
}

// TextProgress returns a ProgressFunc writing one line per report to w;
// step reports are limited to one every `every` (0: only epochs).
func TextProgress(w io.Writer, every time.Duration) ProgressFunc {
	var last time.Time
	return func(p Progress) {
		if p.Phase == "train" {
			if every <= 0 || time.Since(last) < every {
				return
			}
		}
		last = time.Now()
		fmt.Fprintln(w, p.String())
	}
}
