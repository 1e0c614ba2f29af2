package fernb

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestHardwareGPU: Hardware names the GPUs nvidia-smi reports (with their
// memory) and none when there is none; the CPU part is always there.
func TestHardwareGPU(t *testing.T) {
	real := gpus
	defer func() { gpus = real }()
	for _, c := range []struct {
		name   string
		gpus   []string
		want   string
		absent string
	}{
		{"no GPU", nil, "", "GPU"},
		{"one", []string{"NVIDIA H100 80GB HBM3 (81559 MiB)"}, ", GPU: NVIDIA H100 80GB HBM3 (81559 MiB)", ""},
		{"two", []string{"A", "B"}, ", GPU: A + B", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			gpus = func() []string { return c.gpus }
			h := hardware()
			if !strings.Contains(h, runtime.GOOS+"/"+runtime.GOARCH) || !strings.Contains(h, "cores") {
				t.Errorf("hardware() = %q lacks the CPU part", h)
			}
			if c.want != "" && !strings.HasSuffix(h, c.want) {
				t.Errorf("hardware() = %q, want it to end with %q", h, c.want)
			}
			if c.absent != "" && strings.Contains(h, c.absent) {
				t.Errorf("hardware() = %q mentions %q", h, c.absent)
			}
		})
	}
	t.Logf("this machine: %s", (func() string { gpus = real; return hardware() })())
}

func TestParseGPUs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"NVIDIA H100 80GB HBM3, 81559 MiB\n", []string{"NVIDIA H100 80GB HBM3 (81559 MiB)"}},
		{"A, 1 MiB\n\nB, 2 MiB\n", []string{"A (1 MiB)", "B (2 MiB)"}},
		{"Tesla T4\n", []string{"Tesla T4"}},
	} {
		if got := parseGPUs(c.in); !slices.Equal(got, c.want) {
			t.Errorf("parseGPUs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
