package train

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fernb/fernb/fernb/data"
)

// writeFolderData writes the images of ds's train and test splits as PNG
// class folders under a new temporary directory and loads them back, as a
// user's FER2013 copy would be.
func writeFolderData(t *testing.T, ds *data.Dataset) *data.Dataset {
	t.Helper()
	root := t.TempDir()
	for _, sp := range []*data.Split{ds.Train, ds.Test} {
		for i := range sp.Len() {
			dir := filepath.Join(root, sp.Name, data.Classes[sp.Labels[i]])
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			img := image.NewGray(image.Rect(0, 0, data.Size, data.Size))
			copy(img.Pix, sp.Image(i))
			f, err := os.Create(filepath.Join(dir, sp.Name+"_"+string(rune('a'+i%26))+string(rune('a'+i/26))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	out, err := data.Load(root, data.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// splitData returns synthetic faces with a val split made with seed.
func splitData(t *testing.T, seed uint64) *data.Dataset {
	t.Helper()
	ds := data.Synthetic(48, 16, 7)
	if err := ds.SplitVal(0.25, seed); err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestRunKnowsItsData checks that a run folder records its data and is
// reused or resumed only with the same data: another data set (a folder
// copy of FER2013-like images after a run on synthetic faces), another val
// seed, train+val instead of train, and a run folder without a record are
// all refused with an error naming both.
func TestRunKnowsItsData(t *testing.T) {
	backend := testBackend(t, "go")
	cfg := tinyConfig()
	cfg.Epochs = 1
	ds := splitData(t, 1)
	dir := filepath.Join(t.TempDir(), "run")
	res, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend))
	if err != nil {
		t.Fatal(err)
	}
	opened, err := ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := ds.Record()
	if opened.Data == nil || opened.Data.String() != want.String() || res.Data.String() != want.String() {
		t.Fatalf("recorded data %v, want %v", opened.Data, want)
	}
	if !opened.Data.Synthetic || opened.Data.ValSeed != 1 || opened.Data.ValFraction != 0.25 || opened.Data.TrainVal {
		t.Errorf("record fields %+v", opened.Data)
	}
	again, err := Fit(context.Background(), cfg, splitData(t, 1), dir, WithBackend(backend))
	if err != nil || !again.Reused {
		t.Fatalf("same data: %v (reused %v)", err, again != nil && again.Reused)
	}

	folder := writeFolderData(t, data.Synthetic(48, 16, 8))
	if err := folder.SplitVal(0.25, 1); err != nil {
		t.Fatal(err)
	}
	trainval := splitData(t, 1)
	trainval.MergeTrainVal(false)
	cases := []struct {
		name  string
		ds    *data.Dataset
		words []string
	}{
		{"other data set", folder, []string{"class-folders", folder.Root, "synthetic faces", "train split differs"}},
		{"other val seed", splitData(t, 2), []string{"val 0.25 seed 1", "val 0.25 seed 2", "differs"}},
		{"train+val", trainval, []string{`trained on "train", now "trainval"`, "train+val merged"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, resume := range []bool{false, true} {
				opts := []Option{WithBackend(backend)}
				if resume {
					opts = append(opts, WithResume())
				}
				_, err := Fit(context.Background(), cfg, c.ds, dir, opts...)
				var mm *DataMismatchError
				if !errors.As(err, &mm) {
					t.Fatalf("resume %v: error %v, want a *DataMismatchError", resume, err)
				}
				for _, w := range c.words {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("resume %v: error lacks %q:\n%v", resume, w, err)
					}
				}
			}
		})
	}

	// An unfinished run resumes only with its data.
	stopDir := filepath.Join(t.TempDir(), "stopped")
	ctx, cancel := context.WithCancel(context.Background())
	cfg2 := cfg
	cfg2.Epochs = 2
	_, err = Fit(ctx, cfg2, splitData(t, 1), stopDir, WithBackend(backend), withStepHook(func(epoch, step int) {
		if epoch == 1 {
			cancel()
		}
	}))
	if err == nil {
		t.Fatal("the cancelled run did not stop")
	}
	var mm *DataMismatchError
	if _, err := Fit(context.Background(), cfg2, splitData(t, 2), stopDir, WithBackend(backend), WithResume()); !errors.As(err, &mm) {
		t.Errorf("resume with another val seed: %v, want a *DataMismatchError", err)
	}
	if res, err := Fit(context.Background(), cfg2, splitData(t, 1), stopDir, WithBackend(backend), WithResume()); err != nil || len(res.History) != 2 {
		t.Errorf("resume with the same data: %v", err)
	}

	// A run folder without a data record (made before fernb kept one).
	if err := os.Remove(filepath.Join(dir, DataFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), cfg, ds, dir, WithBackend(backend)); !errors.As(err, &mm) || !strings.Contains(err.Error(), "no data record") {
		t.Errorf("run without data.json: %v", err)
	}
}
