package train

import (
	"context"
	"errors"
	"testing"
)

// TestEpochEndHooks checks the loop's extension point: a WithEpochEnd hook
// sees every finished epoch after its files are written, and its error
// stops the run after that epoch (early stopping) as "stopped", resumable
// to the end.
func TestEpochEndHooks(t *testing.T) {
	backend := testBackend(t, "go")
	ds := tinyData(64, 16)
	cfg := tinyConfig()
	cfg.MaxStepsPerEpoch = 2
	dir := t.TempDir()
	enough := errors.New("val accuracy is enough")
	var seen []int
	hook := func(ep Epoch) error {
		seen = append(seen, ep.Epoch)
		if r, err := ReadResult(dir); err != nil || len(r.History) != ep.Epoch || r.Status.EpochsDone != ep.Epoch {
			t.Errorf("epoch %d: hook called before the files were written (%v)", ep.Epoch, err)
		}
		if ep.Epoch == 2 {
			return enough
		}
		return nil
	}
	_, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithEpochEnd(hook))
	if !errors.Is(err, enough) {
		t.Fatalf("Fit error %v, want the hook's", err)
	}
	r, err := ReadResult(dir)
	if err != nil || r.Status.State != StateStopped || len(r.History) != 2 {
		t.Fatalf("after the hook's stop: %v, state %q, %d epochs; want stopped after 2", err, r.Status.State, len(r.History))
	}
	seen = nil
	res, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend), WithResume(), WithEpochEnd(func(ep Epoch) error {
		seen = append(seen, ep.Epoch)
		return nil
	}))
	if err != nil || res.Status.State != StateDone || len(res.History) != cfg.Epochs || len(seen) != 1 || seen[0] != 3 {
		t.Errorf("resumed: %v, state %q, %d epochs, hook saw %v; want done, %d epochs, [3]", err, res.Status.State, len(res.History), seen, cfg.Epochs)
	}
}
