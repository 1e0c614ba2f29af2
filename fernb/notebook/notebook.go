// Package notebook executes fernb's Jupyter notebooks headless (nbconvert with
// the GoNB kernel) and checks what they printed: the main job and CI both go
// through it, so a notebook that panics, prints an error, exits non-zero or
// loses a figure fails loudly instead of passing quietly.
package notebook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// ScaleEnv is the environment variable that notebooks read to pick their
// scale: "quick" (a few batches per step) or "full".
const ScaleEnv = "FERNB_SCALE"

// ExpectImageTag is the cell tag that says the cell must display an image
// (PNG or SVG); Check reports the cell if it did not.
const ExpectImageTag = "expect-image"

// SkipTag is the cell tag nbclient skips when executing headless: used for
// interactive widget cells, which hang without a browser.
const SkipTag = "skip-execution"

// HeadlessEnv is set to "1" in the environment of every notebook Execute
// runs: cells read it (fernb's interactive check) to skip interactive
// widgets, which would wait forever for a browser, and to keep only the
// final state of a live view.
const HeadlessEnv = "FERNB_HEADLESS"

// ErrorClass is the HTML class of the box in which fernb's notebook cells
// show an error as a readable message instead of a panic trace. Check
// reports every output that holds one, so a cell that failed politely still
// fails a headless run.
const ErrorClass = "fernb-error"

// Options control Execute.
type Options struct {
	// Jupyter is the jupyter executable (default: "jupyter" on $PATH).
	Jupyter string
	// Kernel is the kernel name (default "gonb").
	Kernel string
	// Scale is passed to the notebook as $FERNB_SCALE ("" keeps the environment's).
	Scale string
	// CellTimeout bounds each cell (0: 30 minutes; negative: no bound, for
	// training cells that run for hours at the larger scales).
	CellTimeout time.Duration
	// Timeout bounds the whole notebook (default: none beyond ctx).
	Timeout time.Duration
	// Output is where the executed notebook goes ("" rewrites it in place).
	Output string
	// Env holds extra environment variables (KEY=VALUE).
	Env []string
	// Log receives nbconvert's own output (default os.Stderr).
	Log *os.File
}

// cellTimeoutArg is nbconvert's per-cell timeout in seconds; -1 disables it.
func cellTimeoutArg(d time.Duration) string {
	if d < 0 {
		return "-1"
	}
	return fmt.Sprint(int(d.Seconds()))
}

// Execute runs the notebook at path headless with nbconvert and writes the
// executed notebook (with its outputs) in place or to opts.Output. It then
// checks the outputs with Check. Cells tagged SkipTag are not run.
func Execute(ctx context.Context, path string, opts Options) error {
	if opts.Jupyter == "" {
		opts.Jupyter = "jupyter"
	}
	if opts.Kernel == "" {
		opts.Kernel = "gonb"
	}
	if opts.CellTimeout == 0 {
		opts.CellTimeout = 30 * time.Minute
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("notebook %s: %w", path, err)
	}
	out := abs
	if opts.Output != "" {
		if out, err = filepath.Abs(opts.Output); err != nil {
			return err
		}
	}
	args := []string{"nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.kernel_name=" + opts.Kernel,
		"--ExecutePreprocessor.timeout=" + cellTimeoutArg(opts.CellTimeout),
		"--ExecutePreprocessor.skip_cells_with_tag=" + SkipTag,
		"--output-dir", filepath.Dir(out), "--output", filepath.Base(out), abs}
	cmd := exec.CommandContext(ctx, opts.Jupyter, args...)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(append(os.Environ(), HeadlessEnv+"=1"), opts.Env...)
	if opts.Scale != "" {
		cmd.Env = append(cmd.Env, ScaleEnv+"="+opts.Scale)
	}
	logw := opts.Log
	if logw == nil {
		logw = os.Stderr
	}
	var tail tailBuffer
	cmd.Stdout = logw
	cmd.Stderr = &tail
	start := time.Now()
	runErr := cmd.Run()
	if runErr != nil {
		fmt.Fprint(logw, tail.String())
		if ctx.Err() != nil {
			return fmt.Errorf("notebook %s: timed out after %s: %w", path, time.Since(start).Round(time.Second), ctx.Err())
		}
		return fmt.Errorf("notebook %s: nbconvert failed (%v):\n%s", path, runErr, tail.String())
	}
	problems, err := Check(out)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return &ProblemsError{Notebook: out, Problems: problems}
	}
	return nil
}

