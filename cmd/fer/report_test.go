package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/notebook"
)

// minimalNotebook is a valid nbformat 4 notebook with one code cell whose
// output is text.
func minimalNotebook(text string) string {
	return `{"cells": [{"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {}, "source": "1",
  "outputs": [{"output_type": "stream", "name": "stdout", "text": "` + text + `"}]}],
 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`
}

// TestReportReplacesNotebookAtomically: fer report's notebook is replaced
// only once the executed copy is complete. nbconvert writes into a hidden
// temporary .ipynb in the same folder (so the rename cannot cross
// filesystems); while it runs the original is untouched; a failed or
// interrupted run leaves the original and no temporary file; a run whose
// notebook shows problems is put in place and the error names it.
func TestReportReplacesNotebookAtomically(t *testing.T) {
	boom := errors.New("nbconvert failed")
	for _, c := range []struct {
		name     string
		result   error // what the executor returns after writing its output
		write    bool  // whether the executor writes the output
		want     string
		wantErr  bool
		problems bool
	}{
		{"success", nil, true, "new", false, false},
		{"nbconvert fails after a partial write", boom, true, "old", true, false},
		{"nbconvert fails before writing", boom, false, "old", true, false},
		{"interrupted", context.Canceled, true, "old", true, false},
		{"ran, with problems", &notebook.ProblemsError{Problems: []notebook.Problem{{Cell: 0}}}, true, "new", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			nb := filepath.Join(dir, "report.ipynb")
			if err := os.WriteFile(nb, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(nb, 0o640); err != nil { // a mode umask leaves alone
				t.Fatal(err)
			}
			var out string
			execute := func(_ context.Context, path string, opts notebook.Options) error {
				out = opts.Output
				if path != nb {
					t.Errorf("executed %s, want %s", path, nb)
				}
				if filepath.Dir(out) != dir || !atomicfile.IsTemp(filepath.Base(out)) || !strings.HasSuffix(out, ".ipynb") {
					t.Errorf("nbconvert output %s: want a hidden temporary .ipynb in %s", out, dir)
				}
				if c.write {
					os.WriteFile(out, []byte("new"), 0o644)
				}
				if b, _ := os.ReadFile(nb); string(b) != "old" {
					t.Errorf("notebook changed while nbconvert runs: %q", b)
				}
				return c.result
			}
			err := executeInPlace(context.Background(), nb, notebook.Options{}, execute)
			if (err != nil) != c.wantErr {
				t.Errorf("error %v, want one: %v", err, c.wantErr)
			}
			var pe *notebook.ProblemsError
			if c.problems && (!errors.As(err, &pe) || pe.Notebook != nb) {
				t.Errorf("error %v: want a ProblemsError naming %s", err, nb)
			}
			if b, _ := os.ReadFile(nb); string(b) != c.want {
				t.Errorf("notebook holds %q, want %q", b, c.want)
			}
			if fi, err := os.Stat(nb); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("notebook mode %v (%v), want it kept: -rw-r-----", fi.Mode(), err)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("temporary file %s left (%v)", out, err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("folder holds %d files, want only the notebook", len(entries))
			}
		})
	}
}

// TestReportCommandLine runs the real notebook.Execute against a fake
// jupyter that, like nbconvert, writes to --output-dir/--output: the
// executed notebook lands in place, the output it was told to write is the
// temporary file, never the notebook itself.
func TestReportCommandLine(t *testing.T) {
	dir := t.TempDir()
	nb := filepath.Join(dir, "report.ipynb")
	os.WriteFile(nb, []byte(minimalNotebook("old")), 0o644)
	executed := minimalNotebook("executed")
	os.WriteFile(filepath.Join(dir, "executed.json"), []byte(executed), 0o644)
	argsFile := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "jupyter")
	script := `#!/bin/sh
printf '%s\n' "$@" >` + argsFile + `
while [ $# -gt 0 ]; do
	case "$1" in
	--output-dir) d=$2; shift ;;
	--output) o=$2; shift ;;
	esac
	shift
done
cp ` + filepath.Join(dir, "executed.json") + ` "$d/$o"
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := executeInPlace(context.Background(), nb, notebook.Options{Jupyter: fake}, notebook.Execute); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(nb); string(b) != executed {
		t.Errorf("notebook not replaced by the executed one:\n%s", b)
	}
	args, _ := os.ReadFile(argsFile)
	lines := strings.Split(string(args), "\n")
	for i, a := range lines {
		if a == "--output" && i+1 < len(lines) && !atomicfile.IsTemp(lines[i+1]) {
			t.Errorf("nbconvert --output %s: not a temporary name", lines[i+1])
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("folder holds %d files, want 4 (notebook, executed.json, args, jupyter): a temporary file left?", len(entries))
	}
}
