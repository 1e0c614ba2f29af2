// Package data loads FER2013 (Kaggle CSV, class folders, or train/val/test
// folders) into compact in-memory splits of 48x48 grayscale images, and
// provides the validation split, train+val merge, data-quality report, disk
// cache and the built-in synthetic faces.
package data

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
}
