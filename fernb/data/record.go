package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Record identifies the data a run was trained or scored on: where it was
// loaded from, how the val split was made, whether train and val were
// merged, which subset was kept, and a content fingerprint of every split.
// A run folder keeps the record of its training data (data.json), so that a
// finished run is reused, and a stopped one resumed, only with the same data.
//
// The fingerprints hash the decoded pixels and labels, in order, so they
// catch every change that matters to training (another copy of the data,
// another val seed or fraction, a merge, a subset, an edited image) and
// ignore what does not (file timestamps, the cache, the path).
type Record struct {
	// Path is the absolute path the data was loaded from ("" for the
	// synthetic faces).
	Path string `json:"path"`
	// Layout is the layout the data was loaded from ("synthetic" for the
	// synthetic faces).
	Layout string `json:"layout"`
	// Synthetic is true for the built-in synthetic faces; Generator then
	// holds the arguments that make them.
	Synthetic bool           `json:"synthetic,omitempty"`
	Generator *SyntheticSpec `json:"generator,omitempty"`
	// ValFraction and ValSeed describe the stratified val split made from
	// train (zero when the data came with its own val split).
	ValFraction float64 `json:"val_fraction,omitempty"`
	ValSeed     uint64  `json:"val_seed,omitempty"`
	// TrainVal is true when train and val were merged for training.
	TrainVal bool `json:"trainval,omitempty"`
	// Subset describes the subset kept ("" for all images).
	Subset string `json:"subset,omitempty"`
	// Splits lists each split with its size and content fingerprint.
	Splits []SplitRecord `json:"splits"`
}

// SplitRecord is one split of a Record.
type SplitRecord struct {
	Name        string `json:"name"`
	Images      int    `json:"images"`
	Fingerprint string `json:"fingerprint"`
}

// Fingerprint returns a hex SHA-256 (first 16 bytes) of the split's labels
// and pixels, in order. Two splits with the same images and labels in the
// same order have the same fingerprint.
func (s *Split) Fingerprint() string {
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(s.Len()))
	h.Write(n[:])
	h.Write(s.Labels)
	h.Write(s.Pixels)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Record returns the data set's record (see Record); it hashes every split
// (about 0.1-0.3 s for FER2013).
func (d *Dataset) Record() Record {
	r := Record{Layout: d.Layout.String(), Synthetic: d.Synthetic, ValFraction: d.ValFraction,
		ValSeed: d.ValSeed, TrainVal: d.Train != nil && d.Train.Name == TrainValName, Subset: d.Subset}
	if d.Synthetic {
		r.Layout = "synthetic"
		g := d.Generator
		r.Generator = &g
	}
	if d.Root != "" {
		if abs, err := filepath.Abs(d.Root); err == nil {
			r.Path = abs
		} else {
			r.Path = d.Root
		}
	}
	for _, s := range d.Splits() {
		r.Splits = append(r.Splits, SplitRecord{Name: s.Name, Images: s.Len(), Fingerprint: s.Fingerprint()})
	}
	return r
}

// Split returns the record of the split named name, or nil.
func (r Record) Split(name string) *SplitRecord {
	for i := range r.Splits {
		if r.Splits[i].Name == name {
			return &r.Splits[i]
		}
	}
	return nil
}

// TrainSplit returns the record of the split a run trains on: "train", or
// "trainval" when train and val were merged (nil when there is none).
func (r Record) TrainSplit() *SplitRecord {
	if s := r.Split(TrainValName); s != nil {
		return s
	}
	return r.Split("train")
}

