package run

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/pca"
	"github.com/fernb/fernb/fernb/progress"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
)

// Curves draws the run's train/val loss and accuracy per epoch (the study's
// Curves of this one run).
func (r *Handle) Curves() (*plots.Figure, error) {
	name := filepath.Base(r.Dir)
	f, err := plots.Curves([]plots.History{HistoryOf(name, r.History)}, plots.Title("training curves"+r.Label))
	return named(f, err, FigName("curves", name))
}

// LearningRate draws the run's learning rate per epoch (the study's
// LearningRates of this one run).
func (r *Handle) LearningRate() (*plots.Figure, error) {
	name := filepath.Base(r.Dir)
	se := plots.Series{Name: name}
	for _, e := range r.History {
		se.X = append(se.X, float64(e.Epoch))
		se.Y = append(se.Y, e.LR)
	}
	f, err := plots.LRSchedule([]plots.Series{se}, plots.Title("learning rate"+r.Label))
	return named(f, err, FigName("lr", name))
}

// TrainingCurves draws the run's loss, accuracy and learning rate per epoch
// in one figure.
func (r *Handle) TrainingCurves() (*plots.Figure, error) {
	name := filepath.Base(r.Dir)
	return TrainingFigure(name, r.History, fmt.Sprintf("%s: %d epochs%s", name, len(r.History), r.Label))
}

// Confusion draws the confusion matrix of the best checkpoint on a split.
func (r *Handle) Confusion(split string) (*plots.Figure, error) {
	m, err := r.Evaluate(split, eval.TTANone)
	if err != nil {
		return nil, err
	}
	counts := make([][]int, data.NumClasses)
	for i := range counts {
		counts[i] = m.Confusion[i][:]
	}
	f, err := plots.ConfusionMatrix(counts, classNames(),
		plots.Title(fmt.Sprintf("%s confusion, step %s (accuracy %s)%s", split, r.Name, progress.Percent(m.Accuracy), r.Label)))
	return named(f, err, FigName("confusion", r.FigID, split))
}

// PerClass draws the best checkpoint's per-class precision, recall and F1 on a split.
func (r *Handle) PerClass(split string) (*plots.Figure, error) {
	m, err := r.Evaluate(split, eval.TTANone)
	if err != nil {
		return nil, err
	}
	groups := []plots.Group{{Name: "precision"}, {Name: "recall"}, {Name: "F1"}}
	for _, c := range m.PerClass {
		groups[0].Values = append(groups[0].Values, c.Precision)
		groups[1].Values = append(groups[1].Values, c.Recall)
		groups[2].Values = append(groups[2].Values, c.F1)
	}
	f, err := plots.PerClassBars(classNames(), groups, plots.Title(fmt.Sprintf("per-class metrics on %s, step %s%s", split, r.Name, r.Label)))
	return named(f, err, FigName("per-class", r.FigID, split))
}

// Misclassified draws up to n faces of a split that the best checkpoint gets
// wrong, most confident mistakes first, captioned with true and predicted
// class.
func (r *Handle) Misclassified(split string, n int) (*plots.Figure, error) {
	rep, err := r.evaluateFull(split, eval.TTANone)
	if err != nil {
		return nil, err
	}
	sp, err := r.split(split)
	if err != nil {
		return nil, err
	}
	type miss struct {
		i    int
		conf float32
	}
	var misses []miss
	for i, p := range rep.Preds {
		if p != rep.Labels[i] {
			misses = append(misses, miss{i, rep.Probs[i*data.NumClasses+p]})
		}
	}
	// Most confident mistakes first (stable for equal confidence).
	for i := 1; i < len(misses); i++ {
		for j := i; j > 0 && misses[j].conf > misses[j-1].conf; j-- {
			misses[j], misses[j-1] = misses[j-1], misses[j]
		}
	}
	if len(misses) == 0 {
		return nil, fmt.Errorf("step %s makes no mistake on %s", r.Name, split)
	}
	var imgs []plots.Image
	for _, m := range misses[:min(n, len(misses))] {
		imgs = append(imgs, plots.Image{Pixels: sp.Image(m.i), Caption: fmt.Sprintf("true: %s\npred: %s %.0f%%",
			data.Classes[rep.Labels[m.i]], data.Classes[rep.Preds[m.i]], 100*m.conf)})
	}
	f, err := plots.FaceGrid(imgs, plots.Columns(min(8, len(imgs))),
		plots.Title(fmt.Sprintf("most confident mistakes on %s, step %s (%d wrong of %d)%s", split, r.Name, len(misses), sp.Len(), r.Label)))
	return named(f, err, FigName("misclassified", r.FigID, split))
}

