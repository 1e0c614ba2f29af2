package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAccuracyTable builds the table of a hand-written run folder and its
// fer eval --json results, as scripts/accuracy-table.sh does.
func TestAccuracyTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "13-cpu-2h")
	files := map[string]string{
		"config.json":             `{"model": "resnet18", "epochs": 2}`,
		"history.json":            `[{"epoch": 1, "seconds": 1800, "has_val": true, "val_acc": 0.5}, {"epoch": 2, "seconds": 1790, "has_val": true, "val_acc": 0.6231}]`,
		"status.json":             `{"state": "done", "compile_seconds": 10}`,
		"table-test-none.json":    `{"accuracy": 0.6147}`,
		"table-test-flip.json":    `{"accuracy": 0.63}`,
		"table-test-tencrop.json": `{"accuracy": 0.6486}`,
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	recipe := "`fer train --step 13-cpu-2h --scale cpu`"
	for _, c := range []struct {
		name       string
		runs, ttas []string
		want       string
		wantErr    string
	}{
		{"all", []string{dir + "=" + recipe}, []string{"none", "flip", "tencrop"},
			"| 13-cpu-2h (best checkpoint) | " + recipe + " | 2 | 1 h 00 min | 62.31% | 61.47% | 63.00% | 64.86% |", ""},
		{"one tta", []string{dir}, []string{"tencrop"}, "| 13-cpu-2h (best checkpoint) |  | 2 | 1 h 00 min | 62.31% | 64.86% |", ""},
		{"unknown tta", []string{dir}, []string{"rotate"}, "", `unknown TTA "rotate"`},
		{"not a run", []string{filepath.Dir(dir)}, []string{"none"}, "", "not a run folder"},
	} {
		tab, err := accuracyTable(c.runs, c.ttas, "table-test-", "best")
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		pt, err := tab.Table()
		if err != nil {
			t.Fatal(err)
		}
		md, err := pt.Markdown()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(md, c.want+"\n") {
			t.Errorf("%s: table\n%s\nlacks\n%s", c.name, md, c.want)
		}
	}
	os.Remove(filepath.Join(dir, "table-test-flip.json"))
	if _, err := accuracyTable([]string{dir}, []string{"flip"}, "table-test-", ""); err == nil || !strings.Contains(err.Error(), "fer eval --run") {
		t.Errorf("missing results: error %v, want one naming the fer eval command", err)
	}
	if err := runTable([]string{"--format", "html", dir}); err == nil {
		t.Error("format html accepted")
	}
	if err := runTable(nil); err == nil {
		t.Error("no run folders accepted")
	}
}
