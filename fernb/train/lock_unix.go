//go:build unix

package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the file in a run folder that a training process holds an
// exclusive lock on (flock) while it trains there. The kernel releases the
// lock when the process ends, kill -9 included, so a lock is never stale; the
// file itself stays and only records the last holder's process ID.
const LockFile = ".lock"

// BusyError says a run folder is being trained by another process.
type BusyError struct {
	Dir string
	// PID is the holder's process ID as it recorded it (0: unknown).
	PID int
}

func (e *BusyError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("another process (pid %d)", e.PID)
	}
	return fmt.Sprintf("train: %s is being trained by %s; wait for it to end or stop it (Ctrl-C, kill), or choose another folder", e.Dir, who)
}

// lockRun takes the run folder's lock, or returns a *BusyError if another
// process holds it. The returned function releases it.
func lockRun(dir string) (func(), error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: locking %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := 0
		if b, rerr := os.ReadFile(path); rerr == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &BusyError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("train: locking %s: %w", dir, err)
	}
	// Best effort: the PID only makes the busy message more useful.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
