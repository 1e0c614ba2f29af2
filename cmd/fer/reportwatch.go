package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/models"
	"github.com/fernb/fernb/fernb/progress"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/train"
)

// planStep is one study step the report trains: its run folder name, its
// epochs at the report's scale and the relative cost of one of its epochs.
type planStep struct {
	id     string
	epochs int
	cost   float64
}

// reportPlan lists the study steps at scale sc with the relative cost of an
// epoch: 1 for ResNet18 with the standard stem, 16 with the small stem (16x
// the activations), 0.1 for the baseline CNN; train+val epochs see 25 %
// more images. The costs only weight the ETA.
func reportPlan(sc recipe.Scale) []planStep {
	var plan []planStep
	for _, st := range recipe.StudySteps() {
		c := sc.Apply(st)
		cost := 1.0
		switch {
		case c.Model == models.ArchBaseline:
			cost = 0.1
		case c.SmallStem:
			cost = 16
		}
		if st.TrainVal {
			cost *= 1.25
		}
		plan = append(plan, planStep{id: st.ID, epochs: c.Epochs, cost: cost})
	}
	return plan
}

// reportState is what the run folders say at one moment.
type reportState struct {
	// units is the cost-weighted number of epochs done, of total.
	units, total float64
	// epochs done, of all epochs.
	done, epochs int
	// last names the run folder updated most recently, with its status.
	last       string
	lastStatus train.Status
}

// readReportState reads the status.json of every planned step in runsDir
// (a missing or unreadable one counts as not started).
func readReportState(runsDir string, plan []planStep) reportState {
	var s reportState
	var newest time.Time
	for _, p := range plan {
		s.total += float64(p.epochs) * p.cost
		s.epochs += p.epochs
		st, err := train.ReadStatus(filepath.Join(runsDir, p.id))
		if err != nil {
			continue
		}
		n := min(st.EpochsDone, p.epochs)
		if st.State == "done" {
			n = p.epochs
		}
		s.done += n
		s.units += float64(n) * p.cost
		if st.Updated.After(newest) {
			newest, s.last, s.lastStatus = st.Updated, p.id, st
		}
	}
	return s
}

// progressLine says how far the report's training is: the latest run's
// epoch and best val accuracy, epochs done of all, and the time left
// estimated from the rate since the watch began (units0 were done before:
// reused runs cost no time).
func progressLine(s reportState, units0 float64, elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fer report: %s elapsed", progress.Duration(elapsed))
	if s.last != "" {
		st := s.lastStatus
		fmt.Fprintf(&b, "; %s %s, epoch %d/%d", s.last, st.State, st.EpochsDone, st.Epochs)
		if st.BestEpoch > 0 {
			fmt.Fprintf(&b, ", best val %.1f%%", 100*st.BestValAcc)
		}
	}
	fmt.Fprintf(&b, "; training epochs done %d of %d", s.done, s.epochs)
	switch {
	case s.units >= s.total:
		b.WriteString("; training done, finishing the analysis cells")
	case s.units > units0:
		// The rate counts only what this watch saw done: reused runs cost no time.
		p := progress.Of(s.units-units0, s.total-units0, elapsed)
		fmt.Fprintf(&b, " (%s of the work); training ETA about %s", progress.Of(s.units, s.total, elapsed).PercentText(), p.ETAText())
	}
	return b.String()
}

// watchReport prints a progress line to w whenever the run folders change,
// checking every `every`, until ctx ends.
func watchReport(ctx context.Context, runsDir string, plan []planStep, every time.Duration, w io.Writer) {
	start := time.Now()
	s0 := readReportState(runsDir, plan)
	prev := ""
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := readReportState(runsDir, plan)
		key := fmt.Sprintf("%s %s %d %d", s.last, s.lastStatus.State, s.lastStatus.EpochsDone, s.done)
		if key == prev {
			continue
		}
		prev = key
		fmt.Fprintln(w, progressLine(s, s0.units, time.Since(start)))
	}
}
