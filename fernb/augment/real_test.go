package augment

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/fernb/fernb/fernb/data"
)

// TestFER2013MeanStd checks FER2013Mean and FER2013Std against the real
// train split: $FER_DATA, else ../shared/data/fer2013 beside the repository
// (CI has it). Skipped only when there is no data anywhere; a folder that
// exists but does not load fails.
func TestFER2013MeanStd(t *testing.T) {
	root := os.Getenv("FER_DATA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "data", "fer2013")
		if _, err := os.Stat(root); errors.Is(err, os.ErrNotExist) {
			t.Skip("real FER2013 data not present (set FER_DATA or put it in ../shared/data/fer2013)")
		} else if err != nil {
			t.Fatalf("real FER2013 data: %v", err)
		}
	}
	ds, err := data.Load(root, data.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	var s, ss float64
	for _, v := range ds.Train.Pixels {
		f := float64(v) / 255
		s += f
		ss += f * f
	}
	n := float64(len(ds.Train.Pixels))
	m := s / n
	sd := math.Sqrt(ss/n - m*m)
	// The constants are rounded to four decimals.
	if math.Abs(m-FER2013Mean) > 5.1e-5 || math.Abs(sd-FER2013Std) > 5.1e-5 {
		t.Errorf("train mean %.5f std %.5f, constants %v %v", m, sd, FER2013Mean, FER2013Std)
	}
}
