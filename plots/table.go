package plots

import "github.com/fernb/fernb/fernb/table"

// Table is a table of text cells for a write-up (table.Table): the same
// content renders as Markdown, LaTeX and aligned text.
type Table = table.Table

// LaTeXEscape escapes text for LaTeX (table.LaTeXEscape).
func LaTeXEscape(s string) string { return table.LaTeXEscape(s) }
