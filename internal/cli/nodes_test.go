package cli

import (
	"bytes"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/kube"
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
	if err := w.Write(&b, report.Build(plan, [][][]probe.Result{{open}, {open}, nil}, report.Meta{})); err != nil {
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
	all := mergeNodes([]*kube.Node{{Name: "node-a", Report: nodeReport(t)}, {Name: "node-b", Report: nodeReport(t)}})
	if code := all.ExitCode(false); code != 0 || all.Summary.Verified != 2 {
		t.Fatalf("every node passed: exit %d, %+v; want 0 with 2 verified", code, all.Summary)
	}

	merged := mergeNodes([]*kube.Node{{Name: "node-a", Report: nodeReport(t)}, {Name: "node-b", Problem: "its pod cannot be scheduled: 0/3 nodes are available"}})
	if code := merged.ExitCode(false); code != 1 {
		t.Errorf("a node could not run: exit %d; want 1", code)
	}
	want := map[string]string{"required": report.Missing, "optional": report.Warning, "left-out": report.Skipped}
	for _, o := range merged.Openings {
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

	none := mergeNodes([]*kube.Node{{Name: "node-a", Problem: "its Job passed its deadline"}})
	if code := none.ExitCode(false); code != 1 {
		t.Errorf("no node reported: exit %d; want 1", code)
	}
}
