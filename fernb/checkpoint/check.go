package checkpoint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute/shapes"
)

// VariablesError reports a checkpoint whose variables are not those the
// reader's graph creates: loading it would leave some layers freshly
// initialised or ignore stored weights, so it is refused, as PyTorch's
// load_state_dict(strict=True) does.
type VariablesError struct {
	// File is the checkpoint file.
	File string
	// Missing are variables the graph creates that the file lacks;
	// Unexpected are variables of the file the graph does not create;
	// Mismatched describe variables whose shape differs ("path: file
	// shape, graph shape").
	Missing, Unexpected, Mismatched []string
}

func (e *VariablesError) Error() string {
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"missing", e.Missing}, {"unexpected", e.Unexpected}, {"shape mismatch", e.Mismatched}} {
		if len(p.names) == 0 {
			continue
		}
		names := p.names
		more := ""
		if len(names) > 8 {
			names, more = names[:8], fmt.Sprintf(" and %d more", len(p.names)-8)
		}
		parts = append(parts, fmt.Sprintf("%s %d (%s%s)", p.what, len(p.names), strings.Join(names, ", "), more))
	}
	return fmt.Sprintf("%s does not hold the variables of this run's model: %s", e.File, strings.Join(parts, "; "))
}

// Check compares the variables of checkpoint file (got: path -> shape,
// e.g. Checkpoint.Shapes) with those a graph creates (want) and returns a
// *VariablesError naming every difference, each list sorted, or nil.
func Check(file string, got, want map[string]shapes.Shape) error {
	e := &VariablesError{File: file}
	for p, sh := range want {
		g, ok := got[p]
		switch {
		case !ok:
			e.Missing = append(e.Missing, p)
		case !g.Equal(sh):
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: %s in the file, %s in the graph", p, g, sh))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			e.Unexpected = append(e.Unexpected, p)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) == 0 {
		return nil
	}
	slices.Sort(e.Missing)
	slices.Sort(e.Unexpected)
	slices.Sort(e.Mismatched)
	return e
}
