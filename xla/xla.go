// Package xla chooses the GoMLX backend fernb computes on, finds the PJRT
// plugins that XLA needs, and explains the choice in words.
//
// fernb runs on three backends:
//
//   - "xla:cuda": XLA through the CUDA PJRT plugin, when the plugin and an
//     NVIDIA GPU are present;
//   - "xla:cpu": XLA through the CPU PJRT plugin (the set-up script installs
//     it from a PyPI wheel);
//   - "go": GoMLX's pure-Go backend, correct everywhere but much slower on
//     convolutions (BENCHMARKS.md has the measured numbers).
//
// New("auto") picks the first available in that order. An explicit request
// ("xla:cpu", "xla:cuda", "go", or the GOMLX_BACKEND environment variable) is
// honoured or fails with an error that names the paths searched and the
// command that installs the plugin: never a silent fallback.
//
// The plugin's SHA-256 is checked against the pinned ones (KnownPlugins)
// before it is loaded: an unknown plugin gets a warning, or a refusal with
// FERNB_PLUGIN_STRICT=1 or FERNB_PLUGIN_SHA256=<hex>.
//
// fernb always hands go-xla an absolute plugin path, so go-xla's own
// auto-installer (which downloads from GitHub) never runs.
package xla

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers the "go" backend
	goxla "github.com/gomlx/go-xla/compute/xla"
)

// Kinds of backend fernb knows.
const (
	KindCUDA = "xla:cuda"
	KindCPU  = "xla:cpu"
	KindGo   = "go"
)

// SetupCommand is the command that installs the XLA CPU plugin (and the rest
// of fernb's dependencies). Errors about missing plugins quote it.
const SetupCommand = "./fernb.sh setup"

// PluginDirEnv names an extra directory searched for plugins before the
// default ones (PJRT_PLUGIN_LIBRARY_PATH, if set, replaces the defaults as in
// go-xla).
const PluginDirEnv = "FERNB_PLUGIN_DIR"

// Choice describes the backend chosen and why.
type Choice struct {
	// Requested is what was asked for: "auto", or an explicit backend.
	Requested string
	// From says where the request came from: "argument", "GOMLX_BACKEND" or
	// "default".
	From string
	// Kind is one of KindCUDA, KindCPU or KindGo.
	Kind string
	// Config is the configuration given to compute.NewWithConfig, e.g.
	// "xla:/root/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so" or "go".
	Config string
	// PluginPath is the PJRT plugin's absolute path ("" for the Go backend).
	PluginPath string
	// Reason explains the choice in one or two sentences.
	Reason string
	// Description is the backend's own description (filled in by New).
	Description string
	// PJRTVersion is the plugin's PJRT C API version, e.g. "0.115" (filled
	// in by New for XLA backends).
	PJRTVersion string
	// Devices is the number of devices of the backend (filled in by New).
	Devices int
	// PluginSHA256 is the plugin file's hex SHA-256 and PluginKnown where
	// it comes from, "" if it is not one fernb pinned (filled in by New for
	// XLA backends; see VerifyPlugin).
	PluginSHA256, PluginKnown string
}

// String returns a one-line summary of the choice.
func (c Choice) String() string {
	s := c.Kind
	if c.PluginPath != "" {
		s += " (" + c.PluginPath + ")"
	}
	return s + ": " + c.Reason
}

// PluginNotFoundError is returned when an explicitly requested XLA plugin is
// missing or unusable.
type PluginNotFoundError struct {
	// Plugin is "cpu" or "cuda".
	Plugin string
	// Searched lists the places looked at.
	Searched []string
	// Rejected lists files found but not usable, with why.
	Rejected []string
	// Extra is a further explanation (e.g. "no NVIDIA GPU found").
	Extra string
}

func (e *PluginNotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "XLA %s PJRT plugin not found", e.Plugin)
	if e.Extra != "" {
		fmt.Fprintf(&b, " (%s)", e.Extra)
	}
	fmt.Fprintf(&b, "; searched: %s", strings.Join(e.Searched, ", "))
	for _, r := range e.Rejected {
		fmt.Fprintf(&b, "; rejected %s", r)
	}
	if e.Plugin == "cuda" {
		fmt.Fprintf(&b, "; install it with `%s --cuda` (pip packages jax-cuda13-pjrt and its NVIDIA libraries)"+
			" or set PJRT_PLUGIN_LIBRARY_PATH to the directory holding pjrt_c_api_cuda_plugin.so", SetupCommand)
	} else {
		fmt.Fprintf(&b, "; install it with `%s`, or set PJRT_PLUGIN_LIBRARY_PATH to the directory holding "+
			"pjrt_c_api_cpu_plugin.so; or ask for the pure-Go backend with GOMLX_BACKEND=go", SetupCommand)
	}
	return b.String()
}

