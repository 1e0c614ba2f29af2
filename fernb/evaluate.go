package fernb

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/eval"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
)

// split returns the study's split named name ("train", "val" or "test").
func (s *Study) split(name string) (*data.Split, error) {
	ds, err := s.Dataset()
	if err != nil {
		return nil, err
	}
	return ds.Split(name)
}

// Evaluate measures a step's best checkpoint on a split with test-time
// augmentation tta ("none", "flip" or "tencrop"). The metrics are cached in
// the run folder (eval-<split>-<tta>-<data key>.json), keyed by the
// checkpoint and by the content of the split scored, and reused while both
// are unchanged; the per-image predictions are not cached (see
// evaluateFull).
func (s *Study) Evaluate(id, split, tta string) (eval.Metrics, error) {
	if tta == "" {
		tta = eval.TTANone
	}
	res, err := s.Result(id)
	if err != nil {
		return eval.Metrics{}, err
	}
	sp, err := s.split(split)
	if err != nil {
		return eval.Metrics{}, err
	}
	fp := sp.Fingerprint()
	cache := filepath.Join(res.Dir, fmt.Sprintf("eval-%s-%s-%s.json", split, tta, fp[:12]))
	stamp := checkpointStamp(res.Dir)
	var cached struct {
		Stamp   string       `json:"checkpoint"`
		Data    string       `json:"data"`
		Metrics eval.Metrics `json:"metrics"`
	}
	dataKey := fmt.Sprintf("%s split %s, %d images, fingerprint %s", s.DataName(), split, sp.Len(), fp)
	if b, err := os.ReadFile(cache); err == nil && json.Unmarshal(b, &cached) == nil && cached.Stamp == stamp && stamp != "" && cached.Data == dataKey {
		return cached.Metrics, nil
	}
	rep, err := s.evaluateFull(id, split, tta)
	if err != nil {
		return eval.Metrics{}, err
	}
	cached.Stamp, cached.Data, cached.Metrics = stamp, dataKey, rep.Metrics
	if b, err := json.MarshalIndent(cached, "", "  "); err == nil {
		_ = writeCache(cache, b) // a cache: failing to write it only costs time later
	}
	return rep.Metrics, nil
}

// checkpointStamp identifies the best checkpoint's content by its files'
// sizes and modification times ("" when there is none).
func checkpointStamp(dir string) string {
	var parts []string
	_ = filepath.Walk(filepath.Join(dir, train.CheckpointBest), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", filepath.Base(p), fi.Size(), fi.ModTime().UnixNano()))
		}
		return nil
	})
	return strings.Join(parts, ",")
}

// evaluateFull runs the evaluation, with per-image predictions.
func (s *Study) evaluateFull(id, split, tta string) (*eval.Report, error) {
	sp, err := s.split(split)
	if err != nil {
		return nil, err
	}
	m, err := s.model(id, "best")
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return eval.Evaluate(m, sp, tta)
}

// pct formats a fraction as a percentage, "–" for NaN.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

// RunSummary describes a step's run in one Markdown line: epochs, time, best
// validation accuracy, test accuracy, and what the study reported.
func (s *Study) RunSummary(id string) (string, error) {
	st, err := recipe.FindStep(id)
	if err != nil {
		return "", err
	}
	res, err := s.Result(st.ID)
	if err != nil {
		return "", err
	}
	m, err := s.Evaluate(st.ID, "test", eval.TTANone)
	if err != nil {
		return "", err
	}
	secs := res.TrainSeconds()
	bv, at := res.BestVal()
	seen := ""
	if st.TrainVal {
		seen = " (val seen in training)"
	}
	reused := ""
	if res.Reused {
		reused = " — reused from its run folder"
	}
	return fmt.Sprintf("**%s** (%s): %d epochs in %s%s. Best val %s%s (epoch %d), **test %s** (best checkpoint). Study: val %s, test %s.",
		st.ID, st.Title, len(res.History), eval.Duration(secs), reused, pct(bv), seen, at, pct(m.Accuracy), pct(st.StudyVal), pct(st.StudyTest)), nil
}

