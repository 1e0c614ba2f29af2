package fernb

import (
	"testing"

	"github.com/fernb/fernb/fernb/recipe"
)

func TestStepIDForFigureNames(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"08", "08-trainval"}, {"08-trainval", "08-trainval"}, {"13", recipe.BestCPUStep},
		{"my-run", "my-run"}, {"99", "99"},
	} {
		if got := stepID(c.in); got != c.want {
			t.Errorf("stepID(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := figName("confusion", stepID("08"), "test"); got != "confusion-08-trainval-test" {
		t.Errorf("figure name %q", got)
	}
}
