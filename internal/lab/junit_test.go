package lab

import (
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/internal/testtier"
)

// junitparserScript prints, per suite of a JUnit file, what python3-junitparser reads: the
// counts the suite claims and the cases it holds.
const junitparserScript = `
import json, sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
out = []
for suite in xml:
    cases = list(suite)
    out.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors,
                "cases": len(cases), "failing": sum(1 for c in cases if any(isinstance(r, Failure) for r in c.result)),
                "ids": sorted(set((c.classname or "") + "/" + c.name for c in cases))})
print(json.dumps(out))
`

type junitSuiteRead struct {
	Name                           string
	Tests, Failures, Errors, Cases int
	Failing                        int
	IDs                            []string
}

// TestJUnitReadByItsConsumers: every JUnit report is valid against the xUnit schema CI servers
// read (xmllint with testdata/junit/xunit.xsd, written from junit-10.xsd's rules), and
// junitparser reads counts that agree with the cases: a run with a missing opening and a
// warning, the same under --strict (the warning a failure), a dry run, and a merged report with
// a node that did not report an opening (each node's cases distinct).
func TestJUnitReadByItsConsumers(t *testing.T) {
	testtier.Need(t, "junit", testtier.MissingTool("libxml2-utils", "xmllint"))
	xmllint, _ := exec.LookPath("xmllint")
	// Debian's python3-junitparser is the system Python's, which another python3 on PATH
	// (pyenv) does not see.
	python := "/usr/bin/python3"
	if exec.Command(python, "-c", "import junitparser").Run() != nil {
		testtier.Skip(t, "junit", "junitparser is not installed (apt-get install python3-junitparser)")
	}
	dir := t.TempDir()
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	closed := testnet.Closed(t, "127.0.0.1")
	udp := silentUDP(t)
	targets := []string{open.Addr().String(), closed, "udp://" + udp}
	run := func(name string, args ...string) string {
		file := filepath.Join(dir, name+".xml")
		fwcheck(t, nil, append([]string{args[0], "-o", "junit=" + file, "-o", "json=" + filepath.Join(dir, name+".json")}, args[1:]...)...)
		return file
	}
	plain := run("plain", append([]string{"probe", "--timeout", "1s"}, targets...)...)
	strict := run("strict", append([]string{"probe", "--strict", "--timeout", "1s"}, targets...)...)
	dry := run("dry", "worker", "--region", "us-south", "--dry-run")
	short := run("short", "probe", "--timeout", "1s", open.Addr().String())
	merged := filepath.Join(dir, "merged.xml")
	fwcheck(t, nil, "merge", "-o", "junit="+merged, filepath.Join(dir, "plain.json")+"=node-a", filepath.Join(dir, "short.json")+"=node-b")
	_ = short

	want := map[string]struct{ failing, cases int }{
		plain: {1, 3}, strict: {2, 3}, dry: {0, 12}, merged: {3, 6}, // merged: node-a's missing, node-b's two not run
	}
	for file, w := range want {
		if out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit", "xunit.xsd"), file).CombinedOutput(); err != nil {
			t.Errorf("%s: not valid against the xUnit schema: %v\n%s", filepath.Base(file), err, out)
		}
		out, err := exec.Command(python, "-c", junitparserScript, file).Output()
		if err != nil {
			t.Fatalf("junitparser on %s: %v", file, err)
		}
		var suites []junitSuiteRead
		json.Unmarshal(out, &suites)
		failing, cases := 0, 0
		seen := map[string]bool{}
		for _, s := range suites {
			if s.Failures != s.Failing || s.Tests != s.Cases || s.Errors != 0 {
				t.Errorf("%s: suite %q claims %d tests, %d failures, %d errors and holds %d cases, %d failing", filepath.Base(file), s.Name, s.Tests, s.Failures, s.Errors, s.Cases, s.Failing)
			}
			failing, cases = failing+s.Failing, cases+s.Cases
			for _, id := range s.IDs {
				if seen[id] {
					t.Errorf("%s: two cases are %q: a CI server shows one", filepath.Base(file), id)
				}
				seen[id] = true
			}
		}
		if failing != w.failing || cases != w.cases {
			t.Errorf("%s: %d failing of %d cases; want %d of %d", filepath.Base(file), failing, cases, w.failing, w.cases)
		}
	}
}

// silentUDP is a UDP port that takes datagrams and never answers: open|filtered, a warning.
func silentUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}
