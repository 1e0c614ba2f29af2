package repo

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayers checks the layers that README's Layout promises, one row per
// rule: a package's dependencies (go list -deps) may not include the
// packages listed, or, for only, may include no fernb package but those.
func TestLayers(t *testing.T) {
	const m = "github.com/fernb/fernb/"
	for _, tt := range []struct {
		pkg, why string
		forbid   []string // dependencies, or prefixes ending in "/"
		only     []string // when set, the only fernb packages allowed
	}{
		{pkg: "fernb/checkpoint", why: "the file format is independent of who writes it",
			only: []string{"fernb/atomicfile", "fernb/checkpoint"}},
		{pkg: "fernb/recipe", why: "recipes are plain data",
			forbid: []string{m + "fernb/notebook", m + "fernb"}},
		{pkg: "fernb/eval", why: "eval returns data, plots renders it",
			forbid: []string{m + "plots", m + "plots/", "gonum.org/v1/plot", "gonum.org/v1/plot/"}},
		{pkg: "cmd/fer", why: "fer calls the packages below the notebooks' facade and does not link GoNB",
			forbid: []string{m + "fernb", "github.com/janpfeifer/gonb/"}},
	} {
		out, err := exec.Command("go", "list", "-deps", "../../"+tt.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tt.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range tt.forbid {
				if dep == f || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s (%s)", tt.pkg, dep, tt.why)
				}
			}
			if tt.only != nil && strings.HasPrefix(dep, m) && !slices.Contains(tt.only, strings.TrimPrefix(dep, m)) {
				t.Errorf("%s depends on %s (%s)", tt.pkg, dep, tt.why)
			}
		}
	}
}
