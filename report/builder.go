package report

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
)

// Meta is what the report needs besides the plan and the results.
type Meta struct {
	Version  string
	Started  time.Time
	Elapsed  time.Duration
	Via      string
	Hostname string
	DryRun   bool
	// ViaFor, if non-nil, names the way a planned target would go (a dry run dials nothing,
	// so no result says it).
	ViaFor func(probe.Target) string
	// Sweeps are the tallies of the plan's sweeps (NewTallies): Sweeps[i] for opening i.
	Sweeps Tallies
	// Spool keeps the judged openings in a temporary file rather than in memory, for runs of
	// many thousand openings; the report must then be closed (Close).
	Spool bool
	// SourceIP, if valid, is the address every probe left from (--source-ip).
	SourceIP netip.Addr
	// Resolver names the DNS servers the run used, for a dns finding.
	Resolver string
	// Findings are the run's own findings (discovery), listed before the probes'.
	Findings []Finding
}

// Builder judges a plan's openings one at a time, as their probes finish, and makes the report
// when the run is over. Only what the report's head needs (counts, source addresses, findings)
// is kept as it goes; with Meta.Spool the judged openings go to a temporary file, so that a run
// of 100,000 probes holds the probes in flight and not the report.
type Builder struct {
	plan *endpoints.Plan
	m    Meta

	mu       sync.Mutex
	added    []bool
	store    openingStore
	sources  []string
	findings findingSet
	summary  Summary
	err      error
}

// openingStore holds judged openings by their index in the plan, and hands them to the report
// at the end. An opening put pending waits for the run's source addresses (src) to have its
// rule (ruleOf); the others are kept as they are.
type openingStore interface {
	put(i int, o *Opening, pending bool) error
	finish(r *Report, src string) error
	close() error
	// warning says what went wrong keeping the openings without changing any ("" if nothing).
	warning() string
}

// memoryStore holds the openings in the report itself.
type memoryStore struct {
	openings []Opening
	pending  []int
}

func (s *memoryStore) put(i int, o *Opening, pending bool) error {
	s.openings[i] = *o
	if pending {
		s.pending = append(s.pending, i)
	}
	return nil
}

func (s *memoryStore) finish(r *Report, src string) error {
	r.openings = s.openings
	for _, i := range s.pending {
		r.openings[i].Rule, _ = ruleOf(&r.openings[i], src)
	}
	return nil
}

func (s *memoryStore) close() error    { return nil }
func (s *memoryStore) warning() string { return "" }

// NewBuilder starts the report of plan. Its error is the spool's: a temporary file that could
// not be made.
func NewBuilder(plan *endpoints.Plan, m Meta) (*Builder, error) {
	b := &Builder{plan: plan, m: m, added: make([]bool, plan.Len()), summary: Summary{Openings: plan.Len()}}
	if !m.Spool {
		b.store = &memoryStore{openings: make([]Opening, plan.Len())}
		return b, nil
	}
	sp, err := newSpool(plan.Len())
	if err != nil {
		return nil, err
	}
	b.store = sp
	return b, nil
}

// Add judges opening i from its targets' results (res[j] for target j; nil for an opening
// not run) and its sweeps' tallies (Meta.Sweeps). It is safe to call from many goroutines;
// an opening added twice keeps its first verdict.
func (b *Builder) Add(i int, res [][]probe.Result) {
	o, pending := judge(b.plan.At(i), res, b.m.Sweeps[i], b.m) // a nil map has no tallies
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.added[i] {
		return
	}
	b.added[i] = true
	for j, p := range o.Probes {
		if p.Source != "" && !slices.Contains(b.sources, p.Source) {
			b.sources = append(b.sources, p.Source)
		}
		b.findings.add(p, seenAt{i, j})
	}
	b.summary.add(&o)
	if b.err == nil {
		b.err = b.store.put(i, &o, pending)
	}
}

// Warning says what went wrong keeping the report on this machine, without changing any
// verdict ("" if nothing): a temporary file that filled up, its remaining openings held in memory.
func (b *Builder) Warning() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.store.warning()
}

// Report finishes the report, the run having taken elapsed. An opening never added is judged
// now without results: an absence is never a pass.
func (b *Builder) Report(elapsed time.Duration) (*Report, error) {
	for i := range b.added {
		if !b.added[i] {
			b.Add(i, nil)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	plan, m := b.plan, b.m
	r := &Report{
		Schema: Schema, Tool: Tool{Version: m.Version, Catalog: plan.Edition},
		Profile: string(plan.Profile), Region: plan.Region, Started: m.Started.UTC(),
		ElapsedMS: elapsed.Milliseconds(), Via: cmp.Or(m.Via, probe.Direct), DryRun: m.DryRun,
		Source: Source{Hostname: m.Hostname, Addresses: slices.Sorted(slices.Values(b.sources))}, Notes: plan.Notes,
		Summary: b.summary,
	}
	if r.Source.Addresses == nil {
		r.Source.Addresses = []string{}
	}
	// A rule names the source this machine used; where a probe could not say (a range not
	// dialed), the run's own addresses stand for it.
	src := "<this host>"
	switch {
	case m.SourceIP.IsValid():
		src = m.SourceIP.String()
	case len(r.Source.Addresses) > 0:
		src = strings.Join(r.Source.Addresses, ", ")
	}
	if b.err == nil {
		b.err = b.store.finish(r, src)
	}
	if b.err != nil {
		b.store.close()
		return nil, fmt.Errorf("keeping the report: %w", b.err)
	}
	r.Findings = b.findings.list(m.Findings, m.Resolver)
	for _, a := range plan.Allow {
		r.AllowFrom = append(r.AllowFrom, Allowance{Name: a.Name, Reason: a.Reason, Sources: a.Sources,
			Destinations: a.Destinations, Ports: a.Ports,
			Rule: fmt.Sprintf("allow %s from %s to %s port %s", a.Protocol, strings.Join(a.Sources, ", "), strings.Join(a.Destinations, ", "), a.Ports)})
	}
	return r, nil
}