// ErrPluginNotFound matches any *PluginNotFoundError with errors.Is.
var ErrPluginNotFound = errors.New("PJRT plugin not found")

// Is reports whether target is ErrPluginNotFound.
func (e *PluginNotFoundError) Is(target error) bool { return target == ErrPluginNotFound }

func init() {
	// fernb finds plugins itself and passes absolute paths; never let go-xla
	// try to download one (it panics offline).
	goxla.EnableAutoInstall(false)
}

// SearchDirs returns the directories searched for PJRT plugin files, in
// order: $FERNB_PLUGIN_DIR, then PJRT_PLUGIN_LIBRARY_PATH's entries if set,
// else go-xla's defaults (~/.local/lib/go-xla, /usr/local/lib/go-xla and their
// nvidia/ sub-folders) and LD_LIBRARY_PATH's entries.
func SearchDirs() []string {
	var dirs []string
	if d := os.Getenv(PluginDirEnv); d != "" {
		dirs = append(dirs, d)
	}
	if p, ok := os.LookupEnv("PJRT_PLUGIN_LIBRARY_PATH"); ok {
		for _, d := range strings.Split(p, ":") {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
		return dedup(dirs)
	}
	if home, err := os.UserHomeDir(); err == nil {
		g := filepath.Join(home, ".local", "lib", "go-xla")
		dirs = append(dirs, g, filepath.Join(g, "nvidia"))
	}
	dirs = append(dirs, "/usr/local/lib/go-xla", "/usr/local/lib/go-xla/nvidia")
	for _, d := range strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":") {
		if filepath.IsAbs(d) {
			dirs = append(dirs, d)
		}
	}
	return dedup(dirs)
}

// pythonPluginGlobs are where pip's jax-cuda*-pjrt packages put the CUDA
// plugin, relative to a virtualenv.
var pythonPluginGlobs = []string{
	"lib/python3*/site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so",
}

// virtualenvs returns the Python virtualenvs searched for pip-installed
// plugins: $FERNB_VENV, $VIRTUAL_ENV, and /opt/torch/.venv (the GPU image).
func virtualenvs() []string {
	var v []string
	for _, e := range []string{"FERNB_VENV", "VIRTUAL_ENV"} {
		if d := os.Getenv(e); d != "" {
			v = append(v, d)
		}
	}
	return dedup(append(v, "/opt/torch/.venv"))
}

var pluginFileRe = regexp.MustCompile(`^(?:pjrt_c_api_(.+)_plugin|pjrt[-_]plugin[-_](.+))\.so$`)

// pluginNameOf returns the plugin name of a file name as go-xla derives it
// ("cpu" for pjrt_c_api_cpu_plugin.so), or "".
func pluginNameOf(file string) string {
	m := pluginFileRe.FindStringSubmatch(filepath.Base(file))
	if m == nil {
		if filepath.Base(file) == "xla_cuda_plugin.so" {
			return "cuda"
		}
		return ""
	}
	name := m[1] + m[2]
	// Versioned plugins, e.g. cpu_v0.83.1.
	if i := strings.Index(name, "_v"); i > 0 {
		name = name[:i]
	}
	return name
}

// CheckPlugin reports whether path is a loadable-looking PJRT plugin: an ELF
// shared object that exports GetPjrtApi. It does not load it (a broken plugin
// can crash the process that loads it).
func CheckPlugin(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: not an ELF shared object: %w", path, err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return fmt.Errorf("%s: reading dynamic symbols: %w", path, err)
	}
	for _, s := range syms {
		if s.Name == "GetPjrtApi" && s.Section != elf.SHN_UNDEF {
			return nil
		}
	}
	return fmt.Errorf("%s: does not export GetPjrtApi", path)
}

