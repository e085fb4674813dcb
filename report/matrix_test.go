package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestMatrixGroupsVantages: 200 nodes of which one misses an opening are two columns, the odd
// node named under its own; -v draws all 200; a handful of nodes keep a column each.
func TestMatrixGroupsVantages(t *testing.T) {
	build := func(nodes int) *Report {
		r := &Report{Profile: "worker"}
		for i := range nodes {
			r.Vantages = append(r.Vantages, Vantage{Name: fmt.Sprintf("node-%03d", i), Zone: fmt.Sprintf("dal1%d", i%3)})
		}
		for _, id := range []string{"region-us-south-dal10", "registry-us-south"} {
			o := Opening{ID: id, Status: Verified, Cells: map[string]string{}}
			for _, v := range r.Vantages {
				o.Cells[v.Name] = Verified
			}
			r.openings = append(r.openings, o)
		}
		odd := r.Vantages[min(7, nodes-1)].Name
		r.openings[0].Cells[odd], r.openings[0].Status = Missing, Missing
		return r
	}
	text := func(r *Report, verbose bool) string {
		w, _ := New("text", Options{Verbose: verbose})
		var b bytes.Buffer
		if err := w.Write(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	out := text(build(200), false)
	for _, want := range []string{`200 vantages, in 2 groups`, `region-us-south-dal10\s+✓\s+✗\n`, `registry-us-south\s+✓\s+✓\n`,
		`\[1\] 199 vantages: node-000, node-001, node-002 and 196 more`, `\[2\] 1 vantage: node-007 \(zone dal11\)`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("200 nodes: no %q in\n%s", want, out)
		}
	}
	if out := text(build(200), true); !strings.Contains(out, "node-199") || strings.Contains(out, "groups of the same results") {
		t.Errorf("-v: every node has its column:\n%.600s", out)
	}
	if out := text(build(3), false); !strings.Contains(out, "node-002") || strings.Contains(out, "groups of the same results") {
		t.Errorf("3 nodes keep a column each:\n%s", out)
	}
}

// TestGroupShowsEachWay: openings that each failed two ways (one address dropped, one reset)
// are one entry that shows both ways, once each.
func TestGroupShowsEachWay(t *testing.T) {
	r := &Report{Profile: "probe", Source: Source{Addresses: []string{"192.0.2.10"}}}
	for i := range 6 {
		r.openings = append(r.openings, Opening{ID: fmt.Sprintf("probe-%d", i+1), Status: Missing, Required: true, Protocol: "tcp", Section: "adhoc",
			Probes: []Probe{
				{Host: "198.51.100.1", Address: "198.51.100.1", Port: 1000 + i, Protocol: "tcp", Dialed: true, Check: "tcp connect", Via: "direct",
					State: "filtered", Detail: "dropped"},
				{Host: "198.51.100.2", Address: "198.51.100.2", Port: 1000 + i, Protocol: "tcp", Dialed: true, Check: "tcp connect", Via: "direct",
					State: "refused", Detail: "reset"},
			}})
	}
	r.Summary = summarize(r.openings)
	w, _ := New("text", Options{})
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "✗ 6 openings filtered, refused") || strings.Count(out, "filtered: dropped") != 1 || strings.Count(out, "refused: reset") != 1 {
		t.Errorf("the group does not show each way once:\n%s", out)
	}
}
