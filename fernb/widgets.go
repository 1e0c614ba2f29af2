package fernb

import (
	"errors"
	"fmt"
	"html"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/run"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
)

// Widget timing: how long a widget waits for the browser to answer when it
// is created (no answer means no live front-end), and how long an explorer
// stays open without any change before it closes itself.
var (
	widgetAnswerTimeout = 20 * time.Second
	explorerIdleTimeout = 15 * time.Minute
)

// errNoFrontEnd says that a widget got no answer from a browser.
var errNoFrontEnd = errors.New("no browser answered the widget")

// headlessNote shows why an explorer shows a fixed view instead of its
// widgets: the run is headless, or (noAnswer) no browser answered.
func headlessNote(what string, noAnswer bool) {
	why := "Run headless (fer report, CI), it shows its starting view instead."
	if noAnswer {
		why = fmt.Sprintf("No browser answered its widgets within %s, so it shows its starting view instead.", widgetAnswerTimeout)
	}
	showMarkdown("*Interactive " + what + ": open this notebook in JupyterLab (`./fernb.sh lab`) to use it. " + why + "*")
}

// panel is an explorer's widgets and view in a notebook: a block of
// controls and a view block, both updated in place and erased by close.
type panel struct {
	blockID, divID, viewID string
	changed                chan struct{}
	closers                []func()
	done                   *comms.AddressChan[int]
}

// openPanel displays an empty controls block titled title.
func openPanel(title string) *panel {
	uid := gonbui.UniqueID()
	p := &panel{blockID: "fernb-panel-" + uid, divID: "fernb-controls-" + uid, viewID: "fernb-view-" + uid,
		changed: make(chan struct{}, 1)}
	gonbui.UpdateHTML(p.blockID, fmt.Sprintf(`<div id="%s" style="font-family:sans-serif"><b>%s</b><br/></div>`, p.divID, html.EscapeString(title)))
	gonbui.UpdateHTML(p.viewID, "<i>drawing…</i>")
	gonbui.Sync()
	return p
}

// within runs build (a widget's Done, which waits for the browser's first
// answer) and reports errNoFrontEnd if it takes longer than
// widgetAnswerTimeout.
func within(build func()) error {
	ok := make(chan struct{})
	go func() { build(); close(ok) }()
	select {
	case <-ok:
		return nil
	case <-time.After(widgetAnswerTimeout):
		return errNoFrontEnd
	}
}

// watch forwards a widget's values into value and signals p.changed.
func (p *panel) watch(c *comms.AddressChan[int], value *atomic.Int64) {
	p.closers = append(p.closers, c.Close)
	go func() {
		for v := range c.C {
			value.Store(int64(v))
			select {
			case p.changed <- struct{}{}:
			default:
			}
		}
	}()
}

// slider adds a labelled slider whose position goes into v (starting at
// value); show formats the position next to it.
func (p *panel) slider(label string, lo, hi, value int, show func(int) string, v *atomic.Int64) error {
	spanID := "fernb-value-" + gonbui.UniqueID()
	dom.Append(p.divID, fmt.Sprintf(`<span style="display:inline-block;min-width:8em">%s</span>`, html.EscapeString(label)))
	var s *widgets.SliderBuilder
	if err := within(func() { s = widgets.Slider(lo, hi, value).AppendTo(p.divID).Done() }); err != nil {
		return err
	}
	dom.Append(p.divID, fmt.Sprintf(` <span id="%s" style="font-family:monospace">%s</span><br/>`, spanID, html.EscapeString(show(value))))
	v.Store(int64(value))
	c := s.Listen().LatestOnly()
	p.closers = append(p.closers, c.Close)
	go func() {
		for x := range c.C {
			v.Store(int64(x))
			dom.SetInnerText(spanID, show(x))
			select {
			case p.changed <- struct{}{}:
			default:
			}
		}
	}()
	return nil
}

// choice adds a labelled drop-down list whose choice (an index of options,
// starting at 0) goes into v.
func (p *panel) choice(label string, options []string, v *atomic.Int64) error {
	dom.Append(p.divID, fmt.Sprintf(`<span style="display:inline-block;min-width:8em">%s</span>`, html.EscapeString(label)))
	var s *widgets.SelectBuilder
	if err := within(func() { s = widgets.Select(options).AppendTo(p.divID).Done() }); err != nil {
		return err
	}
	dom.Append(p.divID, "<br/>")
	v.Store(0)
	p.watch(s.Listen().LatestOnly(), v)
	return nil
}

