package eval

import (
	"math"
	"testing"

	"github.com/fernb/fernb/fernb/augment"
	"github.com/fernb/fernb/fernb/data"
)

// TestZoomSide checks the zoom factor from a run's augmentation: the 2-hour
// recipe's RandomResizedCrop scale (0.64, 1) has mean area 0.82, so side
// sqrt(0.82) = 0.9055 of 48, 43 pixels; torchvision's default scale
// (0.08, 1) gives sqrt(0.54); no resized crop gives augment.DefaultZoom.
func TestZoomSide(t *testing.T) {
	for _, c := range []struct {
		cfg  augment.Config
		frac float64
		side int
	}{
		{augment.Config{ResizedCrop: true, ResizedCropScale: [2]float64{0.64, 1}}, math.Sqrt(0.82), 43},
		{augment.Config{ResizedCrop: true}, math.Sqrt(0.54), 35},
		{augment.Config{}, augment.DefaultZoom, 43},
	} {
		if f := c.cfg.MeanCropSide(); math.Abs(f-c.frac) > 1e-12 || ZoomSide(f) != c.side {
			t.Errorf("%+v: fraction %g side %d, want %g and %d", c.cfg, f, ZoomSide(f), c.frac, c.side)
		}
	}
}

// TestZoomTTA checks the zoom views against augment.CentreCropResize called
// directly, and zoomflip's probabilities against the mean of the zoomed
// view's and its mirror's (as TestTTAValues does for flip).
func TestZoomTTA(t *testing.T) {
	m, ds := trainedModel(t, "baseline")
	idx := []int{0, 1, 2, 3}
	images := m.Images(ds.Test, idx)
	n := len(idx)
	side := ZoomSide(m.Config.Augment.MeanCropSide())
	zoomed := make([]float32, len(images))
	mirror := make([]float32, len(images))
	for i := 0; i < n; i++ {
		augment.CentreCropResize(zoomed[i*data.Pixels:(i+1)*data.Pixels], images[i*data.Pixels:(i+1)*data.Pixels], side)
		for y := 0; y < data.Size; y++ {
			for x := 0; x < data.Size; x++ {
				mirror[i*data.Pixels+y*data.Size+x] = zoomed[i*data.Pixels+y*data.Size+(data.Size-1-x)]
			}
		}
	}
	views, v, err := ViewsZoom(images, TTAZoom, m.Config.Augment.MeanCropSide())
	if err != nil || v != 1 {
		t.Fatal(v, err)
	}
	for i := range views {
		if views[i] != zoomed[i] {
			t.Fatalf("zoom view value %d: %g, want %g (augment.CentreCropResize)", i, views[i], zoomed[i])
		}
	}
	same := true
	for i := range zoomed {
		same = same && zoomed[i] == images[i]
	}
	if same {
		t.Fatal("the zoom view equals the image")
	}
	pz, err := m.Probabilities(zoomed)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := m.Probabilities(mirror)
	if err != nil {
		t.Fatal(err)
	}
	for _, tta := range []string{TTAZoom, TTAZoomFlip} {
		got, err := Probabilities(m, images, tta)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			want := pz[i]
			if tta == TTAZoomFlip {
				want = (pz[i] + pm[i]) / 2
			}
			if math.Abs(float64(got[i]-want)) > 1e-5 {
				t.Errorf("%s: image %d class %d: %g, want %g", tta, i/data.NumClasses, i%data.NumClasses, got[i], want)
			}
		}
	}
}