// GradCAM draws Grad-CAM heatmaps of the best checkpoint over n faces of a split,
// two of each class in turn, explaining the predicted class.
func (r *Handle) GradCAM(split string, n int) (*plots.Figure, error) {
	sp, m, err := r.bestOn(split)
	if err != nil {
		return nil, err
	}
	// Pick faces class by class so every expression shows up.
	var idx []int
	next := make([]int, data.NumClasses)
	for len(idx) < n {
		added := false
		for c := range data.NumClasses {
			for ; next[c] < sp.Len(); next[c]++ {
				if int(sp.Labels[next[c]]) == c {
					idx = append(idx, next[c])
					next[c]++
					added = true
					break
				}
			}
			if len(idx) == n {
				break
			}
		}
		if !added {
			break
		}
	}
	imgs, heats, err := gradCAMOverlays(m, sp, idx, func(i int, h eval.Heatmap) string {
		return fmt.Sprintf("true: %s\npred: %s %.0f%%", data.Classes[sp.Labels[i]], data.Classes[h.Class], 100*h.Probs[h.Class])
	})
	if err != nil {
		return nil, err
	}
	f, err := plots.HeatmapOverlay(imgs, heats, plots.Columns(min(7, len(imgs))),
		plots.Title(fmt.Sprintf("Grad-CAM of the predicted class, step %s, %s%s", r.Name, split, r.Label)))
	return named(f, err, FigName("gradcam", r.FigID, split))
}

// gradCAMOverlays computes the Grad-CAM maps of model m over faces idx of
// split sp (predicted class) and returns the faces, captioned by caption,
// with their heat maps, ready for plots.HeatmapOverlay.
func gradCAMOverlays(m *train.Model, sp *data.Split, idx []int, caption func(i int, h eval.Heatmap) string) ([]plots.Image, []plots.Heatmap, error) {
	maps, err := eval.GradCAM(m, m.Images(sp, idx), nil)
	if err != nil {
		return nil, nil, err
	}
	imgs := make([]plots.Image, len(idx))
	heats := make([]plots.Heatmap, len(idx))
	for k, i := range idx {
		h := maps[k]
		vals := make([]float64, len(h.Values))
		for j, v := range h.Values {
			vals[j] = float64(v)
		}
		heats[k] = plots.Heatmap{Values: vals, Width: h.W, Height: h.H}
		imgs[k] = plots.Image{Pixels: sp.Image(i), Caption: caption(i, h)}
	}
	return imgs, heats, nil
}

// GradCAMOf draws Grad-CAM maps of the best checkpoint over the faces
// idx of a split, each captioned with its true and predicted class.
func (r *Handle) GradCAMOf(split string, idx ...int) (*plots.Figure, error) {
	sp, m, err := r.bestOn(split)
	if err != nil {
		return nil, err
	}
	return r.GradCAMFigure(m, split, sp, idx)
}

// GradCAMFigure draws Grad-CAM maps of model m over faces idx of split sp.
func (r *Handle) GradCAMFigure(m *train.Model, split string, sp *data.Split, idx []int) (*plots.Figure, error) {
	if len(idx) == 0 {
		return nil, errors.New("Grad-CAM of no face: give at least one index")
	}
	for _, i := range idx {
		if i < 0 || i >= sp.Len() {
			return nil, fmt.Errorf("face %d out of range [0, %d) of %s", i, sp.Len(), split)
		}
	}
	imgs, heats, err := gradCAMOverlays(m, sp, idx, func(i int, h eval.Heatmap) string {
		return fmt.Sprintf("#%d true: %s\npred: %s %.0f%%", i, data.Classes[sp.Labels[i]], data.Classes[h.Class], 100*h.Probs[h.Class])
	})
	if err != nil {
		return nil, err
	}
	names := []string{"gradcam", r.FigID, split}
	for _, i := range idx {
		names = append(names, fmt.Sprint(i))
	}
	opts := []plots.Option{plots.Columns(min(7, len(imgs))), plots.Title(fmt.Sprintf("Grad-CAM, step %s, %s%s", r.Name, split, r.Label))}
	if len(imgs) == 1 {
		opts = append(opts, plots.Size(3, 0)) // one face: large enough to see where it looks
	}
	f, err := plots.HeatmapOverlay(imgs, heats, opts...)
	return named(f, err, FigName(names...))
}

