package data

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// Thresholds of the split-consistency check. The splits of one data set are
// random draws from one population of faces, so their pixel statistics
// agree closely: on FER2013, PublicTest differs from Training by -0.4 % in
// pixel mean, +0.02 % in pixel std and +0.7 % in median sharpness, and 5.1 %
// of test images are blurrier than the blurriest 5 % of train (5 % is what
// equal distributions give). Per class, for classes with at least
// MinClassImages images, the differences stay within 1.4 % (mean), 2.1 %
// (std) and 3.0 % (median sharpness). The thresholds sit several times above
// those differences and far below what a processing fault does: FER2013's
// former blurred train copy was off by -19 % in std and -93 % in median
// sharpness (1.9 against 28.6), with 63 % of its images below 2 where 99 %
// of test is above 12.6. TestConsistencyReal logs these numbers and checks
// that the real splits raise no warning; blurred, darkened and
// contrast-stretched copies of a split do.
const (
	// MaxMeanDiff is the largest relative difference of pixel means.
	MaxMeanDiff = 0.10
	// MaxStdDiff is the largest relative difference of pixel standard
	// deviations (contrast).
	MaxStdDiff = 0.10
	// MaxSharpnessDiff is the largest relative difference of median
	// sharpness (mean absolute Laplacian per image).
	MaxSharpnessDiff = 0.25
	// MaxBlurryFraction is the largest fraction of a split's images that may
	// be less sharp than the reference split's 5th percentile (5 % when the
	// distributions are equal).
	MaxBlurryFraction = 0.15
	// MinClassImages is the fewest images a class needs in both splits to be
	// compared on its own (smaller classes are too noisy).
	MinClassImages = 100
	// classSlack widens the thresholds for per-class comparisons, which rest
	// on fewer images.
	classSlack = 1.5
)

// PixelStats are the pixel statistics of a set of images.
type PixelStats struct {
	// Images is the number of images.
	Images int
	// Mean and Std are over all pixels, in [0, 1] units.
	Mean, Std float64
	// Sharpness holds each image's mean absolute Laplacian (4-neighbour, on
	// 0-255 pixel values, interior pixels), sorted ascending. Blurred images
	// have low values; FER2013's faces have a median near 28.
	Sharpness []float64
}

// MedianSharpness returns the median of Sharpness (NaN when empty).
func (p PixelStats) MedianSharpness() float64 { return p.SharpnessQuantile(0.5) }

// SharpnessQuantile returns the q-quantile of Sharpness by the nearest-rank
// method (gonum's stat.Quantile with stat.Empirical): the smallest value
// x[k] of the n sorted values with (k+1)/n >= q, i.e. 0-based index
// k = max(0, ceil(q·n)-1). It is always one of the data, never an
// interpolation; for even n the median is the lower middle value. q is
// clamped to [0, 1]; the result is NaN when Sharpness is empty, q is NaN or
// a value is NaN. Cost O(n); Sharpness must be sorted ascending.
func (p PixelStats) SharpnessQuantile(q float64) float64 {
	if len(p.Sharpness) == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	return stat.Quantile(min(max(q, 0), 1), stat.Empirical, p.Sharpness, nil)
}

// fractionBelow returns the fraction of Sharpness values below v.
func (p PixelStats) fractionBelow(v float64) float64 {
	if len(p.Sharpness) == 0 {
		return math.NaN()
	}
	n, _ := slices.BinarySearch(p.Sharpness, v)
	return float64(n) / float64(len(p.Sharpness))
}

// SplitConsistency holds one split's statistics, overall and per class.
type SplitConsistency struct {
	Name     string
	All      PixelStats
	PerClass [NumClasses]PixelStats
}

// ConsistencyReport compares the pixel statistics of a data set's splits
// with those of a reference split (train). Warnings says, in plain words,
// which split (or class of a split) differs from the reference, in what and
// by how much, where a difference passes the thresholds above.
type ConsistencyReport struct {
	Reference string
	Splits    []SplitConsistency
	Warnings  []string
}

// Sharpness returns the mean absolute 4-neighbour Laplacian of a Size x Size
// image over its interior pixels, on 0-255 values: a simple measure of
// detail that drops sharply when an image is blurred.
func Sharpness(img []uint8) float64 {
	var sum float64
	for y := 1; y < Size-1; y++ {
		row := y * Size
		for x := 1; x < Size-1; x++ {
			i := row + x
			l := 4*int(img[i]) - int(img[i-1]) - int(img[i+1]) - int(img[i-Size]) - int(img[i+Size])
			if l < 0 {
				l = -l
			}
			sum += float64(l)
		}
	}
	return sum / float64((Size-2)*(Size-2))
}

