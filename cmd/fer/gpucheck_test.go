package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGPUCheckScript runs scripts/gpu-check.sh without a GPU (it must say so
// and stop cleanly, exit 0, running nothing) and with a fake nvidia-smi and a
// fake fer (every step recorded with its exit status and time; a failing step
// makes the script exit 1 while the later steps still run).
func TestGPUCheckScript(t *testing.T) {
	script, err := filepath.Abs("../../scripts/gpu-check.sh")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	venv := t.TempDir()
	writeExec(t, filepath.Join(venv, "bin", "python"), "#!/bin/sh\nexit 0\n")
	// The fake fer logs its arguments; "bench" fails when FAKE_BENCH_FAIL is set.
	fer := filepath.Join(bin, "fer")
	writeExec(t, fer, `#!/bin/sh
echo "$@" >>"$FAKE_LOG"
case "$1" in
info) echo "backend     xla:cuda (requested \"xla:cuda\" from --backend)";;
bench) [ -n "$FAKE_BENCH_FAIL" ] && { echo "bench broke"; exit 3; };;
esac
exit 0
`)
	run := func(withGPU bool, env ...string) (string, int, string) {
		out := t.TempDir()
		path := "/usr/bin:/bin"
		if withGPU {
			gpuBin := t.TempDir()
			writeExec(t, filepath.Join(gpuBin, "nvidia-smi"), "#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-x)'\n")
			path = gpuBin + ":" + path
		}
		cmd := exec.Command("bash", script, out)
		cmd.Env = append([]string{"PATH=" + path, "FER=" + fer, "FERNB_VENV=" + venv, "FAKE_LOG=" + filepath.Join(out, "fake.log"), "HOME=" + t.TempDir()}, env...)
		b, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(b), code, out
	}

	msg, code, out := run(false)
	if code != 0 || !strings.Contains(msg, "no NVIDIA GPU here") {
		t.Errorf("without a GPU: exit %d, output %q; want exit 0 and a 'no NVIDIA GPU' line", code, msg)
	}
	if _, err := os.Stat(filepath.Join(out, "fake.log")); err == nil {
		t.Error("without a GPU, fer was run")
	}

	msg, code, out = run(true)
	times, _ := os.ReadFile(filepath.Join(out, "times.tsv"))
	for _, s := range []string{"info\t0\t", "bench\t0\t", "train\t0\t", "eval-none\t0\t", "eval-flip\t0\t"} {
		if !strings.Contains(string(times), s) {
			t.Errorf("with a GPU: times.tsv lacks %q:\n%s", s, times)
		}
	}
	if code != 0 || !strings.Contains(msg, "all steps passed") {
		t.Errorf("with a GPU: exit %d, output:\n%s", code, msg)
	}
	log, _ := os.ReadFile(filepath.Join(out, "fake.log"))
	for _, s := range []string{"bench --backends xla:cuda --torch-device cuda", "train --step 13-cpu-2h --scale cpu --epochs 20 --backend xla:cuda"} {
		if !strings.Contains(string(log), s) {
			t.Errorf("fer was not run with %q:\n%s", s, log)
		}
	}

	msg, code, out = run(true, "FAKE_BENCH_FAIL=1")
	times, _ = os.ReadFile(filepath.Join(out, "times.tsv"))
	if code != 1 || !strings.Contains(string(times), "bench\t3\t") || !strings.Contains(string(times), "eval-flip\t0\t") {
		t.Errorf("failing bench: exit %d (want 1), times.tsv:\n%s\noutput:\n%s", code, times, msg)
	}
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}
