// Command testsum reads `go test -json` on stdin and prints what a plain
// `go test` prints (the ok/FAIL line of every package, the output of failed
// tests, build errors), then the name and reason of every skipped test and
// their count, so that skips are visible in CI's log:
//
//	go test -json ./... | go run ./scripts/testsum
//
// With -skips FILE it also appends the skipped tests' lines to FILE, so a
// script running go test several times can list them all at its end.
//
// It exits 1 when a test or package failed (a build failure included) and
// 2 on unreadable input; run it under `set -o pipefail` so that go test's
// own exit status counts too. A -json line it cannot parse is printed as is.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// event is one line of go test -json (cmd/test2json), build events included.
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// skipPrefix starts the line of each skipped test.
const skipPrefix = "  SKIP "

// skip is a skipped test and why.
type skip struct{ pkg, test, reason string }

func main() {
	skipsFile := flag.String("skips", "", "append the skipped tests' lines to this file")
	flag.Parse()
	var out bytes.Buffer
	failed, err := summarise(os.Stdin, io.MultiWriter(os.Stdout, &out))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if *skipsFile != "" {
		if err := appendSkips(*skipsFile, out.String()); err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// summarise copies the plain go test output of the events in r to w,
// followed by the skipped tests, and reports whether anything failed.
func summarise(r io.Reader, w io.Writer) (failed bool, err error) {
	outputs := map[string][]string{} // package + " " + test -> its output lines so far
	var skips []skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "build-output":
			io.WriteString(w, e.Output)
		case "build-fail":
			failed = true
		case "output":
			if e.Test == "" {
				// Package lines: "ok ...", "FAIL ...", "? ... [no test
				// files]", panics outside tests; not the bare "PASS".
				if e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "=== ") {
					io.WriteString(w, e.Output)
				}
				continue
			}
			if !strings.HasPrefix(e.Output, "=== ") { // -json implies -v's "=== RUN" lines
				outputs[key] = append(outputs[key], e.Output)
			}
		case "fail":
			failed = true
			if e.Test != "" {
				io.WriteString(w, strings.Join(outputs[key], ""))
			}
			delete(outputs, key)
		case "skip":
			if e.Test != "" {
				skips = append(skips, skip{e.Package, e.Test, skipReason(outputs[key])})
			}
			delete(outputs, key)
		case "pass":
			delete(outputs, key)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	// Tests that never ended (a panic or timeout ends the binary): their output.
	if failed {
		for _, key := range slices.Sorted(maps.Keys(outputs)) {
			if !strings.HasSuffix(key, " ") { // a test, not a package
				io.WriteString(w, strings.Join(outputs[key], ""))
			}
		}
	}
	fmt.Fprintf(w, "skipped tests: %d\n", len(skips))
	for _, s := range skips {
		fmt.Fprintf(w, "%s%s (%s): %s\n", skipPrefix, s.test, s.pkg, s.reason)
	}
	return failed, nil
}

// appendSkips appends the lines of summary that name a skipped test to
// the file path (created if needed).
func appendSkips(path, summary string) error {
	var lines []string
	for l := range strings.Lines(summary) {
		if strings.HasPrefix(l, skipPrefix) {
			lines = append(lines, l)
		}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, strings.Join(lines, ""))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// skipReason is the message of a skipped test's output: its last
// "file.go:N: ..." line, or "" when it gave none.
func skipReason(lines []string) string {
	reason := ""
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.Contains(l, ".go:") && !strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "===") {
			reason = l
		}
	}
	return reason
}
