package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// PhaseRatio compares the phases of a GoMLX configuration with PyTorch's:
// each field is PyTorch's milliseconds over fernb's (so > 1 means fernb is
// faster, as Ratio), and each Gap field is fernb's milliseconds minus
// PyTorch's (what fernb loses in that phase; negative when it wins).
type PhaseRatio struct {
	// Fernb and Peer are the Phases labels compared.
	Fernb string `json:"fernb"`
	Peer  string `json:"peer"`
	// Forward, Backward, ForwardBackward, Update and Step are the speed ratios.
	Forward         float64 `json:"forward"`
	Backward        float64 `json:"backward"`
	ForwardBackward float64 `json:"forward_backward"`
	Update          float64 `json:"update"`
	Step            float64 `json:"step"`
	// ForwardGap ... StepGap are the gaps in milliseconds.
	ForwardGap         float64 `json:"forward_gap_ms"`
	BackwardGap        float64 `json:"backward_gap_ms"`
	ForwardBackwardGap float64 `json:"forward_backward_gap_ms"`
	UpdateGap          float64 `json:"update_gap_ms"`
	StepGap            float64 `json:"step_gap_ms"`
}

// phaseRatios compares every measured GoMLX configuration of p with every
// measured PyTorch format.
func (p *Profile) phaseRatios() []PhaseRatio {
	var out []PhaseRatio
	for _, f := range p.Phases {
		if f.IsTorch() || f.Error != "" || f.StepMs == 0 {
			continue
		}
		for _, t := range p.Phases {
			if !t.IsTorch() || t.Error != "" || t.StepMs == 0 {
				continue
			}
			out = append(out, PhaseRatio{Fernb: f.Label, Peer: t.Label,
				Forward: speed(t.ForwardMs, f.ForwardMs), Backward: speed(t.BackwardMs, f.BackwardMs),
				ForwardBackward: speed(t.ForwardBackwardMs, f.ForwardBackwardMs), Update: speed(t.UpdateMs, f.UpdateMs),
				Step: speed(t.StepMs, f.StepMs), ForwardGap: f.ForwardMs - t.ForwardMs, BackwardGap: f.BackwardMs - t.BackwardMs,
				ForwardBackwardGap: f.ForwardBackwardMs - t.ForwardBackwardMs, UpdateGap: f.UpdateMs - t.UpdateMs, StepGap: f.StepMs - t.StepMs})
		}
	}
	return out
}

// speed is peer/fernb (a speed ratio of fernb over the peer), 0 when either
// is not positive (a derived phase can come out <= 0 within noise).
func speed(peerMs, fernbMs float64) float64 {
	if peerMs <= 0 || fernbMs <= 0 {
		return 0
	}
	return peerMs / fernbMs
}

// ConvTotal is the summed time of every convolution of the network for one
// implementation: sum over shapes of Count x the shape's median.
type ConvTotal struct {
	// Impl is the ConvTiming.Impl summed.
	Impl string `json:"impl"`
	// ForwardMs and ForwardBackwardMs are the sums.
	ForwardMs         float64 `json:"forward_ms"`
	ForwardBackwardMs float64 `json:"forward_backward_ms"`
	// Shapes is how many shapes were measured (the sums are complete only
	// when it is every shape).
	Shapes int `json:"shapes"`
}

// convTotals sums, per implementation (in the order of first appearance),
// Count x median over the shapes it measured.
func (p *Profile) convTotals() []ConvTotal {
	var out []ConvTotal
	index := map[string]int{}
	for _, c := range p.Convs {
		for _, t := range c.Timings {
			if t.Error != "" || t.ForwardMs == 0 {
				continue
			}
			i, ok := index[t.Impl]
			if !ok {
				i = len(out)
				index[t.Impl] = i
				out = append(out, ConvTotal{Impl: t.Impl})
			}
			out[i].ForwardMs += float64(c.Count) * t.ForwardMs
			out[i].ForwardBackwardMs += float64(c.Count) * t.ForwardBackwardMs
			out[i].Shapes++
		}
	}
	return out
}

