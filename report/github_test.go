package report_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// TestGitHubAnnotations: at most 9 annotations of a severity and one notice for the rest;
// properties escape %, CR, LF, ':' and ','; messages escape %, CR and LF.
func TestGitHubAnnotations(t *testing.T) {
	var openings []endpoints.Opening
	var results [][][]probe.Result
	src := netip.MustParseAddr("198.51.100.5")
	for i := range 12 {
		tg := probe.Target{Host: fmt.Sprintf("198.18.0.%d", i+1), Addr: netip.MustParseAddr(fmt.Sprintf("198.18.0.%d", i+1)), Port: 443, Check: probe.CheckTCP}
		openings = append(openings, endpoints.Opening{ID: fmt.Sprintf("id:%d,x%%", i), Required: true, Protocol: "tcp", Ports: "443", Targets: []probe.Target{tg}})
		results = append(results, [][]probe.Result{{{Target: tg, Address: tg.Addr, Source: src, Via: probe.Direct, State: probe.Filtered, Reason: "filtered-timeout"}}})
	}
	w, _ := report.New("github", report.Options{})
	var b strings.Builder
	plan := endpoints.NewPlan(endpoints.Adhoc, openings...)
	if err := w.Write(&b, report.Build(plan, results, report.Meta{})); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var errs, notices int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "::error "):
			errs++
		case strings.HasPrefix(l, "::notice "):
			notices++
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	if errs != 9 || notices != 2 || !strings.Contains(b.String(), "::notice title=fwcheck::3 more errors") {
		t.Errorf("%d errors, %d notices:\n%s", errs, notices, b.String())
	}
	if want := "::error title=fwcheck%3A id%3A0%2Cx%25 missing::allow tcp from 198.51.100.5 to 198.18.0.1 port 443"; lines[0] != want {
		t.Errorf("first line = %q; want %q", lines[0], want)
	}
}