// tailBuffer keeps the last 16 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 16<<10 {
		t.b = t.b[len(t.b)-16<<10:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// Problem is one thing wrong in an executed notebook.
type Problem struct {
	// Cell is the 0-based index of the cell among all cells.
	Cell int
	// What describes the problem, with the offending text.
	What string
}

func (p Problem) String() string { return fmt.Sprintf("cell %d: %s", p.Cell, p.What) }

// ProblemsError lists the problems Check found.
type ProblemsError struct {
	Notebook string
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "notebook %s has %d problem(s):", e.Notebook, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// ErrNotNotebook is returned by Check for a file that is not an nbformat 4 notebook.
var ErrNotNotebook = errors.New("not a Jupyter notebook (nbformat 4)")

type nbFile struct {
	NBFormat int `json:"nbformat"`
	Cells    []struct {
		CellType string `json:"cell_type"`
		Metadata struct {
			Tags []string `json:"tags"`
		} `json:"metadata"`
		Source  json.RawMessage `json:"source"`
		Outputs []struct {
			OutputType string                     `json:"output_type"`
			Name       string                     `json:"name"`
			Text       json.RawMessage            `json:"text"`
			Data       map[string]json.RawMessage `json:"data"`
			EName      string                     `json:"ename"`
			EValue     string                     `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

// badText matches what a failing Go cell prints even when GoNB does not
// report an error: a panic, a goroutine trace, a non-zero exit status.
var badText = regexp.MustCompile(`(?m)^panic: |^goroutine \d+ \[|exit status [1-9]\d*|^fatal error: `)

// Check reads an executed notebook and lists its problems: error outputs,
// errors shown in an ErrorClass box, panics, goroutine traces or "exit
// status N" (N != 0) in any output text, and
// cells tagged ExpectImageTag that display no PNG or SVG image. Cells tagged
// SkipTag are ignored.
func Check(path string) ([]Problem, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb nbFile
	if err := json.Unmarshal(raw, &nb); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotNotebook, err)
	}
	if nb.NBFormat != 4 {
		return nil, fmt.Errorf("%s: %w (nbformat %d)", path, ErrNotNotebook, nb.NBFormat)
	}
	var problems []Problem
	for i, c := range nb.Cells {
		if c.CellType != "code" || hasTag(c.Metadata.Tags, SkipTag) {
			continue
		}
		images := 0
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				problems = append(problems, Problem{i, fmt.Sprintf("error output %s: %s", o.EName, firstLine(o.EValue))})
			case "stream":
				if m := badText.FindString(joinText(o.Text)); m != "" {
					problems = append(problems, Problem{i, fmt.Sprintf("%s shows %q: %s", o.Name, m, around(joinText(o.Text), m))})
				}
			case "display_data", "execute_result":
				for mime, v := range o.Data {
					switch {
					case mime == "image/png" || mime == "image/svg+xml":
						images++
					case strings.HasPrefix(mime, "text/"):
						if m := badText.FindString(joinText(v)); m != "" {
							problems = append(problems, Problem{i, fmt.Sprintf("%s shows %q: %s", mime, m, around(joinText(v), m))})
						}
					}
					if mime == "text/html" && strings.Contains(joinText(v), "<img") {
						images++
					}
					if mime == "text/html" && strings.Contains(joinText(v), `class="`+ErrorClass+`"`) {
						problems = append(problems, Problem{i, "error shown: " + firstLine(stripTags(joinText(v)))})
					}
				}
			}
		}
		if hasTag(c.Metadata.Tags, ExpectImageTag) && images == 0 {
			problems = append(problems, Problem{i, "expected an image output (PNG or SVG), found none"})
		}
	}
	return problems, nil
}

// joinText decodes a notebook text field: a string or a list of strings.
func joinText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	if json.Unmarshal(raw, &parts) == nil {
		return strings.Join(parts, "")
	}
	return string(raw)
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// around returns the line holding m, trimmed to 200 bytes.
func around(text, m string) string {
	i := strings.Index(text, m)
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := strings.IndexByte(text[i:], '\n')
	if end < 0 {
		end = len(text) - i
	}
	line := text[start : i+end]
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return string(bytes.TrimSpace([]byte(line)))
}

var tags = regexp.MustCompile(`<[^>]*>`)

// stripTags returns the text of an HTML fragment (tags removed, the common
// entities decoded).
func stripTags(h string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#34;", `"`, "&#39;", "'", "&amp;", "&").
		Replace(tags.ReplaceAllString(h, ""))
}