// WriteTable writes the profile as readable text: the machine, the phases
// of the step per configuration, the ratios per phase, then one table per
// pass (forward, forward + backward) of the convolution shapes.
func (p *Profile) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "profile: ResNet18 @48x48x1 (%s stem), batch %d, where a training step's time goes (fwd+bwd+SGD momentum %g, wd %g)\n",
		p.Stem, p.Batch, Momentum, WeightDecay)
	fmt.Fprintf(&b, "machine: %s\n", p.CPU)
	fmt.Fprintf(&b, "load average: %s before, %s after; %s", p.LoadBefore, p.LoadAfter, p.GoVersion)
	if p.XLAFlags != "" {
		fmt.Fprintf(&b, "; XLA_FLAGS=%q", p.XLAFlags)
	}
	b.WriteString("\n")
	for _, be := range p.Backends {
		fmt.Fprintf(&b, "backend %s: %s, %d device(s)\n", be.Name, be.Description, be.Devices)
	}
	if p.Torch != nil {
		fmt.Fprintf(&b, "peer pytorch: torch %s on %s, %d threads, oneDNN %v, %s\n",
			p.Torch.Version, p.Torch.Device, p.Torch.Threads, p.Torch.MKLDNN, p.Torch.CPUCapability)
	}
	if p.TorchError != "" {
		fmt.Fprintf(&b, "peer pytorch failed: %s\n", p.TorchError)
	}
	if err := p.writePhases(&b); err != nil {
		return err
	}
	if err := p.writeConvs(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePhases writes the phase table and the ratios.
func (p *Profile) writePhases(b *strings.Builder) error {
	if len(p.Phases) == 0 {
		return nil
	}
	fmt.Fprintf(b, "\nphases of one training step, median ms of up to %d timed calls after the first (compiling) + %d warm-up; each phase is its own graph (GoMLX) or call sequence (PyTorch):\n",
		p.Steps.Train, p.Steps.Warmup)
	b.WriteString("  forward = training-mode forward + cross-entropy; forward+backward = + all gradients, no update; step = + momentum-SGD update\n")
	b.WriteString("  backward = (forward+backward) - forward, update = step - (forward+backward): derived\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, v func(Phases) string) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, ph := range p.Phases {
			if ph.Error != "" && name != "phase" {
				fmt.Fprint(tw, "failed\t")
			} else {
				fmt.Fprintf(tw, "%s\t", v(ph))
			}
		}
		fmt.Fprintln(tw)
	}
	row("phase", func(ph Phases) string { return ph.Label })
	ms := func(f func(Phases) float64) func(Phases) string {
		return func(ph Phases) string { return fmt.Sprintf("%.1f", f(ph)) }
	}
	row("forward ms", ms(func(ph Phases) float64 { return ph.ForwardMs }))
	row("backward ms (derived)", ms(func(ph Phases) float64 { return ph.BackwardMs }))
	row("forward+backward ms", ms(func(ph Phases) float64 { return ph.ForwardBackwardMs }))
	row("update ms (derived)", ms(func(ph Phases) float64 { return ph.UpdateMs }))
	row("step ms", ms(func(ph Phases) float64 { return ph.StepMs }))
	row("step img/s", ms(func(ph Phases) float64 { return ph.StepImagesPerSec }))
	row("timed calls", func(ph Phases) string {
		return fmt.Sprintf("%d+%d+%d", len(ph.ForwardSec), len(ph.ForwardBackwardSec), len(ph.StepSec))
	})
	row("first calls s (compile)", func(ph Phases) string {
		if ph.IsTorch() {
			return "-"
		}
		return fmt.Sprintf("%.1f/%.1f/%.1f", ph.ForwardFirstSec, ph.ForwardBackwardFirstSec, ph.StepFirstSec)
	})
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, ph := range p.Phases {
		if ph.Error != "" {
			fmt.Fprintf(b, "  %s failed: %s\n", ph.Label, ph.Error)
		}
	}
	rs := p.Ratios
	if len(rs) == 0 {
		return nil
	}
	b.WriteString("\nfernb vs PyTorch per phase: speed = PyTorch ms / fernb ms (> 1 = fernb faster), [fernb ms - PyTorch ms]:\n")
	tw = tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fernb\tvs\tforward\tbackward\tforward+backward\tupdate\tstep\t")
	cell := func(r, gap float64) string {
		if r == 0 { // a derived phase <= 0 within noise
			return fmt.Sprintf("- [%+.1f]", gap)
		}
		return fmt.Sprintf("%.2fx [%+.1f]", r, gap)
	}
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Fernb, r.Peer, cell(r.Forward, r.ForwardGap), cell(r.Backward, r.BackwardGap),
			cell(r.ForwardBackward, r.ForwardBackwardGap), cell(r.Update, r.UpdateGap), cell(r.Step, r.StepGap))
	}
	return tw.Flush()
}

