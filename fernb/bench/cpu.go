package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PeakFormula states how CPU.PeakFLOPs is computed; the table and
// BENCHMARKS.md quote it.
const PeakFormula = "peak fp32 FLOP/s = cores x GHz x FLOPs/cycle/core, " +
	"FLOPs/cycle/core = 64 with AVX-512 (2 FMA units x 16 lanes x 2), 32 with AVX2+FMA (2 x 8 x 2), " +
	"16 with AVX only, 8 otherwise"

// CPU describes the machine's processor, read from /proc/cpuinfo.
type CPU struct {
	// Model is the "model name" line, e.g. "AMD EPYC".
	Model string `json:"model"`
	// Family and ModelNum are the "cpu family" and "model" numbers.
	Family   int `json:"family"`
	ModelNum int `json:"model_number"`
	// Cores is the number of logical CPUs Go may use (runtime.NumCPU).
	Cores int `json:"cores"`
	// GHz is the clock used for the peak: the mean "cpu MHz" / 1000, unless
	// overridden.
	GHz float64 `json:"ghz"`
	// MeasuredGHz is the clock measured by MeasureGHz under load (0: not
	// measured); the true peak is PeakFLOPsAt(MeasuredGHz).
	MeasuredGHz float64 `json:"measured_ghz,omitempty"`
	// ISA is the widest vector extension found: "avx512", "avx2+fma",
	// "avx" or "sse".
	ISA string `json:"isa"`
	// FLOPsPerCycle is the fp32 FLOPs per cycle per core assumed for ISA.
	FLOPsPerCycle int `json:"flops_per_cycle"`
	// Flags lists the vector-related flags found (avx, avx2, fma, avx512f, ...).
	Flags []string `json:"flags"`
}

// PeakFLOPs is the machine's peak fp32 FLOP/s (see PeakFormula).
func (c CPU) PeakFLOPs() float64 {
	return float64(c.Cores) * c.GHz * 1e9 * float64(c.FLOPsPerCycle)
}

// PeakFLOPsAt is the peak fp32 FLOP/s at another clock (GHz).
func (c CPU) PeakFLOPsAt(ghz float64) float64 {
	return float64(c.Cores) * ghz * 1e9 * float64(c.FLOPsPerCycle)
}

// String is a one-line description with the peak.
func (c CPU) String() string {
	return fmt.Sprintf("%s (family %d model %d), %d cores @ %.3f GHz, %s: %d FLOPs/cycle/core, peak %.1f GFLOP/s fp32",
		c.Model, c.Family, c.ModelNum, c.Cores, c.GHz, c.ISA, c.FLOPsPerCycle, c.PeakFLOPs()/1e9)
}

// CPUInfo is what a /proc/cpuinfo listing says about the processor, as
// listed: nothing defaulted, nothing derived. CPU turns it into the peak's
// inputs; the notebook facade's hardware line shows its ModelName.
type CPUInfo struct {
	// Vendor is the first "vendor_id" line, e.g. "GenuineIntel", "AuthenticAMD".
	Vendor string
	// ModelName is the first "model name" line, e.g. "AMD EPYC 9R14" (empty on
	// listings without one, as on most arm64 kernels).
	ModelName string
	// Family and Model are the last "cpu family" and "model" numbers
	// (0 when absent or unparsable).
	Family, Model int
	// Flags are the first "flags" line's flags, in its order.
	Flags []string
	// MHz is the mean of the "cpu MHz" lines, 0 when there is none.
	MHz float64
	// Processors is the number of "processor" entries.
	Processors int
}

// HasFlag tells whether flag (e.g. "avx512f") is among Flags.
func (i CPUInfo) HasFlag(flag string) bool { return slices.Contains(i.Flags, flag) }

// ReadCPUInfo parses a /proc/cpuinfo listing. It reads the whole listing and
// fails on a read error or on a "cpu MHz" value that is not a number,
// returning what it could read besides.
func ReadCPUInfo(r io.Reader) (CPUInfo, error) {
	var (
		info     CPUInfo
		firstErr error
		mhzSum   float64
		mhzN     int
		line     int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line++
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k, v = strings.TrimSpace(k), strings.TrimSpace(v); k {
		case "processor":
			info.Processors++
		case "vendor_id":
			if info.Vendor == "" {
				info.Vendor = v
			}
		case "model name":
			if info.ModelName == "" {
				info.ModelName = v
			}
		case "cpu family":
			info.Family, _ = strconv.Atoi(v)
		case "model":
			info.Model, _ = strconv.Atoi(v)
		case "cpu MHz":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("bench: cpuinfo line %d: bad cpu MHz %q", line, v)
				}
				continue
			}
			mhzSum += f
			mhzN++
		case "flags":
			if len(info.Flags) == 0 {
				info.Flags = strings.Fields(v)
			}
		}
	}
	if mhzN > 0 {
		info.MHz = mhzSum / float64(mhzN)
	}
	if err := sc.Err(); err != nil {
		return info, fmt.Errorf("bench: reading cpuinfo: %w", err)
	}
	return info, firstErr
}

