// Package docker holds the container's entry point; its test checks how the
// Jupyter token is passed.
package docker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot makes a checkout with docker/entrypoint.sh and a fernb.sh that
// records its arguments and JUPYTER_* environment instead of starting Jupyter.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	b, err := os.ReadFile("entrypoint.sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "docker", "entrypoint.sh"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\necho \"args: $*\"\nenv | grep '^JUPYTER_' | sort\n"
	if err := os.WriteFile(filepath.Join(root, "fernb.sh"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestEntrypointToken(t *testing.T) {
	root := fakeRoot(t)
	secret := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secret, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		env     []string
		args    []string
		wantEnv string // JUPYTER_TOKEN=... line expected ("" = any non-empty)
		wantErr string
	}{
		{"from env", []string{"JUPYTER_TOKEN=abc123"}, nil, "JUPYTER_TOKEN=abc123", ""},
		{"from file", []string{"JUPYTER_TOKEN_FILE=" + secret}, nil, "JUPYTER_TOKEN=s3cret-from-file", ""},
		{"file wins", []string{"JUPYTER_TOKEN=abc", "JUPYTER_TOKEN_FILE=" + secret}, nil, "JUPYTER_TOKEN=s3cret-from-file", ""},
		{"generated", nil, nil, "", ""},
		{"empty env", []string{"JUPYTER_TOKEN="}, nil, "", "set but empty"},
		{"empty file", []string{"JUPYTER_TOKEN_FILE=" + empty}, nil, "", "is empty"},
		{"missing file", []string{"JUPYTER_TOKEN_FILE=/nonexistent/token"}, nil, "", "cannot be read"},
		{"token argument", []string{"JUPYTER_TOKEN=abc"}, []string{"--IdentityProvider.token=abc"}, "", "not on the command line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(root, "docker", "entrypoint.sh"), c.args...)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, c.env...)
			out, err := cmd.CombinedOutput()
			s := string(out)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(s, c.wantErr) {
					t.Fatalf("err %v, output %q; want a failure with %q", err, s, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, s)
			}
			var args, tok string
			for _, l := range strings.Split(s, "\n") {
				if a, ok := strings.CutPrefix(l, "args: "); ok {
					args = a
				}
				if strings.HasPrefix(l, "JUPYTER_TOKEN=") {
					tok = l
				}
				if strings.HasPrefix(l, "JUPYTER_TOKEN_FILE=") {
					t.Errorf("JUPYTER_TOKEN_FILE reached Jupyter: %s", l)
				}
			}
			if !strings.HasPrefix(args, "lab --ip=0.0.0.0 --port=8888 --no-browser") {
				t.Errorf("fernb.sh arguments %q", args)
			}
			if strings.Contains(strings.ToLower(args), "token") {
				t.Errorf("the token is on the command line: %q", args)
			}
			if len(tok) < len("JUPYTER_TOKEN=")+6 || (c.wantEnv != "" && tok != c.wantEnv) {
				t.Errorf("environment token %q, want %q", tok, c.wantEnv)
			}
		})
	}
}
