package fernb

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/notebook"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
	"github.com/fernb/fernb/plots/inline"
	"github.com/janpfeifer/gonb/gonbui"
)

// Must returns v, or panics with err. It is for GoNB's top-level
// declarations only (see the package doc); Study methods return their
// errors and Notebook methods show them.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// showMarkdown displays Markdown in a notebook (inline.Markdown) and
// prints it outside one.
func showMarkdown(md string) {
	if gonbui.IsNotebook {
		inline.Markdown(md)
		return
	}
	fmt.Println(md)
}

// Quality returns the data-quality report of the data as loaded (before the
// validation split and any subsetting): counts, imbalance, duplicates and
// blank images.
func (s *Study) Quality() (*data.QualityReport, error) {
	ds, err := s.asLoaded()
	if err != nil {
		return nil, err
	}
	return data.Quality(ds), nil
}

// asLoaded returns the data as loaded, before the val split (the study's
// own data set for synthetic faces).
func (s *Study) asLoaded() (*data.Dataset, error) {
	if s.Synthetic() {
		return s.Dataset()
	}
	return data.Load(s.Data.Path)
}

// Notebook is the study as notebook cells use it. A notebook declares it
// once at top level, where GoNB keeps it for every later cell:
//
//	var s = fernb.OpenNotebook()
//
// and then each cell is one call (or two) that displays what it makes,
// below GoNB's %% line (text on that line would be program arguments):
//
//	%%
//	s.Train("01")
//
// No method returns anything or panics: a failure shows as a readable
// message in the cell (an HTML box of class notebook.ErrorClass, which the
// headless check reports), a panic inside a call likewise. Every figure
// shown is also kept (PNG at 300 dpi, SVG, PDF) for Export, and saved as a
// PNG in the study's plots folder. Outside a notebook the same calls print
// text and errors to stderr, so they can be tried in a test or a program.
type Notebook struct {
	// Study is the study the cells work on; nil when it could not be
	// opened (every call then shows why).
	Study *Study
	// SessionDir keeps a copy of every figure shown through this handle,
	// for Export. In GoNB it is inside the kernel's temporary folder
	// ($GONB_TMP_DIR), so it holds the figures of this notebook's kernel
	// session; elsewhere it is a fresh temporary folder.
	SessionDir string

	err error // why the study could not be opened
}

// SessionEnv is the environment variable GoNB sets to its kernel's
// temporary folder, which lives as long as the kernel.
const SessionEnv = "GONB_TMP_DIR"

// OpenNotebook opens the study from the environment (see OpenStudy) for notebook
// cells. It never fails: an error is kept and shown by every later call.
func OpenNotebook() *Notebook {
	n := &Notebook{}
	n.Study, n.err = OpenStudy()
	if dir := os.Getenv(SessionEnv); dir != "" {
		n.SessionDir = filepath.Join(dir, "fernb-figures")
	} else if d, err := os.MkdirTemp("", "fernb-figures-"); err == nil {
		n.SessionDir = d
	} else if n.err == nil {
		n.err = fmt.Errorf("no folder to keep figures in: %w", err)
	}
	return n
}

// call formats a call for messages, e.g. `s.Curves("00", "01")`.
func call(name string, args ...any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if str, ok := a.(string); ok {
			parts[i] = strconv.Quote(str)
		} else {
			parts[i] = fmt.Sprint(a)
		}
	}
	return "s." + name + "(" + strings.Join(parts, ", ") + ")"
}

// do runs fn on the study and shows its error, or a panic it raised, as a
// readable message. It returns whether fn succeeded.
func (n *Notebook) do(what string, fn func(s *Study) error) (ok bool) {
	if n.err != nil {
		showError(what, fmt.Errorf("the study could not be opened: %w", n.err), "")
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			showError(what, fmt.Errorf("%v", r), string(debug.Stack()))
			ok = false
		}
	}()
	if err := fn(n.Study); err != nil {
		showError(what, err, "")
		return false
	}
	return true
}