// LocalCPUInfo reads this machine's /proc/cpuinfo with ReadCPUInfo.
func LocalCPUInfo() (CPUInfo, error) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return CPUInfo{}, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	return ReadCPUInfo(f)
}

// CPU is the processor as the peak sees it: cores is the number of cores to
// count (<= 0: Processors); ghz overrides the clock (<= 0: MHz / 1000); the
// ISA and FLOPs per cycle follow the widest vector extension in Flags
// (PeakFormula). It fails when the listing names no processor or, without
// ghz, no clock.
func (i CPUInfo) CPU(cores int, ghz float64) (CPU, error) {
	c := CPU{Model: i.ModelName, Family: i.Family, ModelNum: i.Model, Cores: cores, GHz: ghz}
	if i.Processors == 0 {
		return c, fmt.Errorf("bench: cpuinfo lists no processor")
	}
	if c.Cores <= 0 {
		c.Cores = i.Processors
	}
	if c.GHz <= 0 {
		if i.MHz <= 0 {
			return c, fmt.Errorf("bench: cpuinfo has no \"cpu MHz\" line: give the clock (--ghz)")
		}
		c.GHz = i.MHz / 1000
	}
	switch {
	case i.HasFlag("avx512f"):
		c.ISA, c.FLOPsPerCycle = "avx512", 64
	case i.HasFlag("avx2") && i.HasFlag("fma"):
		c.ISA, c.FLOPsPerCycle = "avx2+fma", 32
	case i.HasFlag("avx"):
		c.ISA, c.FLOPsPerCycle = "avx", 16
	default:
		c.ISA, c.FLOPsPerCycle = "sse", 8
	}
	for _, f := range []string{"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx_vnni", "amx_tile"} {
		if i.HasFlag(f) {
			c.Flags = append(c.Flags, f)
		}
	}
	return c, nil
}

// ParseCPUInfo reads a /proc/cpuinfo listing (ReadCPUInfo) and returns its
// CPU: cores is the number of cores to count (<= 0: the number of
// "processor" entries); ghz overrides the clock (<= 0: the mean of the "cpu
// MHz" lines). It fails when the listing names no processor or, without ghz,
// no clock.
func ParseCPUInfo(r io.Reader, cores int, ghz float64) (CPU, error) {
	info, err := ReadCPUInfo(r)
	if err != nil {
		return CPU{}, err
	}
	return info.CPU(cores, ghz)
}

// DetectCPU reads /proc/cpuinfo; cores (<= 0: runtime.NumCPU()) and ghz
// (<= 0: from cpuinfo) as in ParseCPUInfo.
func DetectCPU(cores int, ghz float64) (CPU, error) {
	info, err := LocalCPUInfo()
	if err != nil {
		return CPU{}, err
	}
	if cores <= 0 {
		cores = runtime.NumCPU()
	}
	return info.CPU(cores, ghz)
}

// spinChain runs n iterations of a loop whose carried dependency is one add
// and one xor on the same register: 2 cycles per iteration on any x86-64 core
// of the last 15 years (1-cycle ALU latency), whatever its issue width.
//
//go:noinline
func spinChain(n int) int {
	x := 0
	for i := 0; i < n; i++ {
		x += i
		x ^= i >> 3
	}
	return x
}

// spinSink keeps spinChain's results alive.
var spinSink atomic.Int64

// MeasureGHz estimates the clock the cores really run at (turbo included,
// which /proc/cpuinfo's "cpu MHz" under a hypervisor does not show) by timing
// a dependent add/xor chain of 2 cycles per iteration on every core at once,
// for about d. It returns the slowest core's clock in GHz (0 if d is too short
// to measure).
func MeasureGHz(d time.Duration, cores int) float64 {
	if cores < 1 {
		cores = runtime.NumCPU()
	}
	const chunk = 10_000_000
	res := make([]float64, cores)
	var wg sync.WaitGroup
	for c := 0; c < cores; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			n := 0
			for time.Since(start) < d {
				spinSink.Add(int64(spinChain(chunk)))
				n += chunk
			}
			if el := time.Since(start).Seconds(); el > 0 && n > 0 {
				res[c] = 2 * float64(n) / el / 1e9
			}
		}()
	}
	wg.Wait()
	return slices.Min(res)
}
