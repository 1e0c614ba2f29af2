// Command fer runs fernb's jobs from a shell: it calls the same fernb functions
// as the notebooks.
//
//	fer info                      versions, backend choice, plugin, devices, data
//	fer data  --data PATH         data-quality summary of a FER2013 copy
//	fer train / eval / predict    train a model, evaluate a run, classify images
//	fer plot  --run DIR --out DIR export the standard figures of a run
//	fer table RUN...              accuracy table of runs and their evaluations
//	fer bench                     speed benchmarks against peers
//	fer report                    run the report notebook headless
//	fer notebooks                 execute every notebook headless and check it (CI)
//	fer cache                     fernb's files outside the checkout; clean, verify
//
// Run "fer help" for the list, "fer CMD -h" for a command's flags.
package main

import (
	"fmt"
	"os"
	"sort"
)

// command is one "fer" sub-command. Each lives in its own file and registers
// itself in an init function.
type command struct {
	name    string
	summary string
	run     func(args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) error) {
	if _, dup := commands[name]; dup {
		panic("fer: command registered twice: " + name)
	}
	commands[name] = command{name: name, summary: summary, run: run}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: fer COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun \"fer COMMAND -h\" for a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "fer: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "fer %s: %v\n", cmd.name, err)
		os.Exit(1)
	}
}
