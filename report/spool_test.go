package report_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// adhocRun is n ad-hoc openings; every tenth is refused, the rest open.
func adhocRun(n int) (*endpoints.Plan, [][][]probe.Result) {
	src := netip.MustParseAddr("198.51.100.5")
	var openings []endpoints.Opening
	var results [][][]probe.Result
	a := netip.MustParseAddr("198.18.0.1")
	for i := range n {
		tg := probe.Target{Host: a.String(), Addr: a, Port: 443, Check: probe.CheckTCP}
		openings = append(openings, endpoints.Opening{ID: fmt.Sprintf("probe-%d", i+1), Section: "adhoc", Title: "tcp " + a.String() + ":443",
			Required: true, Protocol: "tcp", Ports: "443", Destinations: []string{a.String()}, Targets: []probe.Target{tg}})
		r := probe.Result{Target: tg, Address: a, Source: src, Via: probe.Direct, State: probe.Open, Reason: "open", Detail: "TCP handshake completed"}
		if i%10 == 9 {
			r.State, r.Reason, r.Detail = probe.Refused, "refused", "the target answered with a reset"
		}
		results = append(results, [][]probe.Result{{r}})
		a = a.Next()
	}
	return endpoints.NewPlan(endpoints.Adhoc, openings...), results
}

// TestSpoolLeavesNoFile: the spool is unlinked as soon as it is made, so that neither a run
// nor a crash leaves a report behind in TMPDIR; the report still reads back whole.
func TestSpoolLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	plan, results := adhocRun(300)
	r := build(t, plan, results, report.Meta{}, true)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the spool left %d file(s) in TMPDIR", len(entries))
	}
	n := 0
	err := r.Each(func(o report.Opening) error {
		n++
		if want := fmt.Sprintf("probe-%d", n); o.ID != want {
			return fmt.Errorf("opening %d is %s, want %s (plan order)", n, o.ID, want)
		}
		return nil
	})
	if err != nil || n != 300 || r.Len() != 300 {
		t.Errorf("read back %d of %d openings: %v", n, r.Len(), err)
	}
	if s := r.Summary; s.Verified != 270 || s.Missing != 30 || s.Probes != 300 {
		t.Errorf("summary %+v; want 270 verified, 30 missing, 300 probes", s)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

// TestTextCountsWhatPassed: the text report lists every missing opening (those that failed the
// same way as one entry, without -v), names the first
// maxListed verified ones and counts the rest, as nmap counts the ports it does not show;
// -v lists them all. Spooled or not, it says the same.
func TestTextCountsWhatPassed(t *testing.T) {
	plan, results := adhocRun(250)
	for _, spool := range []bool{false, true} {
		r := build(t, plan, results, report.Meta{}, spool)
		for _, verbose := range []bool{false, true} {
			w, _ := report.New("text", report.Options{Verbose: verbose})
			var b bytes.Buffer
			if err := w.Write(&b, r); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			verified, missing := strings.Count(out, "  ✓ probe-"), strings.Count(out, "  ✗ probe-")
			// Without -v the 25 openings that failed the same way are one entry.
			wantVerified, wantMissing, more := 100, 0, "... and 125 more verified (-v lists every one; -o json has them all)"
			if verbose {
				wantVerified, wantMissing, more = 225, 25, ""
			}
			grouped := strings.Contains(out, "✗ 25 openings refused")
			if verified != wantVerified || missing != wantMissing || grouped == verbose || !strings.Contains(out, "VERIFIED (225)") || more != "" && !strings.Contains(out, more) {
				t.Errorf("spool %v, verbose %v: %d verified and %d missing listed (want %d and %d, %q):\n%s", spool, verbose, verified, missing, wantVerified, wantMissing, more, out)
			}
		}
	}
}

// TestFrameOfSpooledReport: a spooled report frames as the same JSON as one in memory, and one
// too large for a frame says so without being read whole.
func TestFrameOfSpooledReport(t *testing.T) {
	frame := func(r *report.Report) (string, error) {
		w, _ := report.New("frame", report.Options{})
		var b bytes.Buffer
		err := w.Write(&b, r)
		return b.String(), err
	}
	plan, results := adhocRun(20)
	mem, err1 := frame(build(t, plan, results, report.Meta{}, false))
	spooled, err2 := frame(build(t, plan, results, report.Meta{}, true))
	if err1 != nil || err2 != nil || mem != spooled {
		t.Errorf("frames differ (%v, %v):\n%s\n%s", err1, err2, mem, spooled)
	}
	plan, results = adhocRun(10000)
	if _, err := frame(build(t, plan, results, report.Meta{}, true)); err == nil || !strings.Contains(err.Error(), "more than a frame holds") {
		t.Errorf("a frame of 10,000 openings: %v; want too large", err)
	}
}
