package cli

import (
	"bytes"
	"encoding/xml"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/kube"
	"github.com/fwcheck/fwcheck/internal/run"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// nodeReport is one node's report: a required and an optional opening that passed, and one
// left out by --skip.
func nodeReport(t *testing.T) *report.Report {
	t.Helper()
	a := netip.MustParseAddr("198.18.0.1")
	tg := probe.Target{Host: a.String(), Addr: a, Port: 443, Check: probe.CheckTCP}
	open := []probe.Result{{Target: tg, Address: a, Via: probe.Direct, State: probe.Open, Reason: "open"}}
	plan := endpoints.NewPlan(endpoints.Worker,
		endpoints.Opening{ID: "required", Group: "registry", Required: true, Protocol: "tcp", Ports: "443", Targets: []probe.Target{tg}},
		endpoints.Opening{ID: "optional", Group: "monitoring", Protocol: "tcp", Ports: "443", Targets: []probe.Target{tg}},
		endpoints.Opening{ID: "left-out", Group: "master", Required: true, Protocol: "tcp", Ports: "443", Targets: []probe.Target{tg}, Skip: "left out by --skip master"},
	)
	var b bytes.Buffer
	w, _ := report.New("json", report.Options{})
	bl, _ := report.NewBuilder(plan, report.Meta{})
	bl.Add(0, [][]probe.Result{open})
	bl.Add(1, [][]probe.Result{open})
	built, err := bl.Report(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&b, built); err != nil {
		t.Fatal(err)
	}
	r, err := report.Read(&b) // as it comes back from a pod's log
	if err != nil {
		t.Fatal(err)
	}
	r.Tool.Catalog = endpoints.DefaultEdition // the groups' required flags come from it
	return r
}

// TestMergeNodesNeverPassesByAbsence: a node that could not run leaves every opening it should
// have proven unproven, so the run fails even when every other node passed; an opening left
// out by --skip stays skipped; with no node reporting at all the run fails too.
func TestMergeNodesNeverPassesByAbsence(t *testing.T) {
	all := mergeNodes([]*kube.Node{{Name: "node-a", Report: nodeReport(t)}, {Name: "node-b", Report: nodeReport(t)}}, nil)
	if code := all.ExitCode(false); code != 0 || all.Summary.Verified != 2 {
		t.Fatalf("every node passed: exit %d, %+v; want 0 with 2 verified", code, all.Summary)
	}

	merged := mergeNodes([]*kube.Node{{Name: "node-a", Report: nodeReport(t)}, {Name: "node-b", Problem: "its pod cannot be scheduled: 0/3 nodes are available"}}, nil)
	if code := merged.ExitCode(false); code != 1 {
		t.Errorf("a node could not run: exit %d; want 1", code)
	}
	want := map[string]string{"required": report.Missing, "optional": report.Warning, "left-out": report.Skipped}
	for _, o := range openingsOf(t, merged) {
		hasNode := strings.Contains(strings.Join(o.Findings, ","), report.FindingNode)
		if o.Status != want[o.ID] || hasNode != (o.ID != "left-out") || o.Rule != "" {
			t.Errorf("%s: %s, findings %v, rule %q; want %s, the node finding unless skipped, no rule", o.ID, o.Status, o.Findings, o.Rule, want[o.ID])
		}
	}
	if s := merged.Summary; s.Missing != 1 || s.Warnings != 1 || s.Skipped != 1 || s.Verified != 0 || s.Probes != 2 {
		t.Errorf("summary %+v; want 1 missing, 1 warning, 1 skipped, the node's 2 probes", s)
	}
	if len(merged.Findings) == 0 || merged.Findings[0].Kind != report.FindingNode || !strings.Contains(merged.Findings[0].Summary, "node-b") {
		t.Errorf("findings %+v; want node-b's first", merged.Findings)
	}

	// The node that could not run is a column of its own: "?" in the matrix, a failing case in
	// JUnit, its problem in the JSON.
	if v := merged.Vantages; len(v) != 2 || v[1].Name != "node-b" || !strings.Contains(v[1].Problem, "cannot be scheduled") {
		t.Errorf("vantages %+v; want node-a, then node-b with its problem", v)
	}
	write := func(format string) string {
		w, _ := report.New(format, report.Options{})
		var b bytes.Buffer
		if err := w.Write(&b, merged); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if text := write("text"); !strings.Contains(text, "? could not run") || !regexp.MustCompile(`(?m)^  required\s+✓\s+\?$`).MatchString(text) {
		t.Errorf("the matrix does not show node-b as not run:\n%s", text)
	}
	if junit := write("junit"); !strings.Contains(junit, `message="node-b could not be checked: its pod cannot be scheduled`) {
		t.Errorf("JUnit has no failing case for node-b:\n%s", junit)
	}

	none := mergeNodes([]*kube.Node{{Name: "node-a", Problem: "its Job passed its deadline"}}, nil)
	if code := none.ExitCode(false); code != 1 {
		t.Errorf("no node reported: exit %d; want 1", code)
	}
}

// TestEveryNodeFailed: when no node could run, every opening the nodes' check plans keeps its
// row and every node its column, in every format, and each format's counts agree with its
// cases (the JSON had openings: [] with missing: 1, JUnit tests="0" failures="1").
func TestEveryNodeFailed(t *testing.T) {
	plan := func() *report.Report {
		pc, err := parseCheck(t.Context(), []string{"worker", "--region", "us-south", "--dry-run"}, func(string) string { return "" }, theMachine)
		if err != nil {
			t.Fatal(err)
		}
		out, err := run.Run(t.Context(), pc.input)
		if err != nil {
			t.Fatal(err)
		}
		return report.UnprovenPlan(out.Report)
	}
	merged := mergeNodes([]*kube.Node{{Name: "node-a", Zone: "dal10", Problem: "its image cannot be pulled"},
		{Name: "node-b", Zone: "dal12", Problem: "its Job passed its deadline"}}, plan)
	if code := merged.ExitCode(false); code != 1 {
		t.Fatalf("exit %d; want 1", code)
	}
	s := merged.Summary
	var missing, warnings, skipped int
	for _, o := range openingsOf(t, merged) {
		switch o.Status {
		case report.Missing:
			missing++
		case report.Warning:
			warnings++
		case report.Skipped: // not asked for (--private, --pvc): skipped, as in any run
			skipped++
		default:
			t.Errorf("%s is %s with no node reporting", o.ID, o.Status)
		}
		if o.Rule != "" {
			t.Errorf("%s has a rule of its own: %q", o.ID, o.Rule)
		}
	}
	if missing < 5 || s.Openings != len(openingsOf(t, merged)) || s.Missing != missing || s.Warnings != warnings || s.Skipped != skipped || len(merged.Vantages) != 2 {
		t.Fatalf("summary %+v for %d openings (%d missing, %d warnings), %d vantages", s, len(openingsOf(t, merged)), missing, warnings, len(merged.Vantages))
	}
	write := func(format string) string {
		var b bytes.Buffer
		w, _ := report.New(format, report.Options{})
		if err := w.Write(&b, merged); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	text := write("text")
	for _, o := range openingsOf(t, merged) {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(o.ID) + `\s+\?\s+\?$`).MatchString(text) {
			t.Errorf("the matrix has no row for %s with both nodes marked ?:\n%s", o.ID, text)
			break
		}
	}
	var doc struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(write("junit")), &doc); err != nil || len(doc.Suites) != 2 {
		t.Fatalf("JUnit: %v, %d suites", err, len(doc.Suites))
	}
	for _, su := range doc.Suites {
		failing := 0
		for _, c := range su.Cases {
			if c.Failure != nil {
				failing++
			}
		}
		if su.Tests != len(su.Cases) || su.Failures != failing || failing == 0 {
			t.Errorf("a JUnit suite claims %d tests and %d failures, and holds %d cases, %d failing", su.Tests, su.Failures, len(su.Cases), failing)
		}
	}
	if gh := write("github"); !strings.Contains(gh, "::error") {
		t.Errorf("-o github has no error:\n%s", gh)
	}
}