// writeConvs writes one table per pass of the convolution shapes, their
// totals and what share of the phases they are.
func (p *Profile) writeConvs(b *strings.Builder) error {
	if len(p.Convs) == 0 {
		return nil
	}
	impls := p.convImpls()
	for _, ps := range convPasses {
		if err := p.writeConvPass(b, ps, impls); err != nil {
			return err
		}
	}
	if lines := p.convShares(impls); len(lines) > 0 {
		b.WriteString("\nconvolutions alone (sum of n x ms) against the phases that contain them (the rest of a phase: batch norm, ReLU, max-pool,\n" +
			"residual adds, fc, loss, and what the convolutions cost more or less inside the whole graph; the convolutions' forward+backward\n" +
			"sum includes the stem's input gradient, which training does not compute):\n")
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return nil
}

// convPass is one pass of the convolution tables: its name and how to read
// its times from a ConvTiming and a ConvTotal.
type convPass struct {
	name  string
	ms    func(ConvTiming) float64
	gflop func(ConvTiming) float64
	total func(ConvTotal) float64
}

// convPasses are the passes of the convolution tables, in order.
var convPasses = []convPass{
	{"forward", func(t ConvTiming) float64 { return t.ForwardMs }, func(t ConvTiming) float64 { return t.ForwardGFLOPs },
		func(t ConvTotal) float64 { return t.ForwardMs }},
	{"forward+backward (gradients of input and kernel)", func(t ConvTiming) float64 { return t.ForwardBackwardMs },
		func(t ConvTiming) float64 { return t.ForwardBackwardGFLOPs }, func(t ConvTotal) float64 { return t.ForwardBackwardMs }},
}

// convImpls are the implementations of p's convolution timings (their
// identity, no times), in the order they first appear.
func (p *Profile) convImpls() []ConvTiming {
	var impls []ConvTiming
	seen := map[string]bool{}
	for _, c := range p.Convs {
		for _, t := range c.Timings {
			if !seen[t.Impl] {
				seen[t.Impl] = true
				impls = append(impls, ConvTiming{Impl: t.Impl, Backend: t.Backend, Conv: t.Conv, Format: t.Format})
			}
		}
	}
	return impls
}

// timing is c's successful timing by impl, if any.
func (c ConvProfile) timing(impl string) (ConvTiming, bool) {
	for _, t := range c.Timings {
		if t.Impl == impl && t.Error == "" {
			return t, true
		}
	}
	return ConvTiming{}, false
}

// speedPairs are the (fernb, PyTorch) implementation pairs of the speed
// columns: each fernb implementation against each PyTorch format.
func speedPairs(impls []ConvTiming) [][2]ConvTiming {
	var pairs [][2]ConvTiming
	for _, f := range impls {
		if f.IsTorch() {
			continue
		}
		for _, t := range impls {
			if t.IsTorch() {
				pairs = append(pairs, [2]ConvTiming{f, t})
			}
		}
	}
	return pairs
}

// writeConvPass writes the table of pass ps: a row per shape with each
// implementation's times and the speeds, then the totals row.
func (p *Profile) writeConvPass(b *strings.Builder, ps convPass, impls []ConvTiming) error {
	fmt.Fprintf(b, "\neach convolution shape alone, %s, batch %d: median ms of %d timed calls after 1+%d untimed; GFLOP/s = 2 x MACs x batch / time (x3 with gradients);\n",
		ps.name, p.Batch, p.ConvSteps, p.ConvWarmup)
	b.WriteString("  n = times the shape occurs in the network, n x ms = its share of one pass; speed = PyTorch ms / fernb ms (> 1 = fernb faster)\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	pairs := speedPairs(impls)
	writeConvHeader(tw, impls, pairs)
	for _, c := range p.Convs {
		fmt.Fprintf(tw, "%s\t%d\t", c.Key, c.Count)
		for _, im := range impls {
			if t, ok := c.timing(im.Impl); ok {
				fmt.Fprintf(tw, "%.2f\t%.0f\t%.1f\t", ps.ms(t), ps.gflop(t), float64(c.Count)*ps.ms(t))
			} else {
				fmt.Fprint(tw, "failed\t\t\t")
			}
		}
		for _, pair := range pairs {
			ft, ok1 := c.timing(pair[0].Impl)
			tt, ok2 := c.timing(pair[1].Impl)
			if ok1 && ok2 {
				fmt.Fprintf(tw, "%.2fx\t", speed(ps.ms(tt), ps.ms(ft)))
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	p.writeConvTotals(tw, ps, impls, pairs)
	return tw.Flush()
}

// writeConvHeader writes the header row of a convolution table: three
// columns per implementation, then one per speed pair (named after the
// fernb implementation too when there are several).
func writeConvHeader(tw io.Writer, impls []ConvTiming, pairs [][2]ConvTiming) {
	fmt.Fprint(tw, "shape\tn\t")
	for _, im := range impls {
		fmt.Fprintf(tw, "%s ms\tGFLOP/s\tn x ms\t", im.Impl)
	}
	nFernb := 0
	for _, f := range impls {
		if !f.IsTorch() {
			nFernb++
		}
	}
	for _, pair := range pairs {
		name := "speed vs " + pair[1].Format
		if nFernb > 1 {
			name = pair[0].Impl + " " + name
		}
		fmt.Fprintf(tw, "%s\t", name)
	}
	fmt.Fprintln(tw)
}

// writeConvTotals writes the totals row of pass ps: each implementation's
// sum of n x ms over the network, and the speeds of the sums.
func (p *Profile) writeConvTotals(tw io.Writer, ps convPass, impls []ConvTiming, pairs [][2]ConvTiming) {
	fmt.Fprintf(tw, "all convolutions\t%d\t", p.convCount())
	byImpl := map[string]ConvTotal{}
	for _, t := range p.ConvTotals {
		byImpl[t.Impl] = t
	}
	for _, im := range impls {
		fmt.Fprintf(tw, "\t\t%.1f\t", ps.total(byImpl[im.Impl]))
	}
	for _, pair := range pairs {
		fmt.Fprintf(tw, "%.2fx\t", speed(ps.total(byImpl[pair[1].Impl]), ps.total(byImpl[pair[0].Impl])))
	}
	fmt.Fprintln(tw)
}

// convShares are the lines saying, for each measured phase row, how much of
// its forward and forward+backward the convolutions alone sum to.
func (p *Profile) convShares(impls []ConvTiming) []string {
	var lines []string
	for _, ph := range p.Phases {
		if ph.Error != "" || ph.ForwardMs == 0 {
			continue
		}
		for _, im := range impls {
			if !im.matches(ph) {
				continue
			}
			t := ConvTotal{}
			for _, x := range p.ConvTotals {
				if x.Impl == im.Impl {
					t = x
				}
			}
			lines = append(lines, fmt.Sprintf("  %s: convolutions %.1f of %.1f ms forward (%.0f%%), %.1f of %.1f ms forward+backward (%.0f%%)",
				ph.Label, t.ForwardMs, ph.ForwardMs, 100*t.ForwardMs/ph.ForwardMs,
				t.ForwardBackwardMs, ph.ForwardBackwardMs, 100*t.ForwardBackwardMs/ph.ForwardBackwardMs))
		}
	}
	return lines
}

// convCount is the number of convolution layers of the network.
func (p *Profile) convCount() int {
	n := 0
	for _, c := range p.Convs {
		n += c.Count
	}
	return n
}

// WriteJSON writes the profile as indented JSON to path.
func (p *Profile) WriteJSON(path string) error { return writeJSON(path, p) }
