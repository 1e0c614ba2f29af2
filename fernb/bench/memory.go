package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// StatusKiB returns a "<Key>: N kB" field of a /proc/<pid>/status listing, in KiB.
func StatusKiB(r io.Reader, key string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("bench: status field %s: unexpected value %q", key, strings.TrimSpace(v))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: status field %s: %w", key, err)
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("bench: reading status: %w", err)
	}
	return 0, fmt.Errorf("bench: status has no %s field", key)
}

// PeakRSSMiB returns this process's peak resident set size (VmHWM of
// /proc/self/status) in MiB: Go heap, XLA's buffers and compiled code alike.
func PeakRSSMiB() (float64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	kib, err := StatusKiB(f, "VmHWM")
	return float64(kib) / 1024, err
}

// ResetPeakRSS resets this process's VmHWM to its current resident size
// (writing "5" to /proc/self/clear_refs, Linux >= 4.0), so that the next
// PeakRSSMiB measures one benchmark only.
func ResetPeakRSS() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("bench: resetting the peak RSS: %w", err)
	}
	return nil
}
