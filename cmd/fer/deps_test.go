package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoFacade checks that fer uses the packages below the notebooks'
// facade (recipe, run, train, eval, ...), never the facade itself, and
// does not link GoNB.
func TestNoFacade(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/fernb/fernb/fernb" {
			t.Errorf("fer depends on the notebook facade %s", dep)
		}
		if strings.HasPrefix(dep, "github.com/janpfeifer/gonb/") {
			t.Errorf("fer links GoNB (%s): inline display belongs in plots/inline", dep)
		}
	}
}
