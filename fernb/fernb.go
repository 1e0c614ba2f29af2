// Package fernb is the study's vocabulary for notebook cells and the fer
// command: find and load FER2013 (or the built-in synthetic faces), run an
// experiment into a run folder, evaluate it, and plot curves, PCA of
// features, confusion matrices and Grad-CAM maps. Each call is short enough
// for a notebook cell; the work is done by the sub-packages data, augment,
// models, train, eval and pca, and by the plots package.
package fernb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DataEnv is the environment variable that names the FER2013 copy to use
// when no path is given.
const DataEnv = "FER_DATA"

// DataLocation says where the data comes from.
type DataLocation struct {
	// Path is the data set's path, or "" for the built-in synthetic faces.
	Path string
	// From is "argument", "FER_DATA" or "synthetic".
	From string
}

// String describes the location in words.
func (l DataLocation) String() string {
	if l.Path == "" {
		return "no data path given (argument or $" + DataEnv + "): the built-in SYNTHETIC faces"
	}
	return fmt.Sprintf("%s (from %s)", l.Path, l.From)
}

// FindData resolves the data path: path if not empty, else $FER_DATA, else
// the synthetic faces (Path ""). A path that does not exist is an error that
// names it.
func FindData(path string) (DataLocation, error) {
	loc := DataLocation{Path: path, From: "argument"}
	if path == "" {
		loc = DataLocation{Path: os.Getenv(DataEnv), From: DataEnv}
	}
	if loc.Path == "" {
		return DataLocation{From: "synthetic"}, nil
	}
	abs, err := filepath.Abs(loc.Path)
	if err == nil {
		loc.Path = abs
	}
	if _, err := os.Stat(loc.Path); err != nil {
		return loc, fmt.Errorf("data path %s (from %s): %w", loc.Path, loc.From, err)
	}
	return loc, nil
}

// RootEnv names the environment variable that points at the fernb
// repository (fernb.sh sets it).
const RootEnv = "FERNB_ROOT"

// RepoRoot returns the fernb repository's folder: $FERNB_ROOT, else the
// nearest folder at or above the working directory whose go.mod declares
// this module.
func RepoRoot() (string, error) {
	if r := os.Getenv(RootEnv); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil &&
			strings.Contains(string(b), "module "+ModulePath+"\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no fernb repository at or above %s (set $%s)", dir, RootEnv)
		}
	}
}

// ModulePath is fernb's Go module path.
const ModulePath = "github.com/fernb/fernb"
