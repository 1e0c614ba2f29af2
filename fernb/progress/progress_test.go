package progress

import (
	"math"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{-3 * time.Second, "0 s"},
		{400 * time.Millisecond, "0 s"},
		{500 * time.Millisecond, "1 s"},
		{59 * time.Second, "59 s"},
		{59600 * time.Millisecond, "1 min 00 s"},
		{61 * time.Second, "1 min 01 s"},
		{7*time.Minute + 40*time.Second, "7 min 40 s"},
		{time.Hour, "1 h 00 min"},
		{time.Hour + 5*time.Minute, "1 h 05 min"},
		{time.Hour + 5*time.Minute + 29*time.Second, "1 h 05 min"},
		{time.Hour + 5*time.Minute + 30*time.Second, "1 h 06 min"},
		{26*time.Hour + 3*time.Minute, "26 h 03 min"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
		if got := Seconds(c.d.Seconds()); got != c.want {
			t.Errorf("Seconds(%g) = %q, want %q", c.d.Seconds(), got, c.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0.00%"},
		{1, "100.00%"},
		{0.6234, "62.34%"},
		{0.12346, "12.35%"},
		{0.123449, "12.34%"},
		{0.99999, "100.00%"},
		{math.NaN(), "–"},
	} {
		if got := Percent(c.v); got != c.want {
			t.Errorf("Percent(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestOf(t *testing.T) {
	for _, c := range []struct {
		name                 string
		done, total          float64
		elapsed              time.Duration
		line, rate, eta, pct string
	}{
		{"nothing done", 0, 100, 5 * time.Second, "0/100 (0%), elapsed 5 s, ETA …", "…", "…", "0%"},
		{"nothing done at once", 0, 100, 0, "0/100 (0%), elapsed 0 s, ETA …", "…", "…", "0%"},
		{"a quarter", 25, 100, 10 * time.Second, "25/100 (25%), elapsed 10 s, ETA 30 s", "2.50 img/s", "30 s", "25%"},
		{"fast", 1200, 28709, 2 * time.Second, "1200/28709 (4%), elapsed 2 s, ETA 46 s", "600 img/s", "46 s", "4%"},
		{"done", 186, 186, 65 * time.Minute, "186/186 (100%), elapsed 1 h 05 min, ETA 0 s", "0.05 img/s", "0 s", "100%"},
		{"over", 200, 186, time.Minute, "200/186 (100%), elapsed 1 min 00 s, ETA 0 s", "3.33 img/s", "0 s", "100%"},
		{"no total", 3, 0, time.Second, "3/0 (0%), elapsed 1 s, ETA 0 s", "3.00 img/s", "0 s", "0%"},
	} {
		p := Of(c.done, c.total, c.elapsed)
		if got := p.String(); got != c.line {
			t.Errorf("%s: String() = %q, want %q", c.name, got, c.line)
		}
		if got := p.RateText("img"); got != c.rate {
			t.Errorf("%s: RateText = %q, want %q", c.name, got, c.rate)
		}
		if got := p.ETAText(); got != c.eta {
			t.Errorf("%s: ETAText = %q, want %q", c.name, got, c.eta)
		}
		if got := p.PercentText(); got != c.pct {
			t.Errorf("%s: PercentText = %q, want %q", c.name, got, c.pct)
		}
	}
}

func TestWithETA(t *testing.T) {
	p := Of(0, 10, time.Second).WithETA(90 * time.Second)
	if got := p.ETAText(); got != "1 min 30 s" {
		t.Errorf("WithETA(90 s) at 0 done: ETAText = %q", got)
	}
	if got := Of(5, 10, time.Second).WithETA(-time.Second).ETAText(); got != "0 s" {
		t.Errorf("negative ETA: %q, want 0 s", got)
	}
}
