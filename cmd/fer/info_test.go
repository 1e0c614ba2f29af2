package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernb/fernb/xla"
)

// infoOutput runs fer info with args and returns its standard output.
func infoOutput(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	out := make(chan string)
	go func() { b, _ := io.ReadAll(r); out <- string(b) }()
	err = runInfo(args)
	os.Stdout = stdout
	w.Close()
	return <-out, err
}

// TestInfoPluginHash: fer info says whether the plugin's SHA-256 is one
// fernb pinned; with FERNB_PLUGIN_STRICT=1 an unknown plugin (a copy of the
// pinned one with a byte appended) is refused and its path and hash printed.
func TestInfoPluginHash(t *testing.T) {
	plugin, _, _ := xla.FindPlugin("cpu")
	if plugin == "" {
		if xla.Required() {
			t.Fatal("XLA CPU plugin required here but not found")
		}
		t.Skip("XLA CPU plugin not installed")
	}
	t.Setenv("FER_DATA", "")
	t.Setenv(xla.PluginStrictEnv, "")
	t.Setenv(xla.PluginSHA256Env, "")
	out, err := infoOutput(t, "--backend", "xla:"+plugin)
	if err != nil || !strings.Contains(out, "(known: ") {
		t.Errorf("fer info on the pinned plugin: %v\n%s", err, out)
	}

	b, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
	if err := os.WriteFile(bad, append(b, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := xla.PluginSHA256(bad)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(xla.PluginStrictEnv, "1")
	out, err = infoOutput(t, "--backend", "xla:"+bad)
	var re *xla.PluginRefusedError
	if !errors.As(err, &re) || !strings.Contains(out, "ERROR") || !strings.Contains(out, sum) || !strings.Contains(out, bad) {
		t.Errorf("fer info on a tampered plugin in strict mode: %v\n%s", err, out)
	}
}
