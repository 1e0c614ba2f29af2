package fernb

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/run"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
)

// figName makes a file-name-safe figure name (run.FigName).
func figName(parts ...string) string { return run.FigName(parts...) }

// stepID returns the full ID of study step id ("08" gives "08-trainval"),
// or id itself when it names no step (a run folder), so that a figure's
// file name does not depend on how a cell abbreviated the step.
func stepID(id string) string {
	if st, err := recipe.FindStep(id); err == nil {
		return st.ID
	}
	return id
}

func named(f *plots.Figure, err error, name string) (*plots.Figure, error) {
	if err == nil {
		f.Name = name
	}
	return f, err
}

// classNames returns the class names as a slice.
func classNames() []string { return data.Classes[:] }

// ClassDistribution draws the number of images per class in each split.
func (s *Study) ClassDistribution() (*plots.Figure, error) {
	ds, err := s.Dataset()
	if err != nil {
		return nil, err
	}
	var groups []plots.Group
	for _, sp := range ds.Splits() {
		c := sp.ClassCounts()
		g := plots.Group{Name: fmt.Sprintf("%s (%d)", sp.Name, sp.Len())}
		for _, n := range c {
			g.Values = append(g.Values, float64(n))
		}
		groups = append(groups, g)
	}
	f, err := plots.ClassDistribution(classNames(), groups, plots.Title("images per class"+s.Label()))
	return named(f, err, "class-distribution")
}

// SampleFaces draws perClass training faces of each class, one row a class.
func (s *Study) SampleFaces(perClass int) (*plots.Figure, error) {
	ds, err := s.Dataset()
	if err != nil {
		return nil, err
	}
	var imgs []plots.Image
	for c := range data.NumClasses {
		n := 0
		for i, l := range ds.Train.Labels {
			if int(l) == c && n < perClass {
				imgs = append(imgs, plots.Image{Pixels: ds.Train.Image(i), Caption: filepath.Base(ds.Train.Sources[i])})
				n++
			}
		}
		for ; n < perClass; n++ { // a class with fewer images: keep the grid aligned
			imgs = append(imgs, plots.Image{Pixels: make([]uint8, data.Pixels), Caption: "(none)"})
		}
	}
	f, err := plots.FaceGrid(imgs, plots.Columns(perClass), plots.RowLabels(classNames()...),
		plots.Title("training faces per class"+s.Label()))
	return named(f, err, "sample-faces")
}

// AugmentationPreview draws one training face and n augmented versions of
// it under a step's augmentation.
func (s *Study) AugmentationPreview(id string, index, n int) (*plots.Figure, error) {
	cfg, err := s.Config(id)
	if err != nil {
		return nil, err
	}
	return s.augmentationFigure(cfg.Augment, index, n, "augmentation of step "+id+s.Label(), figName("augmentation", stepID(id)))
}

// augmentationFigure draws training face index and n versions of it under
// augmentation a.
func (s *Study) augmentationFigure(a augment.Config, index, n int, title, name string) (*plots.Figure, error) {
	ds, err := s.Dataset()
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= ds.Train.Len() {
		return nil, fmt.Errorf("image index %d out of range [0, %d)", index, ds.Train.Len())
	}
	p, err := a.Pipeline()
	if err != nil {
		return nil, err
	}
	views, err := p.Preview(ds.Train.Image(index), n, uint64(index)+1)
	if err != nil {
		return nil, err
	}
	imgs := []plots.Image{{Pixels: ds.Train.Image(index), Caption: "original"}}
	for i, v := range views {
		imgs = append(imgs, plots.Image{Pixels: v, Caption: fmt.Sprintf("#%d", i+1)})
	}
	f, err := plots.FaceGrid(imgs, plots.Columns(min(len(imgs), 9)), plots.Title(title))
	return named(f, err, name)
}

// histories opens the runs of the given steps.
func (s *Study) histories(ids []string) ([]*train.Result, []string, error) {
	var res []*train.Result
	var names []string
	for _, id := range ids {
		r, err := s.Result(id)
		if err != nil {
			return nil, nil, err
		}
		res = append(res, r)
		names = append(names, filepath.Base(r.Dir))
	}
	return res, names, nil
}

// Curves draws train/val loss and accuracy per epoch of one or more steps,
// overlaid.
func (s *Study) Curves(ids ...string) (*plots.Figure, error) {
	res, names, err := s.histories(ids)
	if err != nil {
		return nil, err
	}
	var hs []plots.History
	for i, r := range res {
		hs = append(hs, run.HistoryOf(names[i], r.History))
	}
	f, err := plots.Curves(hs, plots.Title("training curves"+s.Label()))
	return named(f, err, figName("curves", strings.Join(names, "+")))
}

// LearningRates draws the learning rate per epoch of one or more steps.
func (s *Study) LearningRates(ids ...string) (*plots.Figure, error) {
	res, names, err := s.histories(ids)
	if err != nil {
		return nil, err
	}
	var series []plots.Series
	for i, r := range res {
		se := plots.Series{Name: names[i]}
		for _, e := range r.History {
			se.X = append(se.X, float64(e.Epoch))
			se.Y = append(se.Y, e.LR)
		}
		series = append(series, se)
	}
	f, err := plots.LRSchedule(series, plots.Title("learning rate"+s.Label()))
	return named(f, err, figName("lr", strings.Join(names, "+")))
}

// PCA fits a 2-component PCA to a step's penultimate features of the train
// split (sub-sampled to at most limit images, stratified) and draws the
// train, val and test features projected on those axes, one figure each.
func (s *Study) PCA(id string, limit int) ([]*plots.Figure, error) {
	return withRun(s, id, func(r *run.Handle) ([]*plots.Figure, error) { return r.PCA(limit) })
}

// TrainingCurves draws one step's loss, accuracy and learning rate per
// epoch: the figure a training cell ends with (and its live view draws
// after every epoch).
func (s *Study) TrainingCurves(id string) (*plots.Figure, error) {
	res, err := s.Result(id)
	if err != nil {
		return nil, err
	}
	return run.New(res, run.WithNames(id, stepID(id), s.Label())).TrainingCurves()
}
