package eval

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps checks that eval returns data and leaves rendering to plots: it
// links neither plots nor gonum/plot (its tables are fernb/table's).
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/fernb/fernb/plots" || strings.HasPrefix(dep, "github.com/fernb/fernb/plots/") ||
			dep == "gonum.org/v1/plot" || strings.HasPrefix(dep, "gonum.org/v1/plot/") {
			t.Errorf("eval depends on %s", dep)
		}
	}
}
