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

// BenchmarkBuild10kSpooled judges the same openings into a spool (a temporary file), as a run
// of more than 2,000 openings does.
func BenchmarkBuild10kSpooled(b *testing.B) {
	plan, results := bigReport(b)
	b.ReportAllocs()
	for b.Loop() {
		spooled(b, plan, results).Close()
	}
}

func spooled(b *testing.B, plan *endpoints.Plan, results [][][]probe.Result) *report.Report {
	bl, err := report.NewBuilder(plan, report.Meta{Started: started, Spool: true})
	if err != nil {
		b.Fatal(err)
	}
	for i := range results {
		bl.Add(i, results[i])
	}
	r, err := bl.Report(time.Second)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkWrite10k(b *testing.B) {
	plan, results := bigReport(b)
	b.Run("memory", func(b *testing.B) {
		benchmarkWrite(b, report.Build(plan, results, report.Meta{Started: started, Elapsed: time.Second}))
	})
	b.Run("spool", func(b *testing.B) {
		r := spooled(b, plan, results)
		defer r.Close()
		benchmarkWrite(b, r)
	})
}

// benchmarkWrite writes r in every format, verbose (every opening listed).
func benchmarkWrite(b *testing.B, r *report.Report) {
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

// BenchmarkTextGrouped10k writes the default text report of bigReport: its failures grouped,
// their rules aggregated. (A grant's opening ids were once a list searched at every add: a
// 100,000-probe text report took 21 s, 5 s now.)
func BenchmarkTextGrouped10k(b *testing.B) {
	plan, results := bigReport(b)
	r := report.Build(plan, results, report.Meta{Started: started, Elapsed: time.Second})
	w, _ := report.New("text", report.Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
