package data

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Summary describes the data set in a few lines: where it came from, its
// layout, images per split and class, conversions, hidden files skipped,
// timings and cache use.
func (d *Dataset) Summary() string {
	var b strings.Builder
	d.WriteSummary(&b)
	return b.String()
}

// WriteSummary writes Summary to w.
func (d *Dataset) WriteSummary(w io.Writer) error {
	var b strings.Builder
	if d.Synthetic {
		fmt.Fprintf(&b, "data: SYNTHETIC faces (built-in, not FER2013)\n")
	} else {
		fmt.Fprintf(&b, "data: %s (layout %s)\n", d.Root, d.Layout)
	}
	for _, s := range d.Splits() {
		fmt.Fprintf(&b, "  %-12s %6d images:", s.Name, s.Len())
		for c, n := range s.ClassCounts() {
			fmt.Fprintf(&b, " %s %d", Classes[c], n)
		}
		b.WriteByte('\n')
	}
	st := d.Stats
	if !d.Synthetic {
		fmt.Fprintf(&b, "  conversions: %d to grayscale, %d resized to %dx%d\n", st.ToGray, st.Resized, Size, Size)
		if len(st.Ignored) > 0 {
			fmt.Fprintf(&b, "  hidden entries not loaded: %d (%s)\n", len(st.Ignored), strings.Join(st.Ignored[:min(3, len(st.Ignored))], ", "))
		}
		ms := func(t time.Duration) string { return t.Round(time.Millisecond).String() }
		if st.FromCache {
			fmt.Fprintf(&b, "  loaded from cache %s in %s (listing and checking files %s, reading %s)\n", st.CachePath, ms(st.Total), ms(st.List), ms(st.Decode))
		} else {
			fmt.Fprintf(&b, "  decoded %d images in %s with %d workers (listing %s; total %s)\n", st.Files, ms(st.Decode), st.Workers, ms(st.List), ms(st.Total))
		}
		if st.CacheNote != "" {
			fmt.Fprintf(&b, "  cache: %s\n", st.CacheNote)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
