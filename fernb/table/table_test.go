package table

import (
	"strings"
	"testing"
)

func TestTableMarkdownAndLaTeX(t *testing.T) {
	tests := []struct {
		name      string
		table     Table
		markdown  string
		latex     string // expected LaTeX (whole output)
		wantError string
	}{
		{
			name: "results",
			table: Table{Caption: "Scale `short` on fer2013", Label: "tab:results",
				Columns: []string{"step", "change", "test"}, Right: []bool{false, false, true},
				Rows: [][]string{{"00-baseline", "baseline CNN", "32.68%"}, {"08_trainval", "train + val | all", "–"}}},
			markdown: "Scale `short` on fer2013\n\n| step | change | test |\n|---|---|---:|\n" +
				"| 00-baseline | baseline CNN | 32.68% |\n| 08_trainval | train + val \\| all | – |\n",
			latex: "\\begin{table}[htbp]\n\\centering\n\\caption{Scale \\texttt{short} on fer2013}\n\\label{tab:results}\n" +
				"\\begin{tabular}{llr}\n\\toprule\nstep & change & test \\\\\n\\midrule\n" +
				"00-baseline & baseline CNN & 32.68\\% \\\\\n08\\_trainval & train + val | all & -- \\\\\n" +
				"\\bottomrule\n\\end{tabular}\n\\end{table}\n",
		},
		{
			name:     "no caption, left aligned",
			table:    Table{Columns: []string{"a&b"}, Rows: [][]string{{"x_1 $5 #2 {y} ~ ^ \\"}}},
			markdown: "| a&b |\n|---|\n| x_1 $5 #2 {y} ~ ^ \\ |\n",
			latex: "\\begin{table}[htbp]\n\\centering\n\\begin{tabular}{l}\n\\toprule\na\\&b \\\\\n\\midrule\n" +
				"x\\_1 \\$5 \\#2 \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{} \\\\\n" +
				"\\bottomrule\n\\end{tabular}\n\\end{table}\n",
		},
		{name: "ragged row", table: Table{Columns: []string{"a", "b"}, Rows: [][]string{{"1"}}}, wantError: "row 0 has 1 cells for 2 columns"},
		{name: "no columns", table: Table{}, wantError: "no columns"},
		{name: "bad alignment", table: Table{Columns: []string{"a"}, Right: []bool{true, true}}, wantError: "2 alignments for 1 columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := tt.table.Markdown()
			tex, err2 := tt.table.LaTeX()
			if tt.wantError != "" {
				if err == nil || err2 == nil || !strings.Contains(err.Error(), tt.wantError) || !strings.Contains(err2.Error(), tt.wantError) {
					t.Fatalf("errors %v, %v; want %q", err, err2, tt.wantError)
				}
				return
			}
			if err != nil || err2 != nil {
				t.Fatal(err, err2)
			}
			if md != tt.markdown {
				t.Errorf("Markdown:\n%s\nwant:\n%s", md, tt.markdown)
			}
			if tex != tt.latex {
				t.Errorf("LaTeX:\n%s\nwant:\n%s", tex, tt.latex)
			}
		})
	}
}

func TestLaTeXEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"50%", `50\%`},
		{"**bold** and `code_x`", `\textbf{bold} and \texttt{code\_x}`},
		{"lr 0.1 → 0.02, ±30°", `lr 0.1 $\rightarrow$ 0.02, $\pm$30$^\circ$`},
		{"a\nb", "a b"},
	}
	for _, tt := range tests {
		if got := LaTeXEscape(tt.in); got != tt.want {
			t.Errorf("LaTeXEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTableText(t *testing.T) {
	for _, c := range []struct {
		name  string
		table Table
		want  string
	}{
		{"aligned", Table{Columns: []string{"run", "val", "test"}, Right: []bool{false, true, true},
			Rows: [][]string{{"baseline", "55.12%", "54.00%"}, {"res|net", "62.00%", "–"}}},
			"run          val    test\n------------------------\nbaseline  55.12%  54.00%\nres|net   62.00%       –\n"},
		{"caption, left", Table{Caption: "acc", Columns: []string{"a", "bb"}, Rows: [][]string{{"xyz", "1"}}},
			"acc\n\na    bb\n-------\nxyz  1\n"},
	} {
		got, err := c.table.Text()
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: got\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
	if _, err := (Table{Columns: []string{"a"}, Rows: [][]string{{"1", "2"}}}).Text(); err == nil {
		t.Error("ragged row accepted")
	}
}
