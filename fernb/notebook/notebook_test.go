package notebook

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cell builds a code cell with the given tags and outputs.
func cell(tags []string, outputs ...map[string]any) map[string]any {
	if outputs == nil {
		outputs = []map[string]any{}
	}
	return map[string]any{"cell_type": "code", "metadata": map[string]any{"tags": tags},
		"source": "x", "outputs": outputs, "execution_count": 1}
}

func stream(text string) map[string]any {
	return map[string]any{"output_type": "stream", "name": "stdout", "text": []string{text}}
}

func writeNB(t *testing.T, cells ...map[string]any) string {
	t.Helper()
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": cells}
	raw, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	png := map[string]any{"output_type": "display_data", "data": map[string]any{"image/png": "iVBOR"}, "metadata": map[string]any{}}
	tests := []struct {
		name  string
		cells []map[string]any
		want  []string // substrings of the problems, in order; none = clean
	}{
		{"clean", []map[string]any{cell(nil, stream("accuracy 52%\n")), cell([]string{ExpectImageTag}, png)}, nil},
		{"error output", []map[string]any{cell(nil, map[string]any{"output_type": "error", "ename": "ERROR", "evalue": "compile failed\nmore", "traceback": []string{}})},
			[]string{"cell 0: error output ERROR: compile failed"}},
		{"panic in stream", []map[string]any{cell(nil), cell(nil, stream("ok\npanic: runtime error: index out of range\n\ngoroutine 1 [running]:\n"))},
			[]string{`cell 1: stdout shows "panic: "`}},
		{"exit status", []map[string]any{cell(nil, stream("exit status 3\n"))}, []string{`"exit status 3"`}},
		{"exit status 0 is fine", []map[string]any{cell(nil, stream("exit status 0\n"))}, nil},
		{"missing image", []map[string]any{cell([]string{ExpectImageTag}, stream("no figure"))}, []string{"cell 0: expected an image"}},
		{"skipped widget cell ignored", []map[string]any{cell([]string{SkipTag, ExpectImageTag})}, nil},
		{"error box", []map[string]any{cell(nil), cell(nil, map[string]any{"output_type": "display_data", "metadata": map[string]any{},
			"data": map[string]any{"text/html": `<div class="` + ErrorClass + `"><b>s.Train("01")</b>: step &quot;01&quot; not found</div>`}})},
			[]string{`cell 1: error shown: s.Train("01"): step "01" not found`}},
		{"panic in html", []map[string]any{cell(nil, map[string]any{"output_type": "display_data", "metadata": map[string]any{},
			"data": map[string]any{"text/html": "<pre>panic: boom</pre>"}})}, nil}, // not at a line start: not a Go panic trace
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(writeNB(t, tt.cells...))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckNotANotebook(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.ipynb")
	os.WriteFile(p, []byte(`{"nbformat": 3, "cells": []}`), 0o644)
	if _, err := Check(p); !errors.Is(err, ErrNotNotebook) {
		t.Errorf("nbformat 3: %v", err)
	}
	os.WriteFile(p, []byte(`not json`), 0o644)
	if _, err := Check(p); !errors.Is(err, ErrNotNotebook) {
		t.Errorf("not json: %v", err)
	}
	if _, err := Check(filepath.Join(t.TempDir(), "missing.ipynb")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestCellTimeoutArg checks the per-cell limit nbconvert gets: seconds, or
// -1 (nbclient's "no limit") for a negative duration.
func TestCellTimeoutArg(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Minute, "1800"},
		{90 * time.Second, "90"},
		{-1, "-1"},
		{-time.Hour, "-1"},
	} {
		if got := cellTimeoutArg(c.d); got != c.want {
			t.Errorf("cellTimeoutArg(%v) = %s, want %s", c.d, got, c.want)
		}
	}
}
