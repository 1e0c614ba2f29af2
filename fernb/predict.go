// Classifying image files with a step's run.

package fernb

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/fernb/data"
	"github.com/fernb/fernb/fernb/eval"
)

// PredictFiles classifies image files with a step's best checkpoint and
// returns a text table of class probabilities.
func (s *Study) PredictFiles(id string, files ...string) (string, error) {
	r, err := s.openRun(id)
	if err != nil {
		return "", err
	}
	defer r.Close()
	m, err := r.Model("best")
	if err != nil {
		return "", err
	}
	preds, err := eval.PredictFiles(m, files, eval.TTANone)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := eval.WritePredictions(&b, preds); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ExampleFiles returns n image files to try PredictFiles on: test images of
// the data set, or, for synthetic faces, PNG files written to the runs
// folder.
func (s *Study) ExampleFiles(n int) ([]string, error) {
	sp, err := s.split("test")
	if err != nil {
		return nil, err
	}
	var files []string
	for i := 0; i < sp.Len() && len(files) < n; i += max(1, sp.Len()/n) {
		if src := sp.Sources[i]; !s.Synthetic() && fileExists(src) {
			files = append(files, src)
			continue
		}
		p := filepath.Join(s.RunsDir, "examples", fmt.Sprintf("%s-%03d.png", data.Classes[sp.Labels[i]], i))
		if err := writeGrayPNG(p, sp.Image(i)); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

func writeGrayPNG(path string, pix []uint8) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	img := &image.Gray{Pix: pix, Stride: data.Size, Rect: image.Rect(0, 0, data.Size, data.Size)}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}
