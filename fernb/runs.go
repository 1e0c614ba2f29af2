// The study's runs: each step's run folder opened as a run.Handle on the
// study's data and backend.

package fernb

import (
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/run"
)

// openRun opens a step's run (see Result for id) on the study's data and
// backend, named for figures as the step; closing it is the caller's.
func (s *Study) openRun(id string) (*run.Handle, error) {
	res, err := s.Result(id)
	if err != nil {
		return nil, err
	}
	return run.New(res, run.WithDataSource(s.Dataset, s.DataName()), run.WithBackendSource(s.compute),
		run.WithNames(id, stepID(id), s.Label())), nil
}

// withRun calls fn with a step's run and closes the run.
func withRun[T any](s *Study, id string, fn func(r *run.Handle) (T, error)) (T, error) {
	r, err := s.openRun(id)
	if err != nil {
		var zero T
		return zero, err
	}
	defer r.Close()
	return fn(r)
}

// split returns the study's split named name ("train", "val" or "test").
func (s *Study) split(name string) (*data.Split, error) {
	ds, err := s.Dataset()
	if err != nil {
		return nil, err
	}
	return ds.Split(name)
}

// Evaluate measures a step's best checkpoint on a split with test-time
// augmentation tta ("none", "flip", "tencrop", "zoom" or "zoomflip"); see run.Handle.Evaluate for
// the metrics cached in the run folder.
func (s *Study) Evaluate(id, split, tta string) (eval.Metrics, error) {
	return withRun(s, id, func(r *run.Handle) (eval.Metrics, error) { return r.Evaluate(split, tta) })
}
