// Package data loads FER2013 (Kaggle CSV, class folders, or train/val/test
// folders) into compact in-memory splits of 48x48 grayscale images, and
// provides the validation split, train+val merge, data-quality report, disk
// cache and the built-in synthetic faces.
package data

import (
	"fmt"
	"strings"
)

// Size is the side of every image, in pixels: FER2013 faces are Size x Size.
const Size = 48

// Pixels is the number of pixels of one image.
const Pixels = Size * Size

// NumClasses is the number of expression classes.
const NumClasses = 7

// Classes are the class names in FER2013's label order (label i is Classes[i]).
var Classes = [NumClasses]string{"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

// Split is a set of labelled 48x48 grayscale images, held as uint8 pixels:
// about one byte per pixel.
type Split struct {
	// Name of the split: "train", "val", "test", "trainval", ...
	Name string
	// Pixels holds Len()*Pixels bytes, image after image, row-major.
	Pixels []uint8
	// Labels holds one FER2013 label (0..NumClasses-1) per image.
	Labels []uint8
	// Sources names where each image came from: a file path, or "file.csv:row N".
	Sources []string
}

// Len returns the number of images in the split.
func (s *Split) Len() int {
	if s == nil {
		return 0
	}
	return len(s.Labels)
}

// Image returns the Pixels bytes of image i (a slice into s.Pixels, not a copy).
func (s *Split) Image(i int) []uint8 { return s.Pixels[i*Pixels : (i+1)*Pixels] }

// Dataset is a loaded data set: its splits and where they came from.
// Val is nil until a validation split is made (see SplitVal), unless the
// source had its own val folder.
type Dataset struct {
	// Root is the path the data set was loaded from ("" for synthetic faces).
	Root string
	// Synthetic is true for the built-in synthetic faces: everything shown
	// from them must say so.
	Synthetic bool
	// Train, Val and Test are the splits; any may be nil when absent.
	Train, Val, Test *Split
	// PrivateTest holds the Kaggle CSV's PrivateTest rows (split name
	// "privatetest"); nil for folder layouts and synthetic faces. It is kept
	// apart from Test so that Test is FER2013's usual PublicTest set.
	PrivateTest *Split
	// Layout is the layout the data set was loaded from (LayoutNone for
	// synthetic faces).
	Layout Layout
	// Stats describes the load: files, conversions, timings, cache use.
	Stats LoadStats
	// ValFraction and ValSeed are SplitVal's arguments when Val was split
	// from Train (zero otherwise).
	ValFraction float64
	ValSeed     uint64
	// Generator holds Synthetic's arguments for synthetic faces.
	Generator SyntheticSpec
	// Subset describes a subset kept by the caller (e.g. "train 512, eval
	// 128"); "" when every image is kept. Part of the data's Record.
	Subset string
}

// ClassCounts returns the number of images of each class in the split.
func (s *Split) ClassCounts() [NumClasses]int {
	var c [NumClasses]int
	if s == nil {
		return c
	}
	for _, l := range s.Labels {
		if int(l) < NumClasses {
			c[l]++
		}
	}
	return c
}

// Subset returns a new split named name holding copies of the images idx (in
// that order). An index out of range is an error.
func (s *Split) Subset(name string, idx []int) (*Split, error) {
	out := &Split{
		Name:    name,
		Pixels:  make([]uint8, 0, len(idx)*Pixels),
		Labels:  make([]uint8, 0, len(idx)),
		Sources: make([]string, 0, len(idx)),
	}
	n := s.Len()
	for _, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("data: Subset of %q: index %d out of range [0,%d)", s.Name, i, n)
		}
		out.Pixels = append(out.Pixels, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
		out.Sources = append(out.Sources, s.source(i))
	}
	return out, nil
}

// source returns Sources[i], or a description of the image when the split
// has no sources.
func (s *Split) source(i int) string {
	if i < len(s.Sources) {
		return s.Sources[i]
	}
	return fmt.Sprintf("%s[%d]", s.Name, i)
}

// Validate checks the split's invariants: Pixels holds Len()*Pixels bytes,
// every label is in 0..NumClasses-1 and Sources is empty or has one entry
// per image.
func (s *Split) Validate() error {
	if s == nil {
		return nil
	}
	if len(s.Pixels) != len(s.Labels)*Pixels {
		return fmt.Errorf("data: split %q has %d pixel bytes for %d labels, want %d", s.Name, len(s.Pixels), len(s.Labels), len(s.Labels)*Pixels)
	}
	if len(s.Sources) != 0 && len(s.Sources) != len(s.Labels) {
		return fmt.Errorf("data: split %q has %d sources for %d labels", s.Name, len(s.Sources), len(s.Labels))
	}
	for i, l := range s.Labels {
		if int(l) >= NumClasses {
			return fmt.Errorf("data: split %q image %d (%s) has label %d, want 0..%d", s.Name, i, s.source(i), l, NumClasses-1)
		}
	}
	return nil
}

// Merge returns a new split named name holding a's images followed by b's
// (copies; a and b are not modified). Either may be nil. Use it for the
// train+val split of the final training: Merge("trainval", ds.Train, ds.Val).
func Merge(name string, a, b *Split) *Split {
	n := a.Len() + b.Len()
	out := &Split{
		Name:    name,
		Pixels:  make([]uint8, 0, n*Pixels),
		Labels:  make([]uint8, 0, n),
		Sources: make([]string, 0, n),
	}
	for _, s := range []*Split{a, b} {
		if s == nil {
			continue
		}
		out.Pixels = append(out.Pixels, s.Pixels...)
		out.Labels = append(out.Labels, s.Labels...)
		for i := range s.Len() {
			out.Sources = append(out.Sources, s.source(i))
		}
	}
	return out
}

// Splits returns the data set's non-nil splits in the order train, val,
// test, privatetest.
func (d *Dataset) Splits() []*Split {
	var out []*Split
	for _, s := range []*Split{d.Train, d.Val, d.Test, d.PrivateTest} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// Split returns the non-empty split called name ("train", "val", "test",
// "privatetest"), or an error naming the splits the data set has.
func (d *Dataset) Split(name string) (*Split, error) {
	var names []string
	for _, s := range d.Splits() {
		if s.Len() == 0 {
			continue
		}
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("data: no %q split in the data (it has: %s)", name, strings.Join(names, ", "))
}

// Validate checks every split of the data set (see Split.Validate).
func (d *Dataset) Validate() error {
	for _, s := range d.Splits() {
		if err := s.Validate(); err != nil {
			return err
		}
	}
	return nil
}
