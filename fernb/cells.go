package fernb

import (
	"fmt"
	"strings"

	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/plots"
	"github.com/janpfeifer/gonb/gonbui"
)

// Must returns v, or panics with err: notebook cells use it to stay short,
// e.g. fernb.Must(s.Train("01")).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// MustOpenStudy is OpenStudy for notebook cells: it panics on error.
func MustOpenStudy() *Study { return Must(OpenStudy()) }

// ShowHeader displays the study's description (data, scale, backend,
// hardware) as Markdown in a notebook, or prints it elsewhere.
func (s *Study) ShowHeader() { showMarkdown(s.Describe()) }

// showMarkdown displays Markdown in a notebook (plots.ShowMarkdown) and
// prints it outside one.
func showMarkdown(md string) {
	if gonbui.IsNotebook {
		plots.ShowMarkdown(md)
		return
	}
	fmt.Println(md)
}

// Quality returns the data-quality report of the data as loaded (before the
// validation split and any subsetting): counts, imbalance, duplicates and
// blank images.
func (s *Study) Quality() (*data.QualityReport, error) {
	if s.Synthetic() {
		ds, err := s.Dataset()
		if err != nil {
			return nil, err
		}
		return data.Quality(ds), nil
	}
	ds, err := data.Load(s.Data.Path)
	if err != nil {
		return nil, err
	}
	return data.Quality(ds), nil
}

// ShowQuality displays the data-quality report.
func (s *Study) ShowQuality() error {
	q, err := s.Quality()
	if err != nil {
		return err
	}
	showMarkdown("```\n" + strings.TrimRight(q.String(), "\n") + "\n```")
	return nil
}
