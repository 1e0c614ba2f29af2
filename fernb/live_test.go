package fernb

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/xla/xlatest"
)

// TestLiveViewConcurrent drives a notebook's live view as a real training
// does, but with more going on at once: the training goroutine reports
// every step and epoch (each epoch end redraws the curves from the run
// folder that training is writing), a second goroutine reports steps too,
// and the cell's goroutine closes the view once the first curves are
// drawn, while training goes on. The update callback (gonbui.UpdateHTML in
// a notebook) writes an unguarded map, so under the race detector
// (./fernb.sh test runs this test with -race) any update outside the
// view's lock is reported. It also checks what the view promises: after
// close returns nothing is updated, and both blocks end erased.
func TestLiveViewConcurrent(t *testing.T) {
	backend := xlatest.Backend(t, "xla:cpu")
	ds := data.Synthetic(64, 16, 1)
	ds.Val, ds.Test = ds.Test, nil
	cfg := train.DefaultConfig()
	cfg.Model, cfg.Epochs, cfg.BatchSize, cfg.Backend = "baseline", 4, 16, "xla:cpu"

	v := newLiveView("00-baseline", " (synthetic)")
	v.every = 0 // no throttling: every report updates the bar
	blocks := map[string]string{}
	var updates, afterClose int
	var closed atomic.Bool
	firstCurves := make(chan struct{})
	var once sync.Once
	v.update = func(id, h string) {
		blocks[id] = h
		updates++
		if closed.Load() {
			afterClose++
		}
		if id == v.figID && h != "" {
			once.Do(func() { close(firstCurves) })
		}
	}

	dir := filepath.Join(t.TempDir(), "run")
	trained := make(chan error, 1)
	go func() {
		_, err := train.Fit(context.Background(), cfg, ds, dir, train.WithBackend(backend), train.WithProgress(v.progress))
		trained <- err
	}()
	stopOther := make(chan struct{})
	var other sync.WaitGroup
	other.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stopOther:
				return
			default:
			}
			v.progress(train.Progress{Phase: "train", Run: dir, Epoch: 1, Epochs: cfg.Epochs, Step: i%4 + 1, Steps: 4})
		}
	})

	select {
	case <-firstCurves:
	case err := <-trained:
		t.Fatalf("training ended (%v) before the view drew any curves", err)
	}
	v.close()
	closed.Store(true)
	if err := <-trained; err != nil {
		t.Fatal(err)
	}
	close(stopOther)
	other.Wait()
	v.close() // a second close does nothing

	// Every reporter has returned (trained, other.Wait): the counts are final.
	if afterClose > 0 {
		t.Errorf("%d updates after close returned", afterClose)
	}
	if blocks[v.barID] != "" || blocks[v.figID] != "" {
		t.Errorf("blocks not erased by close: bar %.60q, curves %.60q", blocks[v.barID], blocks[v.figID])
	}
	if updates < 4 || !strings.HasPrefix(v.figID, "fernb-curves-") {
		t.Errorf("%d updates: the view hardly ran", updates)
	}
}
