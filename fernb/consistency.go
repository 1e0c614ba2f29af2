package fernb

import (
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/plots"
)

// Consistency compares the pixel statistics (mean, std, sharpness) of the
// data's splits with train's, as loaded (before the val split): its
// Warnings say which split differs and by how much. A split that was
// blurred, re-encoded or re-scaled differently from train shows here long
// before it shows as a puzzling accuracy.
func (s *Study) Consistency() (*data.ConsistencyReport, error) {
	ds, err := s.asLoaded()
	if err != nil {
		return nil, err
	}
	return data.CheckConsistency(ds), nil
}

// SharpnessHistogram draws the per-image sharpness (mean |Laplacian|) of
// each split as overlaid distributions: the splits of one data set overlap.
func (s *Study) SharpnessHistogram() (*plots.Figure, error) {
	r, err := s.Consistency()
	if err != nil {
		return nil, err
	}
	return sharpnessFigure(r, s.Label())
}

func sharpnessFigure(r *data.ConsistencyReport, label string) (*plots.Figure, error) {
	var names []string
	var samples [][]float64
	for _, sp := range r.Splits {
		names = append(names, sp.Name)
		samples = append(samples, sp.All.Sharpness)
	}
	f, err := plots.Histograms(names, samples, 40, "sharpness (mean |Laplacian| per image, 0-255 pixels)",
		plots.Title("per-split sharpness"+label))
	return named(f, err, "sharpness-histogram")
}
