package notebook

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// repoRoot returns the repository's root, two folders above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "scripts", "gen_notebooks.py")); err != nil {
		t.Fatalf("no notebook generator in %s: %v", root, err)
	}
	return root
}

// cellSource is what the generator decides about a cell: its type, tags
// and text (outputs and execution counts are the executor's).
type cellSource struct {
	Type   string
	Tags   []string
	Source string
}

// readCells returns the cells of the notebook at path.
func readCells(t *testing.T, path string) []cellSource {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			CellType string          `json:"cell_type"`
			Source   json.RawMessage `json:"source"`
			Metadata struct {
				Tags []string `json:"tags"`
			} `json:"metadata"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var cells []cellSource
	for _, c := range nb.Cells {
		tags := c.Metadata.Tags
		if tags == nil {
			tags = []string{}
		}
		cells = append(cells, cellSource{c.CellType, tags, joinText(c.Source)})
	}
	return cells
}

// TestCommittedNotebooksAreGenerated checks that every committed notebook's
// cells are exactly what scripts/gen_notebooks.py writes: the script stays
// their source.
func TestCommittedNotebooksAreGenerated(t *testing.T) {
	root := repoRoot(t)
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: cannot run the notebook generator")
	}
	out := t.TempDir()
	if b, err := exec.Command(py, filepath.Join(root, "scripts", "gen_notebooks.py"), "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("gen_notebooks.py: %v\n%s", err, b)
	}
	generated, _ := filepath.Glob(filepath.Join(out, "*.ipynb"))
	committed, _ := filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
	if len(generated) == 0 || len(generated) != len(committed) {
		t.Fatalf("the generator writes %d notebooks, the repository has %d", len(generated), len(committed))
	}
	for _, g := range generated {
		name := filepath.Base(g)
		want := readCells(t, g)
		got := readCells(t, filepath.Join(root, "notebooks", name))
		if len(got) != len(want) {
			t.Errorf("%s has %d cells, the generator writes %d: run python3 scripts/gen_notebooks.py", name, len(got), len(want))
			continue
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s cell %d is\n%+v\nthe generator writes\n%+v\n(run python3 scripts/gen_notebooks.py)", name, i, got[i], want[i])
			}
		}
	}
}
