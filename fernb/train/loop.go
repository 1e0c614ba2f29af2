package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"
)

// The training loop of one session: run prepares the step and calls epoch
// for each epoch left, then the epoch-end hooks in order (as GoMLX's
// train.Loop calls its OnEnd hooks): recordEpoch, checkpoint, writeStatus,
// reportEpoch, then the caller's (WithEpochEnd). A stop or failure inside an
// epoch, or a failed write at its end, is recorded in status.json by stop,
// in one place.

// EpochEnd is called after every finished epoch, once its checkpoints,
// history and status are written. An error ends the training after that
// epoch (early stopping, for example): Fit returns it, and the run is
// "stopped" (resumable with WithResume) unless the epoch was its last.
type EpochEnd func(ep Epoch) error

// WithEpochEnd adds a hook called after every finished epoch (see EpochEnd).
func WithEpochEnd(fn EpochEnd) Option {
	return func(o *options) { o.epochEnd = append(o.epochEnd, fn) }
}

// sessionClock keeps the session's timing across epochs, for the progress
// reports' speed and ETA.
type sessionClock struct {
	start      time.Time // the session's start
	epochTimes []float64 // seconds of the session's finished epochs
	first      bool      // the next step is the session's first (it compiles)
}

// eta estimates the time left after step of epoch (both 0-based) of steps
// steps, each having taken stepAvg seconds so far in this epoch.
func (c *sessionClock) eta(cfg Config, epoch, step, steps int, stepAvg float64) time.Duration {
	epochEst := stepAvg * float64(steps)
	if len(c.epochTimes) > 0 {
		epochEst = mean(c.epochTimes)
	}
	return time.Duration((stepAvg*float64(steps-step-1) + epochEst*float64(cfg.Epochs-epoch-1)) * float64(time.Second))
}

// stop records the end of the session in status.json (state and message)
// and returns err: every stop or failure inside an epoch ends through it.
func (t *trainer) stop(state, msg string, err error) error {
	t.fail(state, msg)
	return err
}

func (t *trainer) run(ctx context.Context) (err error) {
	p, err := t.cfg.Augment.Pipeline()
	if err != nil {
		return fmt.Errorf("train: augment: %w", err)
	}
	t.pipeline = p
	t.weights = ClassWeightsFor(t.cfg.ClassWeights, t.ds.Train)
	if err := t.saveStatus(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("train: %v", r)
			t.fail(StateFailed, err.Error())
		}
	}()
	step, err := NewStep(t.backend, t.store, t.cfg)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer step.Finalize()
	infer := newModel(t.backend, t.store, t.cfg, p, 0)
	defer infer.Close()
	if _, steps := t.batchSize(); steps == 0 {
		return errors.New("train: no training steps per epoch")
	}
	t.saved = t.state
	clock := &sessionClock{start: time.Now(), first: true}
	hooks := []func(Epoch, *sessionClock) error{t.recordEpoch, t.checkpoint, t.writeStatus, t.reportEpoch}
	for epoch := t.state.EpochsDone; epoch < t.cfg.Epochs; epoch++ {
		ep, err := t.epoch(ctx, step, infer, epoch, clock)
		if err != nil {
			return err
		}
		for _, h := range hooks {
			if err := h(ep, clock); err != nil {
				// A checkpoint, history or status write failed (disk
				// full): status.json says so, with the epochs that
				// checkpoint-last (intact) holds, from which a resume starts.
				t.state = t.saved
				return t.stop(StateFailed, fmt.Sprintf("saving epoch %d: %v", ep.Epoch, err), err)
			}
		}
		for _, h := range t.opts.epochEnd {
			if err := h(ep); err != nil {
				if t.status.State == StateDone {
					return err
				}
				return t.stop(StateStopped, fmt.Sprintf("stopped after epoch %d: %v", ep.Epoch, err), err)
			}
		}
	}
	if t.status.State != StateDone {
		// All epochs were already done (resumed after the last checkpoint).
		t.status.State = StateDone
		if err := t.saveStatus(); err != nil {
			err = fmt.Errorf("train: %w", err)
			return t.stop(StateFailed, err.Error(), err)
		}
	}
	return nil
}

// prefetch makes the batches of an epoch on a goroutine, ahead of the
// steps (two at most); the returned function stops it early.
func (t *trainer) prefetch(epoch int) (<-chan hostBatch, func()) {
	bs, steps := t.batchSize()
	perm := permutation(t.cfg.Seed, epoch, t.ds.Train.Len())
	batches := make(chan hostBatch, 2)
	stop := make(chan struct{})
	go func() {
		defer close(batches)
		for step := 0; step < steps; step++ {
			b, err := t.makeBatch(perm[step*bs:(step+1)*bs], stepSeed(t.cfg.Seed, epoch, step))
			select {
			case batches <- hostBatch{b, err}:
			case <-stop:
				return
			}
		}
	}()
	return batches, func() { close(stop) }
}

