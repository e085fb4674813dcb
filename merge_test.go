package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMerge: reports from two machines, one of which misses the opening, merge into one: the
// matrix shows which, the opening is missing, each probe keeps its vantage, JUnit has a suite
// per vantage, and the exit code is that of the worst.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	open := listen(t, "tcp", "127.0.0.1:0")
	closed := closedAddr(t)
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+a, open.Addr().String()); code != 0 {
		t.Fatalf("a: exit %d %s", code, stderr)
	}
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+b, closed); code != 1 {
		t.Fatalf("b: exit %d %s", code, stderr)
	}
	junit := filepath.Join(dir, "merged.xml")
	code, stdout, stderr := fwcheck(t, nil, "merge", "--no-color", "-o", "text", "-o", "junit="+junit, "-o", "json="+filepath.Join(dir, "m.json"),
		a+"=node-a@dal10", b+"=node-b@dal12")
	if code != 1 {
		t.Fatalf("merge: exit %d (%s)\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "MATRIX (1 openings × 2 vantages)") || !strings.Contains(stdout, "zone dal10") ||
		!regexpMatch(`probe-1\s+✓\s+✗`, stdout) {
		t.Errorf("matrix:\n%s", stdout)
	}
	var m struct {
		Vantages []struct{ Name, Zone string }
		Openings []struct {
			Status string
			Probes []struct{ Vantage, State string }
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "m.json"))
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Vantages) != 2 || m.Openings[0].Status != "missing" || len(m.Openings[0].Probes) != 2 ||
		m.Openings[0].Probes[0].Vantage != "node-a" || m.Openings[0].Probes[1].State != "refused" {
		t.Errorf("merged JSON: %+v", m)
	}
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	data, _ = os.ReadFile(junit)
	if err := xml.Unmarshal(data, &suites); err != nil || len(suites.Suites) != 2 || suites.Suites[0].Failures != 0 || suites.Suites[1].Failures != 1 {
		t.Errorf("JUnit: %+v, %v", suites, err)
	}
	// Not a report, or reports of different commands: bad input.
	notReport := filepath.Join(dir, "x.json")
	os.WriteFile(notReport, []byte(`{"schema":"other"}`), 0o644)
	for _, args := range [][]string{{"merge"}, {"merge", notReport}, {"merge", "/nonexistent.json"}} {
		if code, _, _ := fwcheck(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d; want 2", args, code)
		}
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
