package fernb

import (
	"fmt"
	"html"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fernb/fernb/fernb/notebook"
	"github.com/fernb/fernb/fernb/run"
	"github.com/fernb/fernb/fernb/train"
	"github.com/janpfeifer/gonb/gonbui"
)

// interactive reports whether cells run in a live notebook front-end
// (JupyterLab, where widgets answer and displays can be updated in place)
// rather than headless (nbconvert from fer report or CI, which sets
// $FERNB_HEADLESS) or outside a notebook.
func interactive() bool {
	return gonbui.IsNotebook && os.Getenv(notebook.HeadlessEnv) == ""
}

// liveView shows a training's progress in a notebook, in two output blocks
// updated in place (gonbui.UpdateHTML): a progress bar with the time left,
// and the run's curves redrawn after every epoch. Close erases both, so
// only what the caller displays afterwards stays in the notebook.
type liveView struct {
	step          string
	barID, figID  string
	every         time.Duration
	last          time.Time
	lastPhase     string
	mu            sync.Mutex
	update        func(id, html string) // gonbui.UpdateHTML; replaced in tests
	label         string
	drawn, closed bool
}

// newLiveView returns the live view of step id's training.
func newLiveView(id, label string) *liveView {
	uid := gonbui.UniqueID()
	return &liveView{step: id, barID: "fernb-progress-" + uid, figID: "fernb-curves-" + uid,
		every: time.Second, update: gonbui.UpdateHTML, label: label}
}

// progress is the view's train.ProgressFunc: the bar at every phase change
// and at most once per `every` between training steps; the curves after
// every epoch.
func (v *liveView) progress(p train.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	if p.Phase == "train" && v.lastPhase == "train" && time.Since(v.last) < v.every {
		return
	}
	v.last, v.lastPhase = time.Now(), p.Phase
	v.update(v.barID, progressHTML(v.step, p))
	if p.Phase != "epoch" || p.Run == "" {
		return
	}
	res, err := train.ReadResult(p.Run)
	if err != nil || len(res.History) == 0 {
		return // the bar still moves; the curves come with the next epoch
	}
	f, err := run.TrainingFigure(v.step, res.History, fmt.Sprintf("%s: epoch %d of %d (live)%s", v.step, p.Epoch, p.Epochs, v.label))
	if err != nil {
		return
	}
	if h, err := f.HTML(); err == nil {
		v.update(v.figID, h)
		v.drawn = true
	}
}

// close erases the view's blocks (a block never shown is left alone).
func (v *liveView) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.closed = true
	if !v.last.IsZero() {
		v.update(v.barID, "")
	}
	if v.drawn {
		v.update(v.figID, "")
	}
	gonbui.Sync()
}

// progressHTML renders one progress report as a bar with the epoch, step,
// running loss and accuracy, throughput, elapsed time and time left.
func progressHTML(step string, p train.Progress) string {
	parts := p.Parts()
	var what string
	switch p.Phase {
	case "compile":
		what = "compiling the training graph"
	case "val":
		what = "validating"
	case "epoch":
		d := p.Done
		what = fmt.Sprintf("epoch done: loss %.4f, acc %.1f%%", d.TrainLoss, 100*d.TrainAcc)
		if d.HasVal {
			what += fmt.Sprintf(", val acc %.1f%%", 100*d.ValAcc)
		}
	default:
		what = fmt.Sprintf("step %d/%d · loss %.4f · acc %.1f%% · %.0f img/s", p.Step, p.Steps, p.Loss, 100*p.Acc, p.ImagesPerSec)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div style="font-family:monospace;font-size:90%%"><b>%s</b> epoch %d/%d `, html.EscapeString(step), p.Epoch, p.Epochs)
	fmt.Fprintf(&b, `<progress value="%.0f" max="%.0f" style="width:18em;vertical-align:middle"></progress> %s · `, parts.Done, parts.Total, parts.PercentText())
	fmt.Fprintf(&b, `elapsed %s · left %s<br/>%s · lr %.3g</div>`, parts.ElapsedText(), parts.ETAText(), html.EscapeString(what), p.LR)
	return b.String()
}
