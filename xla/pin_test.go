package xla

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPinnedPluginKnown: the installed CPU plugin is the pinned one, so it is
// accepted without a warning, strict mode included; hashing it is timed (the
// cost New pays once per process) and the second call is served by the cache.
func TestPinnedPluginKnown(t *testing.T) {
	plugin := requireCPUPlugin(t)
	t.Setenv(PluginSHA256Env, "")
	t.Setenv(PluginStrictEnv, "1")
	var warn bytes.Buffer
	defer func(w io.Writer) { PluginWarnings = w }(PluginWarnings)
	PluginWarnings = &warn

	start := time.Now()
	c, err := VerifyPlugin(plugin)
	first := time.Since(start)
	if err != nil {
		t.Fatalf("the installed plugin %s is refused in strict mode: %v", plugin, err)
	}
	if c.Known == "" || KnownPlugins[c.SHA256] == "" {
		t.Errorf("installed plugin %s (sha256 %s) is not known", plugin, c.SHA256)
	}
	start = time.Now()
	if _, err := VerifyPlugin(plugin); err != nil {
		t.Fatal(err)
	}
	again := time.Since(start)
	t.Logf("hashing %s: %v, then %v from the per-process cache", plugin, first, again)
	if again > first/10 && again > time.Millisecond {
		t.Errorf("second VerifyPlugin took %v (first %v): the hash is not cached", again, first)
	}
	if warn.Len() != 0 {
		t.Errorf("warning for the pinned plugin: %q", warn.String())
	}
}

// tamperedCopy copies the real plugin into a fresh folder under its usual
// name, then appends a byte ("append") or flips one in the middle ("flip").
func tamperedCopy(t *testing.T, plugin, how string) string {
	t.Helper()
	b, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}
	switch how {
	case "append":
		b = append(b, 0)
	case "flip":
		b[len(b)/2] ^= 0x01
	}
	p := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTamperedPlugin: a copy of the pinned plugin with one byte changed or
// added still looks like a plugin (ELF, GetPjrtApi) but its hash is unknown:
// accepted with a one-line warning naming path and hash (once), refused by
// FERNB_PLUGIN_STRICT=1 or a FERNB_PLUGIN_SHA256 it does not match, accepted
// silently when FERNB_PLUGIN_SHA256 names it.
func TestTamperedPlugin(t *testing.T) {
	plugin := requireCPUPlugin(t)
	realSum, err := PluginSHA256(plugin)
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"append", "flip"} {
		bad := tamperedCopy(t, plugin, how)
		if err := CheckPlugin(bad); err != nil {
			t.Fatalf("%s: tampered copy no longer looks like a plugin: %v", how, err)
		}
		badSum, err := PluginSHA256(bad)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, strict, want string
			refused, warns     bool
		}{
			{"default warns", "", "", false, true},
			{"warns once", "", "", false, false},
			{"strict refuses", "1", "", true, false},
			{"other hash required", "", realSum, true, false},
			{"other hash required, upper case", "", strings.ToUpper(realSum), true, false},
			{"its hash required", "", badSum, false, false},
			{"strict with its hash required", "1", badSum, false, false},
		}
		for _, tt := range tests {
			t.Run(how+"/"+tt.name, func(t *testing.T) {
				t.Setenv(PluginStrictEnv, tt.strict)
				t.Setenv(PluginSHA256Env, tt.want)
				var warn bytes.Buffer
				defer func(w io.Writer) { PluginWarnings = w }(PluginWarnings)
				PluginWarnings = &warn
				c, err := VerifyPlugin(bad)
				if c.SHA256 != badSum {
					t.Errorf("hash %q, want %q", c.SHA256, badSum)
				}
				var re *PluginRefusedError
				if got := errors.As(err, &re); got != tt.refused {
					t.Fatalf("refused = %v (%v), want %v", got, err, tt.refused)
				}
				if tt.refused {
					for _, s := range []string{bad, badSum} {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("refusal %q does not name %q", err, s)
						}
					}
				} else if c.Known == "" && tt.want != "" {
					t.Errorf("accepted by %s but not reported as known", PluginSHA256Env)
				}
				w := warn.String()
				if tt.warns {
					if strings.Count(w, "\n") != 1 || !strings.Contains(w, bad) || !strings.Contains(w, badSum) {
						t.Errorf("warning %q: want one line naming %s and %s", w, bad, badSum)
					}
				} else if w != "" {
					t.Errorf("unexpected warning %q", w)
				}
			})
		}
	}

	// Through New: refused before it is loaded, whether asked for by path or
	// found on the search path by "auto" / "xla:cpu".
	bad := tamperedCopy(t, plugin, "append")
	emptyPluginDirs(t)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", filepath.Dir(bad))
	t.Setenv(PluginStrictEnv, "1")
	t.Setenv(PluginSHA256Env, "")
	requests := []string{"xla:" + bad, "xla:cpu"}
	if !HasGPU() {
		requests = append(requests, "auto")
	}
	for _, req := range requests {
		b, c, err := New(req)
		var re *PluginRefusedError
		if !errors.As(err, &re) {
			if b != nil {
				b.Finalize()
			}
			t.Fatalf("New(%q) with %s=1 and a tampered plugin: %v, want a refusal", req, PluginStrictEnv, err)
		}
		if c.PluginPath != bad || c.PluginSHA256 == "" || c.PluginKnown != "" {
			t.Errorf("New(%q): choice %+v should carry the refused plugin and its hash", req, c)
		}
	}
}

// TestTamperedPluginLoadsWithWarning runs `New` in a child process (loading
// a second copy of XLA into this one is not safe) on a tampered plugin with
// default settings: it loads, and the one warning goes to stderr.
func TestTamperedPluginLoadsWithWarning(t *testing.T) {
	if p := os.Getenv("FERNB_TEST_LOAD_PLUGIN"); p != "" {
		b, c, err := New("xla:" + p)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Finalize()
		t.Logf("loaded %s, %d devices, known %q", p, c.Devices, c.PluginKnown)
		return
	}
	plugin := requireCPUPlugin(t)
	bad := tamperedCopy(t, plugin, "append")
	cmd := exec.Command(os.Args[0], "-test.run=^TestTamperedPluginLoadsWithWarning$", "-test.v")
	cmd.Env = append(os.Environ(), "FERNB_TEST_LOAD_PLUGIN="+bad, PluginStrictEnv+"=", PluginSHA256Env+"=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "loaded "+bad) {
		t.Errorf("child did not load the plugin:\n%s", stdout.String())
	}
	if w := stderr.String(); strings.Count(w, "not one fernb pinned") != 1 || !strings.Contains(w, bad) {
		t.Errorf("child's stderr %q: want one warning naming %s", w, bad)
	}
}
