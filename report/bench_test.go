package report_test

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// bigReport is 10,000 ad-hoc probes: 1,000 addresses × 10 ports, states as in the lab benchmark.
func bigReport(b *testing.B) (*endpoints.Plan, [][][]probe.Result) {
	b.Helper()
	var targets []string
	a := netip.MustParseAddr("198.18.192.0")
	ports := []uint16{443, 8443, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}
	for i := 0; i < 1000; i++ {
		for _, p := range ports {
			targets = append(targets, netip.AddrPortFrom(a, p).String())
		}
		a = a.Next()
	}
	c, _ := endpoints.Embedded()
	plan, err := c.BuildPlan(endpoints.Facts{Profile: endpoints.Adhoc, Probes: targets})
	if err != nil {
		b.Fatal(err)
	}
	src := netip.MustParseAddr("198.18.1.2")
	results := make([][][]probe.Result, plan.Len())
	for i, o := range plan.All() {
		t := o.Targets[0]
		r := probe.Result{Target: t, Address: t.Addr, Source: src, Via: "direct", State: probe.Open, Reason: "open",
			Detail: "TCP handshake completed", Elapsed: 3 * time.Millisecond, Attempts: 1}
		switch {
		case i/10%10 == 5:
			r.State, r.Reason, r.Detail = probe.Filtered, "filtered-timeout", "no answer to the connection attempt within the timeout: a firewall drops the packets"
		case i%10 >= 2:
			r.State, r.Reason, r.Detail = probe.Refused, "refused", "connection refused (TCP reset or ICMP port unreachable): nothing listens, or a firewall rejects with a reset"
		}
		results[i] = [][]probe.Result{{r}}
	}
	return plan, results
}

func BenchmarkBuild10k(b *testing.B) {
	plan, results := bigReport(b)
	b.ReportAllocs()
	for b.Loop() {
		report.Build(plan, results, report.Meta{Started: started})
	}
}

func BenchmarkWrite10k(b *testing.B) {
	plan, results := bigReport(b)
	r := report.Build(plan, results, report.Meta{Started: started, Elapsed: time.Second})
	for _, format := range report.Formats() {
		if format == "frame" {
			continue // a frame holds at most 1 MiB by design (one node's report): 10,000 probes are refused
		}
		b.Run(format, func(b *testing.B) {
			w, _ := report.New(format, report.Options{Verbose: true})
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Write(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