// PCA fits a 2-component PCA to the best checkpoint's penultimate features of the train
// split (sub-sampled to at most limit images, stratified) and draws the
// train, val and test features projected on those axes, one figure each.
func (r *Handle) PCA(limit int) ([]*plots.Figure, error) {
	m, err := r.Model("best")
	if err != nil {
		return nil, err
	}
	ds, err := r.Dataset()
	if err != nil {
		return nil, err
	}
	var fit *pca.Result
	var figs []*plots.Figure
	for _, sp := range ds.Splits() {
		idx, err := data.StratifiedSample(sp.Labels, limit, recipe.SplitSeed)
		if err != nil {
			return nil, err
		}
		feats, err := eval.Features(m, sp, idx)
		if err != nil {
			return nil, err
		}
		sub := make([]int, len(idx))
		for i, j := range idx {
			sub[i] = int(sp.Labels[j])
		}
		if fit == nil { // the first split (train) defines the axes
			if fit, err = pca.Fit(feats, 2); err != nil {
				return nil, err
			}
		}
		pts, err := fit.Transform(feats)
		if err != nil {
			return nil, err
		}
		f, err := plots.PCAScatter(pts, sub, classNames(), fit.ExplainedRatio,
			plots.Title(fmt.Sprintf("%s features, step %s (%d images)%s", sp.Name, r.Name, len(idx), r.Label)))
		if err != nil {
			return nil, err
		}
		f.Name = FigName("pca", r.FigID, sp.Name)
		figs = append(figs, f)
	}
	return figs, nil
}

// HistoryOf converts a run's history to the plots package's form.
func HistoryOf(name string, h []train.Epoch) plots.History {
	ph := plots.History{Name: name}
	for _, e := range h {
		ph.Epoch = append(ph.Epoch, float64(e.Epoch))
		ph.TrainLoss = append(ph.TrainLoss, e.TrainLoss)
		ph.TrainAcc = append(ph.TrainAcc, e.TrainAcc)
		if e.HasVal {
			ph.ValLoss = append(ph.ValLoss, e.ValLoss)
			ph.ValAcc = append(ph.ValAcc, e.ValAcc)
		}
	}
	if len(ph.ValLoss) != len(ph.Epoch) { // partial validation: do not misalign
		ph.ValLoss, ph.ValAcc = nil, nil
	}
	return ph
}

// TrainingFigure draws a run's history with its learning rate, named
// "training-<run>".
func TrainingFigure(name string, h []train.Epoch, title string) (*plots.Figure, error) {
	if len(h) == 0 {
		return nil, fmt.Errorf("run %s has no finished epoch yet", name)
	}
	lr := plots.Series{Name: name}
	for _, e := range h {
		lr.X = append(lr.X, float64(e.Epoch))
		lr.Y = append(lr.Y, e.LR)
	}
	f, err := plots.TrainingCurves([]plots.History{HistoryOf(name, h)}, []plots.Series{lr},
		plots.Title(title))
	return named(f, err, FigName("training", name))
}

// Export saves the run's standard figures as PNG, SVG and PDF in dir and
// returns the files: curves, learning rate, confusion matrix and per-class
// bars on test, the most confident mistakes, Grad-CAM, and the PCA of its
// features on train, val and test.
func (r *Handle) Export(dir string) ([]string, error) {
	figs := []func() (*plots.Figure, error){
		r.Curves,
		r.LearningRate,
		func() (*plots.Figure, error) { return r.Confusion("test") },
		func() (*plots.Figure, error) { return r.PerClass("test") },
		func() (*plots.Figure, error) { return r.Misclassified("test", 24) },
		func() (*plots.Figure, error) { return r.GradCAM("test", 14) },
	}
	paths, err := SaveAll(dir, figs)
	if err != nil {
		return paths, err
	}
	p, err := r.SavePCA(dir)
	return append(paths, p...), err
}

// SavePCA saves the run's PCA figures (train, val, test; at most 2000
// images each) as PNG, SVG and PDF in dir.
func (r *Handle) SavePCA(dir string) ([]string, error) {
	pcs, err := r.PCA(2000)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range pcs {
		p, err := f.SaveAll(dir, f.Name)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p...)
	}
	return paths, nil
}

// SaveAll makes each figure and saves it as PNG, SVG and PDF in dir.
func SaveAll(dir string, figs []func() (*plots.Figure, error)) ([]string, error) {
	var paths []string
	for _, fn := range figs {
		f, err := fn()
		if err != nil {
			return paths, err
		}
		p, err := f.SaveAll(dir, f.Name)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p...)
	}
	return paths, nil
}
