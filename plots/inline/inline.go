// Package inline shows fernb's figures and tables inline in a GoNB notebook
// (github.com/janpfeifer/gonb). Outside a notebook every call does nothing,
// so code that draws figures runs unchanged from a shell.
//
// It is apart from package plots so that programs which only draw and save
// figures (the fer command) do not link GoNB.
package inline

import (
	"github.com/fernb/fernb/plots"
	"github.com/janpfeifer/gonb/gonbui"
)

// Show displays each figure inline (as plots.Figure.HTML: a
// plots.ScreenDPI PNG at the figure's physical size) and waits until the
// notebook received it. nil figures are skipped. Outside a notebook it does
// nothing and returns nil.
func Show(figs ...*plots.Figure) error {
	if !gonbui.IsNotebook {
		return nil
	}
	for _, f := range figs {
		if f == nil {
			continue
		}
		h, err := f.HTML()
		if err != nil {
			return err
		}
		gonbui.DisplayHTML(h)
		gonbui.Sync()
		if err := gonbui.Error(); err != nil {
			return err
		}
	}
	return nil
}

// Markdown displays Markdown (e.g. an accuracy table) inline; outside a
// notebook it does nothing.
func Markdown(md string) {
	if !gonbui.IsNotebook {
		return
	}
	gonbui.DisplayMarkdown(md)
	gonbui.Sync()
}
