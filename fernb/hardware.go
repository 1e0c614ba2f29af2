package fernb

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/fernb/fernb/fernb/bench"
	"github.com/fernb/fernb/xla"
)

// hardware describes the machine in one line: CPU model, cores, memory, and
// the NVIDIA GPUs if any (as nvidia-smi names them, with their memory), for
// report headers and benchmark tables. The GPUs are listed whenever present,
// whichever backend computes: the report's backend line says which one does.
func hardware() string {
	model := "unknown CPU"
	if info, _ := bench.LocalCPUInfo(); info.ModelName != "" {
		model = info.ModelName
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, line := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
				break
			}
		}
	}
	gpu := ""
	if g := gpus(); len(g) > 0 {
		gpu = ", GPU: " + strings.Join(g, " + ")
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s%s", model, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, gpu)
}

// gpus lists the NVIDIA GPUs, e.g. "NVIDIA H100 80GB HBM3 (81559 MiB)", or
// nil when xla.HasGPU finds none. A variable so that tests can replace it.
var gpus = func() []string {
	if !xla.HasGPU() {
		return nil
	}
	// A hung driver must not hang the report's header.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader").Output()
	if err != nil {
		return []string{fmt.Sprintf("NVIDIA GPU present (nvidia-smi: %v)", err)}
	}
	return parseGPUs(string(out))
}

// parseGPUs reads nvidia-smi's "name, memory" CSV lines.
func parseGPUs(csv string) []string {
	var g []string
	for _, line := range strings.Split(csv, "\n") {
		name, mem, _ := strings.Cut(strings.TrimSpace(line), ",")
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if mem = strings.TrimSpace(mem); mem != "" {
			name += " (" + mem + ")"
		}
		g = append(g, name)
	}
	return g
}
