package eval

import (
	"fmt"
	"io"

	"github.com/fernb/fernb/fernb/data"
)

// WritePredictions writes one line per prediction: the file, the most
// probable class and every class's probability in percent, under a header.
// `fer predict` and the notebooks print predictions with it.
func WritePredictions(w io.Writer, preds []Prediction) error {
	if _, err := fmt.Fprintf(w, "%-40s %-9s", "file", "class"); err != nil {
		return err
	}
	for _, c := range data.Classes {
		fmt.Fprintf(w, " %8s", c)
	}
	fmt.Fprintln(w)
	for _, p := range preds {
		fmt.Fprintf(w, "%-40s %-9s", p.Path, data.Classes[p.Class])
		for _, v := range p.Probs {
			fmt.Fprintf(w, " %7.1f%%", 100*v)
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}
