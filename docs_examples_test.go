package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testtier"
)

// notRun are the fwcheck commands of the docs that this test does not run, and why; every
// other one it runs. The list is checked: an entry no doc shows any more fails the test.
var notRun = map[string]string{
	"fwcheck nodes --image registry.example.com/fwcheck:v1 -o text -o junit=nodes.xml": "needs a cluster: TestLabNodes runs nodes against a real kube-apiserver",
}

// docCommand is an fwcheck command line a doc shows, in a shell code block or after "$ ".
type docCommand struct{ file, line string }

// docCommands reads every fwcheck command line of the README and docs/*.md, in order, with
// continuation lines joined; `go run .` counts as fwcheck.
func docCommands(t *testing.T) []docCommand {
	files, _ := filepath.Glob(filepath.Join("docs", "*.md"))
	files = append([]string{"README.md"}, files...)
	block := regexp.MustCompile("(?s)```(sh|bash)?\n(.*?)```")
	command := regexp.MustCompile(`^(\$ )?([A-Z_]+=\S+ )*(fwcheck|go run \.) `)
	var out []docCommand
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllStringSubmatch(string(b), -1) {
			lines := strings.Split(strings.ReplaceAll(m[2], "\\\n", " "), "\n")
			for _, l := range lines {
				c := command.FindStringSubmatch(l)
				if c == nil || m[1] == "" && c[1] == "" {
					continue // a plain block shows commands only after "$ " (the rest is output)
				}
				l = strings.TrimPrefix(l, "$ ")
				if i := strings.Index(l, " #"); i >= 0 {
					l = l[:i]
				}
				l = strings.Join(strings.Fields(strings.Replace(l, "go run . ", "fwcheck ", 1)), " ")
				out = append(out, docCommand{f, l})
			}
		}
	}
	return out
}

// TestDocsExamples runs every fwcheck command the README and docs/ show, as written, in a
// shell, each doc's in order in a directory of its own (a command may read what the one before
// wrote): as dry runs (FWCHECK_DRY_RUN=true, which every check command reads), inside an empty
// network namespace, since the embedded catalog's addresses are real. A pipe into kubectl is
// cut off. Each must exit 0: a flag renamed, a value no longer accepted or a file no longer
// written fails here, not in a user's hands.
func TestDocsExamples(t *testing.T) {
	testtier.Need(t, "root", testtier.NotRoot("the examples run in an empty network namespace"), testtier.MissingTool("util-linux", "unshare"))
	bin := filepath.Join(t.TempDir(), "bin")
	os.Mkdir(bin, 0o755)
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "fwcheck"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dirs := map[string]string{}
	seen := map[string]bool{}
	for _, c := range docCommands(t) {
		seen[c.line] = true
		if why, ok := notRun[c.line]; ok {
			t.Logf("not run: %s (%s)", c.line, why)
			continue
		}
		dir := dirs[c.file]
		if dir == "" {
			dir = t.TempDir()
			dirs[c.file] = dir
			// The inputs the examples name.
			for _, f := range []string{"more.txt", "targets.txt"} {
				os.WriteFile(filepath.Join(dir, f), []byte("192.0.2.1:443\n"), 0o644)
			}
		}
		line := c.line
		if i := strings.Index(line, " | kubectl "); i >= 0 {
			line = line[:i]
		}
		cmd := exec.Command("unshare", "--net", "--", "sh", "-c", "ip link set lo up 2>/dev/null; "+line)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "FWCHECK_DRY_RUN=true",
			"GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary.md")}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: `%s`: %v\n%s", c.file, c.line, err, tail(string(out), 1500))
		}
	}
	for line := range notRun {
		if !seen[line] {
			t.Errorf("notRun lists %q, which no doc shows any more", line)
		}
	}
}

// TestDocsProbeSample: the loopback run docs/probe.md shows is what fwcheck prints for it (an
// HTTP server on 127.0.0.1:18080 and nothing else), timings aside, exit code included.
func TestDocsProbeSample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("docs", "probe.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- output:[^>]*-->\n```\n\\$ (fwcheck [^\n]*)\n(.*?)\\$ echo \\$\\?\n(\\d+)\n```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/probe.md has no output block (<!-- output: ... -->, $ fwcheck ..., $ echo $?)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:18080")
	if err != nil {
		t.Skipf("127.0.0.1:18080 is taken here: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(ln)
	defer srv.Close()
	for _, port := range []string{"18081", "18082"} {
		if c, err := net.Listen("tcp", "127.0.0.1:"+port); err != nil {
			t.Skipf("127.0.0.1:%s is taken here: %v", port, err)
		} else {
			c.Close()
		}
	}
	code, out, _ := fwcheck(t, nil, append(strings.Fields(string(m[1]))[1:], "--no-color")...)
	if got, want := sameText(out), sameText(string(m[2])); got != want || fmt.Sprint(code) != string(m[3]) {
		t.Errorf("docs/probe.md's sample differs from what `%s` prints (exit %d); paste this in:\n%s", m[1], code, out)
	}
}
