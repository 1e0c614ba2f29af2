package bench

import (
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

// cpuinfo returns a two-processor /proc/cpuinfo listing with the given flags.
func cpuinfo(flags string, mhz ...string) string {
	var b strings.Builder
	for i, m := range mhz {
		b.WriteString("processor\t: " + string(rune('0'+i)) + "\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n" +
			"model name\t: AMD EPYC\ncpu MHz\t\t: " + m + "\nflags\t\t: " + flags + "\n\n")
	}
	return b.String()
}

func TestParseCPUInfo(t *testing.T) {
	cases := []struct {
		name      string
		text      string
		cores     int
		ghz       float64
		wantISA   string
		wantFPC   int
		wantGHz   float64
		wantCores int
		wantPeak  float64 // GFLOP/s
		wantErr   bool
	}{
		{"avx512", cpuinfo("fpu sse4_2 avx fma avx2 avx512f avx512bw", "2596.120", "2596.120"), 0, 0,
			"avx512", 64, 2.59612, 2, 2 * 2.59612 * 64, false},
		{"avx2 fma, mean clock", cpuinfo("sse4_2 avx fma avx2", "3000", "2000"), 0, 0,
			"avx2+fma", 32, 2.5, 2, 2 * 2.5 * 32, false},
		{"avx2 without fma", cpuinfo("avx avx2", "1000", "1000"), 0, 0, "avx", 16, 1, 2, 32, false},
		{"sse only, cores and clock given", cpuinfo("sse4_2", "1000"), 8, 3, "sse", 8, 3, 8, 8 * 3 * 8, false},
		{"no clock line", "processor : 0\nflags : avx2 fma\n", 0, 0, "", 0, 0, 0, 0, true},
		{"no clock line but --ghz", "processor : 0\nflags : avx2 fma\n", 0, 2, "avx2+fma", 32, 2, 1, 64, false},
		{"bad clock", "processor : 0\ncpu MHz : fast\n", 0, 0, "", 0, 0, 0, 0, true},
		{"empty", "", 0, 0, "", 0, 0, 0, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cpu, err := ParseCPUInfo(strings.NewReader(c.text), c.cores, c.ghz)
			if c.wantErr {
				if err == nil {
					t.Fatalf("no error, got %+v", cpu)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cpu.ISA != c.wantISA || cpu.FLOPsPerCycle != c.wantFPC || cpu.Cores != c.wantCores ||
				math.Abs(cpu.GHz-c.wantGHz) > 1e-9 {
				t.Errorf("got %+v, want ISA %s, %d FLOPs/cycle, %d cores, %g GHz", cpu, c.wantISA, c.wantFPC, c.wantCores, c.wantGHz)
			}
			if got := cpu.PeakFLOPs() / 1e9; math.Abs(got-c.wantPeak) > 1e-6 {
				t.Errorf("peak %g GFLOP/s, want %g", got, c.wantPeak)
			}
		})
	}
}

func TestDetectCPU(t *testing.T) {
	cpu, err := DetectCPU(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cpu.Cores < 1 || cpu.GHz <= 0 || cpu.FLOPsPerCycle < 8 {
		t.Errorf("implausible CPU %+v", cpu)
	}
}

func TestStatusKiB(t *testing.T) {
	status := "Name:\tfer\nVmPeak:\t  123456 kB\nVmHWM:\t   2048 kB\nThreads:\t5\n"
	cases := []struct {
		key     string
		text    string
		want    int64
		wantErr bool
	}{
		{"VmHWM", status, 2048, false},
		{"VmPeak", status, 123456, false},
		{"VmRSS", status, 0, true},
		{"Threads", status, 0, true},
		{"VmHWM", "VmHWM:\tlots kB\n", 0, true},
	}
	for _, c := range cases {
		got, err := StatusKiB(strings.NewReader(c.text), c.key)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("StatusKiB(%s) = %d, %v; want %d, error %v", c.key, got, err, c.want, c.wantErr)
		}
	}
}

func TestPeakRSSReset(t *testing.T) {
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = byte(i)
	}
	before, err := PeakRSSMiB()
	if err != nil {
		t.Fatal(err)
	}
	if before < 64 {
		t.Errorf("peak RSS %.1f MiB after touching 64 MiB", before)
	}
	// Give the 64 MiB back to the OS, then reset: the peak must drop to
	// about the current RSS, well below the peak that held the buffer.
	runtime.KeepAlive(big)
	big = nil
	debug.FreeOSMemory()
	if err := ResetPeakRSS(); err != nil {
		t.Fatal(err)
	}
	after, err := PeakRSSMiB()
	if err != nil {
		t.Fatal(err)
	}
	if after > before-32 {
		t.Errorf("peak RSS %.1f MiB after freeing 64 MiB and a reset; was %.1f MiB before", after, before)
	}
}

func TestMeasureGHz(t *testing.T) {
	ghz := MeasureGHz(200*time.Millisecond, 1)
	// Any x86-64 machine this runs on is between 0.5 and 7 GHz; a wrong
	// cycles-per-iteration assumption would give 2x or 0.5x, often outside.
	if ghz < 0.5 || ghz > 7 {
		t.Errorf("measured clock %.2f GHz is implausible", ghz)
	}
	c := CPU{Cores: 2, GHz: 2, FLOPsPerCycle: 64}
	if got := c.PeakFLOPsAt(4); got != 2*c.PeakFLOPs() {
		t.Errorf("PeakFLOPsAt(4) = %g, want %g", got, 2*c.PeakFLOPs())
	}
}

// Real /proc/cpuinfo entries (one processor each, flags shortened to the
// vector ones and a few others), as ReadCPUInfo and CPUInfo.CPU see them.
const (
	cpuinfoSapphireRapids = `processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 143
model name	: Intel(R) Xeon(R) Platinum 8488C
stepping	: 8
cpu MHz		: 2400.000
cache size	: 107520 KB
flags		: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16 amx_tile
bogomips	: 4800.00

processor	: 1
vendor_id	: GenuineIntel
cpu family	: 6
model		: 143
model name	: Intel(R) Xeon(R) Platinum 8488C
cpu MHz		: 2400.000
flags		: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16 amx_tile
`
	cpuinfoZen4 = `processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 25
model		: 17
model name	: AMD EPYC 9R14 96-Core Processor
stepping	: 1
cpu MHz		: 3699.744
flags		: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16
`
	cpuinfoAVX2 = `processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 79
model name	: Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz
cpu MHz		: 2300.062
flags		: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2

processor	: 1
vendor_id	: GenuineIntel
cpu family	: 6
model		: 79
model name	: Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz
cpu MHz		: 2299.938
flags		: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2
`
	// An arm64 listing: no model name, no clock, "Features" instead of flags.
	cpuinfoARM = `processor	: 0
BogoMIPS	: 243.75
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer	: 0x41
CPU part	: 0xd0c
`
)

func TestReadCPUInfo(t *testing.T) {
	for _, c := range []struct {
		name       string
		text       string
		want       CPUInfo
		wantISA    string
		wantFPC    int
		wantFlags  []string // CPU.Flags
		wantCPUErr bool
	}{
		{"Intel Sapphire Rapids, avx512", cpuinfoSapphireRapids,
			CPUInfo{Vendor: "GenuineIntel", ModelName: "Intel(R) Xeon(R) Platinum 8488C", Family: 6, Model: 143, MHz: 2400, Processors: 2},
			"avx512", 64, []string{"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile"}, false},
		{"AMD Zen 4, family 25 model 17", cpuinfoZen4,
			CPUInfo{Vendor: "AuthenticAMD", ModelName: "AMD EPYC 9R14 96-Core Processor", Family: 25, Model: 17, MHz: 3699.744, Processors: 1},
			"avx512", 64, []string{"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"}, false},
		{"Intel Broadwell, AVX2 only, mean clock", cpuinfoAVX2,
			CPUInfo{Vendor: "GenuineIntel", ModelName: "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz", Family: 6, Model: 79, MHz: 2300, Processors: 2},
			"avx2+fma", 32, []string{"sse4_2", "avx", "avx2", "fma"}, false},
		{"arm64, no model name and no clock", cpuinfoARM, CPUInfo{Processors: 1}, "", 0, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			info, err := ReadCPUInfo(strings.NewReader(c.text))
			if err != nil {
				t.Fatal(err)
			}
			got := info
			got.Flags = nil
			if got.Vendor != c.want.Vendor || got.ModelName != c.want.ModelName || got.Family != c.want.Family ||
				got.Model != c.want.Model || got.Processors != c.want.Processors || math.Abs(got.MHz-c.want.MHz) > 1e-9 {
				t.Errorf("ReadCPUInfo = %+v, want %+v", got, c.want)
			}
			cpu, err := info.CPU(0, 0)
			if c.wantCPUErr {
				if err == nil {
					t.Errorf("CPU() = %+v, want an error", cpu)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cpu.ISA != c.wantISA || cpu.FLOPsPerCycle != c.wantFPC || !slices.Equal(cpu.Flags, c.wantFlags) ||
				cpu.Model != c.want.ModelName || cpu.Family != c.want.Family || cpu.ModelNum != c.want.Model ||
				cpu.Cores != c.want.Processors || math.Abs(cpu.GHz-c.want.MHz/1000) > 1e-9 {
				t.Errorf("CPU() = %+v, want ISA %s, %d FLOPs/cycle, flags %v", cpu, c.wantISA, c.wantFPC, c.wantFlags)
			}
		})
	}
}

// TestReadCPUInfoBadClock: an unparsable clock is an error, and what the
// listing says besides is still read.
func TestReadCPUInfoBadClock(t *testing.T) {
	info, err := ReadCPUInfo(strings.NewReader("processor : 0\ncpu MHz : fast\nmodel name : X\n"))
	if err == nil || !strings.Contains(err.Error(), "fast") {
		t.Errorf("error %v, want one naming the bad clock", err)
	}
	if info.ModelName != "X" || info.Processors != 1 {
		t.Errorf("ReadCPUInfo = %+v, want the model name and processor read", info)
	}
}
