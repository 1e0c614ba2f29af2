// Package repo finds the fernb repository on disk: the folder a study's
// runs and figures go under by default, and where fer finds the notebooks
// and the PyTorch peers. It imports nothing of fernb, so that recipe and
// notebook can both use it.
package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RootEnv names the environment variable that points at the fernb
// repository (fernb.sh sets it).
const RootEnv = "FERNB_ROOT"

// ModulePath is fernb's Go module path.
const ModulePath = "github.com/fernb/fernb"

// Root returns the fernb repository's folder: $FERNB_ROOT, else the
// nearest folder at or above the working directory whose go.mod declares
// this module.
func Root() (string, error) {
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