// showError displays err as a readable message: a red box in a notebook
// (with the stack of a panic folded away), a line on stderr elsewhere.
func showError(what string, err error, stack string) {
	if !gonbui.IsNotebook {
		fmt.Fprintf(os.Stderr, "%s failed: %v\n", what, err)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="%s" style="border-left:4px solid #c62828;background:#fdecea;padding:6px 10px;margin:4px 0">`, notebook.ErrorClass)
	fmt.Fprintf(&b, `<b>%s failed</b><pre style="white-space:pre-wrap;margin:4px 0 0 0;background:none">%s</pre>`,
		html.EscapeString(what), html.EscapeString(err.Error()))
	if stack != "" {
		fmt.Fprintf(&b, `<details><summary>where (a bug in fernb: please report it)</summary><pre>%s</pre></details>`, html.EscapeString(stack))
	}
	b.WriteString("</div>")
	gonbui.DisplayHTML(b.String())
	gonbui.Sync()
}

// showText displays preformatted text (a table, a summary).
func showText(text string) {
	showMarkdown("```\n" + strings.TrimRight(text, "\n") + "\n```")
}

// show displays a figure, keeps it (PNG, SVG, PDF) in the session folder
// for Export and saves its PNG in the study's plots folder.
func (n *Notebook) show(f *plots.Figure, err error) error {
	if err != nil {
		return err
	}
	s := n.Study
	if err := keepFigure(n.SessionDir, f); err != nil {
		return err
	}
	if _, err := copyFile(filepath.Join(n.SessionDir, f.Name+".png"), filepath.Join(s.PlotsDir, f.Name+".png")); err != nil {
		return err
	}
	if !gonbui.IsNotebook {
		fmt.Printf("figure %s: %s\n", f.Name, filepath.Join(s.PlotsDir, f.Name+".png"))
		return nil
	}
	return inline.Show(f)
}

// Header shows the study's description: data, scale, backend, hardware.
func (n *Notebook) Header() {
	n.do(call("Header"), func(s *Study) error { showMarkdown(s.Describe()); return nil })
}

// Data shows the data set's summary: images per split and class.
func (n *Notebook) Data() {
	n.do(call("Data"), func(s *Study) error {
		ds, err := s.Dataset()
		if err != nil {
			return err
		}
		showText(ds.Summary())
		return nil
	})
}

// Quality shows the data-quality report: counts, imbalance, duplicates,
// blank images.
func (n *Notebook) Quality() {
	n.do(call("Quality"), func(s *Study) error {
		q, err := s.Quality()
		if err == nil {
			showText(q.String())
		}
		return err
	})
}

// ClassDistribution shows the number of images per class in each split.
func (n *Notebook) ClassDistribution() {
	n.do(call("ClassDistribution"), func(s *Study) error { return n.show(s.ClassDistribution()) })
}

// SampleFaces shows perClass training faces of each class.
func (n *Notebook) SampleFaces(perClass int) {
	n.do(call("SampleFaces", perClass), func(s *Study) error { return n.show(s.SampleFaces(perClass)) })
}

// Augmentation shows training face index and n augmented versions of it
// under step id's augmentation.
func (n *Notebook) Augmentation(id string, index, count int) {
	n.do(call("Augmentation", id, index, count), func(s *Study) error {
		return n.show(s.AugmentationPreview(id, index, count))
	})
}

// Train trains each step in turn (reusing finished runs, resuming stopped
// ones) with a live view in the notebook: a progress bar with the time
// left, and the loss, accuracy and learning-rate curves redrawn after every
// epoch. When a step ends the live view is replaced by its summary and its
// final curves, which stay. It stops at the first step that fails and says
// why; when the loss became NaN or infinite, or the kernel was interrupted
// (the run then resumes when the cell runs again), it also shows the curves
// of the epochs finished before.
func (n *Notebook) Train(ids ...string) {
	n.do(call("Train", anys(ids)...), func(s *Study) error {
		if len(ids) == 0 {
			return fmt.Errorf("name a step to train, e.g. s.Train(%q)", "00")
		}
		for _, id := range ids {
			if err := n.train(s, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// train trains one step for Train, showing its progress, then its summary
// and final curves (or the curves so far when it stopped early).
func (n *Notebook) train(s *Study, id string) error {
	st, err := recipe.FindStep(id)
	if err != nil {
		return err
	}
	progress, done := n.progress(s, st)
	_, err = s.fit(st, progress)
	done()
	if err != nil {
		var nonFinite *train.NonFiniteError
		if errors.As(err, &nonFinite) || errors.Is(err, context.Canceled) {
			if f, ferr := s.TrainingCurves(st.ID); ferr == nil {
				_ = n.show(f, nil) // the epochs finished before it stopped
			}
		}
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("%w\ninterrupted: the run keeps its last checkpoint; run the cell again to resume it", err)
		}
		return err
	}
	sum, err := s.RunSummary(st.ID)
	if err != nil {
		return err
	}
	showMarkdown(sum)
	return n.show(s.TrainingCurves(st.ID))
}

// progress returns the training progress sink of step st and the function
// to call when its training ends: in a live notebook, a progress bar and
// curves updated in place (erased at the end, so the cell keeps only what
// it displays next); headless (fer report, CI), nothing, so the executed
// notebook keeps only the final state; outside a notebook, the study's text
// lines (Study.Train).
func (n *Notebook) progress(s *Study, st recipe.Step) (train.ProgressFunc, func()) {
	switch {
	case interactive():
		v := newLiveView(st.ID, s.Label())
		return v.progress, v.close
	case gonbui.IsNotebook || s.Log == nil:
		return nil, func() {}
	}
	return train.TextProgress(s.Log, 30*time.Second), func() {}
}

// Run shows the summary of a step's run (epochs, time, best val, test)
// without training it.
func (n *Notebook) Run(id string) {
	n.do(call("Run", id), func(s *Study) error {
		sum, err := s.RunSummary(id)
		if err == nil {
			showMarkdown(sum)
		}
		return err
	})
}

// Curves shows the train/val loss and accuracy of one or more steps,
// overlaid.
func (n *Notebook) Curves(ids ...string) {
	n.do(call("Curves", anys(ids)...), func(s *Study) error { return n.show(s.Curves(ids...)) })
}

// LearningRates shows the learning rate per epoch of one or more steps.
func (n *Notebook) LearningRates(ids ...string) {
	n.do(call("LearningRates", anys(ids)...), func(s *Study) error { return n.show(s.LearningRates(ids...)) })
}

// FinalTest shows a step's test accuracy and macro F1 with each test-time
// augmentation (none, flip, ten crops).
func (n *Notebook) FinalTest(id string) {
	n.do(call("FinalTest", id), func(s *Study) error {
		t, err := s.FinalTestTable(id)
		if err == nil {
			showMarkdown(t)
		}
		return err
	})
}

// PCA shows a step's penultimate features of train, val and test projected
// on the first two principal components of train's (at most limit images
// per split, stratified).
func (n *Notebook) PCA(id string, limit int) {
	n.do(call("PCA", id, limit), func(s *Study) error {
		figs, err := s.PCA(id, limit)
		if err != nil {
			return err
		}
		return n.showAll(figs)
	})
}

// showAll shows figures in order, stopping at the first error.
func (n *Notebook) showAll(figs []*plots.Figure) error {
	for _, f := range figs {
		if err := n.show(f, nil); err != nil {
			return err
		}
	}
	return nil
}

// ConfusionMatrix shows a step's confusion matrix on a split ("train",
// "val" or "test").
func (n *Notebook) ConfusionMatrix(id, split string) {
	n.do(call("ConfusionMatrix", id, split), func(s *Study) error { return n.show(s.ConfusionMatrix(id, split)) })
}

// PerClass shows a step's per-class precision, recall and F1 on a split.
func (n *Notebook) PerClass(id, split string) {
	n.do(call("PerClass", id, split), func(s *Study) error { return n.show(s.PerClass(id, split)) })
}

// Misclassified shows up to count faces of a split that a step gets wrong,
// most confident mistakes first.
func (n *Notebook) Misclassified(id, split string, count int) {
	n.do(call("Misclassified", id, split, count), func(s *Study) error { return n.show(s.Misclassified(id, split, count)) })
}

// GradCAM shows Grad-CAM maps of a step's model over count faces of a
// split, two of each class in turn.
func (n *Notebook) GradCAM(id, split string, count int) {
	n.do(call("GradCAM", id, split, count), func(s *Study) error { return n.show(s.GradCAM(id, split, count)) })
}

// Results shows every trained step's accuracy beside the study's, as a
// table and as a figure.
func (n *Notebook) Results() {
	n.do(call("Results"), func(s *Study) error {
		t, err := s.ResultsTable()
		if err != nil {
			return err
		}
		showMarkdown(t)
		return n.show(s.ResultsFigure())
	})
}

// JupyterRootEnv is the environment variable GoNB sets to the folder
// Jupyter serves (where `jupyter lab` started: notebooks/ with fernb.sh lab).
const JupyterRootEnv = "GONB_JUPYTER_ROOT"

// Predict shows the class probabilities a step's best checkpoint gives to
// image files (any size or colour); with no files, to four test images. A
// relative file name is taken inside the folder Jupyter serves (a cell runs
// in GoNB's temporary folder, not beside the notebook).
func (n *Notebook) Predict(id string, files ...string) {
	n.do(call("Predict", append([]any{id}, anys(files)...)...), func(s *Study) error {
		if len(files) == 0 {
			var err error
			if files, err = s.ExampleFiles(4); err != nil {
				return err
			}
		}
		files = inJupyterRoot(files, os.Getenv(JupyterRootEnv))
		out, err := s.PredictFiles(id, files...)
		if err == nil {
			showText(out)
		}
		return err
	})
}

// inJupyterRoot returns files with the relative ones joined to root (left
// as they are when root is "").
func inJupyterRoot(files []string, root string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		if root != "" && !filepath.IsAbs(f) {
			f = filepath.Join(root, f)
		}
		out[i] = f
	}
	return out
}

// anys converts strings to the arguments of call.
func anys(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
