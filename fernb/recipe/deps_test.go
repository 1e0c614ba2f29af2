package recipe

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps checks that recipe stays plain data: it finds the repository
// through fernb/repo and links neither the notebook runner nor the
// notebooks' facade.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "github.com/fernb/fernb/fernb/notebook", "github.com/fernb/fernb/fernb":
			t.Errorf("recipe depends on %s", dep)
		}
	}
}
