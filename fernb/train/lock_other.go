//go:build !unix

package train

// LockFile is the file in a run folder that a training process locks while
// it trains there (on Unix; elsewhere run folders are not locked).
const LockFile = ".lock"

// BusyError says a run folder is being trained by another process.
type BusyError struct {
	Dir string
	PID int
}

func (e *BusyError) Error() string { return "train: " + e.Dir + " is being trained by another process" }

// lockRun does nothing where flock is not available.
func lockRun(dir string) (func(), error) { return func() {}, nil }
