package docker

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction after line continuations are
// joined and comment lines inside them dropped.
type instruction struct {
	Line    int    // first line, from 1
	Keyword string // upper case: FROM, RUN, ENTRYPOINT, ...
	Args    string
}

// parseDockerfile splits a Dockerfile into instructions and its comment
// lines (without "# "), with the default escape character '\'.
func parseDockerfile(text string) (ins []instruction, comments []string) {
	var cur *instruction
	for i, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") {
			comments = append(comments, strings.TrimSpace(strings.TrimPrefix(t, "#")))
			continue // a comment inside a continuation does not end it
		}
		if t == "" && cur == nil {
			continue
		}
		cont := strings.HasSuffix(t, `\`)
		t = strings.TrimSpace(strings.TrimSuffix(t, `\`))
		if cur == nil {
			kw, args, _ := strings.Cut(t, " ")
			cur = &instruction{Line: i + 1, Keyword: strings.ToUpper(kw), Args: strings.TrimSpace(args)}
		} else if t != "" {
			cur.Args += " " + t
		}
		if !cont {
			ins = append(ins, *cur)
			cur = nil
		}
	}
	if cur != nil {
		ins = append(ins, *cur)
	}
	return ins, comments
}

// docCommands joins the commands in the comments (or a Markdown file) that
// start with prefix, following '\' continuations.
func docCommands(lines []string, prefix string) []string {
	var cmds []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		cmd := ""
		for {
			cmd += " " + strings.TrimSpace(strings.TrimSuffix(l, `\`))
			if !strings.HasSuffix(l, `\`) || i+1 >= len(lines) {
				break
			}
			i++
			l = strings.TrimSpace(lines[i])
		}
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	return cmds
}

// publishes returns the -p / --publish values of a docker run command.
func publishes(cmd string) []string {
	var p []string
	f := strings.Fields(cmd)
	for i, a := range f {
		switch {
		case (a == "-p" || a == "--publish") && i+1 < len(f):
			p = append(p, f[i+1])
		case strings.HasPrefix(a, "--publish="):
			p = append(p, strings.TrimPrefix(a, "--publish="))
		case strings.HasPrefix(a, "-p") && len(a) > 2 && a[2] != '-':
			p = append(p, a[2:])
		}
	}
	return p
}

// aptPackages returns the packages of every `apt-get install` in a RUN.
func aptPackages(run string) []string {
	var pkgs []string
	f := strings.Fields(run)
	for i := 0; i+1 < len(f); i++ {
		if f[i] != "apt-get" && f[i] != "apt" {
			continue
		}
		j := i + 1
		for j < len(f) && strings.HasPrefix(f[j], "-") {
			j++
		}
		if j >= len(f) || f[j] != "install" {
			continue
		}
		for j++; j < len(f) && f[j] != "&&" && f[j] != ";" && f[j] != "||"; j++ {
			if !strings.HasPrefix(f[j], "-") {
				pkgs = append(pkgs, f[j])
			}
		}
	}
	return pkgs
}

var (
	digestRe  = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	versionRe = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]*=[0-9][A-Za-z0-9.+~:-]*$`)
)

// checkDockerfile returns what is wrong with a Dockerfile: ENTRYPOINT must be
// the exec (JSON) form with tini first, so tini is PID 1; every documented
// `docker run` publishes on 127.0.0.1 only; FROM carries a digest, or the
// file says in a comment that it does not ("UNPINNED: the base image");
// every apt package carries a version.
func checkDockerfile(text string) []string {
	var bad []string
	ins, comments := parseDockerfile(text)
	var entry, from []instruction
	var pkgs []string
	for _, in := range ins {
		switch in.Keyword {
		case "ENTRYPOINT":
			entry = append(entry, in)
		case "FROM":
			from = append(from, in)
		case "RUN":
			pkgs = append(pkgs, aptPackages(in.Args)...)
		}
	}
	if len(entry) != 1 {
		bad = append(bad, fmt.Sprintf("%d ENTRYPOINT instructions, want 1", len(entry)))
	} else {
		var argv []string
		if err := json.Unmarshal([]byte(entry[0].Args), &argv); err != nil {
			bad = append(bad, fmt.Sprintf("line %d: ENTRYPOINT is not the exec (JSON array) form: %v", entry[0].Line, err))
		} else if len(argv) < 3 || filepath.Base(argv[0]) != "tini" || argv[1] != "--" {
			bad = append(bad, fmt.Sprintf("line %d: ENTRYPOINT %q does not start with tini --", entry[0].Line, argv))
		} else if argv[2] != "/home/fernb/fernb/docker/entrypoint.sh" {
			bad = append(bad, fmt.Sprintf("line %d: tini runs %q, not docker/entrypoint.sh", entry[0].Line, argv[2]))
		}
	}
	runs := docCommands(comments, "docker run")
	if len(runs) == 0 {
		bad = append(bad, "no documented docker run")
	}
	for _, r := range runs {
		p := publishes(r)
		if len(p) == 0 {
			bad = append(bad, fmt.Sprintf("documented %q publishes no port", r))
		}
		for _, x := range p {
			if !strings.HasPrefix(x, "127.0.0.1:") {
				bad = append(bad, fmt.Sprintf("documented docker run publishes %q, not on 127.0.0.1", x))
			}
		}
	}
	if len(from) == 0 {
		bad = append(bad, "no FROM")
	}
	for _, f := range from {
		image := strings.Fields(f.Args)[0]
		if !digestRe.MatchString(image) && !strings.Contains(strings.Join(comments, " "), "UNPINNED: the base image") {
			bad = append(bad, fmt.Sprintf("line %d: FROM %s has no digest (@sha256:...) and no UNPINNED comment saying so", f.Line, image))
		}
	}
	hasTini := false
	for _, p := range pkgs {
		if !versionRe.MatchString(p) {
			bad = append(bad, fmt.Sprintf("apt package %q has no version (pkg=version)", p))
		}
		hasTini = hasTini || strings.HasPrefix(p, "tini=") || p == "tini"
	}
	if !hasTini {
		bad = append(bad, "tini is not installed by apt-get install")
	}
	return bad
}

