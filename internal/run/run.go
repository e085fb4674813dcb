// Package run is one fwcheck check, from facts to a judged report: plan (endpoints), probe
// (probe), judge (report). The CLI builds an Input from flags and calls Run; nothing here
// knows a flag.
package run

import (
	"bufio"
	"context"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// Input is everything a run needs.
type Input struct {
	// Catalog is a catalog file's (--catalog); nil picks an embedded edition: Edition if
	// given, else the one the facts point to (endpoints.SelectEdition).
	Catalog *endpoints.Catalog
	Edition string
	Facts   endpoints.Facts
	Probe   probe.Config
	// Kubeconfig and KubeContext name where to discover the cluster's facts (empty: the
	// kubectl defaults, KUBECONFIG then ~/.kube/config, read through Getenv).
	Kubeconfig, KubeContext string
	Getenv                  func(string) string
	DryRun                  bool
	// Version names the fwcheck build in the report.
	Version string
	// Via names the way most probes go, for the report header; ViaFor the way one goes.
	Via    string
	ViaFor func(probe.Target) string
	// OnStart, if set, is called with the number of probes as dialing starts.
	OnStart func(total int)
	// Findings are what the CLI found wrong in the settings (a system PAC file it could not
	// fetch), reported with the run's own.
	Findings []report.Finding
}

// Outcome is what a run found: the report, and the raw results behind it (for --export-ca).
type Outcome struct {
	Report  *report.Report
	Results [][][]probe.Result
}

// Run discovers what the kubeconfig says, plans, probes every target and judges the results.
// Its error is always bad input (a kubeconfig, a fact, a plan that cannot be made), found
// before anything is dialed. A cancelled ctx ends the probes early; the report then shows
// them skipped (interrupted).
func Run(ctx context.Context, in Input) (*Outcome, error) {
	if in.Getenv == nil {
		in.Getenv = os.Getenv
	}
	kc, err := loadKubeconfig(&in)
	if err != nil {
		return nil, err
	}
	if in.Catalog == nil {
		if in.Catalog, err = endpoints.SelectEdition(in.Edition, &in.Facts); err != nil {
			return nil, err
		}
	}
	// Plan before any look-up dials, so that bad input never dials.
	plan, err := in.Catalog.BuildPlan(in.Facts)
	if err != nil {
		return nil, err
	}
	prober := probe.New(in.Probe)
	findings := in.Findings
	if kc != nil && !in.DryRun {
		findings = append(findings, discoverEtcd(ctx, &in, kc, in.Catalog.Edition)...)
		// The etcd endpoints found (or why not) change the plan.
		if plan, err = in.Catalog.BuildPlan(in.Facts); err != nil {
			return nil, err
		}
	}
	in.Facts.Probes = nil // the plan holds them now; a list of 100,000 need not be held twice

	started := time.Now()
	var results [][][]probe.Result
	tallies := report.NewTallies(plan)
	if !in.DryRun {
		if in.OnStart != nil {
			in.OnStart(plan.Targets())
		}
		results = probePlan(ctx, plan, prober, tallies)
	}
	host, _ := os.Hostname()
	rep := report.Build(plan, results, report.Meta{
		Version: in.Version, Started: started, Elapsed: time.Since(started), Via: in.Via,
		Hostname: host, DryRun: in.DryRun, ViaFor: in.ViaFor, Sweeps: tallies,
		SourceIP: in.Probe.SourceIP, Resolver: resolverName(), Findings: findings,
	})
	return &Outcome{Report: rep, Results: results}, nil
}

// probePlan probes every target of every opening not skipped, sweeps included, all in one
// parallel run. Plain targets' results come back per opening and target; a sweep's fold into
// its tallies as they come, so that no sweep is ever held whole.
func probePlan(ctx context.Context, plan *endpoints.Plan, p *probe.Prober, tallies [][]*report.Tally) [][][]probe.Result {
	type ref struct{ opening, target int }
	type segment struct {
		start, opening, tally int
		sweep                 endpoints.Sweep
	}
	var targets []probe.Target
	var refs []ref
	for i, op := range plan.Openings {
		if op.Skip != "" {
			continue
		}
		for j, t := range op.Targets {
			targets = append(targets, t)
			refs = append(refs, ref{i, j})
		}
	}
	total := len(targets)
	var segs []segment
	for i, op := range plan.Openings {
		if op.Skip != "" {
			continue
		}
		tally := 0
		for _, s := range op.Sweeps {
			segs = append(segs, segment{start: total, opening: i, tally: tally, sweep: s})
			total += s.Count()
			tally += len(s.Ports)
		}
	}
	segmentOf := func(i int) *segment {
		k := sort.Search(len(segs), func(k int) bool { return segs[k].start > i })
		return &segs[k-1]
	}
	flat := make([][]probe.Result, len(targets))
	p.RunEach(ctx, total, func(i int) probe.Target {
		if i < len(targets) {
			return targets[i]
		}
		s := segmentOf(i)
		return s.sweep.Target(i - s.start)
	}, func(i int, rs []probe.Result) {
		if i < len(targets) {
			flat[i] = rs
			return
		}
		s := segmentOf(i)
		tallies[s.opening][s.tally+(i-s.start)%len(s.sweep.Ports)].Add(rs...)
	})
	p.LocateDrops(ctx, flat)
	out := make([][][]probe.Result, len(plan.Openings))
	for i, op := range plan.Openings {
		if op.Skip == "" {
			out[i] = make([][]probe.Result, len(op.Targets))
		}
	}
	for k, r := range refs {
		out[r.opening][r.target] = flat[k]
	}
	return out
}

// resolverName names the DNS servers of /etc/resolv.conf, for a dns finding.
func resolverName() string {
	f, err := os.Open("/etc/resolv.conf")
	if err != nil {
		return ""
	}
	defer f.Close()
	var servers []string
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "nameserver" {
			servers = append(servers, fields[1])
		}
	}
	if len(servers) == 0 {
		return "the system resolver (/etc/resolv.conf names no nameserver)"
	}
	return "the system resolver (" + strings.Join(servers, ", ") + " from /etc/resolv.conf)"
}
