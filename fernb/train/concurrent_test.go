package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestModelConcurrent uses one Model (documented as safe for concurrent
// use) from several goroutines at once: Logits, Probabilities and Features
// of different image sets, on a freshly loaded model (so the lazy graph
// compilation races too), and checks every result equals the sequential
// one, bit for bit. Under the race detector (./fernb.sh test runs it with
// -race, on XLA CPU only: see raceDetector) it also proves the calls share
// no unguarded state.
func TestModelConcurrent(t *testing.T) {
	for _, bn := range concurrentBackends() {
		t.Run(bn, func(t *testing.T) {
			backend := testBackend(t, bn)
			ds := tinyData(16, 16)
			cfg := tinyConfig()
			cfg.Epochs = 1
			cfg.Backend = bn
			dir := filepath.Join(t.TempDir(), "run")
			if _, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend)); err != nil {
				t.Fatal(err)
			}
			r, err := ReadResult(dir)
			if err != nil {
				t.Fatal(err)
			}
			load := func() *Model {
				m, err := r.Load(backend, "best")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(m.Close)
				return m
			}
			// Image sets of different sizes (1 to 16 images), so batches are
			// padded differently.
			const sets = 6
			images := make([][]float32, sets)
			seq := load()
			type result struct{ logits, probs, features []float32 }
			want := make([]result, sets)
			for i := range sets {
				idx := make([]int, 1+i*3)
				for j := range idx {
					idx[j] = (i + j*5) % ds.Val.Len()
				}
				images[i] = seq.Images(ds.Val, idx)
				var w result
				if w.logits, err = seq.Logits(images[i]); err != nil {
					t.Fatal(err)
				}
				if w.probs, err = seq.Probabilities(images[i]); err != nil {
					t.Fatal(err)
				}
				if w.features, err = seq.Features(images[i]); err != nil {
					t.Fatal(err)
				}
				want[i] = w
			}

			m := load() // nothing compiled yet: the goroutines race to compile
			const goroutines, rounds = 8, 3
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*rounds*3)
			for g := range goroutines {
				wg.Go(func() {
					for k := range rounds {
						i := (g + k) % sets
						check := func(what string, got []float32, err error, want []float32) {
							if err == nil && !slices.Equal(got, want) {
								err = errors.New("differs from the sequential result")
							}
							if err != nil {
								errs <- fmt.Errorf("goroutine %d, %s of image set %d: %w", g, what, i, err)
							}
						}
						l, err := m.Logits(images[i])
						check("Logits", l, err, want[i].logits)
						p, err := m.Probabilities(images[i])
						check("Probabilities", p, err, want[i].probs)
						f, err := m.Features(images[i])
						check("Features", f, err, want[i].features)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// concurrentBackends are the backends the concurrency tests run on: the Go
// backend and XLA CPU, or XLA CPU alone under the race detector.
func concurrentBackends() []string {
	if raceDetector {
		return []string{"xla:cpu"}
	}
	return []string{"go", "xla:cpu"}
}

// TestTrainingLoopConcurrent runs the training loop, whose batches are made
// by a prefetch goroutine while the steps run, to the end and then stopped
// in the middle of an epoch (the caller cancels from the progress
// callback, as Ctrl-C does), when the prefetch goroutine may be blocked
// handing over a batch. Under the race detector this covers the hand-over
// and the stop; in any build it checks that a stopped run leaves no
// goroutine behind and records "stopped".
func TestTrainingLoopConcurrent(t *testing.T) {
	for _, bn := range concurrentBackends() {
		t.Run(bn, func(t *testing.T) {
			backend := testBackend(t, bn)
			ds := tinyData(96, 16)
			cfg := tinyConfig()
			cfg.Epochs, cfg.Backend = 3, bn
			res, err := Fit(context.Background(), cfg, ds, filepath.Join(t.TempDir(), "done"), WithBackend(backend))
			if err != nil || len(res.History) != cfg.Epochs {
				t.Fatalf("run to the end: %v", err)
			}
			// Counted after a first run, which starts whatever the backend
			// keeps running (worker pools).
			before := runtime.NumGoroutine()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			progress := func(p Progress) {
				if p.Phase == "train" && p.Epoch == 2 && p.Step == 2 {
					cancel()
				}
			}
			_, err = Fit(ctx, cfg, ds, filepath.Join(t.TempDir(), "stopped"), WithBackend(backend), WithProgress(progress))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled run: %v, want context.Canceled", err)
			}
			// The prefetch goroutine ends soon after the epoch stops.
			deadline := time.Now().Add(10 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines after the stopped run, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestRaceTestsListed: every test named in fernb.sh's RACE_XLA_TESTS (the
// race detector's run of the training code) exists in one of
// RACE_XLA_PACKAGES, so a renamed test cannot silently drop out of it (a
// -run pattern that matches nothing passes).
func TestRaceTestsListed(t *testing.T) {
	root := filepath.Join("..", "..")
	sh, err := os.ReadFile(filepath.Join(root, "fernb.sh"))
	if err != nil {
		t.Fatal(err)
	}
	tests := regexp.MustCompile(`(?m)^RACE_XLA_TESTS='\^\(([\w|]+)\)\$'`).FindSubmatch(sh)
	pkgs := regexp.MustCompile(`(?m)^RACE_XLA_PACKAGES="([^"]*)"`).FindSubmatch(sh)
	if tests == nil || pkgs == nil {
		t.Fatal("fernb.sh has no RACE_XLA_TESTS='^(A|B)$' or RACE_XLA_PACKAGES line")
	}
	defined := map[string]bool{}
	for _, pkg := range strings.Fields(string(pkgs[1])) {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*_test.go"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`).FindAllSubmatch(b, -1) {
				defined[string(m[1])] = true
			}
		}
	}
	names := strings.Split(string(tests[1]), "|")
	for _, n := range names {
		if !defined[n] {
			t.Errorf("fernb.sh RACE_XLA_TESTS names %s, which no test file of %s defines", n, pkgs[1])
		}
	}
	if len(names) < 4 {
		t.Errorf("RACE_XLA_TESTS lists %d tests, want the 4 concurrency tests", len(names))
	}
}
