package fernb

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/recipe"
	"github.com/fernb/fernb/fernb/table"
	"github.com/fernb/fernb/fernb/train"
	"github.com/fernb/fernb/plots"
)

// exportFormats are the formats every exported figure is written in (PNG at
// plots.DefaultDPI, 300 dpi).
var exportFormats = []string{"png", "svg", "pdf"}

// shownFile lists, in a session folder, the names of the figures shown, in
// the order they were first shown.
const shownFile = "shown.txt"

// shownMu serialises keepFigure's read-append-rewrite of shownFile within
// this process. Across processes nothing is locked: the cells of one
// notebook kernel (one session folder) run one at a time, and a lost name
// only drops that figure from Export, never corrupts the list.
var shownMu sync.Mutex

// keepFigure saves f in every exportFormats into dir (replacing an older
// figure of the same name) and records its name in dir's list of figures
// shown. The list is rewritten atomically (atomicfile: read, append, write
// a temporary file, rename), so a process killed while writing leaves the
// old list or the new, never a half-written name; and the figure's files
// are written before its name, so every name listed has its files.
func keepFigure(dir string, f *plots.Figure) error {
	if dir == "" {
		return errors.New("no session folder to keep figures in")
	}
	if f.Name == "" {
		return errors.New("a figure without a name cannot be kept for export")
	}
	if _, err := f.SaveAll(dir, f.Name, exportFormats...); err != nil {
		return err
	}
	shownMu.Lock()
	defer shownMu.Unlock()
	names, err := shownFigures(dir)
	if err != nil || slices.Contains(names, f.Name) {
		return err
	}
	names = append(names, f.Name)
	return atomicfile.WriteFile(filepath.Join(dir, shownFile), []byte(strings.Join(names, "\n")+"\n"))
}

// shownFigures returns the names of the figures kept in a session folder,
// in the order first shown (none if the folder is empty or missing).
func shownFigures(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, shownFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n := strings.TrimSpace(sc.Text()); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, sc.Err()
}

// copyFile copies src to dst (creating dst's folder) and returns dst.
func copyFile(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	return dst, atomicfile.Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// exportSession copies every figure kept in the session folder (each in
// exportFormats, named after the figure) into dir, writes figures.md (the
// figures in the order shown, as Markdown images) and, when results is not
// nil, the table as results.md and results.tex. It returns the files
// written.
func exportSession(session, dir string, results *table.Table) ([]string, error) {
	names, err := shownFigures(session)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 && results == nil {
		return nil, errors.New("nothing to export yet: no figure has been shown in this session (run the notebook's cells first) and there is no trained run")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	var index strings.Builder
	index.WriteString("# Figures\n\nIn the order the notebook showed them; each also as SVG and PDF.\n\n")
	for _, name := range names {
		for _, ext := range exportFormats {
			p, err := copyFile(filepath.Join(session, name+"."+ext), filepath.Join(dir, name+"."+ext))
			if err != nil {
				return written, err
			}
			written = append(written, p)
		}
		fmt.Fprintf(&index, "![%s](%s.png)\n\n", name, name)
	}
	if len(names) > 0 {
		p := filepath.Join(dir, "figures.md")
		if err := atomicfile.WriteFile(p, []byte(index.String())); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	if results != nil {
		md, err := results.Markdown()
		if err != nil {
			return written, err
		}
		tex, err := results.LaTeX()
		if err != nil {
			return written, err
		}
		for name, text := range map[string]string{"results.md": md, "results.tex": tex} {
			p := filepath.Join(dir, name)
			if err := atomicfile.WriteFile(p, []byte(text)); err != nil {
				return written, err
			}
			written = append(written, p)
		}
	}
	slices.Sort(written)
	return written, nil
}

// ResultsTableData returns the results of every trained step (see Results)
// as a table.Table, for Markdown and LaTeX; nil when no step has a run at
// this scale.
func (s *Study) ResultsTableData() (*table.Table, error) {
	trained := false
	for _, st := range recipe.StudySteps() {
		if _, err := train.ReadResult(s.RunDir(st.ID)); err == nil {
			trained = true
			break
		}
	}
	if !trained {
		return nil, nil
	}
	rows, err := s.Results()
	if err != nil {
		return nil, err
	}
	t, err := resultsTable(rows)
	if err != nil {
		return nil, err
	}
	t.Caption = fmt.Sprintf("Accuracy of each step at scale `%s` on %s (best checkpoint; test = FER2013 PublicTest)", s.Scale.Name, s.DataName())
	t.Label = "tab:fernb-results"
	if s.Synthetic() {
		t.Caption = fmt.Sprintf("Accuracy of each step at scale `%s` on the built-in SYNTHETIC faces (not FER2013)", s.Scale.Name)
	}
	return t, nil
}

// ExportDir resolves the folder Export writes to: dir itself when absolute,
// else dir inside the study's plots folder (plots/out unless $FERNB_PLOTS).
func (s *Study) ExportDir(dir string) (string, error) {
	if strings.TrimSpace(dir) == "" {
		return "", errors.New("name the folder to export to, e.g. s.Export(\"write-up\")")
	}
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir), nil
	}
	return filepath.Join(s.PlotsDir, dir), nil
}

// Export writes every figure this notebook has shown (PNG at 300 dpi, SVG
// and PDF, named after the figure, e.g. curves-00-baseline+01-resnet18.pdf),
// figures.md listing them in order, and the results table of every trained
// step as results.md and results.tex (a booktabs table) into dir: an
// absolute folder, or one inside the study's plots folder. It shows what it
// wrote.
func (n *Notebook) Export(dir string) {
	n.do(call("Export", dir), func(s *Study) error {
		out, err := s.ExportDir(dir)
		if err != nil {
			return err
		}
		table, err := s.ResultsTableData()
		if err != nil {
			return err
		}
		files, err := exportSession(n.SessionDir, out, table)
		if err != nil {
			return err
		}
		figs := 0
		for _, f := range files {
			if strings.HasSuffix(f, ".pdf") {
				figs++
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Exported to `%s`: %d figures (PNG at %d dpi, SVG, PDF)", out, figs, plots.DefaultDPI)
		if table != nil {
			b.WriteString(" and the results table (`results.md`, `results.tex`)")
		} else {
			b.WriteString("; no results table (no step trained at this scale yet)")
		}
		b.WriteString(".\n\n")
		for _, f := range files {
			fmt.Fprintf(&b, "- `%s`\n", filepath.Base(f))
		}
		showMarkdown(b.String())
		return nil
	})
}
