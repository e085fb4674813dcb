// Package run is one fwcheck check, from facts to a judged report: plan (endpoints), probe
// (probe), judge (report). The CLI builds an Input from flags and calls Run; nothing here
// knows a flag.
package run

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/sysproxy"
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
	// ServiceAccountDir is where a pod's service account token is mounted (empty: the
	// kubelet's ServiceAccountDir); a worker check in a pod reads the etcd endpoint with it.
	ServiceAccountDir string
	DryRun            bool
	// Version names the fwcheck build in the report.
	Version string
	// PAC names a PAC file (a path or an http(s) URL) that picks the proxies; SystemProxy, if
	// set, reads the system's proxy settings, consulted when nothing else names a proxy. Both
	// are read as steps of the run (setUpProxy), never while the flags are parsed.
	PAC         string
	SystemProxy func() (sysproxy.Settings, error)
	// OnStart, if set, is called with the number of probes as dialing starts.
	OnStart func(total int)
	// Findings are what the CLI found wrong in the settings (a system PAC file it could not
	// fetch), reported with the run's own.
	Findings []report.Finding
	// SpoolAbove is how many openings a report holds in memory; a run with more keeps them in
	// a temporary file (0: spoolAbove; a negative number: always).
	SpoolAbove int
}

// spoolAbove is how many judged openings a run holds in memory: a catalog run has a few dozen,
// a `fwcheck probe --targets-file` may have 100,000, which go to a temporary file instead.
const spoolAbove = 2000

// Outcome is what a run found: the report (Close it when written), and the first intercepted
// TLS connection whose chain was seen, if any (for --export-ca).
type Outcome struct {
	Report      *report.Report
	Intercepted *probe.Result
	// Warnings are what went wrong on this machine without changing any verdict, for stderr.
	Warnings []string
}

