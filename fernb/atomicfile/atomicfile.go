// Package atomicfile writes files so that a reader sees the old content or
// the new, never a part of either, even if the process dies or the machine
// loses power: the content goes to a temporary file in the same folder
// (.NAME.tmp-RANDOM, mode 0644), which is synced to disk and renamed over
// the path; the folder is synced after the rename. Every file fernb writes
// for later reading (run folders, the data cache, evaluation caches) goes
// through Write.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tempInfix separates a temporary file's target name from its random part.
const tempInfix = ".tmp-"

// Write writes path with write, atomically (see the package comment). When
// write or any file operation fails, path keeps its old content (or stays
// absent), the temporary file is removed, and the error names path.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteFile writes b to path atomically.
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// IsTemp tells whether the file name (without folder) is one of Write's
// temporary files, left behind only by a process killed while writing.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempInfix)
}

// TempGlob is the glob pattern (for filepath.Glob, inside a folder) of the
// temporary files of name; "*" matches those of every name.
func TempGlob(name string) string { return "." + name + tempInfix + "*" }
