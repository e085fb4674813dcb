package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// loadCatalog reads --catalog, or the embedded catalog. Any problem is bad input.
func loadCatalog(file string) (*endpoints.Catalog, error) {
	if file == "" {
		c, err := endpoints.Embedded()
		if err != nil {
			return nil, usageError{err}
		}
		return c, nil
	}
	data, err := readCapped(file, maxCatalogBytes)
	if err != nil {
		return nil, badInput("--catalog: %v", err)
	}
	c, err := endpoints.Parse(file, data)
	if err != nil {
		return nil, usageError{fmt.Errorf("--catalog: %w", err)}
	}
	return c, nil
}

// check runs one check command: plan, probe, report. Flags → endpoints → probe → report → exit.
func check(ctx context.Context, o *options, stdout, stderr io.Writer) (int, error) {
	cat, err := loadCatalog(o.catalogFile)
	if err != nil {
		return exitBadRun, err
	}
	var bar *progress
	if !o.dryRun {
		if bar = newProgress(stderr, o.quiet); bar != nil {
			o.probe.OnTargetDone = bar.observe
			defer bar.finish()
		}
	}
	prober := probe.New(o.probe)
	if err := discover(ctx, o, prober); err != nil {
		return exitBadRun, err
	}
	plan, err := cat.BuildPlan(o.facts)
	if err != nil {
		return exitBadRun, usageError{err}
	}
	o.facts.Probes = nil // the plan holds them now; a list of 100,000 need not be held twice
	sinks, err := openOutputs(o, stdout)
	if err != nil {
		return exitBadRun, err
	}
	defer discard(sinks)

	started := time.Now()
	var results [][][]probe.Result
	tallies := report.NewTallies(plan)
	if !o.dryRun {
		if bar != nil {
			bar.start(plan.Targets())
		}
		results = runPlan(ctx, plan, prober, tallies)
		if bar != nil {
			bar.finish()
		}
	}
	host, _ := os.Hostname()
	v, _ := versionString()
	rep := report.Build(plan, results, report.Meta{
		Version: v, Started: started, Elapsed: time.Since(started), Via: o.via(),
		Hostname: host, DryRun: o.dryRun, ViaFor: o.viaFor, Sweeps: tallies,
		SourceIP: o.probe.SourceIP, Resolver: resolverName(), Findings: o.findings,
	})
	for _, s := range sinks {
		if err := s.write(stdout, rep); err != nil {
			fmt.Fprintf(stderr, "fwcheck: writing the %s report to %s: %v\n", s.format, s.name, err)
			return exitBadRun, nil
		}
	}
	if o.exportCA != "" && !o.dryRun {
		msg, err := exportCA(o.exportCA, results)
		if err != nil {
			fmt.Fprintf(stderr, "fwcheck: %v\n", err)
			return exitBadRun, nil
		}
		fmt.Fprintf(stderr, "fwcheck: %s\n", msg)
	}
	if ctx.Err() != nil {
		code := interruptedCode(ctx)
		fmt.Fprintf(stderr, "fwcheck: interrupted (%s); the report is partial: the probes that did not finish are skipped (interrupted)\n", interruptedBy(ctx))
		return code, nil
	}
	return rep.ExitCode(o.strict), nil
}

// runPlan probes every target of every opening not skipped, sweeps included, all in one
// parallel run. Plain targets' results come back per opening and target; a sweep's fold into
// its tallies as they come, so that no sweep is ever held whole.
func runPlan(ctx context.Context, plan *endpoints.Plan, p *probe.Prober, tallies [][]*report.Tally) [][][]probe.Result {
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

// allowsColor decides colour once for a destination: a terminal, no NO_COLOR, not TERM=dumb,
// and no --no-color.
func allowsColor(w io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
