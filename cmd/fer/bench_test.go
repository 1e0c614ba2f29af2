package main

import (
	"strings"
	"testing"
)

// TestBenchProfileFlags checks `fer bench --profile` refuses what it cannot
// measure before measuring anything.
func TestBenchProfileFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile", "--stems", "standard,small"}, "one stem"},
		{[]string{"--profile", "--torch-device", "cuda"}, "CPU only"},
		{[]string{"--profile", "--conv-steps", "-1"}, "--conv-steps"},
		{[]string{"--profile", "--torch", "maybe"}, "want on or off"},
		{[]string{"--profile", "--torch-formats", "nhwc"}, "nhwc"},
		{[]string{"--profile", "--stems", "tiny"}, "unknown stem"},
	} {
		err := runBench(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("fer bench %s: %v, want an error containing %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestBenchFlagsNeverPanic runs fer bench with flag combinations that select
// nothing or something invalid: each is a clear error (never a panic, never
// a measurement), and one cheap valid combination runs.
func TestBenchFlagsNeverPanic(t *testing.T) {
	off := []string{"--torch", "off", "--measure-clock=false"}
	for _, c := range []struct {
		args []string
		want string // "" = must succeed
	}{
		{[]string{"--backends", "go", "--stems", "standard", "--go-stems", "small"}, `go/standard (not in --go-stems "small")`},
		{[]string{"--backends", "go", "--stems", "standard", "--go-stems", ""}, "nothing to measure"},
		{[]string{"--backends", "go", "--stems", "small,standard", "--go-stems", ""}, "go/small"},
		{[]string{"--backends", "go", "--skip-go"}, "no backend to measure"},
		{[]string{"--backends", ""}, "no backend to measure"},
		{[]string{"--stems", ""}, "no stem"},
		{[]string{"--stems", ","}, "no stem"},
		{[]string{"--backends", "xla:cpu", "--convs", "native", "--stems", "standard", "--native-stems", "small"}, "not in --native-stems"},
		{[]string{"--backends", "xla:cpu", "--convs", "native", "--stems", "small", "--native-stems", ""}, "not in --native-stems"},
		{[]string{"--backends", "go,xla:cpu", "--convs", "native", "--stems", "standard", "--native-stems", "", "--go-stems", ""}, "go/standard"},
		{[]string{"--stems", "tiny"}, "tiny"},
		{[]string{"--go-stems", "tiny"}, "tiny"},
		{[]string{"--convs", "fft"}, "fft"},
		{[]string{"--precisions", "f8"}, "f8"},
		{[]string{"--batch", "0"}, "batch"},
		{[]string{"--steps", "0"}, "--steps"},
		{[]string{"--torch", "maybe"}, "want on or off"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"--profile", "--backends", ""}, "no backend to profile"},
		{[]string{"--profile", "--backends", "go", "--skip-go"}, "no backend to profile"},
		{[]string{"--profile", "--stems", ""}, "one stem"},
		{[]string{"--backends", "go", "--stems", "standard", "--go-stems", "standard", "--batch", "1",
			"--go-steps", "1", "--go-warmup", "0", "--budget", "0"}, ""},
	} {
		args := append(append([]string{}, off...), c.args...) // the case's flags win
		name := strings.Join(c.args, " ")
		t.Run(name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("fer bench %s panicked: %v", name, r)
					}
				}()
				err = runBench(args)
			}()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("fer bench %s: %v", name, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("fer bench %s: %v, want an error containing %q", name, err, c.want)
			}
		})
	}
}
