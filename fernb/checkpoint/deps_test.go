package checkpoint

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps checks that the format is independent of who writes it: the
// package links no other fernb package than atomicfile.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/fernb/fernb/") && dep != "github.com/fernb/fernb/fernb/atomicfile" && dep != "github.com/fernb/fernb/fernb/checkpoint" {
			t.Errorf("checkpoint depends on %s", dep)
		}
	}
}
