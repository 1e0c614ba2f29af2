// Package fernb is the study's vocabulary for notebook cells: load FER2013
// (or the built-in synthetic faces), run a study step into a run folder,
// evaluate it, and show curves, PCA of features, confusion matrices and
// Grad-CAM maps inline (GoNB). Each call is short enough for a notebook
// cell; the work is done by the sub-packages recipe (the study's steps and
// scales), data, augment, models, train, eval and pca, and by the plots
// package. The fer command uses those packages directly.
package fernb