// doneButton adds the button that closes the explorer.
//
// It listens on the button's address before building it, rather than with
// ButtonBuilder.Listen after Done: Done closes its own listener, and GoNB
// sends that unsubscription to the kernel asynchronously, so it can arrive
// after a new subscription and silence the address, losing the click (seen
// in CI as an explorer waiting forever). With this listener open first, the
// address never loses its last subscriber. It also receives the button's
// creation value 0, which run ignores.
func (p *panel) doneButton() error {
	address := "/button/fernb-done-" + gonbui.UniqueID()
	p.done = comms.Listen[int](address).LatestOnly()
	p.closers = append(p.closers, p.done.Close)
	return within(func() { widgets.Button("Done").WithAddress(address).AppendTo(p.divID).Done() })
}

// run draws the view now and after every change until Done is pressed or
// explorerIdleTimeout passes without a change; draw errors show in the view.
func (p *panel) run(draw func() (string, error)) {
	redraw := func() {
		h, err := draw()
		if err != nil {
			h = fmt.Sprintf(`<pre style="color:#c62828">%s</pre>`, html.EscapeString(err.Error()))
		}
		gonbui.UpdateHTML(p.viewID, h)
	}
	redraw()
	for {
		select {
		case <-p.changed:
			gonbui.UpdateHTML(p.viewID, "<i>drawing…</i>")
			redraw()
		case clicks := <-p.done.C:
			if clicks > 0 { // 0 is the button's creation value
				return
			}
		case <-time.After(explorerIdleTimeout):
			return
		}
	}
}

// close erases the controls and the view.
func (p *panel) close() {
	for _, c := range p.closers {
		c()
	}
	gonbui.UpdateHTML(p.blockID, "")
	gonbui.UpdateHTML(p.viewID, "")
	gonbui.Sync()
}

// figuresHTML draws figures as <img> elements side by side.
func figuresHTML(figs ...*plots.Figure) (string, error) {
	var b strings.Builder
	for _, f := range figs {
		h, err := f.HTML()
		if err != nil {
			return "", err
		}
		b.WriteString(h)
	}
	return b.String(), nil
}

// explore runs an explorer: in a live notebook it builds the widgets with
// controls, then runs view on every change until Done; headless, or when no
// browser answers, it shows a note and the starting view. Either way the
// view of the last state is shown for good (and kept for Export).
func (n *Notebook) explore(what, title string, controls func(p *panel) error, view func() ([]*plots.Figure, error)) error {
	final := func() error {
		figs, err := view()
		if err != nil {
			return err
		}
		return n.showAll(figs)
	}
	if !interactive() {
		headlessNote(what, false)
		return final()
	}
	p := openPanel(title)
	err := controls(p)
	if err == nil {
		err = p.doneButton()
	}
	if err != nil {
		p.close()
		if errors.Is(err, errNoFrontEnd) {
			headlessNote(what, true)
			return final()
		}
		return err
	}
	p.run(func() (string, error) {
		figs, err := view()
		if err != nil {
			return "", err
		}
		return figuresHTML(figs...)
	})
	p.close()
	return final()
}

// scaleAugmentation returns c at a strength in [0, 1]: rotation, padding
// crop, erasing probability and colour jitter scale linearly, and a
// RandomResizedCrop's scale and ratio ranges shrink towards 1 (no crop);
// strength 0 leaves only the flip, 1 gives c itself. Mixup and cutmix
// (batch-level) and the normalisation are kept.
func scaleAugmentation(c augment.Config, strength float64) augment.Config {
	strength = min(1, max(0, strength))
	out := c
	out.Rotate = c.Rotate * strength
	out.PadCrop = int(float64(c.PadCrop)*strength + 0.5)
	out.Erase = c.Erase * strength
	out.Brightness = c.Brightness * strength
	out.Contrast = c.Contrast * strength
	if c.ResizedCrop {
		scale, ratio := c.ResizedCropScale, c.ResizedCropRatio
		if scale == [2]float64{} {
			scale = [2]float64{0.08, 1}
		}
		if ratio == [2]float64{} {
			ratio = [2]float64{3.0 / 4, 4.0 / 3}
		}
		lerp := func(v float64) float64 { return 1 + (v-1)*strength }
		out.ResizedCropScale = [2]float64{lerp(scale[0]), lerp(scale[1])}
		out.ResizedCropRatio = [2]float64{lerp(ratio[0]), lerp(ratio[1])}
		out.ResizedCrop = strength > 0
		if !out.ResizedCrop {
			out.ResizedCropScale, out.ResizedCropRatio = [2]float64{}, [2]float64{}
		}
	}
	return out
}

