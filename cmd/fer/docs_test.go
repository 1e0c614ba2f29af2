package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCommandsDocumented keeps the written lists of fer's commands complete:
// every registered command appears in README's fer block and in this
// package's doc comment, and neither names a command that does not exist.
func TestCommandsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := string(readme)
	start := strings.Index(block, "## From a shell: the `fer` command")
	if start < 0 {
		t.Fatal("README has no section \"From a shell: the `fer` command\"")
	}
	block = block[start:]
	if end := strings.Index(block[3:], "\n## "); end >= 0 {
		block = block[:end+3]
	}
	doc, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	pkgDoc := string(doc[:strings.Index(string(doc), "package main")])

	named := regexp.MustCompile(`(?m)^(?://\t)?fer ([a-z]+)`)
	for _, c := range []struct{ name, text string }{{"README's fer section", block}, {"cmd/fer's package doc", pkgDoc}} {
		seen := map[string]bool{}
		for _, m := range named.FindAllStringSubmatch(c.text, -1) {
			seen[m[1]] = true
			if _, ok := commands[m[1]]; !ok {
				t.Errorf("%s names \"fer %s\", which is not a command", c.name, m[1])
			}
		}
		// The doc comment groups some commands on one line ("fer train / eval / predict").
		grouped := regexp.MustCompile(`fer [a-z]+((?: / [a-z]+)+)`)
		for _, m := range grouped.FindAllStringSubmatch(c.text, -1) {
			for _, n := range strings.Split(strings.TrimPrefix(m[1], " / "), " / ") {
				seen[n] = true
			}
		}
		for n := range commands {
			if !seen[n] {
				t.Errorf("%s does not list \"fer %s\"", c.name, n)
			}
		}
	}
}
