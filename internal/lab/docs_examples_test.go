package lab

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

// notRun are the command lines of the docs that this test does not run, and why: every other
// fwcheck command it runs. The list is checked both ways: a command line of a shell block
// that is neither run nor here fails the test, and so does an entry no doc shows any more.
var notRun = map[string]string{
	"fwcheck nodes --image registry.example.com/fwcheck:v1 -o text -o junit=nodes.xml": "needs a cluster: TestLabNodes runs nodes against a real kube-apiserver",
	"CGO_ENABLED=0 go build -o fwcheck .":                                              "this test builds fwcheck so; .ci/run makes the release builds",
	"go vet ./... && go test -race ./...":                                              "the test command itself: .ci/run runs it",
	"go test -count=1 -run TestTiers -v ./internal/lab":                                ".ci/run runs it",
	"$EDITOR my-catalog.yaml":                                                          "a person's step",
	"nft -f allow.nft":                                                                 "TestLabRulesLoop loads -o nftables with nft in the lab",
	"CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags='-s -w' -o fwcheck-linux-amd64 .":                                   "unpackedImage (TestImageServesFromItsRoot) builds so",
	"go run ./internal/image/build -bin fwcheck-linux-amd64 -o fwcheck.tar -tag registry.example.com/fwcheck:v1":                           "unpackedImage builds the image so; .ci/run too",
	"skopeo copy docker-archive:fwcheck.tar docker://registry.example.com/fwcheck:v1":                                                      "needs a registry; unpackedImage copies to an OCI layout with skopeo",
	"kubectl -n fwcheck get daemonset fwcheck":                                                                                             "TestLabInCluster runs it against the lab's kube-apiserver",
	"kubectl -n fwcheck logs daemonset/fwcheck":                                                                                            "needs a kubelet that serves logs for the DaemonSet's pod",
	"docker load < fwcheck.tar && docker push registry.example.com/fwcheck:v1":                                                             "needs Docker and a registry",
	"for arch in amd64 arm64; do CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags='-s -w' -o fwcheck-linux-$arch .; done": ".ci/run builds both",
	"go run ./internal/image/build -bin amd64=fwcheck-linux-amd64 -bin arm64=fwcheck-linux-arm64 -oci fwcheck-oci":                         "internal/image's tests build the index",
	"skopeo copy --all oci:fwcheck-oci docker://registry.example.com/fwcheck:v1":                                                           "needs a registry",
	"kubectl create secret generic fwcheck-proxy -n fwcheck --from-literal=user='LAB\\alice' --from-literal=password='…'":                  "TestLabNodes checks the Jobs read this optional Secret",
	"kinit -c FILE:/tmp/krb5cc_fwcheck alice@CORP.EXAMPLE":                                                                                 "needs the corporate realm: TestLabPACWithNegotiate runs kinit against the lab's KDC",
	"sudo FWCHECK_BENCH=1 go test -run TestLabBenchmark -v -timeout 30m ./internal/lab":                                                    "the benchmark harness, by hand",
	"sudo FWCHECK_BENCH=adaptive go test -count=1 -run TestLabBenchmarkAdaptive -v -timeout 30m ./internal/lab":                            "the benchmark harness, by hand",
	"sudo apt-get install iproute2 nftables squid dnsmasq-base krb5-kdc krb5-admin-server krb5-user python3-pacparser etcd-server":         ".ci/run installs them",
	"bash testdata/kube-apiserver/build.sh ~/.cache/fwcheck/kube-apiserver":                                                                ".ci/run builds it",
	"sudo go test -run TestLab -v ./internal/lab":                                                                                          "a part of the test command",
}

// docCommand is a command line a doc shows, in a shell code block or after "$ "; fwcheck says
// whether it runs fwcheck.
type docCommand struct {
	file, line string
	fwcheck    bool
}

// docCommands reads every command line of the README and docs/*.md, in order, with
// continuation lines joined and comments dropped; `go run .` counts as fwcheck.
func docCommands(t *testing.T) []docCommand {
	files, _ := filepath.Glob(filepath.Join("docs", "*.md"))
	files = append([]string{"README.md"}, files...)
	block := regexp.MustCompile("(?s)```(sh|bash)?\n(.*?)```")
	fwcheckLine := regexp.MustCompile(`^([A-Z0-9_]+=\S+ )*(fwcheck|go run \.) `)
	var out []docCommand
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllStringSubmatch(string(b), -1) {
			for _, l := range strings.Split(strings.ReplaceAll(m[2], "\\\n", " "), "\n") {
				shell := m[1] != ""
				if strings.HasPrefix(l, "$ ") && !strings.HasPrefix(l, "$ echo ") {
					l, shell = l[2:], true
				}
				if !shell || strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
					continue // a plain block shows commands only after "$ " (the rest is output)
				}
				if i := strings.Index(l, " #"); i >= 0 {
					l = l[:i]
				}
				l = strings.Join(strings.Fields(l), " ")
				isFwcheck := fwcheckLine.MatchString(l)
				if isFwcheck {
					l = strings.Replace(l, "go run . ", "fwcheck ", 1)
				}
				out = append(out, docCommand{f, l, isFwcheck})
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
		if !c.fwcheck {
			t.Errorf("%s: `%s` is neither run by this test nor in its notRun list", c.file, c.line)
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

// TestDocsLinks: every relative link of the README, BENCHMARKS.md and docs/ names a file that
// exists (the README's split into docs/ moved most of them).
func TestDocsLinks(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("docs", "*.md"))
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for _, f := range append([]string{"README.md", "BENCHMARKS.md"}, files...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[1])
			}
		}
	}
}