// FindPlugin looks for the PJRT plugin named name ("cpu" or "cuda") and
// returns its absolute path. searched lists the places looked at and
// rejected the files found but unusable, for error messages.
func FindPlugin(name string) (path string, searched, rejected []string) {
	try := func(p string) bool {
		if err := CheckPlugin(p); err != nil {
			rejected = append(rejected, err.Error())
			return false
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		path = abs
		return true
	}
	for _, dir := range SearchDirs() {
		searched = append(searched, dir)
		var cands []string
		for _, pat := range []string{"pjrt_c_api_*_plugin.so", "pjrt-plugin-*.so", "pjrt_plugin_*.so"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			cands = append(cands, m...)
		}
		slices.Sort(cands)
		for _, c := range cands {
			if pluginNameOf(c) == name && try(c) {
				return path, searched, rejected
			}
		}
	}
	if name == "cuda" {
		for _, venv := range virtualenvs() {
			for _, g := range pythonPluginGlobs {
				searched = append(searched, filepath.Join(venv, g))
				m, _ := filepath.Glob(filepath.Join(venv, g))
				slices.Sort(m)
				for i := len(m) - 1; i >= 0; i-- { // newest CUDA first (xla_cuda13 > xla_cuda12)
					if try(m[i]) {
						return path, searched, rejected
					}
				}
			}
		}
	}
	return "", searched, rejected
}

// HasGPU reports whether an NVIDIA GPU seems present: /dev/nvidia* device
// files, or an nvidia-smi that runs and lists one.
func HasGPU() bool {
	if m, _ := filepath.Glob("/dev/nvidia[0-9]*"); len(m) > 0 {
		return true
	}
	if _, err := exec.LookPath("nvidia-smi"); err != nil {
		return false
	}
	out, err := exec.Command("nvidia-smi", "-L").CombinedOutput()
	return err == nil && strings.Contains(string(out), "GPU")
}

// Choose decides which backend New(request) would create, without creating
// it. request is "auto" or "" (then $GOMLX_BACKEND, if set, is the request),
// "go" (or "go:OPTIONS"), "xla" (best XLA plugin), "xla:cpu", "xla:cuda",
// "cpu", "cuda", or "xla:/absolute/path/plugin.so". Options after a comma
// ("xla:cuda,preallocate=true") are passed to the backend.
func Choose(request string) (Choice, error) {
	c := Choice{Requested: request, From: "argument"}
	if request == "" || request == "auto" {
		if env := os.Getenv(compute.ConfigEnvVar); env != "" && env != "auto" {
			c.Requested, c.From = env, compute.ConfigEnvVar
		} else {
			c.Requested, c.From = "auto", "default"
		}
	}
	req, opts, _ := strings.Cut(c.Requested, ",")
	if opts != "" {
		opts = "," + opts
	}
	switch req {
	case "cpu":
		req = KindCPU
	case "cuda", "gpu", "xla:gpu":
		req = KindCUDA
	}

	switch {
	case req == "auto":
		if HasGPU() {
			if p, _, _ := FindPlugin("cuda"); p != "" {
				return c.xla(KindCUDA, p, opts, "auto: an NVIDIA GPU and the CUDA PJRT plugin were found"), nil
			}
		}
		if p, _, _ := FindPlugin("cpu"); p != "" {
			why := "auto: no NVIDIA GPU, so XLA on the CPU (its PJRT plugin was found)"
			if HasGPU() {
				why = "auto: an NVIDIA GPU is present but no CUDA PJRT plugin was found, so XLA on the CPU"
			}
			return c.xla(KindCPU, p, opts, why), nil
		}
		_, searched, _ := FindPlugin("cpu")
		c.Kind, c.Config = KindGo, "go"
		c.Reason = fmt.Sprintf("auto: no XLA PJRT plugin found (searched %s), so the pure-Go backend "+
			"(correct but 10-50x slower on convolutions; `%s` installs the XLA CPU plugin)",
			strings.Join(searched, ", "), SetupCommand)
		return c, nil

	case req == "go" || strings.HasPrefix(req, "go:"):
		c.Kind, c.Config = KindGo, req+opts
		c.Reason = "the pure-Go backend was asked for (" + c.From + ")"
		return c, nil

	case req == "xla":
		if HasGPU() {
			if p, _, _ := FindPlugin("cuda"); p != "" {
				return c.xla(KindCUDA, p, opts, "XLA was asked for ("+c.From+"); a GPU and the CUDA plugin were found"), nil
			}
		}
		p, searched, rejected := FindPlugin("cpu")
		if p == "" {
			return c, &PluginNotFoundError{Plugin: "cpu", Searched: searched, Rejected: rejected}
		}
		return c.xla(KindCPU, p, opts, "XLA was asked for ("+c.From+"); using the CPU plugin"), nil

	case req == KindCPU:
		p, searched, rejected := FindPlugin("cpu")
		if p == "" {
			return c, &PluginNotFoundError{Plugin: "cpu", Searched: searched, Rejected: rejected}
		}
		return c.xla(KindCPU, p, opts, "XLA CPU was asked for ("+c.From+")"), nil

	case req == KindCUDA:
		p, searched, rejected := FindPlugin("cuda")
		if p == "" {
			return c, &PluginNotFoundError{Plugin: "cuda", Searched: searched, Rejected: rejected}
		}
		if !HasGPU() {
			return c, &PluginNotFoundError{Plugin: "cuda", Searched: searched,
				Extra: "the plugin is at " + p + " but no NVIDIA GPU was found (/dev/nvidia*, nvidia-smi)"}
		}
		return c.xla(KindCUDA, p, opts, "XLA CUDA was asked for ("+c.From+")"), nil

	case strings.HasPrefix(req, "xla:/"):
		p := strings.TrimPrefix(req, "xla:")
		if err := CheckPlugin(p); err != nil {
			return c, &PluginNotFoundError{Plugin: pluginNameOf(p), Searched: []string{p}, Rejected: []string{err.Error()}}
		}
		kind := KindCPU
		if pluginNameOf(p) == "cuda" || strings.Contains(filepath.Base(p), "cuda") {
			kind = KindCUDA
		}
		return c.xla(kind, p, opts, "the plugin at "+p+" was asked for ("+c.From+")"), nil
	}
	return c, fmt.Errorf("unknown backend %q (from %s): want auto, go, xla, xla:cpu, xla:cuda or xla:/path/to/plugin.so",
		c.Requested, c.From)
}

func (c Choice) xla(kind, path, opts, why string) Choice {
	c.Kind, c.PluginPath, c.Reason = kind, path, why
	c.Config = "xla:" + path + opts
	return c
}

var pjrtVersionRe = regexp.MustCompile(`\bv(\d+\.\d+)\b`)

// New chooses a backend as Choose does and creates it. The returned Choice
// also carries the backend's description, PJRT version and device count.
//
// Before an XLA plugin is loaded its SHA-256 is compared with the pinned
// ones (VerifyPlugin): an unknown plugin is loaded with a warning, or refused
// when FERNB_PLUGIN_STRICT=1 or FERNB_PLUGIN_SHA256 ask for it.
//
// For the CUDA plugin from a pip virtualenv it points XLA at the NVIDIA
// libraries beside it (XLA_FLAGS=--xla_gpu_cuda_data_dir) unless XLA_FLAGS
// already says where.
func New(request string) (compute.Backend, Choice, error) {
	c, err := Choose(request)
	if err != nil {
		return nil, c, err
	}
	if c.PluginPath != "" {
		pc, err := VerifyPlugin(c.PluginPath)
		c.PluginSHA256, c.PluginKnown = pc.SHA256, pc.Known
		if err != nil {
			return nil, c, err
		}
	}
	if c.Kind == KindCUDA {
		setCUDADataDir(c.PluginPath)
	}
	b, err := newBackend(c.Config)
	if err != nil {
		return nil, c, fmt.Errorf("creating backend %s (%s): %w", c.Kind, c.Config, err)
	}
	c.Description = b.Description()
	c.Devices = b.NumDevices()
	if m := pjrtVersionRe.FindStringSubmatch(c.Description); m != nil && c.Kind != KindGo {
		c.PJRTVersion = m[1]
	}
	return b, c, nil
}

// newBackend calls compute.NewWithConfig, turning a panic (GoMLX panics on
// some configuration errors) into an error.
func newBackend(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return compute.NewWithConfig(config)
}

// setCUDADataDir sets XLA_FLAGS=--xla_gpu_cuda_data_dir to the CUDA toolkit
// folder of a pip layout (site-packages/nvidia/cu13 or nvidia/cuda_nvcc),
// where ptxas and libdevice live, if XLA_FLAGS does not set it already.
func setCUDADataDir(plugin string) {
	flags := os.Getenv("XLA_FLAGS")
	if strings.Contains(flags, "xla_gpu_cuda_data_dir") {
		return
	}
	// plugin: .../site-packages/jax_plugins/xla_cudaNN/xla_cuda_plugin.so
	// go-xla: .../lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so
	base := filepath.Dir(filepath.Dir(filepath.Dir(plugin)))
	for _, cand := range []string{
		filepath.Join(base, "nvidia", "cu13"), filepath.Join(base, "nvidia", "cuda_nvcc"),
		filepath.Join(filepath.Dir(plugin), "cuda_nvcc"), filepath.Dir(plugin),
	} {
		if fi, err := os.Stat(filepath.Join(cand, "bin", "ptxas")); err == nil && !fi.IsDir() {
			os.Setenv("XLA_FLAGS", strings.TrimSpace(flags+" --xla_gpu_cuda_data_dir="+cand))
			return
		}
	}
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// RequireEnv names the environment variable that makes XLA CPU mandatory
// for tests: with FERNB_REQUIRE_XLA=1 (set by ./fernb.sh test) or CI=true, a
// test that needs the plugin fails instead of skipping when it is missing.
const RequireEnv = "FERNB_REQUIRE_XLA"

// Required reports whether tests must have XLA CPU (see RequireEnv).
func Required() bool {
	return os.Getenv(RequireEnv) == "1" || os.Getenv("CI") == "true"
}
