package train

import (
	"testing"
	"time"
)

// TestProgressPartsETA: the time left is the loop's estimate when it has
// one; without (ETA 0: compiling, or validating a resumed run's first
// epoch) it is unknown, not guessed from the steps of earlier sessions
// over this session's elapsed time; a finished run has 0 left.
func TestProgressPartsETA(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Progress
		want string
	}{
		{"train with ETA", Progress{Phase: "train", Epoch: 2, Epochs: 4, Step: 5, Steps: 10, Elapsed: time.Minute, ETA: 3 * time.Minute}, "3 min 00 s"},
		{"compile", Progress{Phase: "compile", Epoch: 1, Epochs: 4, Steps: 10, Elapsed: 20 * time.Second}, "…"},
		{"resumed compile", Progress{Phase: "compile", Epoch: 3, Epochs: 4, Steps: 10, Elapsed: 20 * time.Second}, "…"},
		{"resumed val", Progress{Phase: "val", Epoch: 3, Epochs: 4, Step: 10, Steps: 10, Elapsed: time.Second}, "…"},
		{"val with ETA", Progress{Phase: "val", Epoch: 3, Epochs: 4, Step: 10, Steps: 10, Elapsed: time.Second, ETA: 90 * time.Second}, "1 min 30 s"},
		{"last epoch done", Progress{Phase: "epoch", Epoch: 4, Epochs: 4, Step: 10, Steps: 10, Elapsed: time.Minute}, "0 s"},
		{"last val", Progress{Phase: "val", Epoch: 4, Epochs: 4, Step: 10, Steps: 10, Elapsed: time.Minute}, "0 s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			parts := c.p.Parts()
			if got := parts.ETAText(); got != c.want {
				t.Errorf("ETA %q (known %v, %v), want %q", got, parts.ETAKnown, parts.ETA, c.want)
			}
		})
	}
}