// epoch trains epoch (0-based) step by step, reporting progress, then
// validates; it returns the finished epoch, its history entry.
func (t *trainer) epoch(ctx context.Context, trainStep *Step, infer *Model, epoch int, clock *sessionClock) (Epoch, error) {
	cfg := t.cfg
	bs, steps := t.batchSize()
	epochStart := time.Now()
	lr := cfg.LRAt(epoch)
	batches, stopPrefetch := t.prefetch(epoch)
	defer stopPrefetch()
	var lossSum, correctSum float64
	var trainTime, dataWait time.Duration
	trained := 0
	for step := 0; step < steps; step++ {
		if err := ctx.Err(); err != nil {
			return Epoch{}, t.stop(StateStopped, fmt.Sprintf("stopped by the caller during epoch %d", epoch+1),
				fmt.Errorf("train: stopped during epoch %d (resume from epoch %d): %w", epoch+1, t.state.EpochsDone, err))
		}
		waitStart := time.Now()
		hb := <-batches
		dataWait += time.Since(waitStart)
		if hb.err != nil {
			return Epoch{}, t.stop(StateFailed, hb.err.Error(), fmt.Errorf("train: epoch %d step %d: %w", epoch+1, step+1, hb.err))
		}
		if clock.first {
			t.report(Progress{Phase: "compile", Epoch: epoch + 1, Epochs: cfg.Epochs, Steps: steps, LR: lr})
		}
		stepLR := cfg.LRAtStep(epoch, step, steps)
		stepStart := time.Now()
		loss, correct, err := trainStep.Run(hb.b, stepLR, t.weights)
		if err != nil {
			return Epoch{}, t.stop(StateFailed, err.Error(), fmt.Errorf("train: epoch %d step %d: %w", epoch+1, step+1, err))
		}
		elapsed := time.Since(stepStart)
		if clock.first {
			t.status.CompileSeconds = elapsed.Seconds()
			clock.first = false
		} else {
			trainTime += elapsed
			trained += bs
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			e := &NonFiniteError{Epoch: epoch + 1, Step: step + 1, Loss: loss, KeptEpoch: t.state.EpochsDone, Dir: t.dir}
			return Epoch{}, t.stop(StateFailed, e.Error(), e)
		}
		lossSum += loss
		correctSum += correct
		if t.opts.stepHook != nil {
			t.opts.stepHook(epoch, step)
		}
		ips := 0.0
		if trainTime > 0 {
			ips = float64(trained) / trainTime.Seconds()
		}
		stepAvg := time.Since(epochStart).Seconds() / float64(step+1)
		t.report(Progress{Phase: "train", Epoch: epoch + 1, Epochs: cfg.Epochs, Step: step + 1, Steps: steps,
			Loss: lossSum / float64(step+1), Acc: correctSum / float64((step+1)*bs), LR: stepLR,
			ImagesPerSec: ips, Elapsed: time.Since(clock.start), ETA: clock.eta(cfg, epoch, step, steps, stepAvg)})
	}
	ep := Epoch{Epoch: epoch + 1, TrainLoss: lossSum / float64(steps), TrainAcc: correctSum / float64(steps*bs), LR: lr, Steps: steps,
		DataWaitSeconds: dataWait.Seconds()}
	if trainTime > 0 {
		ep.ImagesPerSec = float64(trained) / trainTime.Seconds()
	}
	if err := t.validate(infer, &ep, clock); err != nil {
		return Epoch{}, err
	}
	ep.Seconds = time.Since(epochStart).Seconds()
	return ep, nil
}

// validate scores epoch ep's model on the validation split, when there is
// one.
func (t *trainer) validate(infer *Model, ep *Epoch, clock *sessionClock) error {
	if t.ds.Val.Len() == 0 {
		return nil
	}
	t.report(Progress{Phase: "val", Epoch: ep.Epoch, Epochs: t.cfg.Epochs, LR: ep.LR, Elapsed: time.Since(clock.start)})
	vl, va, err := infer.lossAndAccuracy(t.ds.Val, t.weights)
	if err != nil {
		return t.stop(StateFailed, err.Error(), fmt.Errorf("train: validating epoch %d: %w", ep.Epoch, err))
	}
	ep.HasVal, ep.ValLoss, ep.ValAcc = true, vl, va
	return nil
}

// recordEpoch (epoch-end hook) adds the epoch to the history and the
// session's epoch times.
func (t *trainer) recordEpoch(ep Epoch, clock *sessionClock) error {
	clock.epochTimes = append(clock.epochTimes, ep.Seconds)
	t.state.History = append(t.state.History, ep)
	t.state.EpochsDone = ep.Epoch
	return nil
}

// checkpoint (epoch-end hook) writes checkpoint-best when the epoch is the
// best so far (or there is no validation), checkpoint-last, and the history.
func (t *trainer) checkpoint(ep Epoch, _ *sessionClock) error {
	if !ep.HasVal || ep.ValAcc > t.state.BestValAcc || t.state.BestEpoch == 0 {
		t.state.BestEpoch, t.state.BestValAcc = ep.Epoch, ep.ValAcc
		if err := saveCheckpoint(filepath.Join(t.dir, CheckpointBest), t.store, t.state, true); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	if err := saveCheckpoint(filepath.Join(t.dir, CheckpointLast), t.store, t.state, false); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	t.saved = t.state
	if err := writeJSON(filepath.Join(t.dir, HistoryFile), t.state.History); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// writeStatus (epoch-end hook) writes status.json, "done" after the last
// epoch.
func (t *trainer) writeStatus(ep Epoch, _ *sessionClock) error {
	if ep.Epoch == t.cfg.Epochs {
		t.status.State = StateDone
	}
	if err := t.saveStatus(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// reportEpoch (epoch-end hook) reports the finished epoch with the ETA of
// the epochs left.
func (t *trainer) reportEpoch(ep Epoch, clock *sessionClock) error {
	_, steps := t.batchSize()
	eta := time.Duration(mean(clock.epochTimes) * float64(t.cfg.Epochs-ep.Epoch) * float64(time.Second))
	t.report(Progress{Phase: "epoch", Epoch: ep.Epoch, Epochs: t.cfg.Epochs, Steps: steps, Step: steps,
		Loss: ep.TrainLoss, Acc: ep.TrainAcc, LR: ep.LR, ImagesPerSec: ep.ImagesPerSec, Elapsed: time.Since(clock.start), ETA: eta, Done: &ep})
	return nil
}
