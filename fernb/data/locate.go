package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PathEnv is the environment variable that names the FER2013 copy to use
// when no path is given.
const PathEnv = "FER_DATA"

// Location says where the data comes from.
type Location struct {
	// Path is the data set's path, or "" for the built-in synthetic faces.
	Path string
	// From is "argument", "FER_DATA" or "synthetic".
	From string
}

// String describes the location in words.
func (l Location) String() string {
	if l.Path == "" {
		return "no data path given (argument or $" + PathEnv + "): the built-in SYNTHETIC faces"
	}
	return fmt.Sprintf("%s (from %s)", l.Path, l.From)
}

// Name is a short name of the data: "synthetic", or the data file's or
// folder's name without extension (e.g. "fer2013").
func (l Location) Name() string {
	if l.Path == "" {
		return "synthetic"
	}
	return strings.TrimSuffix(filepath.Base(l.Path), filepath.Ext(l.Path))
}

// Locate resolves the data path: path if not empty, else $FER_DATA, else
// the synthetic faces (Path ""). A path that does not exist is an error that
// names it.
func Locate(path string) (Location, error) {
	loc := Location{Path: path, From: "argument"}
	if path == "" {
		loc = Location{Path: os.Getenv(PathEnv), From: PathEnv}
	}
	if loc.Path == "" {
		return Location{From: "synthetic"}, nil
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
