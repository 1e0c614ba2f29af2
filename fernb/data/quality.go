package data

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
)

// NearUniformRange is the largest max-min pixel range of a "near-uniform"
// image (one that is not blank but carries almost no picture).
const NearUniformRange = 4

// ImageRef names one image of a data set.
type ImageRef struct {
	Split  string // split name
	Index  int    // index in the split
	Source string // Sources entry
	Label  uint8
}

// String is "split/class/name" for files, or the source.
func (r ImageRef) String() string {
	return fmt.Sprintf("%s:%s", r.Split, shortSource(r.Source, r.Label))
}

// shortSource is "class/file-name-without-extension" for file sources.
func shortSource(src string, label uint8) string {
	base := filepath.Base(src)
	if strings.Contains(src, ":row ") || strings.HasPrefix(src, "synthetic:") {
		return src
	}
	return Classes[label] + "/" + strings.TrimSuffix(base, filepath.Ext(base))
}

// DupGroup is a set of pixel-identical images.
type DupGroup struct {
	Members []ImageRef
	// Conflict is true when the members do not all have the same label.
	Conflict bool
}

// FlatImage is an image with (almost) no contrast.
type FlatImage struct {
	ImageRef
	Min, Max uint8
}

// SplitQuality is the quality summary of one split.
type SplitQuality struct {
	Name   string
	Count  int
	Counts [NumClasses]int
	// Imbalance is the largest class count over the smallest (+Inf when a
	// class is missing).
	Imbalance float64
	// Distinct is the number of distinct images (pixel contents).
	Distinct int
	// Groups are the groups of pixel-identical images within the split.
	Groups []DupGroup
	// DupFiles is the number of images in Groups; ExtraCopies is
	// DupFiles-len(Groups), the images a de-duplication would drop.
	DupFiles, ExtraCopies int
	// Conflicting is the number of groups whose members have different labels.
	Conflicting int
}

// QualityReport is the data-quality summary of a data set: counts, class
// imbalance, pixel-identical duplicates within and across splits, blank and
// near-uniform images.
type QualityReport struct {
	Root      string
	Synthetic bool
	Splits    []SplitQuality
	// Cross are the groups of pixel-identical images found in two or more
	// splits (with all their members, from every split).
	Cross []DupGroup
	// Blank images have a single pixel value; NearUniform ones have a pixel
	// range of at most NearUniformRange (and are not blank).
	Blank, NearUniform []FlatImage
	// Consistency compares the splits' pixel statistics (mean, std,
	// sharpness) with train's, and warns when a split differs.
	Consistency *ConsistencyReport
}

// Quality computes the data-quality report of ds. Duplicates are
// pixel-identical images (compared after decoding; for FER2013's files this
// is the same as byte-identical files).
func Quality(ds *Dataset) *QualityReport {
	r := &QualityReport{Root: ds.Root, Synthetic: ds.Synthetic, Consistency: CheckConsistency(ds)}
	splits := ds.Splits()
	groups := identicalGroups(splits)
	for _, s := range splits {
		q := SplitQuality{Name: s.Name, Count: s.Len(), Counts: s.ClassCounts()}
		q.Imbalance = imbalance(q.Counts)
		q.Distinct = s.Len()
		for _, g := range groups {
			var in []ImageRef
			for _, m := range g {
				if m.Split == s.Name {
					in = append(in, m)
				}
			}
			if len(in) < 2 {
				continue
			}
			dg := DupGroup{Members: in, Conflict: conflict(in)}
			q.Groups = append(q.Groups, dg)
			q.DupFiles += len(in)
			q.ExtraCopies += len(in) - 1
			if dg.Conflict {
				q.Conflicting++
			}
		}
		q.Distinct -= q.ExtraCopies
		r.Splits = append(r.Splits, q)
		for i := range s.Len() {
			lo, hi := minMax(s.Image(i))
			if hi-lo > NearUniformRange {
				continue
			}
			f := FlatImage{ImageRef: ref(s, i), Min: lo, Max: hi}
			if lo == hi {
				r.Blank = append(r.Blank, f)
			} else {
				r.NearUniform = append(r.NearUniform, f)
			}
		}
	}
	for _, g := range groups {
		if g[0].Split != g[len(g)-1].Split { // members are sorted by split order
			r.Cross = append(r.Cross, DupGroup{Members: g, Conflict: conflict(g)})
		}
	}
	return r
}

func ref(s *Split, i int) ImageRef {
	return ImageRef{Split: s.Name, Index: i, Source: s.source(i), Label: s.Labels[i]}
}

func conflict(g []ImageRef) bool {
	for _, m := range g[1:] {
		if m.Label != g[0].Label {
			return true
		}
	}
	return false
}

func imbalance(c [NumClasses]int) float64 {
	lo, hi := slices.Min(c[:]), slices.Max(c[:])
	if hi == 0 {
		return 0
	}
	if lo == 0 {
		return math.Inf(1)
	}
	return float64(hi) / float64(lo)
}