// Run discovers what the kubeconfig says, plans, probes every target and judges the results.
// Its error is always bad input (a kubeconfig, a fact, a plan that cannot be made), found
// before anything is dialed. A cancelled ctx ends the probes early; the report then shows
// them skipped (interrupted).
func Run(ctx context.Context, in Input) (*Outcome, error) {
	if in.Getenv == nil {
		in.Getenv = os.Getenv
	}
	// The proxy first: the API server behind the etcd look-up goes through it too.
	pacName, proxyFindings, err := setUpProxy(ctx, &in)
	if err != nil {
		return nil, err
	}
	via, viaFor := proxyWays(in.Probe.Proxy, pacName)
	kc, err := loadKubeconfig(&in)
	if err != nil {
		return nil, err
	}
	// Where the etcd endpoint is read: the kubeconfig's API server, else the pod's own.
	findings := append(slices.Clip(in.Findings), proxyFindings...)
	var api *etcdAPI
	if kc != nil {
		api = &etcdAPI{rest: kc.REST, server: kc.Master.String(), plugin: true}
	} else {
		var found []report.Finding
		api, found = podAPI(&in)
		findings = append(findings, found...)
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
	if api != nil && !in.DryRun {
		findings = append(findings, discoverEtcd(ctx, &in, api, in.Catalog.Edition)...)
		// The etcd endpoints found (or why not) change the plan.
		if plan, err = in.Catalog.BuildPlan(in.Facts); err != nil {
			return nil, err
		}
	}
	in.Facts.Probes = nil // the plan holds them now; a list of 100,000 need not be held twice

	started := time.Now()
	host, _ := os.Hostname()
	tallies := report.NewTallies(plan)
	limit := cmp.Or(in.SpoolAbove, spoolAbove)
	meta := report.Meta{
		Version: in.Version, Started: started, Via: via, Hostname: host, DryRun: in.DryRun, ViaFor: viaFor,
		Sweeps: tallies, SourceIP: in.Probe.SourceIP, Resolver: resolverName(), Findings: findings,
		Spool: limit < 0 || plan.Len() > limit,
	}
	out := &Outcome{}
	b, err := report.NewBuilder(plan, meta)
	if err != nil {
		// A read-only container, a TMPDIR that is gone: the run still runs, in more memory.
		out.Warnings = append(out.Warnings, fmt.Sprintf("%v; the report of %d openings is held in memory instead", err, plan.Len()))
		meta.Spool = false
		b, _ = report.NewBuilder(plan, meta) // in memory: cannot fail
	}
	if !in.DryRun {
		if in.OnStart != nil {
			in.OnStart(plan.Targets())
		}
		out.Intercepted = probePlan(ctx, plan, prober, tallies, b)
	}
	if out.Report, err = b.Report(time.Since(started)); err != nil {
		return nil, err
	}
	if w := b.Warning(); w != "" {
		out.Warnings = append(out.Warnings, w)
	}
	return out, nil
}

// probePlan probes every target of every opening not skipped, sweeps included, all in one
// parallel run, and hands each opening to the builder as soon as its last probe is done: a
// report of 100,000 openings is never held as results. With --locate, the openings with drops
// wait until every probe is done, their drops are located, and they are judged then.
// A sweep's results fold into its tallies as they come. It returns the first intercepted TLS
// result that carries a chain, in plan order.
func probePlan(ctx context.Context, plan *endpoints.Plan, p *probe.Prober, tallies report.Tallies, b *report.Builder) *probe.Result {
	// Probe k of the run belongs to the opening i with starts[i] <= k < starts[i+1].
	n := plan.Len()
	starts := make([]int, n+1)
	remaining := make([]int, n)
	targets := make([]int, n) // how many of an opening's probes are targets (the rest: sweeps)
	total := 0
	for i := range n {
		t, swept := plan.Probes(i)
		starts[i], targets[i], remaining[i] = total, t, t+swept
		total += t + swept
	}
	starts[n] = total
	openingOf := func(k int) int { return sort.Search(n, func(i int) bool { return starts[i+1] > k }) }

	type finished struct {
		opening int
		results [][]probe.Result
	}
	var (
		mu          sync.Mutex
		pending     = map[int][][]probe.Result{}
		intercepted *probe.Result
		interceptAt int
	)
	judged := make(chan finished, 1024)
	var judging sync.WaitGroup
	var deferred []finished // openings with drops to locate once every probe is done
	judging.Add(1)
	go func() {
		defer judging.Done()
		for f := range judged {
			if p.LocatesDrops() && hasFiltered(f.results) {
				deferred = append(deferred, f)
				continue
			}
			b.Add(f.opening, f.results)
		}
	}()

	p.RunEach(ctx, total, func(k int) probe.Target {
		i := openingOf(k)
		return targetOf(plan.At(i), k-starts[i])
	}, func(k int, rs []probe.Result) {
		i := openingOf(k)
		j := k - starts[i]
		mu.Lock()
		for r := range rs {
			if rs[r].State == probe.TLSIntercepted && len(rs[r].Chain) > 0 && (intercepted == nil || k < interceptAt) {
				intercepted, interceptAt = &rs[r], k
			}
		}
		if j < targets[i] {
			res := pending[i]
			if res == nil {
				res = make([][]probe.Result, targets[i])
				pending[i] = res
			}
			res[j] = rs
		} else {
			tallyOf(plan.At(i), tallies[i], j-targets[i]).Add(rs...)
		}
		remaining[i]--
		var done *finished
		if remaining[i] == 0 {
			done = &finished{i, pending[i]}
			delete(pending, i)
		}
		mu.Unlock()
		if done != nil {
			judged <- *done
		}
	})
	close(judged)
	judging.Wait()
	if len(deferred) > 0 {
		// A TTL sweep needs sockets of its own, beyond the fd budget the probes were given: the
		// drops are located once every probe is done, as before the report was streamed.
		var located [][]probe.Result
		for _, f := range deferred {
			located = append(located, f.results...)
		}
		p.LocateDrops(ctx, located) // in place: the slices are the openings' own
		for _, f := range deferred {
			b.Add(f.opening, f.results)
		}
	}
	return intercepted
}

// targetOf is probe j of an opening: its targets, then its sweeps' addresses.
func targetOf(op endpoints.Opening, j int) probe.Target {
	if j < len(op.Targets) {
		return op.Targets[j]
	}
	j -= len(op.Targets)
	for _, s := range op.Sweeps {
		if j < s.Count() {
			return s.Target(j)
		}
		j -= s.Count()
	}
	panic("run: a probe beyond its opening's targets") // the numbering is the plan's own
}

// tallyOf is the tally that sweep probe j of an opening counts in: one per range and port.
func tallyOf(op endpoints.Opening, tallies []*report.Tally, j int) *report.Tally {
	base := 0
	for _, s := range op.Sweeps {
		if j < s.Count() {
			return tallies[base+j%len(s.Ports)]
		}
		j -= s.Count()
		base += len(s.Ports)
	}
	panic("run: a sweep probe beyond its opening's sweeps")
}

// hasFiltered reports whether any result is a filtered probe, whose drop --locate would find.
func hasFiltered(results [][]probe.Result) bool {
	for _, rs := range results {
		for _, r := range rs {
			if r.State == probe.Filtered {
				return true
			}
		}
	}
	return false
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
