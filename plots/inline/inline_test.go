//go:build linux

package inline

import (
	"testing"

	"github.com/fernb/fernb/plots"
	"github.com/janpfeifer/gonb/gonbui"
)

// TestOutsideNotebook: outside a GoNB kernel, Show and Markdown return at
// once, Show without error, and neither writes anything (no stray Markdown
// or HTML in a shell's output), for a figure, a nil figure, and Markdown
// tables of any size.
func TestOutsideNotebook(t *testing.T) {
	if gonbui.IsNotebook {
		t.Fatal("tests must not run inside a GoNB kernel")
	}
	f, err := plots.ConfusionMatrix([][]int{{1, 2}, {3, 4}}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	big := "| a | b |\n|---|---|\n"
	for i := 0; i < 1000; i++ {
		big += "| 1 | 2 |\n"
	}
	cases := []struct {
		name string
		call func() error
	}{
		{"Show figure and nil", func() error { return Show(f, nil) }},
		{"Show nothing", func() error { return Show() }},
		{"Markdown one line", func() error { Markdown("| a |"); return nil }},
		{"Markdown empty", func() error { Markdown(""); return nil }},
		{"Markdown large table", func() error { Markdown(big); return nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if out := captureOutput(t, func() { err = c.call() }); out != "" {
				t.Errorf("wrote %q outside a notebook", out)
			}
			if err != nil {
				t.Errorf("error outside a notebook: %v", err)
			}
		})
	}
}
