package train

import (
	"errors"
	"testing"
)

func TestStopAtVal(t *testing.T) {
	for _, bad := range []float64{0, -0.1, 1.01} {
		if _, err := StopAtVal(bad); err == nil {
			t.Errorf("StopAtVal(%g): no error", bad)
		}
	}
	hook, err := StopAtVal(0.5)
	if err != nil {
		t.Fatal(err)
	}
	epochs := []struct {
		ep   Epoch
		stop bool
	}{
		{Epoch{Epoch: 1, Seconds: 10, HasVal: true, ValAcc: 0.3}, false},
		{Epoch{Epoch: 2, Seconds: 11, HasVal: false, ValAcc: 0.9}, false}, // no val: never stops
		{Epoch{Epoch: 3, Seconds: 12, HasVal: true, ValAcc: 0.5}, true},
	}
	for _, e := range epochs {
		err := hook(e.ep)
		var r *TargetReached
		if got := errors.As(err, &r); got != e.stop {
			t.Fatalf("epoch %d: stop %v (err %v), want %v", e.ep.Epoch, got, err, e.stop)
		}
		if r != nil && (r.Epoch.Epoch != 3 || r.Seconds != 33 || r.Target != 0.5 || r.Wall < 0) {
			t.Errorf("reached %+v, want epoch 3 after 33 s", r)
		}
	}
}

func TestStopAfter(t *testing.T) {
	if _, err := StopAfter(0); err == nil {
		t.Error("StopAfter(0): no error")
	}
	hook, err := StopAfter(2)
	if err != nil {
		t.Fatal(err)
	}
	for e, stop := range map[int]bool{1: false, 2: true, 3: true} {
		var lim *EpochLimit
		if got := errors.As(hook(Epoch{Epoch: e}), &lim); got != stop || (got && lim.Epoch != e) {
			t.Errorf("epoch %d: stopped %v (%v), want %v", e, got, lim, stop)
		}
	}
}