// ShowRun displays RunSummary; it panics on error (for notebook cells).
func (s *Study) ShowRun(id string) { showMarkdown(Must(s.RunSummary(id))) }

// ShowFinalTest displays a step's test accuracy with each test-time
// augmentation: none, horizontal flip, ten crops.
func (s *Study) ShowFinalTest(id string) {
	var b strings.Builder
	b.WriteString("| test-time augmentation | test accuracy | macro F1 |\n|---|---|---|\n")
	for _, tta := range []string{eval.TTANone, eval.TTAFlip, eval.TTATenCrop} {
		m := Must(s.Evaluate(id, "test", tta))
		fmt.Fprintf(&b, "| %s | %s | %.3f |\n", tta, pct(m.Accuracy), m.MacroF1)
	}
	showMarkdown(b.String())
}

// ConfusionMatrix draws a step's confusion matrix on a split.
func (s *Study) ConfusionMatrix(id, split string) (*plots.Figure, error) {
	m, err := s.Evaluate(id, split, eval.TTANone)
	if err != nil {
		return nil, err
	}
	counts := make([][]int, data.NumClasses)
	for i := range counts {
		counts[i] = m.Confusion[i][:]
	}
	f, err := plots.ConfusionMatrix(counts, classNames(),
		plots.Title(fmt.Sprintf("%s confusion, step %s (accuracy %s)%s", split, id, pct(m.Accuracy), s.Label())))
	return named(f, err, figName("confusion", stepID(id), split))
}

// PerClass draws a step's per-class precision, recall and F1 on a split.
func (s *Study) PerClass(id, split string) (*plots.Figure, error) {
	m, err := s.Evaluate(id, split, eval.TTANone)
	if err != nil {
		return nil, err
	}
	groups := []plots.Group{{Name: "precision"}, {Name: "recall"}, {Name: "F1"}}
	for _, c := range m.PerClass {
		groups[0].Values = append(groups[0].Values, c.Precision)
		groups[1].Values = append(groups[1].Values, c.Recall)
		groups[2].Values = append(groups[2].Values, c.F1)
	}
	f, err := plots.PerClassBars(classNames(), groups, plots.Title(fmt.Sprintf("per-class metrics on %s, step %s%s", split, id, s.Label())))
	return named(f, err, figName("per-class", stepID(id), split))
}

// Misclassified draws up to n faces of a split that a step's model gets
// wrong, most confident mistakes first, captioned with true and predicted
// class.
func (s *Study) Misclassified(id, split string, n int) (*plots.Figure, error) {
	rep, err := s.evaluateFull(id, split, eval.TTANone)
	if err != nil {
		return nil, err
	}
	sp, err := s.split(split)
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
		return nil, fmt.Errorf("step %s makes no mistake on %s", id, split)
	}
	var imgs []plots.Image
	for _, m := range misses[:min(n, len(misses))] {
		imgs = append(imgs, plots.Image{Pixels: sp.Image(m.i), Caption: fmt.Sprintf("true: %s\npred: %s %.0f%%",
			data.Classes[rep.Labels[m.i]], data.Classes[rep.Preds[m.i]], 100*m.conf)})
	}
	f, err := plots.FaceGrid(imgs, plots.Columns(min(8, len(imgs))),
		plots.Title(fmt.Sprintf("most confident mistakes on %s, step %s (%d wrong of %d)%s", split, id, len(misses), sp.Len(), s.Label())))
	return named(f, err, figName("misclassified", stepID(id), split))
}

// GradCAM draws Grad-CAM heatmaps of a step's model over n faces of a split,
// two of each class in turn, explaining the predicted class.
func (s *Study) GradCAM(id, split string, n int) (*plots.Figure, error) {
	sp, err := s.split(split)
	if err != nil {
		return nil, err
	}
	m, err := s.model(id, "best")
	if err != nil {
		return nil, err
	}
	defer m.Close()
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
		plots.Title(fmt.Sprintf("Grad-CAM of the predicted class, step %s, %s%s", id, split, s.Label())))
	return named(f, err, figName("gradcam", stepID(id), split))
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

