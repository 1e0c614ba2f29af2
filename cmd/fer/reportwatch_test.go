package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
)

func writeStatus(t *testing.T, dir, id string, st train.Status) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, id, train.StatusFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportPlan: the short scale's plan covers every study step with its
// epochs; the baseline is cheap and train+val costs more than train alone.
func TestReportPlan(t *testing.T) {
	sc, err := recipe.FindScale("short")
	if err != nil {
		t.Fatal(err)
	}
	plan := reportPlan(sc)
	if len(plan) != len(recipe.StudySteps()) {
		t.Fatalf("%d planned steps, want %d", len(plan), len(recipe.StudySteps()))
	}
	cost := map[string]planStep{}
	for _, p := range plan {
		if p.epochs <= 0 {
			t.Errorf("%s: %d epochs", p.id, p.epochs)
		}
		cost[p.id] = p
	}
	if b, r := cost["00-baseline"], cost["01-resnet18"]; !(b.cost < r.cost) || b.epochs != 4 || r.epochs != 2 {
		t.Errorf("baseline %+v, resnet18 %+v", b, r)
	}
	if tv, r := cost["08-trainval"], cost["07-longer"]; !(tv.cost > r.cost) {
		t.Errorf("trainval %+v vs longer %+v", tv, r)
	}
}

// TestProgressLine: lines name the latest run, count epochs (a done run
// counts whole), estimate the time left from the work done since the watch
// began, and say when training is over; missing or damaged status files
// count as not started.
func TestProgressLine(t *testing.T) {
	plan := []planStep{{"a", 2, 1}, {"b", 2, 1}, {"c", 4, 0.5}}
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		status map[string]train.Status
		units0 float64
		want   []string
		not    []string
	}{
		{"nothing yet", nil, 0, []string{"training epochs done 0 of 8"}, []string{"ETA", "best val"}},
		{"one epoch", map[string]train.Status{"a": {State: "running", EpochsDone: 1, Epochs: 2, BestEpoch: 1, BestValAcc: 0.4, Updated: t0}}, 0,
			// 1 unit in 10 min, 5 left: 50 min.
			[]string{"a running, epoch 1/2", "best val 40.0%", "done 1 of 8", "(17% of the work); training ETA about 50 min 00 s"}, nil},
		{"reused run", map[string]train.Status{
			"a": {State: "done", EpochsDone: 1, Epochs: 2, Updated: t0},
			"b": {State: "running", EpochsDone: 1, Epochs: 2, Updated: t0.Add(time.Minute)}}, 2,
			// a was done before the watch: 1 unit in 10 min, 3 left.
			[]string{"b running, epoch 1/2", "done 3 of 8", "(50% of the work); training ETA about 30 min 00 s"}, nil},
		{"all done", map[string]train.Status{
			"a": {State: "done", EpochsDone: 2, Epochs: 2, Updated: t0},
			"b": {State: "done", EpochsDone: 2, Epochs: 2, Updated: t0},
			"c": {State: "done", EpochsDone: 4, Epochs: 4, Updated: t0.Add(time.Minute)}}, 0,
			[]string{"c done", "done 8 of 8", "training done"}, []string{"ETA"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for id, st := range c.status {
				writeStatus(t, dir, id, st)
			}
			os.MkdirAll(filepath.Join(dir, "c"), 0o755)
			if _, ok := c.status["c"]; !ok {
				os.WriteFile(filepath.Join(dir, "c", train.StatusFile), []byte("{damaged"), 0o644)
			}
			line := progressLine(readReportState(dir, plan), c.units0, 10*time.Minute)
			for _, w := range c.want {
				if !strings.Contains(line, w) {
					t.Errorf("%q lacks %q", line, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(line, w) {
					t.Errorf("%q has %q", line, w)
				}
			}
		})
	}
}

// TestWatchReport: the watch prints a line when a run folder changes, and
// not again while nothing changes; it stops with its context.
func TestWatchReport(t *testing.T) {
	dir := t.TempDir()
	plan := []planStep{{"a", 2, 1}}
	var buf syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { watchReport(ctx, dir, plan, 5*time.Millisecond, &buf); close(done) }()
	writeStatus(t, dir, "a", train.Status{State: "running", EpochsDone: 1, Epochs: 2, Updated: time.Now()})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "epoch 1/2") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Errorf("%d lines, want 1:\n%s", n, buf.String())
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
