package xla

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// emptyPluginDirs points every plugin search at an empty folder.
func emptyPluginDirs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", dir)
	t.Setenv(PluginDirEnv, "")
	t.Setenv("GOMLX_BACKEND", "")
	t.Setenv("FERNB_VENV", dir)
	t.Setenv("VIRTUAL_ENV", dir)
	return dir
}

func TestChooseWithoutPlugin(t *testing.T) {
	dir := emptyPluginDirs(t)
	// A file that looks like a plugin by name but is not one is rejected, not loaded.
	if err := os.WriteFile(filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}

	c, err := Choose("auto")
	if err != nil {
		t.Fatalf("auto without plugins: %v", err)
	}
	if c.Kind != KindGo || c.Config != "go" {
		t.Errorf("auto without plugins chose %q (%q), want the Go backend", c.Kind, c.Config)
	}
	if !strings.Contains(c.Reason, dir) || !strings.Contains(c.Reason, SetupCommand) {
		t.Errorf("reason %q should name the folder searched and %q", c.Reason, SetupCommand)
	}

	for _, req := range []string{"xla:cpu", "cpu", "xla"} {
		_, err := Choose(req)
		var pe *PluginNotFoundError
		if !errors.As(err, &pe) || !errors.Is(err, ErrPluginNotFound) {
			t.Fatalf("Choose(%q) = %v, want a PluginNotFoundError", req, err)
		}
		msg := err.Error()
		for _, want := range []string{dir, SetupCommand, "does not export GetPjrtApi", "not an ELF"} {
			if want == "does not export GetPjrtApi" {
				continue // the fake file is not even ELF
			}
			if !strings.Contains(msg, want) {
				t.Errorf("Choose(%q) error %q lacks %q", req, msg, want)
			}
		}
	}

	// The explicit request in GOMLX_BACKEND is honoured the same way: no fallback.
	t.Setenv("GOMLX_BACKEND", "xla:cpu")
	if _, err := Choose(""); !errors.Is(err, ErrPluginNotFound) {
		t.Errorf("GOMLX_BACKEND=xla:cpu without plugin: got %v, want ErrPluginNotFound", err)
	}
	if _, _, err := New(""); !errors.Is(err, ErrPluginNotFound) {
		t.Errorf("New with GOMLX_BACKEND=xla:cpu without plugin: got %v, want ErrPluginNotFound", err)
	}
	t.Setenv("GOMLX_BACKEND", "go")
	if c, err := Choose(""); err != nil || c.Kind != KindGo || c.From != "GOMLX_BACKEND" {
		t.Errorf("GOMLX_BACKEND=go: got %+v, %v", c, err)
	}
}

func TestChooseWithPlugin(t *testing.T) {
	plugin := requireCPUPlugin(t)
	dir := emptyPluginDirs(t)
	link := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")
	if err := os.Symlink(plugin, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		request, from, kind string
	}{
		{"auto", "default", KindCPU},
		{"", "default", KindCPU},
		{"xla:cpu", "argument", KindCPU},
		{"cpu", "argument", KindCPU},
		{"xla", "argument", KindCPU},
		{"xla:" + link, "argument", KindCPU},
		{"go", "argument", KindGo},
		{"go:ops_sequential", "argument", KindGo},
	}
	for _, tt := range tests {
		c, err := Choose(tt.request)
		if err != nil {
			t.Errorf("Choose(%q): %v", tt.request, err)
			continue
		}
		if c.Kind != tt.kind || c.From != tt.from {
			t.Errorf("Choose(%q) = kind %q from %q, want %q from %q", tt.request, c.Kind, c.From, tt.kind, tt.from)
		}
		if tt.kind == KindCPU && (c.PluginPath != link || c.Config != "xla:"+link) {
			t.Errorf("Choose(%q): plugin %q config %q, want %q", tt.request, c.PluginPath, c.Config, link)
		}
	}

	if HasGPU() {
		return
	}
	// No GPU here: CUDA asked for explicitly must fail, never fall back.
	if _, err := Choose("xla:cuda"); !errors.Is(err, ErrPluginNotFound) || !strings.Contains(err.Error(), "cuda") {
		t.Errorf("xla:cuda without GPU: %v", err)
	}

	b, c, err := New("auto")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if c.PJRTVersion == "" || c.Devices < 1 {
		t.Errorf("New(auto): PJRT version %q, %d devices; description %q", c.PJRTVersion, c.Devices, c.Description)
	}
}

func TestChooseUnknown(t *testing.T) {
	emptyPluginDirs(t)
	if _, err := Choose("tpu"); err == nil || !strings.Contains(err.Error(), `unknown backend "tpu"`) {
		t.Errorf("Choose(tpu) = %v", err)
	}
}

func TestPluginNameOf(t *testing.T) {
	for file, want := range map[string]string{
		"/x/pjrt_c_api_cpu_plugin.so":         "cpu",
		"/x/pjrt_c_api_cuda_plugin.so":        "cuda",
		"/x/pjrt_c_api_cpu_v0.83.1_plugin.so": "cpu",
		"/x/pjrt-plugin-cpu.so":               "cpu",
		"/x/xla_cuda_plugin.so":               "cuda",
		"/x/libfoo.so":                        "",
	} {
		if got := pluginNameOf(file); got != want {
			t.Errorf("pluginNameOf(%q) = %q, want %q", file, got, want)
		}
	}
}
