//go:build unix

package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunFolderLock checks that a second trainer is refused while a run
// folder is locked, names the holder's process, touches nothing, and that
// the folder is free again once the lock is released.
func TestRunFolderLock(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Fit(context.Background(), tinyConfig(), tinyData(16, 8), dir)
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("Fit on a locked folder: %v, want a *BusyError", err)
	}
	if busy.PID != os.Getpid() || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("busy error %q does not name the holder (pid %d)", err, os.Getpid())
	}
	if files := runFilesIn(dir); len(files) > 0 {
		t.Errorf("the refused trainer wrote %v", files)
	}
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		t.Errorf("the refused trainer wrote %s", ConfigFile)
	}
	if _, err := lockRun(dir); err == nil {
		t.Error("a second lock on a locked folder was granted")
	}
	unlock()
	again, err := lockRun(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
