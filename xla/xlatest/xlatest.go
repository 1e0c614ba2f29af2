// Package xlatest gives tests one shared backend per name ("go", "xla:cpu",
// ...), created on first use: compiling and loading XLA once per test binary
// keeps test suites fast.
//
// A test that asks for XLA CPU on a machine without its plugin is skipped,
// unless xla.Required() (CI=true or FERNB_REQUIRE_XLA=1), where it fails.
package xlatest

import (
	"errors"
	"sync"
	"testing"

	"github.com/fernb/fernb/xla"
	"github.com/gomlx/compute"
)

var (
	mu       sync.Mutex
	backends = map[string]compute.Backend{}
)

// Backend returns the shared backend for name, creating it with xla.New.
func Backend(tb testing.TB, name string) compute.Backend {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if b, ok := backends[name]; ok {
		return b
	}
	b, _, err := xla.New(name)
	if err != nil {
		if errors.Is(err, xla.ErrPluginNotFound) && !xla.Required() {
			tb.Skipf("backend %s: PJRT plugin not installed here: %v", name, err)
		}
		tb.Fatalf("backend %s: %v", name, err)
	}
	backends[name] = b
	return b
}
