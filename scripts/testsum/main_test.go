package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goTestJSON runs `go test -json` on a throw-away module whose one test
// file is src and returns its output (go test's exit status is ignored:
// the summary must judge by the events alone).
func goTestJSON(t *testing.T, src string) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"go.mod": "module example.com/m\n\ngo 1.22\n", "m_test.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	out, _ := cmd.Output()
	if len(out) == 0 {
		t.Fatal("go test -json printed nothing")
	}
	return out
}

// TestSummarise runs real go test -json output through summarise: failures
// are shown as a plain go test shows them and make it fail; every skipped
// test (subtests included) is listed with its reason and counted; the
// "=== RUN" noise of -json is gone.
func TestSummarise(t *testing.T) {
	for _, c := range []struct {
		name      string
		src       string
		failed    bool
		want, not []string
	}{
		{"pass and skips", `package m
import "testing"
func TestOK(t *testing.T) {}
func TestNoData(t *testing.T) { t.Skip("no data here") }
func TestSub(t *testing.T) { t.Run("gpu", func(t *testing.T) { t.Skipf("no %s", "GPU") }) }
`, false,
			[]string{"ok  \texample.com/m", "skipped tests: 2\n", "SKIP TestNoData (example.com/m): m_test.go:4: no data here", "SKIP TestSub/gpu (example.com/m): m_test.go:5: no GPU"},
			[]string{"=== RUN", "FAIL", "TestOK"}},
		{"a failure", `package m
import "testing"
func TestOK(t *testing.T) {}
func TestBad(t *testing.T) { t.Error("boom") }
func TestSkip(t *testing.T) { t.Skip("later") }
`, true,
			[]string{"--- FAIL: TestBad", "m_test.go:4: boom", "FAIL\texample.com/m", "skipped tests: 1\n", "SKIP TestSkip"},
			[]string{"=== RUN", "TestOK"}},
		{"a panic", `package m
import "testing"
func TestPanic(t *testing.T) { panic("kaboom") }
`, true, []string{"kaboom", "FAIL\texample.com/m", "skipped tests: 0\n"}, nil},
		{"a build failure", `package m
import "testing"
func TestX(t *testing.T) { undefinedThing() }
`, true, []string{"undefined: undefinedThing", "FAIL\texample.com/m [build failed]"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := goTestJSON(t, c.src)
			var out bytes.Buffer
			failed, err := summarise(bytes.NewReader(in), &out)
			if err != nil || failed != c.failed {
				t.Errorf("failed %v (%v), want %v", failed, err, c.failed)
			}
			// -skips appends exactly the SKIP lines, twice over two runs.
			skips := filepath.Join(t.TempDir(), "skips")
			for range 2 {
				if err := appendSkips(skips, out.String()); err != nil {
					t.Fatal(err)
				}
			}
			b, _ := os.ReadFile(skips)
			if n := strings.Count(out.String(), "\n  SKIP "); strings.Count(string(b), "  SKIP ") != 2*n || strings.Count(string(b), "\n") != 2*n {
				t.Errorf("skips file after two runs:\n%s\nsummary:\n%s", b, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range c.not {
				if strings.Contains(out.String(), n) {
					t.Errorf("summary holds %q:\n%s", n, out.String())
				}
			}
		})
	}
}
