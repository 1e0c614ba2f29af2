package fernb

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
)

// Environment variables the study reads (fernb.sh and fer set them; see
// recipe.StudyPlace).
const (
	// ScaleEnv picks the scale: quick, short, cpu or full.
	ScaleEnv = recipe.ScaleEnv
	// RunsEnv overrides the folder holding the run folders.
	RunsEnv = recipe.RunsEnv
	// PlotsEnv overrides the folder figures are exported to.
	PlotsEnv = recipe.PlotsEnv
)

// Study is the report's state: where the data is, at which scale the steps
// run, and where runs and figures go. It is cheap to make: every notebook
// cell opens it again (through OpenNotebook), and runs persist in run
// folders, so a later cell reuses what an earlier one trained.
type Study struct {
	// Data says where the data comes from (Path "" for synthetic faces).
	Data data.Location
	// Scale is the scale of the runs.
	Scale recipe.Scale
	// RunsDir holds one run folder per step: <repo>/runs/<scale>-<data>
	// unless $FERNB_RUNS says otherwise.
	RunsDir string
	// PlotsDir receives exported figures: <repo>/plots/out unless $FERNB_PLOTS.
	PlotsDir string
	// Backend is the backend request ("auto" unless $GOMLX_BACKEND).
	Backend string
	// Log receives Train's progress as text lines (OpenStudy sets
	// os.Stderr; nil: none).
	Log io.Writer

	ds      *data.Dataset
	backend compute.Backend
}

// OpenStudy makes a Study from the environment: $FER_DATA (else synthetic
// faces), $FERNB_SCALE (else DefaultScale), $FERNB_RUNS, $FERNB_PLOTS and
// $GOMLX_BACKEND.
func OpenStudy() (*Study, error) {
	loc, err := data.Locate("")
	if err != nil {
		return nil, err
	}
	p, err := recipe.StudyPlace(loc.Name())
	if err != nil {
		return nil, err
	}
	return &Study{Data: loc, Scale: p.Scale, RunsDir: p.RunsDir, PlotsDir: p.PlotsDir, Backend: "auto", Log: os.Stderr}, nil
}

// DataName is a short name of the data: "synthetic", or the data folder's
// (or CSV file's) base name.
func (s *Study) DataName() string {
	return s.Data.Name()
}

// Synthetic reports whether the study runs on the built-in synthetic faces.
func (s *Study) Synthetic() bool { return s.Data.Path == "" }

// Label returns "" for real data and " (synthetic)" for synthetic faces: a
// suffix for every title shown from them.
func (s *Study) Label() string {
	if s.Synthetic() {
		return " (synthetic)"
	}
	return ""
}

// Describe returns a Markdown paragraph stating the data, scale, hardware and
// backend of the study: the report's header.
func (s *Study) Describe() string {
	var b strings.Builder
	if s.Synthetic() {
		b.WriteString("**Data: the built-in SYNTHETIC faces** (no FER2013 path given: set `FER_DATA`). ")
		b.WriteString("Numbers below say nothing about FER2013.\n\n")
	} else {
		fmt.Fprintf(&b, "**Data:** `%s`.\n\n", s.Data.Path)
	}
	fmt.Fprintf(&b, "**Scale:** `%s`: %s.\n\n", s.Scale.Name, s.Scale.About)
	c, err := xla.Choose(s.Backend)
	if err != nil {
		fmt.Fprintf(&b, "**Backend:** %v\n\n", err)
	} else {
		fmt.Fprintf(&b, "**Backend:** `%s`: %s.\n\n", c.Kind, c.Reason)
	}
	fmt.Fprintf(&b, "**Hardware:** %s.\n\n**Run folders:** `%s`.\n", hardware(), s.RunsDir)
	return b.String()
}

// Dataset loads the data once per process: FER2013 (through the disk cache)
// with a stratified validation split of ValFraction, or the synthetic faces;
// at the quick scale, a stratified subset.
func (s *Study) Dataset() (*data.Dataset, error) {
	if s.ds != nil {
		return s.ds, nil
	}
	var ds *data.Dataset
	if s.Synthetic() {
		nTrain, nTest := 3000, 600 // 2,400 train + 600 val: the report within 10 minutes (recipe.Scale.ForSynthetic)
		if s.Scale.TrainImages > 0 {
			nTrain = s.Scale.TrainImages + s.Scale.EvalImages
			nTest = s.Scale.EvalImages
		}
		ds = data.Synthetic(nTrain, nTest, 2026)
	} else {
		var err error
		if ds, err = data.Load(s.Data.Path); err != nil {
			return nil, err
		}
	}
	if ds.Val == nil {
		if err := ds.SplitVal(recipe.ValFraction, recipe.SplitSeed); err != nil {
			return nil, err
		}
	}
	if err := s.subset(ds); err != nil {
		return nil, err
	}
	s.ds = ds
	return ds, nil
}

