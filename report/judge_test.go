package report_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

func sweepPlan() *endpoints.Plan {
	rng := netip.MustParsePrefix("198.18.7.0/30")
	return endpoints.NewPlan(endpoints.Worker, []endpoints.Opening{{
		ID: "private", Required: true, Protocol: "tcp", Ports: "443", Destinations: []string{rng.String()},
		Sweeps: []endpoints.Sweep{{Range: rng, Ports: []uint16{443}}},
	}}...)
}

// TestSweepVerdicts: one completed handshake proves a range; resets alone leave it
// unverified (a rejecting firewall sends them too); the entry counts states, not addresses.
func TestSweepVerdicts(t *testing.T) {
	src := netip.MustParseAddr("198.51.100.5")
	cases := []struct {
		name   string
		states []probe.State
		state  string
		status string
	}{
		{"one answer proves it", []probe.State{probe.Refused, probe.Open, probe.Filtered, probe.Refused}, "open", report.Verified},
		{"resets alone prove nothing", []probe.State{probe.Refused, probe.Refused, probe.Refused, probe.Refused}, "unverified", report.Warning},
		{"resets and drops", []probe.State{probe.Refused, probe.Filtered, probe.Filtered, probe.Filtered}, "unverified", report.Warning},
		{"all dropped", []probe.State{probe.Filtered, probe.Filtered, probe.Filtered, probe.Filtered}, "filtered", report.Missing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := sweepPlan()
			tallies := report.NewTallies(plan)
			s := plan.At(0).Sweeps[0]
			for i, st := range tc.states {
				tg := s.Target(i)
				tallies[0][0].Add(probe.Result{Target: tg, Address: tg.Addr, Source: src, Via: probe.Direct, State: st, Reason: string(st)})
			}
			r := report.Build(plan, [][][]probe.Result{{}}, report.Meta{Sweeps: tallies})
			o := openingsOf(t, r)[0]
			if len(o.Probes) != 1 {
				t.Fatalf("%d entries; want one per swept range and port", len(o.Probes))
			}
			p := o.Probes[0]
			if p.State != tc.state || o.Status != tc.status || p.Sweep == nil || p.Sweep.Addresses != 4 || p.Host != "198.18.7.0/30" {
				t.Errorf("state %s, status %s, sweep %+v, host %s; want %s, %s over 4 addresses", p.State, o.Status, p.Sweep, p.Host, tc.state, tc.status)
			}
			if tc.state == "unverified" && (!strings.Contains(p.Detail, "reset") || p.Reason != "unverified:resets-only") {
				t.Errorf("detail %q (%s) does not say why resets prove nothing", p.Detail, p.Reason)
			}
			if tc.status != report.Verified && !strings.Contains(o.Rule, "from 198.51.100.5 to 198.18.7.0/30 port 443") {
				t.Errorf("rule = %q", o.Rule)
			}
		})
	}
}

// TestNoVerdictFromAbsence: a planned opening that got no result is never verified.
func TestNoVerdictFromAbsence(t *testing.T) {
	plan := endpoints.NewPlan(endpoints.Adhoc, []endpoints.Opening{
		{ID: "no-result", Required: true, Protocol: "tcp", Ports: "443",
			Targets: []probe.Target{{Host: "198.18.0.1", Addr: netip.MustParseAddr("198.18.0.1"), Port: 443, Check: probe.CheckTCP}}},
		{ID: "no-probe", Required: true, Protocol: "tcp", Ports: "443"},
	}...)
	for _, results := range [][][][]probe.Result{nil, {{nil}, {}}, {{{}}, nil}} {
		r := report.Build(plan, results, report.Meta{})
		for _, o := range openingsOf(t, r) {
			if o.Status != report.Missing || o.Probes[0].State != "local-error" {
				t.Errorf("%s with results %v: %s / %s; want missing with a local-error", o.ID, results, o.Status, o.Probes[0].State)
			}
		}
		if r.ExitCode(false) != 1 {
			t.Errorf("exit %d; want 1", r.ExitCode(false))
		}
	}
}

// TestFindingsGrouped: DNS, proxy, local and interrupted failures are one finding per kind
// (per proxy), listed in a fixed order; only the firewall's failure becomes a rule, from the
// source the probe used.
func TestFindingsGrouped(t *testing.T) {
	tg := func(host string, port uint16) probe.Target {
		return probe.Target{Host: host, Port: port, Check: probe.CheckTCP}
	}
	src := netip.MustParseAddr("198.51.100.5")
	res := func(t probe.Target, st probe.State, reason, via string) probe.Result {
		return probe.Result{Target: t, State: st, Reason: reason, Via: via, Detail: reason, Source: src}
	}
	targets := []probe.Target{tg("a.example", 443), tg("b.example", 443), tg("c.example", 443), tg("d.example", 443), tg("e.example", 443), tg("198.18.0.9", 443)}
	var openings []endpoints.Opening
	for _, t := range targets {
		openings = append(openings, endpoints.Opening{ID: t.Host, Required: true, Protocol: "tcp", Ports: "443", Targets: []probe.Target{t}})
	}
	plan := endpoints.NewPlan(endpoints.Adhoc, openings...)
	results := [][][]probe.Result{
		{{res(targets[0], probe.DNSError, "dns-nxdomain", "direct")}},
		{{res(targets[1], probe.DNSError, "dns-timeout", "direct")}},
		{{res(targets[2], probe.ProxyError, "proxy-unreachable:refused", "http://proxy:3128")}},
		{{res(targets[3], probe.LocalError, "local-error", "direct")}},
		{{res(targets[4], probe.Skipped, probe.ReasonInterrupted, "direct")}},
		{{res(targets[5], probe.Filtered, "filtered-timeout", "direct")}},
	}
	r := report.Build(plan, results, report.Meta{Resolver: "the test resolver"})
	var kinds []string
	for _, f := range r.Findings {
		kinds = append(kinds, f.Kind)
	}
	if strings.Join(kinds, ",") != "interrupted,local,dns,proxy" {
		t.Errorf("finding kinds = %v", kinds)
	}
	if f := r.Findings[2]; len(f.Targets) != 2 || !strings.Contains(f.Summary, "the test resolver") {
		t.Errorf("dns finding = %+v; want both names and the resolver", f)
	}
	for _, o := range openingsOf(t, r) {
		wantRule := o.ID == "198.18.0.9"
		if (o.Rule != "") != wantRule {
			t.Errorf("%s: rule %q", o.ID, o.Rule)
		}
	}
	if o := openingsOf(t, r)[5]; o.Rule != "allow tcp from 198.51.100.5 to 198.18.0.9 port 443" {
		t.Errorf("rule = %q", o.Rule)
	}
	if o := openingsOf(t, r)[4]; o.Status != report.Skipped {
		t.Errorf("interrupted opening = %s; want skipped", o.Status)
	}
}
