// Package plots draws the figures of a fernb study with gonum/plot: training
// curves, learning-rate schedules, PCA scatter plots, confusion matrices,
// per-class metrics, class distributions, face grids, Grad-CAM overlays and
// run comparisons.
//
// Every figure is one call that takes plain Go data (class names are passed
// in as []string; label i is drawn with ClassColor(i)) and returns a *Figure,
// which can be shown inline in a GoNB notebook (Show) and saved as PNG
// (300 dpi by default), SVG or PDF (Save, SaveAll). Options such as Title,
// Size or Columns tune a figure; options that do not apply to a figure are
// ignored.
//
// The package does not import other fernb packages, so it can be used from
// any layer. Figures built from synthetic data should say so in their title,
// e.g. plots.Title("train features (synthetic)").
package plots