// subset keeps stratified subsets of the splits at scales that ask for it.
func (s *Study) subset(ds *data.Dataset) error {
	pick := func(sp **data.Split, n int) error {
		if *sp == nil || n <= 0 || (*sp).Len() <= n {
			return nil
		}
		idx, err := data.StratifiedSample((*sp).Labels, n, recipe.SplitSeed)
		if err != nil {
			return err
		}
		sub, err := (*sp).Subset((*sp).Name, idx)
		if err != nil {
			return err
		}
		*sp = sub
		return nil
	}
	if err := pick(&ds.Train, s.Scale.TrainImages); err != nil {
		return err
	}
	if err := pick(&ds.Val, s.Scale.EvalImages); err != nil {
		return err
	}
	if err := pick(&ds.Test, s.Scale.EvalImages); err != nil {
		return err
	}
	if s.Scale.TrainImages > 0 || s.Scale.EvalImages > 0 {
		ds.Subset = fmt.Sprintf("scale %s: train %d, eval %d (seed %d)", s.Scale.Name, s.Scale.TrainImages, s.Scale.EvalImages, recipe.SplitSeed)
	}
	return nil
}

// trainingData returns the data a step trains on: for TrainVal steps,
// train+val as the training split (val is then still reported, but seen).
func (s *Study) trainingData(st recipe.Step) (*data.Dataset, error) {
	ds, err := s.Dataset()
	if err != nil {
		return nil, err
	}
	if !st.TrainVal || ds.Val == nil {
		return ds, nil
	}
	cp := *ds
	cp.MergeTrainVal(true)
	return &cp, nil
}

// RunDir returns the run folder of a step.
func (s *Study) RunDir(id string) string { return filepath.Join(s.RunsDir, id) }

// Config returns a step's training configuration at the study's scale.
func (s *Study) Config(id string) (train.Config, error) {
	st, err := recipe.FindStep(id)
	if err != nil {
		return train.Config{}, err
	}
	return s.config(st), nil
}

// config is the training configuration of the resolved step st.
func (s *Study) config(st recipe.Step) train.Config {
	c := s.Scale.Apply(st)
	c.Backend = s.Backend
	return c
}

// Train runs a step, or returns its finished run folder without retraining
// (a run that stopped part-way resumes where it stopped). Progress goes to
// Log as text lines (one every 30 s and one per epoch; none when Log is
// nil); Notebook.Train shows it live instead. An interrupt (os.Interrupt)
// while it trains stops it between two steps with an error that wraps
// context.Canceled; calling Train again resumes the run.
func (s *Study) Train(id string) (*train.Result, error) {
	st, err := recipe.FindStep(id)
	if err != nil {
		return nil, err
	}
	var progress train.ProgressFunc
	if s.Log != nil {
		progress = train.TextProgress(s.Log, 30*time.Second)
	}
	return s.fit(st, progress)
}

// fit trains the resolved step st (or reuses or resumes its run folder),
// sending progress to progress (nil: none).
func (s *Study) fit(st recipe.Step, progress train.ProgressFunc) (*train.Result, error) {
	ds, err := s.trainingData(st)
	if err != nil {
		return nil, err
	}
	b, err := s.compute()
	if err != nil {
		return nil, err
	}
	// Resuming never allows a backend change: a run stopped on another kind
	// of backend is a *train.BackendChangeError, whose message says to set
	// GOMLX_BACKEND to the recorded backend (s.Backend is "auto", which
	// follows it) to resume there.
	opts := []train.Option{train.WithBackend(b), train.WithProgress(progress), train.WithResume()}
	// An interrupt (Ctrl-C; GoNB's "interrupt the kernel", which then kills
	// the cell after 5 s) stops the training between two steps: the run
	// keeps its last checkpoint, and the next Train resumes it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	res, err := train.Fit(ctx, s.config(st), ds, s.RunDir(st.ID), opts...)
	stop()
	if err != nil {
		return res, fmt.Errorf("step %s: %w", st.ID, err)
	}
	return res, nil
}

// Result opens a step's run folder; it is an error if the step has not been
// trained at this scale (call Train first).
//
// id is a study step ("03" or "03-cosine") or, for runs made outside the
// study (fer train), the name of a run folder inside RunsDir.
func (s *Study) Result(id string) (*train.Result, error) {
	name, err := s.runName(id)
	if err != nil {
		return nil, err
	}
	res, err := train.ReadResult(s.RunDir(name))
	if err != nil {
		return nil, fmt.Errorf("step %s has no run at scale %q in %s (train it first): %w", name, s.Scale.Name, s.RunsDir, err)
	}
	return res, nil
}

// runName returns the run folder name of a step ID or prefix, or id itself
// when RunsDir holds a run folder of that name.
func (s *Study) runName(id string) (string, error) {
	st, err := recipe.FindStep(id)
	if err == nil {
		return st.ID, nil
	}
	if fi, statErr := os.Stat(filepath.Join(s.RunsDir, id, train.ConfigFile)); statErr == nil && !fi.IsDir() {
		return id, nil
	}
	return "", err
}

// compute returns the study's backend, created on first use and shared by
// every training and inference of this process.
func (s *Study) compute() (compute.Backend, error) {
	if s.backend == nil {
		b, _, err := xla.New(s.Backend)
		if err != nil {
			return nil, err
		}
		s.backend = b
	}
	return s.backend, nil
}
