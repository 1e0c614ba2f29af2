// Package run is the handle of one trained run, opened from its folder: its
// configuration, recorded data, history and checkpoints, and what can be
// made of them without training: metrics (cached in the folder), curves,
// confusion matrix, per-class scores, mistakes, Grad-CAM, PCA of features,
// and the export of all these figures. It holds no notebook state: the
// study (package fernb) composes runs, and `fer eval`, `fer plot` and
// `fer predict` use a Handle directly.
//
// A Handle scores the data the run recorded (train.DataFile) unless WithData
// gives other data, so nothing is evaluated or plotted on other data without
// saying so. Close releases the models it loaded and the backend it made.
package run

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
	"github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
)

// Handle is one trained run, opened from its folder. It is not safe for concurrent use.
type Handle struct {
	// Result is the run folder's content (Dir, Config, History, Status,
	// Data).
	*train.Result
	// Name names the run in figure titles ("step NAME"); FigID in figure
	// file names; Label is appended to figure titles. Open sets Name and
	// FigID to the folder's name, Label to "".
	Name, FigID, Label string
	// DataName names the data scored, in the evaluation cache's key.
	DataName string
	// Choice says which backend the run made and why (zero when it was
	// given one: WithBackend, WithBackendSource).
	Choice xla.Choice

	ds         *data.Dataset
	load       func() (*data.Dataset, error)
	backend    compute.Backend
	ownBackend bool
	request    string
	getBackend func() (compute.Backend, error)
	models     map[string]*train.Model
}

// Option configures Open.
type Option func(*Handle)

// WithData scores and plots ds (named name) instead of the data the run
// recorded.
func WithData(ds *data.Dataset, name string) Option {
	return func(r *Handle) { r.ds, r.DataName = ds, name }
}

// WithDataSource is WithData with the data made by load on first use (so
// a run that only loads its model never reads the data).
func WithDataSource(load func() (*data.Dataset, error), name string) Option {
	return func(r *Handle) { r.load, r.DataName = load, name }
}

// WithBackend runs the models on b, which the caller keeps (Close does not
// finalize it).
func WithBackend(b compute.Backend) Option { return func(r *Handle) { r.backend = b } }

// WithBackendSource runs the models on the backend get returns, asked on
// first use; the caller keeps it (Close does not finalize it).
func WithBackendSource(get func() (compute.Backend, error)) Option {
	return func(r *Handle) { r.getBackend = get }
}

// WithBackendRequest makes the backend to run the models on from a request
// ("auto", "go", "xla:cpu", ...: see xla.New) on first use; Close finalizes
// it. The default is "auto".
func WithBackendRequest(req string) Option { return func(r *Handle) { r.request = req } }

// WithNames sets the run's name in figure titles and file names and the
// label appended to titles (see Handle).
func WithNames(name, figID, label string) Option {
	return func(r *Handle) { r.Name, r.FigID, r.Label = name, figID, label }
}

// Open opens the run folder dir.
func Open(dir string, opts ...Option) (*Handle, error) {
	res, err := train.ReadResult(dir)
	if err != nil {
		return nil, err
	}
	return New(res, opts...), nil
}

// New makes the handle of a run folder already read (train.ReadResult).
func New(res *train.Result, opts ...Option) *Handle {
	base := filepath.Base(filepath.Clean(res.Dir))
	r := &Handle{Result: res, Name: base, FigID: base, request: "auto"}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Dataset returns the data the run scores: WithData's or WithDataSource's,
// else the data the run recorded, made again (and checked against the
// record).
func (r *Handle) Dataset() (*data.Dataset, error) {
	if r.ds != nil {
		return r.ds, nil
	}
	if r.load != nil {
		ds, err := r.load()
		if err != nil {
			return nil, err
		}
		r.ds = ds
		return ds, nil
	}
	if r.Data == nil {
		return nil, fmt.Errorf("%s has no data record (%s: made before fernb recorded it): give the data", r.Dir, train.DataFile)
	}
	ds, err := r.Data.Reload()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Dir, err)
	}
	r.ds = ds
	if r.DataName == "" {
		r.DataName = r.Data.String()
	}
	return ds, nil
}

// split returns the split named name of the data the run scores.
func (r *Handle) split(name string) (*data.Split, error) {
	ds, err := r.Dataset()
	if err != nil {
		return nil, err
	}
	return ds.Split(name)
}

// bestOn returns split name and the best checkpoint's model, what every
// per-image analysis of a split needs.
func (r *Handle) bestOn(name string) (*data.Split, *train.Model, error) {
	sp, err := r.split(name)
	if err != nil {
		return nil, nil, err
	}
	m, err := r.Model("best")
	if err != nil {
		return nil, nil, err
	}
	return sp, m, nil
}

// Backend returns the backend the run's models run on, made on first use.
func (r *Handle) Backend() (compute.Backend, error) {
	if r.backend == nil && r.getBackend != nil {
		b, err := r.getBackend()
		if err != nil {
			return nil, err
		}
		r.backend = b
	}
	if r.backend == nil {
		b, choice, err := xla.New(r.request)
		if err != nil {
			return nil, err
		}
		r.backend, r.ownBackend, r.Choice = b, true, choice
	}
	return r.backend, nil
}

// Model returns a checkpoint ("best" or "last") loaded on the run's
// backend, once per Handle. Close closes it; a caller may close it earlier (a
// closed model compiles again when used).
func (r *Handle) Model(which string) (*train.Model, error) {
	if m, ok := r.models[which]; ok {
		return m, nil
	}
	b, err := r.Backend()
	if err != nil {
		return nil, err
	}
	m, err := r.Load(b, which)
	if err != nil {
		return nil, err
	}
	if r.models == nil {
		r.models = map[string]*train.Model{}
	}
	r.models[which] = m
	return m, nil
}

// Close closes the models the run loaded and finalizes the backend it made.
func (r *Handle) Close() {
	for _, m := range r.models {
		m.Close()
	}
	r.models = nil
	if r.ownBackend && r.backend != nil {
		r.backend.Finalize()
		r.backend, r.ownBackend = nil, false
	}
}

// FigName makes a file-name-safe figure name of its parts joined by "-".
func FigName(parts ...string) string {
	n := strings.Join(parts, "-")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, n)
}

// named sets the figure's name when there is a figure.
func named(f *plots.Figure, err error, name string) (*plots.Figure, error) {
	if err == nil {
		f.Name = name
	}
	return f, err
}

// classNames returns the class names as a slice.
func classNames() []string { return data.Classes[:] }
