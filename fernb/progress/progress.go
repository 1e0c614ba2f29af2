// Package progress formats what fernb tells people about a long job: how
// far it is (done of total, percent), how fast it goes, how long it has run
// and how long it has left. Every progress line and every table cell with a
// duration or a percentage is written with it, so they all read alike:
// durations as "12 s", "7 min 40 s" or "1 h 05 min", percentages as
// "45.12%".
package progress

import (
	"fmt"
	"math"
	"time"
)

// Unknown is what Parts shows for a number that cannot be estimated yet,
// such as the time left before anything is done.
const Unknown = "…"

// Duration formats d, rounded to the second, as "12 s" (under a minute),
// "7 min 40 s" (under an hour) or "1 h 05 min" (rounded to the minute;
// hours keep counting past a day: "26 h 00 min"). Negative durations
// format as "0 s".
func Duration(d time.Duration) string {
	return Seconds(d.Seconds())
}

// Seconds is Duration for a number of seconds.
func Seconds(secs float64) string {
	s := int(math.Round(max(0, secs)))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	m := int(math.Round(secs / 60))
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// Percent formats a fraction as a percentage with two decimals, rounded to
// nearest ("0.12345" is "12.35%"); NaN (not measured) is "–".
func Percent(frac float64) string {
	if math.IsNaN(frac) {
		return "–"
	}
	return fmt.Sprintf("%.2f%%", 100*frac)
}

// Parts are the numbers of one progress report, estimated from done of
// total after elapsed, and their text.
type Parts struct {
	// Done of Total units (images, steps, epochs...).
	Done, Total float64
	// Elapsed is the time the job has run.
	Elapsed time.Duration
	// Fraction is Done/Total, within [0, 1] (0 when Total is 0).
	Fraction float64
	// Rate is units per second (0 until something is done).
	Rate float64
	// ETA is the time left; it is known (ETAKnown) once something is done.
	ETA      time.Duration
	ETAKnown bool
}

// Of estimates the progress of a job that did done of total units in
// elapsed, at the rate so far: rate = done/elapsed and
// ETA = elapsed·(total−done)/done. Before anything is done (done ≤ 0) the
// ETA is unknown.
func Of(done, total float64, elapsed time.Duration) Parts {
	p := Parts{Done: done, Total: total, Elapsed: elapsed}
	if total > 0 {
		p.Fraction = min(1, max(0, done/total))
	}
	if done > 0 {
		if elapsed > 0 {
			p.Rate = done / elapsed.Seconds()
		}
		p.ETA = time.Duration(float64(elapsed) * max(0, total-done) / done)
		p.ETAKnown = true
	}
	return p
}

// WithETA replaces the estimated time left with eta, from a caller that
// knows better than the rate so far (one that leaves compilation out, say).
func (p Parts) WithETA(eta time.Duration) Parts {
	p.ETA, p.ETAKnown = max(0, eta), true
	return p
}

// Count is "done/total", e.g. "1200/28709".
func (p Parts) Count() string { return fmt.Sprintf("%.0f/%.0f", p.Done, p.Total) }

// PercentText is the fraction done as a whole percentage, e.g. "4%".
func (p Parts) PercentText() string { return fmt.Sprintf("%.0f%%", 100*p.Fraction) }

// ElapsedText is the elapsed time as a Duration.
func (p Parts) ElapsedText() string { return Duration(p.Elapsed) }

// RateText is the rate in unit per second, e.g. "152 img/s" for unit
// "img"; Unknown until something is done.
func (p Parts) RateText(unit string) string {
	if p.Rate <= 0 {
		return Unknown
	}
	if p.Rate >= 10 {
		return fmt.Sprintf("%.0f %s/s", p.Rate, unit)
	}
	return fmt.Sprintf("%.2f %s/s", p.Rate, unit)
}

// ETAText is the time left as a Duration, or Unknown.
func (p Parts) ETAText() string {
	if !p.ETAKnown {
		return Unknown
	}
	return Duration(p.ETA)
}

// String is the whole line without a rate:
// "1200/28709 (4%), elapsed 2 s, ETA 46 s".
func (p Parts) String() string {
	return fmt.Sprintf("%s (%s), elapsed %s, ETA %s", p.Count(), p.PercentText(), p.ElapsedText(), p.ETAText())
}