// AugmentationAt draws training face index and n augmented versions of it
// under step id's augmentation at a strength in [0, 1] (scaleAugmentation).
func (s *Study) AugmentationAt(id string, strength float64, index, n int) (*plots.Figure, error) {
	cfg, err := s.Config(id)
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("augmentation of step %s at %.0f%% strength, face %d%s", id, 100*strength, index, s.Label())
	name := figName("augmentation", stepID(id), fmt.Sprintf("strength%.0f", 100*strength), fmt.Sprintf("face%d", index))
	return s.augmentationFigure(scaleAugmentation(cfg.Augment, strength), index, n, title, name)
}

// ExploreAugmentation opens sliders for the augmentation strength of step
// id (0-100 %) and for the training face, and redraws the face with eleven
// augmented versions as they move. Press Done to keep the last view.
func (n *Notebook) ExploreAugmentation(id string) {
	n.do(call("ExploreAugmentation", id), func(s *Study) error {
		ds, err := s.Dataset()
		if err != nil {
			return err
		}
		faces := min(ds.Train.Len(), 1000)
		strength, face := &atomic.Int64{}, &atomic.Int64{}
		strength.Store(100)
		return n.explore("augmentation explorer (strength and face sliders)", "augmentation of step "+stepID(id),
			func(p *panel) error {
				if err := p.slider("strength", 0, 100, 100, func(v int) string { return fmt.Sprintf("%d %%", v) }, strength); err != nil {
					return err
				}
				return p.slider("training face", 0, faces-1, 0, func(v int) string { return fmt.Sprintf("#%d", v) }, face)
			},
			func() ([]*plots.Figure, error) {
				f, err := s.AugmentationAt(id, float64(strength.Load())/100, int(face.Load()), 11)
				return []*plots.Figure{f}, err
			})
	})
}

// trainedSteps lists the study steps with a run folder at this scale.
func (s *Study) trainedSteps() []string {
	var ids []string
	for _, st := range recipe.StudySteps() {
		if _, err := train.ReadResult(s.RunDir(st.ID)); err == nil {
			ids = append(ids, st.ID)
		}
	}
	return ids
}

// ExploreRuns opens drop-down lists of the trained runs and of the splits,
// and shows the chosen run's confusion matrix and most confident mistakes
// on the chosen split. Press Done to keep the last view.
func (n *Notebook) ExploreRuns() {
	n.do(call("ExploreRuns"), func(s *Study) error {
		runs := s.trainedSteps()
		if len(runs) == 0 {
			return fmt.Errorf("no trained run at scale %q in %s: train one first, e.g. s.Train(%q)", s.Scale.Name, s.RunsDir, "00")
		}
		splits := []string{"test", "val", "train"}
		run, split := &atomic.Int64{}, &atomic.Int64{}
		return n.explore("run explorer (run and split lists)", "confusion matrix and mistakes",
			func(p *panel) error {
				if err := p.choice("run", runs, run); err != nil {
					return err
				}
				return p.choice("split", splits, split)
			},
			func() ([]*plots.Figure, error) {
				id, sp := runs[run.Load()], splits[split.Load()]
				cm, err := s.ConfusionMatrix(id, sp)
				if err != nil {
					return nil, err
				}
				wrong, err := s.Misclassified(id, sp, 16)
				if err != nil {
					return nil, err
				}
				return []*plots.Figure{cm, wrong}, nil
			})
	})
}

// GradCAMOf draws Grad-CAM maps of a step's best checkpoint over the faces
// idx of a split, each captioned with its true and predicted class.
func (s *Study) GradCAMOf(id, split string, idx ...int) (*plots.Figure, error) {
	return withRun(s, id, func(r *run.Handle) (*plots.Figure, error) { return r.GradCAMOf(split, idx...) })
}

// ExploreGradCAM opens a slider over the faces of a split and shows the
// Grad-CAM map of step id's best checkpoint for the chosen face (the model
// is loaded once). Press Done to keep the last view.
func (n *Notebook) ExploreGradCAM(id, split string) {
	n.do(call("ExploreGradCAM", id, split), func(s *Study) error {
		sp, err := s.split(split)
		if err != nil {
			return err
		}
		r, err := s.openRun(id)
		if err != nil {
			return err
		}
		defer r.Close()
		m, err := r.Model("best")
		if err != nil {
			return err
		}
		face := &atomic.Int64{}
		return n.explore("Grad-CAM explorer (face slider)", "Grad-CAM of step "+stepID(id)+" on "+split,
			func(p *panel) error {
				return p.slider("face", 0, min(sp.Len(), 1000)-1, 0, func(v int) string {
					return fmt.Sprintf("#%d (%s)", v, data.Classes[sp.Labels[v]])
				}, face)
			},
			func() ([]*plots.Figure, error) {
				f, err := r.GradCAMFigure(m, split, sp, []int{int(face.Load())})
				return []*plots.Figure{f}, err
			})
	})
}
