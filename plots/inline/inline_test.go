package inline

import (
	"testing"

	"github.com/fernb/fernb/plots"
	"github.com/janpfeifer/gonb/gonbui"
)

func TestOutsideNotebook(t *testing.T) {
	if gonbui.IsNotebook {
		t.Fatal("tests must not run inside a GoNB kernel")
	}
	f, err := plots.ConfusionMatrix([][]int{{1, 2}, {3, 4}}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Show(f, nil); err != nil {
		t.Errorf("Show outside a notebook: %v", err)
	}
	Markdown("| a |")
}