func minMax(p []uint8) (lo, hi uint8) {
	lo, hi = 255, 0
	for _, v := range p {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// identicalGroups returns the groups (of two or more) of pixel-identical
// images over all splits, members ordered by split then index, groups by
// their first member.
func identicalGroups(splits []*Split) [][]ImageRef {
	seed := maphash.MakeSeed()
	type key struct{ s, i int }
	buckets := map[uint64][]key{}
	for si, s := range splits {
		for i := range s.Len() {
			h := maphash.Bytes(seed, s.Image(i))
			buckets[h] = append(buckets[h], key{si, i})
		}
	}
	var groups [][]ImageRef
	for _, b := range buckets {
		if len(b) < 2 {
			continue
		}
		// Split the bucket by exact contents (hash collisions are possible).
		for len(b) > 0 {
			first := splits[b[0].s].Image(b[0].i)
			var same, rest []key
			for _, k := range b {
				if bytes.Equal(splits[k.s].Image(k.i), first) {
					same = append(same, k)
				} else {
					rest = append(rest, k)
				}
			}
			if len(same) > 1 {
				g := make([]ImageRef, len(same))
				for j, k := range same {
					g[j] = ref(splits[k.s], k.i)
				}
				groups = append(groups, g)
			}
			b = rest
		}
	}
	order := map[string]int{}
	for si, s := range splits {
		order[s.Name] = si
	}
	less := func(a, b ImageRef) int {
		if d := order[a.Split] - order[b.Split]; d != 0 {
			return d
		}
		return a.Index - b.Index
	}
	for _, g := range groups {
		slices.SortFunc(g, less)
	}
	slices.SortFunc(groups, func(a, b []ImageRef) int { return less(a[0], b[0]) })
	return groups
}

// Split returns the quality summary of the named split, or nil.
func (r *QualityReport) Split(name string) *SplitQuality {
	for i := range r.Splits {
		if r.Splits[i].Name == name {
			return &r.Splits[i]
		}
	}
	return nil
}

// String renders the report as text.
func (r *QualityReport) String() string {
	var b strings.Builder
	r.WriteTo(&b)
	return b.String()
}

// WriteTo writes the report as text to w.
func (r *QualityReport) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	if r.Synthetic {
		b.WriteString("SYNTHETIC faces (not FER2013)\n")
	}
	fmt.Fprintf(&b, "%-12s %7s", "split", "images")
	for _, c := range Classes {
		fmt.Fprintf(&b, " %8s", c)
	}
	b.WriteString("  imbalance\n")
	for _, s := range r.Splits {
		fmt.Fprintf(&b, "%-12s %7d", s.Name, s.Count)
		for _, n := range s.Counts {
			fmt.Fprintf(&b, " %8d", n)
		}
		fmt.Fprintf(&b, "  %.1f\n", s.Imbalance)
	}
	b.WriteString("\nduplicates (pixel-identical images):\n")
	for _, s := range r.Splits {
		fmt.Fprintf(&b, "  %s: %d images, %d distinct; %s hold %d images (%s); %s with conflicting labels\n",
			s.Name, s.Count, s.Distinct, plural(len(s.Groups), "group"), s.DupFiles,
			plural(s.ExtraCopies, "extra copy"), plural(s.Conflicting, "group"))
		shown := 0
		for _, g := range s.Groups {
			if g.Conflict && shown < 5 {
				fmt.Fprintf(&b, "    conflicting labels: %s\n", refs(g.Members, 6))
				shown++
			}
		}
		if s.Conflicting > shown {
			fmt.Fprintf(&b, "    ... and %s\n", plural(s.Conflicting-shown, "more conflicting group"))
		}
	}
	fmt.Fprintf(&b, "  across splits: %s\n", plural(len(r.Cross), "group"))
	for _, g := range r.Cross {
		fmt.Fprintf(&b, "    %s\n", refs(g.Members, 4))
	}
	fmt.Fprintf(&b, "\nblank images (one pixel value): %d\n", len(r.Blank))
	for _, f := range r.Blank {
		fmt.Fprintf(&b, "  %s (value %d)\n", f.ImageRef, f.Min)
	}
	fmt.Fprintf(&b, "near-uniform images (pixel range <= %d): %d\n", NearUniformRange, len(r.NearUniform))
	for _, f := range r.NearUniform {
		fmt.Fprintf(&b, "  %s (values %d..%d)\n", f.ImageRef, f.Min, f.Max)
	}
	if r.Consistency != nil && len(r.Consistency.Splits) > 1 {
		b.WriteString("\n")
		r.Consistency.WriteTo(&b)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// refs lists up to max members of a group.
func refs(m []ImageRef, limit int) string {
	var parts []string
	for i, r := range m {
		if i == limit {
			parts = append(parts, fmt.Sprintf("... (%d in all)", len(m)))
			break
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}

// CleanOptions says what Dataset.Clean drops. By default Test and
// PrivateTest are never changed, so that test results stay comparable with
// published FER2013 numbers.
type CleanOptions struct {
	// Blank drops images with a single pixel value.
	Blank bool
	// NearUniform drops images with a pixel range of at most
	// NearUniformRange.
	NearUniform bool
	// CrossSplit drops training-side copies of images found in an
	// evaluation split: train copies of val or test images, val copies of
	// test images (the evaluation split's copy is kept).
	CrossSplit bool
	// Duplicates keeps one image of each group of identical images within
	// a split, and drops groups whose labels conflict entirely.
	Duplicates bool
	// Test also applies Blank, NearUniform and Duplicates to Test and
	// PrivateTest.
	Test bool
}

// Dropped is one image Clean removed, and why.
type Dropped struct {
	ImageRef
	Reason string
}

// CleanReport lists what Clean dropped.
type CleanReport struct {
	Dropped []Dropped
	// Before and After are the image counts per split name.
	Before, After map[string]int
}

// String renders the report as text: one line per dropped image.
func (c CleanReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dropped %d images\n", len(c.Dropped))
	for _, d := range c.Dropped {
		fmt.Fprintf(&b, "  %s: %s\n", d.ImageRef, d.Reason)
	}
	for _, n := range []string{"train", "val", "test", "privatetest"} {
		if bf, ok := c.Before[n]; ok {
			fmt.Fprintf(&b, "%s: %d -> %d images\n", n, bf, c.After[n])
		}
	}
	return b.String()
}

// Clean removes the images opts selects from the data set's splits and
// reports each one with its reason. Remaining images keep their order.
func (d *Dataset) Clean(opts CleanOptions) (CleanReport, error) {
	rep := CleanReport{Before: map[string]int{}, After: map[string]int{}}
	if opts == (CleanOptions{}) {
		return rep, errors.New("data: Clean: no option set (Blank, NearUniform, CrossSplit, Duplicates)")
	}
	if err := d.Validate(); err != nil {
		return rep, err
	}
	isEval := func(name string) bool { return name == "test" || name == "privatetest" }
	rank := map[string]int{"train": 0, "val": 1, "test": 2, "privatetest": 2}
	drop := map[string]map[int]string{}
	mark := func(r ImageRef, why string) {
		if isEval(r.Split) && !opts.Test {
			return
		}
		if drop[r.Split] == nil {
			drop[r.Split] = map[int]string{}
		}
		if _, done := drop[r.Split][r.Index]; !done {
			drop[r.Split][r.Index] = why
		}
	}
	q := Quality(d)
	if opts.Blank {
		for _, f := range q.Blank {
			mark(f.ImageRef, fmt.Sprintf("blank (every pixel %d)", f.Min))
		}
	}
	if opts.NearUniform {
		for _, f := range q.NearUniform {
			mark(f.ImageRef, fmt.Sprintf("near-uniform (pixels %d..%d)", f.Min, f.Max))
		}
	}
	if opts.CrossSplit {
		for _, g := range q.Cross {
			top := 0
			var keep ImageRef
			for _, m := range g.Members {
				if rank[m.Split] >= top {
					top, keep = rank[m.Split], m
				}
			}
			for _, m := range g.Members {
				if rank[m.Split] < top {
					mark(m, "identical to "+keep.String())
				}
			}
		}
	}
	if opts.Duplicates {
		for _, s := range q.Splits {
			for _, g := range s.Groups {
				if g.Conflict {
					for _, m := range g.Members {
						mark(m, "in a group of identical images with conflicting labels: "+refs(g.Members, 4))
					}
					continue
				}
				for _, m := range g.Members[1:] {
					mark(m, "duplicate of "+g.Members[0].String())
				}
			}
		}
	}
	for _, sp := range []**Split{&d.Train, &d.Val, &d.Test, &d.PrivateTest} {
		s := *sp
		if s == nil {
			continue
		}
		rep.Before[s.Name] = s.Len()
		dm := drop[s.Name]
		if len(dm) == 0 {
			rep.After[s.Name] = s.Len()
			continue
		}
		keep := make([]int, 0, s.Len()-len(dm))
		for i := range s.Len() {
			if why, ok := dm[i]; ok {
				rep.Dropped = append(rep.Dropped, Dropped{ImageRef: ref(s, i), Reason: why})
			} else {
				keep = append(keep, i)
			}
		}
		ns, err := s.Subset(s.Name, keep)
		if err != nil {
			return rep, err
		}
		*sp = ns
		rep.After[s.Name] = ns.Len()
	}
	return rep, nil
}

// plural formats n with word in the singular or, for n != 1, its plural
// ("copy" becomes "copies").
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
