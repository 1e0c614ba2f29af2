// Package table holds a table of text cells and renders it as Markdown,
// LaTeX (booktabs) or aligned text. It is data plus formatting only (no
// plotting library), so that packages computing results (eval) can return
// tables that plots and the fer command display.
package table

import (
	"fmt"
	"strings"
)

// Table is a table of text cells for a write-up: the same content renders
// as Markdown (README, notebooks) and as LaTeX (a paper's tabular).
type Table struct {
	// Caption is an optional caption: a line above the Markdown table, the
	// \caption of the LaTeX table.
	Caption string
	// Label is an optional LaTeX \label (e.g. "tab:results"); Markdown ignores it.
	Label string
	// Columns are the column headers.
	Columns []string
	// Right marks the columns to right-align (numbers); nil aligns all left.
	Right []bool
	// Rows hold one cell per column.
	Rows [][]string
}

// check reports a row whose width differs from the header's.
func (t Table) check() error {
	if len(t.Columns) == 0 {
		return fmt.Errorf("table: has no columns")
	}
	if t.Right != nil && len(t.Right) != len(t.Columns) {
		return fmt.Errorf("table: has %d alignments for %d columns", len(t.Right), len(t.Columns))
	}
	for i, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("table: row %d has %d cells for %d columns", i, len(r), len(t.Columns))
		}
	}
	return nil
}

func (t Table) right(j int) bool { return t.Right != nil && t.Right[j] }

// Markdown renders the table as GitHub-flavoured Markdown; "|" in a cell is
// escaped and line breaks become spaces.
func (t Table) Markdown() (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	esc := strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ")
	var b strings.Builder
	if t.Caption != "" {
		b.WriteString(esc.Replace(t.Caption) + "\n\n")
	}
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + esc.Replace(c) + " |")
		}
		b.WriteString("\n")
	}
	line(t.Columns)
	b.WriteString("|")
	for j := range t.Columns {
		if t.right(j) {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		line(r)
	}
	return b.String(), nil
}

// Text renders the table as aligned plain text for a terminal: the
// caption, the header, a rule of dashes, then the rows; columns are two
// spaces apart, left- or right-aligned as Right says.
func (t Table) Text() (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	widths := make([]int, len(t.Columns))
	for _, line := range append([][]string{t.Columns}, t.Rows...) {
		for j, c := range line {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	var b strings.Builder
	if t.Caption != "" {
		b.WriteString(t.Caption + "\n\n")
	}
	line := func(cells []string) {
		for j, c := range cells {
			pad := strings.Repeat(" ", widths[j]-len([]rune(c)))
			if j > 0 {
				b.WriteString("  ")
			}
			if t.right(j) {
				b.WriteString(pad + c)
			} else if j < len(cells)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteString("\n")
	}
	line(t.Columns)
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	b.WriteString(strings.Repeat("-", total) + "\n")
	for _, r := range t.Rows {
		line(r)
	}
	return b.String(), nil
}

// latexEscaper escapes LaTeX's special characters in text mode. Markdown
// code spans (`x`) become \texttt{x}.
var latexEscaper = strings.NewReplacer(
	`\`, `\textbackslash{}`, `&`, `\&`, `%`, `\%`, `$`, `\$`, `#`, `\#`, `_`, `\_`,
	`{`, `\{`, `}`, `\}`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	"–", "--", "—", "---", "±", `$\pm$`, "×", `$\times$`, "°", `$^\circ$`,
	"≥", `$\geq$`, "≤", `$\leq$`, "→", `$\rightarrow$`, "\n", " ")

// LaTeXEscape returns s with LaTeX's special characters escaped, so it
// prints as written in a LaTeX document (text mode); Markdown code spans
// (`x`) become \texttt{x} and **bold** spans \textbf{...}.
func LaTeXEscape(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			b.WriteString(`\texttt{` + latexEscaper.Replace(part) + `}`)
			continue
		}
		for k, p := range strings.Split(part, "**") {
			if k%2 == 1 {
				b.WriteString(`\textbf{` + latexEscaper.Replace(p) + `}`)
			} else {
				b.WriteString(latexEscaper.Replace(p))
			}
		}
	}
	return b.String()
}

// LaTeX renders the table as a LaTeX table environment with a booktabs
// tabular (\toprule, \midrule, \bottomrule: add \usepackage{booktabs}).
// Cells are escaped with LaTeXEscape.
func (t Table) LaTeX() (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("\\begin{table}[htbp]\n\\centering\n")
	if t.Caption != "" {
		b.WriteString("\\caption{" + LaTeXEscape(t.Caption) + "}\n")
	}
	if t.Label != "" {
		b.WriteString("\\label{" + t.Label + "}\n")
	}
	b.WriteString("\\begin{tabular}{")
	for j := range t.Columns {
		if t.right(j) {
			b.WriteString("r")
		} else {
			b.WriteString("l")
		}
	}
	b.WriteString("}\n\\toprule\n")
	row := func(cells []string) {
		for j, c := range cells {
			if j > 0 {
				b.WriteString(" & ")
			}
			b.WriteString(LaTeXEscape(c))
		}
		b.WriteString(` \\` + "\n")
	}
	row(t.Columns)
	b.WriteString("\\midrule\n")
	for _, r := range t.Rows {
		row(r)
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
	return b.String(), nil
}