// TestDockerfileInit parses the Dockerfile: tini is PID 1 (ENTRYPOINT in exec
// form, tini first) so that docker stop's SIGTERM reaches Jupyter and its
// kernels; the documented docker run (Dockerfile and README) publishes on
// 127.0.0.1 only; apt packages are pinned by version; FROM by digest, or the
// gap is declared. Mutated Dockerfiles show each check fails when it should.
func TestDockerfileInit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	real := string(b)
	for _, p := range checkDockerfile(real) {
		t.Errorf("Dockerfile: %s", p)
	}
	ins, _ := parseDockerfile(real)
	for _, in := range ins {
		if in.Keyword == "FROM" && !digestRe.MatchString(strings.Fields(in.Args)[0]) {
			t.Logf("line %d: FROM %s is not pinned by digest (declared UNPINNED)", in.Line, in.Args)
		}
	}
	if rd, err := os.ReadFile(filepath.Join("..", "README.md")); err == nil {
		runs := docCommands(strings.Split(string(rd), "\n"), "docker run")
		for _, r := range runs {
			for _, x := range publishes(r) {
				if !strings.HasPrefix(x, "127.0.0.1:") {
					t.Errorf("README's docker run publishes %q, not on 127.0.0.1", x)
				}
			}
		}
	}

	entry := `ENTRYPOINT ["/usr/bin/tini", "--", "/home/fernb/fernb/docker/entrypoint.sh"]`
	if !strings.Contains(real, entry) {
		t.Fatalf("the mutations below expect %s in the Dockerfile", entry)
	}
	digest := "debian:12@sha256:" + strings.Repeat("ab", 32)
	// The real base image line (debian:12's 12.11 index digest).
	const pinnedFrom = "FROM debian:12@sha256:b6507e340c43553136f5078284c8c68d86ec8262b1724dde73c325e8d3dcdeba\n"
	// Each mutation of the real Dockerfile must be caught.
	mutations := []struct {
		name, old, new, want string
	}{
		{"shell-form ENTRYPOINT", entry, `ENTRYPOINT /usr/bin/tini -- /home/fernb/fernb/docker/entrypoint.sh`, "exec (JSON array) form"},
		{"no tini", entry, `ENTRYPOINT ["/home/fernb/fernb/docker/entrypoint.sh"]`, "does not start with tini"},
		{"published on all interfaces", "-p 127.0.0.1:8888:8888", "-p 8888:8888", `publishes "8888:8888"`},
		{"--publish= on all interfaces", "-p 127.0.0.1:8888:8888", "--publish=0.0.0.0:8888:8888", "not on 127.0.0.1"},
		{"unversioned package", "tini=0.19.0-1+b3", "tini", `apt package "tini" has no version`},
		{"tini not installed", "      tini=0.19.0-1+b3 \\\n", "", "tini is not installed"},
		{"FROM by tag", pinnedFrom, "FROM debian:12\n", "has no digest"},
		{"FROM with a short digest", pinnedFrom, "FROM debian:12@sha256:abc\n", "has no digest"},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			if !strings.Contains(real, m.old) {
				t.Fatalf("Dockerfile lacks %q", m.old)
			}
			mutated := strings.Replace(real, m.old, m.new, 1)
			if strings.HasPrefix(m.new, "FROM") {
				// Without the UNPINNED note, so that the digest is checked.
				mutated = strings.Replace(mutated, "UNPINNED: the base image", "", 1)
			}
			got := strings.Join(checkDockerfile(mutated), "; ")
			if !strings.Contains(got, m.want) {
				t.Errorf("problems %q, want one containing %q", got, m.want)
			}
		})
	}
	// Another well-formed digest passes; a tag passes only with the UNPINNED note.
	pinned := strings.Replace(real, pinnedFrom, "FROM "+digest+"\n", 1)
	if p := checkDockerfile(pinned); len(p) != 0 {
		t.Errorf("Dockerfile with FROM %s: %q", digest, p)
	}
	declared := strings.Replace(real, pinnedFrom, "# UNPINNED: the base image, by tag\nFROM debian:12\n", 1)
	if p := checkDockerfile(declared); len(p) != 0 {
		t.Errorf("Dockerfile with a declared unpinned FROM: %q", p)
	}
}
