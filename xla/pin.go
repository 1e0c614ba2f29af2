package xla

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// KnownPlugins maps the SHA-256 (lower-case hex) of the PJRT plugin files
// fernb was tested with to where each comes from. New compares the plugin it
// is about to load with these (see VerifyPlugin).
//
// Only the CPU plugin is pinned. The CUDA plugin (jax-cuda13-pjrt, pinned by
// wheel hash in scripts/requirements-cuda.txt) was never installed on a
// machine where its .so could be hashed, so it is not listed: it loads as
// "unknown" with a warning unless FERNB_PLUGIN_STRICT or FERNB_PLUGIN_SHA256
// say otherwise.
var KnownPlugins = map[string]string{
	// pjrt_c_api_cpu_plugin.so from the wheel lammps-jax-pjrt-cpu==0.11.2
	// (sha256:1319390d948b39f69f7dade496b7c385149d9ca6097a6b62114da113216d9ad1,
	// scripts/requirements-xla.txt), as fernb.sh installs it in
	// ~/.local/lib/go-xla; hashed with sha256sum after ./fernb.sh setup.
	"ad1309ac822b1b24d51b7f9947c7c9fa9ef5d67f390584cbc3d1fa2428fed9c2": "XLA CPU plugin from lammps-jax-pjrt-cpu 0.11.2 (scripts/requirements-xla.txt)",
}

// Environment variables that turn the warning about an unknown plugin into a
// refusal.
const (
	// PluginSHA256Env, set to a hex SHA-256, makes New refuse any plugin
	// whose content has another hash (known or not).
	PluginSHA256Env = "FERNB_PLUGIN_SHA256"
	// PluginStrictEnv, set to 1, makes New refuse a plugin whose hash is not
	// in KnownPlugins (or equal to $FERNB_PLUGIN_SHA256).
	PluginStrictEnv = "FERNB_PLUGIN_STRICT"
)

// PluginWarnings is where the one-line warning about an unknown plugin is
// written (once per plugin file per process). Tests may replace it.
var PluginWarnings io.Writer = os.Stderr

// PluginRefusedError is returned by VerifyPlugin and New when the plugin's
// SHA-256 is refused by FERNB_PLUGIN_SHA256 or FERNB_PLUGIN_STRICT.
type PluginRefusedError struct {
	Path, SHA256 string
	// Why says which setting refused it.
	Why string
}

func (e *PluginRefusedError) Error() string {
	return fmt.Sprintf("PJRT plugin %s refused: its sha256 is %s; %s", e.Path, e.SHA256, e.Why)
}

type hashResult struct {
	once sync.Once
	sum  string
	err  error
}

var (
	hashMu    sync.Mutex
	hashCache = map[string]*hashResult{}
	warned    = map[string]bool{}
)

// PluginSHA256 returns the hex SHA-256 of the file at path. The result is
// computed once per process for a given path, size and modification time
// (hashing the ~200 MB CPU plugin takes about half a second).
func PluginSHA256(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("%s\x00%d\x00%d", path, fi.Size(), fi.ModTime().UnixNano())
	hashMu.Lock()
	r := hashCache[key]
	if r == nil {
		r = &hashResult{}
		hashCache[key] = r
	}
	hashMu.Unlock()
	r.once.Do(func() { r.sum, r.err = fileSHA256(path) })
	return r.sum, r.err
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// PluginCheck is what VerifyPlugin found.
type PluginCheck struct {
	// SHA256 is the plugin file's hex SHA-256.
	SHA256 string
	// Known describes where the plugin comes from if its hash is in
	// KnownPlugins or equals $FERNB_PLUGIN_SHA256; "" if unknown.
	Known string
}

// VerifyPlugin hashes the plugin at path and compares the hash with
// KnownPlugins and the opt-in settings:
//
//   - FERNB_PLUGIN_SHA256=<hex>: any other hash is refused;
//   - FERNB_PLUGIN_STRICT=1: a hash not known is refused;
//   - neither: an unknown plugin is accepted with a one-line warning on
//     PluginWarnings naming its path and hash (once per path per process).
//
// A refusal is a *PluginRefusedError. It never loads the plugin.
func VerifyPlugin(path string) (PluginCheck, error) {
	sum, err := PluginSHA256(path)
	if err != nil {
		return PluginCheck{}, fmt.Errorf("hashing PJRT plugin: %w", err)
	}
	c := PluginCheck{SHA256: sum, Known: KnownPlugins[sum]}
	if want := strings.ToLower(strings.TrimSpace(os.Getenv(PluginSHA256Env))); want != "" {
		if sum != want {
			return c, &PluginRefusedError{Path: path, SHA256: sum,
				Why: fmt.Sprintf("%s requires %s", PluginSHA256Env, want)}
		}
		if c.Known == "" {
			c.Known = "required by " + PluginSHA256Env
		}
		return c, nil
	}
	if c.Known != "" {
		return c, nil
	}
	if os.Getenv(PluginStrictEnv) == "1" {
		return c, &PluginRefusedError{Path: path, SHA256: sum,
			Why: fmt.Sprintf("%s=1 accepts only the plugins fernb pinned (xla.KnownPlugins); "+
				"set %s=%s to accept this one", PluginStrictEnv, PluginSHA256Env, sum)}
	}
	hashMu.Lock()
	first := !warned[path]
	warned[path] = true
	hashMu.Unlock()
	if first {
		fmt.Fprintf(PluginWarnings, "fernb: warning: PJRT plugin %s is not one fernb pinned (sha256 %s); "+
			"%s=1 or %s=<hex> refuse unknown plugins\n", path, sum, PluginStrictEnv, PluginSHA256Env)
	}
	return c, nil
}
