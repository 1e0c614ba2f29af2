//go:build linux

package inline

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// captureOutput runs f with file descriptors 1 and 2 (and os.Stdout,
// os.Stderr) redirected to a pipe, so that even the runtime's own writes are
// caught, and returns what f wrote. It fails the test if f does not return
// within 10 s (outside a notebook gonbui.Sync must not wait for a kernel).
func captureOutput(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var saved [3]int
	for _, fd := range []int{1, 2} {
		if saved[fd], err = syscall.Dup(fd); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Dup3(int(w.Fd()), fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	restore := func() {
		os.Stdout, os.Stderr = stdout, stderr
		for _, fd := range []int{1, 2} {
			syscall.Dup3(saved[fd], fd, 0)
			syscall.Close(saved[fd])
		}
	}
	out := make(chan string)
	go func() { b, _ := io.ReadAll(r); out <- string(b) }()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		restore()
		t.Fatal("call outside a notebook did not return in 10 s")
	}
	restore()
	w.Close()
	return <-out
}
