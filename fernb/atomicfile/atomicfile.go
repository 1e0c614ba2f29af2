// Package atomicfile writes files so that a reader sees the old content or
// the new, never a part of either, even if the process dies or the machine
// loses power: the content goes to a temporary file in the same folder
// (.NAME.tmp-RANDOM, mode 0644), which is synced to disk and renamed over
// the path; the folder is synced after the rename. Every file fernb writes
// for later reading (run folders, the data cache, evaluation caches) goes
// through Write, or through Replace for a file another program wrote.
//
// A failure to sync the folder after the rename is returned as a
// *FolderSyncError: the new content is then in place (readers see it), but
// it may not survive a power loss. The one exception is EINVAL (and
// ENOTSUP), which some filesystems (some FUSE and network filesystems)
// return for any fsync of a folder: there the folder cannot be synced at
// all, so it is not reported.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FolderSyncError reports that the folder could not be synced after the
// rename: the file holds its new content, which may be lost on a power cut.
type FolderSyncError struct {
	Dir string
	Err error
}

func (e *FolderSyncError) Error() string {
	return fmt.Sprintf("new content in place, but syncing folder %s failed (it may not survive a power loss): %v", e.Dir, e.Err)
}

func (e *FolderSyncError) Unwrap() error { return e.Err }

// syncDir syncs the folder dir; a variable so tests can make it fail.
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// SyncFolder syncs the folder dir (after a rename into it), returning a
// *FolderSyncError on failure. EINVAL and ENOTSUP, which filesystems that
// cannot sync folders return, are not errors.
func SyncFolder(dir string) error {
	err := syncDir(dir)
	if err == nil || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	return &FolderSyncError{Dir: dir, Err: err}
}

// tempInfix separates a temporary file's target name from its random part.
const tempInfix = ".tmp-"

// Write writes path with write, atomically (see the package comment). When
// write or any file operation up to the rename fails, path keeps its old
// content (or stays absent), the temporary file is removed, and the error
// names path. When only the folder sync after the rename fails, path holds
// the new content and the error is a *FolderSyncError (errors.As).
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
	renamed := false
	defer func() {
		if err != nil {
			if !renamed { // after the rename, tmp is path: keep it
				f.Close()
				os.Remove(tmp)
			}
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
	renamed = true
	return SyncFolder(dir)
}

// Replace renames tmp, a complete file that another program wrote (e.g.
// nbconvert), over path atomically: tmp is synced to disk first, the folder
// after. tmp must be in path's folder (a rename does not cross
// filesystems). On an error before the rename, path is untouched and tmp is
// removed; a failed folder sync is a *FolderSyncError, as for Write.
func Replace(tmp, path string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("replacing %s: %w", path, err)
		}
	}()
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	dir := filepath.Dir(path)
	return SyncFolder(dir)
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