// Stats computes the pixel statistics of the images idx of s (all images
// when idx is nil).
func (s *Split) Stats(idx []int) PixelStats {
	if idx == nil {
		idx = make([]int, s.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	p := PixelStats{Images: len(idx), Sharpness: make([]float64, 0, len(idx))}
	var sum, sq float64
	for _, i := range idx {
		img := s.Image(i)
		var si, sqi uint64
		for _, v := range img {
			si += uint64(v)
			sqi += uint64(v) * uint64(v)
		}
		sum += float64(si)
		sq += float64(sqi)
		p.Sharpness = append(p.Sharpness, Sharpness(img))
	}
	if n := float64(len(idx) * Pixels); n > 0 {
		p.Mean = sum / n / 255
		p.Std = math.Sqrt(max(sq/n/(255*255)-p.Mean*p.Mean, 0))
	}
	slices.Sort(p.Sharpness)
	return p
}

// splitConsistency computes one split's statistics.
func splitConsistency(s *Split) SplitConsistency {
	sc := SplitConsistency{Name: s.Name, All: s.Stats(nil)}
	var byClass [NumClasses][]int
	for i, l := range s.Labels {
		if int(l) < NumClasses {
			byClass[l] = append(byClass[l], i)
		}
	}
	for c := range NumClasses {
		sc.PerClass[c] = s.Stats(byClass[c])
		if sc.PerClass[c].Sharpness == nil {
			sc.PerClass[c].Sharpness = []float64{}
		}
	}
	return sc
}

// CheckConsistency compares every split of ds with its train split (the
// first split when there is no train) and returns the report. It takes
// about a second for FER2013.
func CheckConsistency(ds *Dataset) *ConsistencyReport {
	splits := ds.Splits()
	r := &ConsistencyReport{}
	if len(splits) == 0 {
		return r
	}
	for _, s := range splits {
		r.Splits = append(r.Splits, splitConsistency(s))
	}
	ref := r.Splits[0]
	r.Reference = ref.Name
	for _, s := range r.Splits[1:] {
		r.Warnings = append(r.Warnings, compareStats(s.Name, ref.Name, s.All, ref.All, 1)...)
		for c := range NumClasses {
			a, b := s.PerClass[c], ref.PerClass[c]
			if a.Images < MinClassImages || b.Images < MinClassImages {
				continue
			}
			r.Warnings = append(r.Warnings, compareStats(s.Name+" "+Classes[c], ref.Name+" "+Classes[c], a, b, classSlack)...)
		}
	}
	return r
}

// compareStats returns the warnings for set a against reference b; slack
// widens the thresholds.
func compareStats(a, b string, sa, sb PixelStats, slack float64) []string {
	var w []string
	rel := func(x, y float64) float64 { return (x - y) / y }
	if d := rel(sa.Mean, sb.Mean); math.Abs(d) > MaxMeanDiff*slack {
		w = append(w, fmt.Sprintf("warning: %s is %s than %s: pixel mean %.3f vs %.3f (%+.0f %%, threshold ±%.0f %%)",
			a, pick(d < 0, "darker", "brighter"), b, sa.Mean, sb.Mean, 100*d, 100*MaxMeanDiff*slack))
	}
	if d := rel(sa.Std, sb.Std); math.Abs(d) > MaxStdDiff*slack {
		w = append(w, fmt.Sprintf("warning: %s has %s contrast than %s: pixel std %.3f vs %.3f (%+.0f %%, threshold ±%.0f %%)",
			a, pick(d < 0, "less", "more"), b, sa.Std, sb.Std, 100*d, 100*MaxStdDiff*slack))
	}
	ma, mb := sa.MedianSharpness(), sb.MedianSharpness()
	if d := rel(ma, mb); mb > 0 && math.Abs(d) > MaxSharpnessDiff*slack {
		w = append(w, fmt.Sprintf("warning: %s is %s than %s: median sharpness (mean |Laplacian|) %.1f vs %.1f (%+.0f %%, threshold ±%.0f %%)",
			a, pick(d < 0, "blurrier", "sharper"), b, ma, mb, 100*d, 100*MaxSharpnessDiff*slack))
	}
	if p5 := sb.SharpnessQuantile(0.05); p5 > 0 {
		if f := sa.fractionBelow(p5); f > MaxBlurryFraction*slack {
			w = append(w, fmt.Sprintf("warning: %.0f %% of %s images are blurrier than 95 %% of %s images (sharpness below %.1f; 5 %% expected, threshold %.0f %%)",
				100*f, a, b, p5, 100*MaxBlurryFraction*slack))
		}
	}
	return w
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// String formats the report as text.
func (r *ConsistencyReport) String() string {
	var b strings.Builder
	r.WriteTo(&b)
	return b.String()
}

// WriteTo writes the report as text to w: one line per split with mean, std
// and sharpness quantiles, then per-class medians, then the warnings (or a
// line saying the splits agree).
func (r *ConsistencyReport) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "split consistency (pixel statistics against %s; sharpness = mean |Laplacian| per image):\n", r.Reference)
	fmt.Fprintf(&b, "  %-10s %7s %7s %7s %9s %9s %9s\n", "split", "images", "mean", "std", "sharp p10", "p50", "p90")
	for _, s := range r.Splits {
		fmt.Fprintf(&b, "  %-10s %7d %7.4f %7.4f %9.1f %9.1f %9.1f\n", s.Name, s.All.Images, s.All.Mean, s.All.Std,
			s.All.SharpnessQuantile(0.1), s.All.MedianSharpness(), s.All.SharpnessQuantile(0.9))
	}
	fmt.Fprintf(&b, "  median sharpness per class:\n  %-10s", "split")
	for _, c := range Classes {
		fmt.Fprintf(&b, " %8s", c)
	}
	b.WriteString("\n")
	for _, s := range r.Splits {
		fmt.Fprintf(&b, "  %-10s", s.Name)
		for _, p := range s.PerClass {
			if p.Images == 0 {
				fmt.Fprintf(&b, " %8s", "-")
			} else {
				fmt.Fprintf(&b, " %8.1f", p.MedianSharpness())
			}
		}
		b.WriteString("\n")
	}
	if len(r.Warnings) == 0 {
		if len(r.Splits) > 1 {
			fmt.Fprintf(&b, "  the splits agree with %s (mean and std within %.0f %%, median sharpness within %.0f %%)\n",
				r.Reference, 100*MaxMeanDiff, 100*MaxSharpnessDiff)
		}
	} else {
		for _, l := range r.Warnings {
			b.WriteString(l + "\n")
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
