package fernb

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/fernb/fernb/fernb/atomicfile"
	"github.com/fernb/fernb/plots"
	"gonum.org/v1/plot/vg/draw"
)

// tinyFigure is a figure cheap to save in every format.
func tinyFigure(t *testing.T, name string) *plots.Figure {
	t.Helper()
	f, err := plots.NewFigure(name, 0.2, 0.2, func(draw.Canvas) {})
	if err != nil {
		t.Fatal(err)
	}
	f.DPI = 10
	return f
}

// TestShownListAtomic: shown.txt is replaced (a new file renamed over the
// old: its inode changes), never appended in place, so a kill while it is
// written leaves the old list or the new; names are listed once, in the
// order first shown, and no temporary file is left.
func TestShownListAtomic(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, shownFile)
	var inodes []uint64
	for _, name := range []string{"a", "b", "a", "c"} {
		if err := keepFigure(dir, tinyFigure(t, name)); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(list)
		if err != nil {
			t.Fatal(err)
		}
		inodes = append(inodes, st.Sys().(*syscall.Stat_t).Ino)
	}
	if b, _ := os.ReadFile(list); string(b) != "a\nb\nc\n" {
		t.Errorf("shown.txt = %q, want a, b, c one per line", b)
	}
	// Showing "a" again does not rewrite the list; every new name does.
	if inodes[0] == inodes[1] || inodes[2] != inodes[1] || inodes[3] == inodes[2] {
		t.Errorf("shown.txt inodes %v: each new name must replace the file (rename), a repeated name leave it", inodes)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, atomicfile.TempGlob("*"))); len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

// TestShownListConcurrent: figures kept from several goroutines at once
// (a live view's final figure while a cell shows another) are all listed:
// the read-append-rewrite is not a lost update.
func TestShownListConcurrent(t *testing.T) {
	dir := t.TempDir()
	var want []string
	figs := map[string]*plots.Figure{}
	for i := range 8 {
		n := fmt.Sprintf("fig-%d", i)
		want = append(want, n)
		figs[n] = tinyFigure(t, n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(want))
	for _, n := range want {
		wg.Go(func() { errs <- keepFigure(dir, figs[n]) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := shownFigures(dir)
	slices.Sort(got)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("listed %q (%v), want %q", got, err, want)
	}
}
