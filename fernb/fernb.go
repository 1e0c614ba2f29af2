// Package fernb is the study's vocabulary for notebook cells: load FER2013
// (or the built-in synthetic faces), run a study step into a run folder,
// evaluate it, and show curves, PCA of features, confusion matrices and
// Grad-CAM maps inline (GoNB). Each call is short enough for a notebook
// cell; the work is done by the sub-packages recipe (the study's steps and
// scales), data, augment, models, train, eval and pca, and by the plots
// package. The fer command uses those packages directly.
//
// # Two handles, one call style each
//
// *Study is the library (OpenStudy). Its methods return values and errors
// (a figure, a Markdown table, a *train.Result); they never display
// anything and never panic. Use it from programs, tests, and for anything
// a cell wants to compute rather than show.
//
// *Notebook is the cells (OpenNotebook). Each method displays what it
// makes (a figure, a table, a live training view), shows a failure (or a
// panic) as a red box in the cell, and returns nothing. Notebook.Study is
// its *Study.
//
// Must is for GoNB's top-level declarations only, where a cell keeps a
// value for later cells and has no statement to handle an error in:
//
//	var res = fernb.Must(s.Study.Result("01"))
package fernb
