package train

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodeRunJSON checks that no content of a run folder's JSON files
// (config.json, history.json, status.json) panics, and that an accepted
// configuration can be validated.
func FuzzDecodeRunJSON(f *testing.F) {
	for _, s := range []string{
		`{"model":"baseline","epochs":2,"batch_size":16,"lr":0.1}`,
		`[{"epoch":1,"train_loss":1.2,"train_acc":0.3,"has_val":true,"val_acc":0.4,"lr":0.1,"steps":3}]`,
		`{"state":"done","epochs_done":2,"epochs":2,"best_epoch":1,"best_val_acc":0.5}`,
		`{"model":"resnet18","augment":{"hflip":true,"rotate":1e309}}`,
		`{} {}`, `null`, `{"unknown":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg := DefaultConfig()
		if decodeJSON("config.json", b, &cfg) == nil {
			_ = cfg.normalized().Validate()
			_ = cfg.describe()
		}
		var h []Epoch
		_ = decodeJSON("history.json", b, &h)
		var st Status
		_ = decodeJSON("status.json", b, &st)
	})
}

// TestFuzzTargetsListed: fernb.sh's fuzz smoke (FUZZ_TARGETS) runs every
// fuzz target of the repository.
func TestFuzzTargetsListed(t *testing.T) {
	root := filepath.Join("..", "..")
	sh, err := os.ReadFile(filepath.Join(root, "fernb.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FUZZ_TARGETS="([^"]*)"`).FindSubmatch(sh)
	if m == nil {
		t.Fatal("fernb.sh has no FUZZ_TARGETS line")
	}
	listed := strings.Fields(string(m[1]))
	var found []string
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "runs" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, f := range fuzzFunc.FindAllSubmatch(b, -1) {
			found = append(found, filepath.ToSlash(rel)+":"+string(f[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	slices.Sort(found)
	if len(found) < 5 || !slices.Equal(listed, found) {
		t.Errorf("fernb.sh FUZZ_TARGETS = %v\nfuzz targets in the repository: %v", listed, found)
	}
}