// ResultRow is one line of the results table.
type ResultRow struct {
	Step                recipe.Step
	Epochs              int
	Seconds             float64
	BestVal, Test       float64
	StudyVal, StudyTest float64
}

// Results lists every step that has a run at this scale, with its best
// validation and test accuracy beside the study's numbers.
func (s *Study) Results() ([]ResultRow, error) {
	var rows []ResultRow
	for _, st := range recipe.StudySteps() {
		res, err := train.Open(s.RunDir(st.ID))
		if err != nil {
			continue // not trained at this scale
		}
		m, err := s.Evaluate(st.ID, "test", eval.TTANone)
		if err != nil {
			return nil, err
		}
		r := ResultRow{Step: st, Epochs: len(res.History), Seconds: res.TrainSeconds(), Test: m.Accuracy,
			StudyVal: st.StudyVal, StudyTest: st.StudyTest}
		r.BestVal, _ = res.BestVal()
		if st.TrainVal {
			r.BestVal = math.NaN() // seen in training: not a held-out number
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no runs in %s yet", s.RunsDir)
	}
	return rows, nil
}

// ResultsTable returns the results as a Markdown table (ResultsTableData's).
func (s *Study) ResultsTable() (string, error) {
	rows, err := s.Results()
	if err != nil {
		return "", err
	}
	t, err := resultsTable(rows)
	if err != nil {
		return "", err
	}
	md, err := t.Markdown()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Scale `%s` on %s.\n\n", s.Scale.Name, s.DataName()) + md, nil
}

// resultsTable lays the results out as eval.AccuracyTable, the accuracy
// table `fer table` prints too.
func resultsTable(rows []ResultRow) (*plots.Table, error) {
	t := eval.AccuracyTable{RunHeader: "step", AboutHeader: "change", Columns: []string{"test", "study val", "study test"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, eval.AccuracyRow{Run: r.Step.ID, About: r.Step.Title, Epochs: r.Epochs, Seconds: r.Seconds,
			BestVal: r.BestVal, Accuracies: []float64{r.Test, r.StudyVal, r.StudyTest}})
	}
	return t.Table()
}

// ShowResults displays ResultsTable; it panics on error.
func (s *Study) ShowResults() { showMarkdown(Must(s.ResultsTable())) }

// ResultsFigure draws the validation and test accuracy of every run.
func (s *Study) ResultsFigure() (*plots.Figure, error) {
	rows, err := s.Results()
	if err != nil {
		return nil, err
	}
	var prow []plots.Row
	for _, r := range rows {
		prow = append(prow, plots.Row{Name: r.Step.ID, Values: []float64{r.BestVal, r.Test}})
	}
	f, err := plots.Comparison([]string{"best val", "test"}, prow, plots.Title("accuracy of every step"+s.Label()))
	return named(f, err, "results")
}

// ExportAll saves every figure of every trained step (curves, learning rate,
// confusion matrix, per-class bars, mistakes, Grad-CAM, PCA) and the data
// views to the plots folder as PNG, SVG and PDF, and returns the files.
func (s *Study) ExportAll() ([]string, error) {
	var figs []func() (*plots.Figure, error)
	figs = append(figs, s.ClassDistribution, func() (*plots.Figure, error) { return s.SampleFaces(8) })
	var trained []string
	for _, st := range recipe.StudySteps() {
		if _, err := train.Open(s.RunDir(st.ID)); err != nil {
			continue
		}
		id := st.ID
		trained = append(trained, id)
		figs = append(figs,
			func() (*plots.Figure, error) { return s.Curves(id) },
			func() (*plots.Figure, error) { return s.LearningRates(id) },
			func() (*plots.Figure, error) { return s.ConfusionMatrix(id, "test") },
			func() (*plots.Figure, error) { return s.PerClass(id, "test") })
	}
	if len(trained) > 0 {
		figs = append(figs, s.ResultsFigure)
		last := trained[len(trained)-1]
		figs = append(figs,
			func() (*plots.Figure, error) { return s.Misclassified(last, "test", 24) },
			func() (*plots.Figure, error) { return s.GradCAM(last, "test", 14) })
	}
	paths, err := s.saveAll(figs)
	if err != nil || len(trained) == 0 {
		return paths, err
	}
	p, err := s.savePCA(trained[len(trained)-1])
	return append(paths, p...), err
}

// savePCA saves a run's PCA figures (train, val, test) as PNG, SVG and PDF.
func (s *Study) savePCA(id string) ([]string, error) {
	pcs, err := s.PCA(id, 2000)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range pcs {
		p, err := f.SaveAll(s.PlotsDir, f.Name)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p...)
	}
	return paths, nil
}

