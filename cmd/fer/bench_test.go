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
