package train

import (
	"fmt"
	"io"
	"time"
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

// String formats p on one line, e.g.
// "epoch 3/30 step 120/186 loss 1.234 acc 45.1% 152 img/s ETA 4m12s".
func (p Progress) String() string {
	switch p.Phase {
	case "compile":
		return fmt.Sprintf("epoch %d/%d compiling the training graph...", p.Epoch, p.Epochs)
	case "val":
		return fmt.Sprintf("epoch %d/%d validating...", p.Epoch, p.Epochs)
	case "epoch":
		d := p.Done
		s := fmt.Sprintf("epoch %d/%d done: loss %.4f acc %.1f%%", d.Epoch, p.Epochs, d.TrainLoss, 100*d.TrainAcc)
		if d.HasVal {
			s += fmt.Sprintf(" | val loss %.4f acc %.1f%%", d.ValLoss, 100*d.ValAcc)
		}
		return s + fmt.Sprintf(" | lr %.3g | %.1fs, %.0f img/s, data wait %.1fs | ETA %s", d.LR, d.Seconds, d.ImagesPerSec, d.DataWaitSeconds, roundETA(p.ETA))
	}
	return fmt.Sprintf("epoch %d/%d step %d/%d loss %.4f acc %.1f%% %.0f img/s ETA %s",
		p.Epoch, p.Epochs, p.Step, p.Steps, p.Loss, 100*p.Acc, p.ImagesPerSec, roundETA(p.ETA))
}

func roundETA(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
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