// saveAll makes each figure and saves it as PNG, SVG and PDF.
func (s *Study) saveAll(figs []func() (*plots.Figure, error)) ([]string, error) {
	var paths []string
	for _, fn := range figs {
		f, err := fn()
		if err != nil {
			return paths, err
		}
		p, err := f.SaveAll(s.PlotsDir, f.Name)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p...)
	}
	return paths, nil
}

// ExportRun saves the standard figures of one run (a step ID or a run folder
// name in RunsDir) as PNG, SVG and PDF in the plots folder: curves, learning
// rate, confusion matrix and per-class bars on test, the most confident
// mistakes, Grad-CAM, and the PCA of its features on train, val and test.
func (s *Study) ExportRun(id string) ([]string, error) {
	figs := []func() (*plots.Figure, error){
		func() (*plots.Figure, error) { return s.Curves(id) },
		func() (*plots.Figure, error) { return s.LearningRates(id) },
		func() (*plots.Figure, error) { return s.ConfusionMatrix(id, "test") },
		func() (*plots.Figure, error) { return s.PerClass(id, "test") },
		func() (*plots.Figure, error) { return s.Misclassified(id, "test", 24) },
		func() (*plots.Figure, error) { return s.GradCAM(id, "test", 14) },
	}
	paths, err := s.saveAll(figs)
	if err != nil {
		return paths, err
	}
	p, err := s.savePCA(id)
	return append(paths, p...), err
}

// PredictFiles classifies image files with a step's best checkpoint and
// returns a text table of class probabilities.
func (s *Study) PredictFiles(id string, files ...string) (string, error) {
	m, err := s.model(id, "best")
	if err != nil {
		return "", err
	}
	defer m.Close()
	preds, err := eval.PredictFiles(m, files, eval.TTANone)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := eval.WritePredictions(&b, preds); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ExampleFiles returns n image files to try PredictFiles on: test images of
// the data set, or, for synthetic faces, PNG files written to the runs
// folder.
func (s *Study) ExampleFiles(n int) []string {
	sp := Must(s.split("test"))
	var files []string
	for i := 0; i < sp.Len() && len(files) < n; i += max(1, sp.Len()/n) {
		if src := sp.Sources[i]; !s.Synthetic() && fileExists(src) {
			files = append(files, src)
			continue
		}
		p := filepath.Join(s.RunsDir, "examples", fmt.Sprintf("%s-%03d.png", data.Classes[sp.Labels[i]], i))
		if err := writeGrayPNG(p, sp.Image(i)); err != nil {
			panic(err)
		}
		files = append(files, p)
	}
	return files
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

func writeGrayPNG(path string, pix []uint8) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	img := &image.Gray{Pix: pix, Stride: data.Size, Rect: image.Rect(0, 0, data.Size, data.Size)}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeCache writes a cache file through a temporary file and a rename, so
// a reader never sees it half-written.
func writeCache(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