// SameTraining tells whether a run trained on r would be trained on the
// same data with other: the same training split, and the same val split when
// both have one (validation picks the best checkpoint). It returns a
// sentence saying what differs when they do not match.
func (r Record) SameTraining(other Record) (bool, string) {
	a, b := r.TrainSplit(), other.TrainSplit()
	switch {
	case a == nil || b == nil:
		return false, "one of them has no training split"
	case a.Name != b.Name:
		return false, fmt.Sprintf("trained on %q, now %q", a.Name, b.Name)
	case a.Fingerprint != b.Fingerprint:
		return false, fmt.Sprintf("the %s split differs (%d images, fingerprint %s; now %d images, %s)",
			a.Name, a.Images, a.Fingerprint, b.Images, b.Fingerprint)
	}
	if va, vb := r.Split("val"), other.Split("val"); va != nil && vb != nil && va.Fingerprint != vb.Fingerprint {
		return false, fmt.Sprintf("the val split differs (%d images, fingerprint %s; now %d images, %s)",
			va.Images, va.Fingerprint, vb.Images, vb.Fingerprint)
	}
	return true, ""
}

// Key returns a short key of one split's content for cache file names, or
// "" when the record has no such split.
func (r Record) Key(split string) string {
	if s := r.Split(split); s != nil {
		return s.Fingerprint[:12]
	}
	return ""
}

// String describes the record in one line, e.g. "FER2013 at /data/fer2013
// (class folders), val 0.2 seed 1, train 22967 (3f2a…), val 5742 (…), test 3589 (…)".
func (r Record) String() string {
	var b strings.Builder
	if r.Synthetic {
		b.WriteString("synthetic faces")
		if g := r.Generator; g != nil {
			fmt.Fprintf(&b, " (%d train, %d test, seed %d)", g.Train, g.Test, g.Seed)
		}
	} else {
		fmt.Fprintf(&b, "%s (%s)", r.Path, r.Layout)
	}
	if r.ValFraction > 0 {
		fmt.Fprintf(&b, ", val %g seed %d", r.ValFraction, r.ValSeed)
	}
	if r.TrainVal {
		b.WriteString(", train+val merged")
	}
	if r.Subset != "" {
		fmt.Fprintf(&b, ", subset %s", r.Subset)
	}
	for _, s := range r.Splits {
		fmt.Fprintf(&b, ", %s %d (%s)", s.Name, s.Images, s.Fingerprint[:min(8, len(s.Fingerprint))])
	}
	return b.String()
}

// TrainValName is the name of the merged train+val split.
const TrainValName = "trainval"

// MergeTrainVal replaces Train by train+val (split "trainval") for a final
// training. With keepVal the val split stays (still reported, but seen in
// training); otherwise Val becomes nil.
func (d *Dataset) MergeTrainVal(keepVal bool) {
	d.Train = Merge(TrainValName, d.Train, d.Val)
	if !keepVal {
		d.Val = nil
	}
}

// Reload loads the data the record describes again: the files at Path (or
// the synthetic faces of Generator), the val split of ValFraction and
// ValSeed, and the train+val merge, then checks that the result trains on
// the same content (SameTraining). A subset cannot be remade here: the
// caller that made it must make it again.
func (r Record) Reload(opts ...Option) (*Dataset, error) {
	if r.Subset != "" {
		return nil, fmt.Errorf("data: the recorded data is a subset (%s) that only its maker can remake; give the data explicitly", r.Subset)
	}
	var ds *Dataset
	switch {
	case r.Synthetic && r.Generator != nil:
		ds = r.Generator.Make()
	case r.Synthetic:
		return nil, errors.New("data: the record names synthetic faces but not how they were made")
	case r.Path == "":
		return nil, errors.New("data: the record has no data path")
	default:
		var err error
		if ds, err = Load(r.Path, opts...); err != nil {
			return nil, fmt.Errorf("data: reloading the recorded data: %w", err)
		}
	}
	if r.ValFraction > 0 && ds.Val == nil {
		if err := ds.SplitVal(r.ValFraction, r.ValSeed); err != nil {
			return nil, err
		}
	}
	check := *ds
	if r.TrainVal {
		check.MergeTrainVal(r.Split("val") != nil)
	}
	if ok, why := r.SameTraining(check.Record()); !ok {
		return nil, fmt.Errorf("data: %s no longer holds the recorded data: %s", r.Path, why)
	}
	return ds, nil
}
