// Package report turns a plan and its probe results into what they mean (which openings are
// verified, missing or in doubt, and the firewall rules to request) and writes that as text,
// JSON, JUnit, Markdown or bare rules.
package report

import (
	"cmp"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
)

// Schema names the JSON report format; it changes only with an incompatible change.
const Schema = "fwcheck.report/v1"

// Opening statuses.
const (
	Verified = "verified"
	Missing  = "missing"
	Warning  = "warning"
	Skipped  = "skipped"
)

// Report is the whole result of a run; its JSON form is schema fwcheck.report/v1.
type Report struct {
	Schema    string    `json:"schema"`
	Tool      Tool      `json:"tool"`
	Profile   string    `json:"profile"`
	Region    string    `json:"region"`
	Started   time.Time `json:"started"`
	ElapsedMS int64     `json:"elapsed_ms"`
	Via       string    `json:"via"`
	Source    Source    `json:"source"`
	DryRun    bool      `json:"dry_run,omitempty"`
	Notes     []string  `json:"notes,omitempty"`
	Summary   Summary   `json:"summary"`
	// Findings are the causes that are not the firewall (DNS, the proxy, this machine, an
	// interrupted run, discovery): read them before the rules.
	Findings []Finding `json:"findings"`
	// AllowFrom are allowances from outside that no probe can make (the Ingress health
	// checks' sources): requests of their own, never warnings.
	AllowFrom []Allowance `json:"allow_from,omitempty"`
	// Vantages are the machines a merged report was made from (fwcheck merge, nodes).
	Vantages []Vantage `json:"vantages,omitempty"`
	// Openings are the judged openings, in plan order, unless the report is spooled: read
	// them with Each, which serves both.
	Openings []Opening `json:"openings"`

	spool *spool
}

// Allowance is a list of sources a firewall must let in to some destinations.
type Allowance struct {
	Name         string   `json:"name"`
	Reason       string   `json:"reason"`
	Rule         string   `json:"rule"`
	Sources      []string `json:"sources"`
	Destinations []string `json:"destinations"`
	Ports        string   `json:"ports"`
}

// Tool names the fwcheck build and catalog edition that made the report.
type Tool struct {
	Version string `json:"version"`
	Catalog string `json:"catalog"`
}

// Source is where the probes left from.
type Source struct {
	Hostname  string   `json:"hostname"`
	Addresses []string `json:"addresses"`
}

// Summary counts openings by status, computed once when the report is built.
type Summary struct {
	Openings int `json:"openings"`
	Verified int `json:"verified"`
	Missing  int `json:"missing"`
	Warnings int `json:"warnings"`
	Skipped  int `json:"skipped"`
	Probes   int `json:"probes"`
}

// Opening is one opening of the plan with its verdict.
type Opening struct {
	ID           string   `json:"id"`
	Group        string   `json:"group"`
	Section      string   `json:"section"`
	Title        string   `json:"title"`
	Reason       string   `json:"reason,omitempty"`
	Direction    string   `json:"direction"`
	Protocol     string   `json:"protocol"`
	Ports        string   `json:"ports"`
	Destinations []string `json:"destinations"`
	Required     bool     `json:"required"`
	Status       string   `json:"status"`
	// Rule is the firewall rule to request: only what failed, from the source this machine
	// used. Empty for a verified opening.
	Rule string `json:"rule"`
	// Findings names the kinds of the report's findings behind this opening's failures; an
	// opening that failed only through them has no rule.
	Findings []string `json:"findings,omitempty"`
	Note     string   `json:"note,omitempty"`
	// Cells is a merged opening's status from each vantage (by vantage name).
	Cells  map[string]string `json:"vantage_status,omitempty"`
	Probes []Probe           `json:"probes"`

	// planned is true when the opening is (or, in a dry run, would be) probed.
	planned bool
}

// Probe is one probe's outcome.
type Probe struct {
	Host     string `json:"host"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Via      string `json:"via"`
	Check    string `json:"check"`
	// Dialed is false for a target that cannot be dialed from this side (a port range with no
	// listener, a range without --sweep): it stands for an unproven part of the opening.
	Dialed    bool    `json:"dialed"`
	State     string  `json:"state"`
	OK        bool    `json:"ok"`
	Reason    string  `json:"reason,omitempty"`
	Detail    string  `json:"detail"`
	Warning   string  `json:"warning,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
	// SYNs and WaitedMS say, for a filtered probe, how many SYNs went unanswered and how long
	// fwcheck waited for an answer.
	SYNs     int     `json:"syns,omitempty"`
	WaitedMS float64 `json:"waited_ms,omitempty"`
	// ProxySource says where the proxy (or a PAC file's DIRECT) came from: flag, pac, env or
	// system; Attempts lists the entries of a PAC failover list tried before Via.
	ProxySource string               `json:"proxy_source,omitempty"`
	Attempts    []probe.ProxyAttempt `json:"attempts,omitempty"`
	// ProxyAuth names the scheme that authenticated to the proxy: Negotiate, NTLM or Basic.
	ProxyAuth string `json:"proxy_auth,omitempty"`
	// Vantage names the machine the probe was made from, in a merged report.
	Vantage string `json:"vantage,omitempty"`
	// Proof is "proxy" when an open TCP-only probe rests on the proxy's word alone: the
	// proxy reported the tunnel open and nothing beyond it spoke.
	Proof string `json:"proof,omitempty"`
	// Sweep, for a swept range, counts its addresses by state; Host is the range.
	Sweep *SweepStats `json:"sweep,omitempty"`

	severity probe.Severity
	source   string
	finding  string
}

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

// Build judges every opening of plan from results, where results[i][j] holds the results of
// target j of opening i (nil for an opening not run), holding the report in memory.
func Build(plan *endpoints.Plan, results [][][]probe.Result, m Meta) *Report {
	m.Spool = false
	b, _ := NewBuilder(plan, m) // a builder in memory cannot fail
	for i := range plan.Len() {
		var res [][]probe.Result
		if i < len(results) {
			res = results[i]
		}
		b.Add(i, res)
	}
	r, _ := b.Report(m.Elapsed)
	return r
}

// unknownSource stands in a rule for a source no probe named, until the report knows the run's.
const unknownSource = "\x00source\x00"

func summarize(openings []Opening) Summary {
	s := Summary{Openings: len(openings)}
	for i := range openings {
		s.add(&openings[i])
	}
	return s
}

// add counts one opening's status and probes (not the opening itself).
func (s *Summary) add(o *Opening) {
	switch o.Status {
	case Verified:
		s.Verified++
	case Missing:
		s.Missing++
	case Warning:
		s.Warnings++
	case Skipped:
		s.Skipped++
	}
	if o.planned {
		for _, p := range o.Probes {
			if p.Sweep != nil {
				s.Probes += p.Sweep.Addresses // a swept range is one entry for all its probes
			} else {
				s.Probes++
			}
		}
	}
}

// ExitCode is 0 when every required opening is verified (warnings too under strict), else 1.
func (r *Report) ExitCode(strict bool) int {
	if r.Summary.Missing > 0 || strict && r.Summary.Warnings > 0 {
		return 1
	}
	return 0
}

func judge(po endpoints.Opening, res [][]probe.Result, tallies []*Tally, m Meta) Opening {
	dryRun := m.DryRun
	o := Opening{
		ID: po.ID, Group: po.Group, Section: po.Section, Title: po.Title, Reason: po.Reason, Direction: po.Direction,
		Protocol: po.Protocol, Ports: po.Ports, Destinations: po.Destinations, Required: po.Required,
		Probes: []Probe{}, planned: po.Skip == "",
	}
	if o.Destinations == nil {
		o.Destinations = []string{}
	}
	if po.Skip != "" || dryRun {
		o.Status, o.Note = Skipped, po.Skip
		if dryRun && po.Skip == "" {
			o.Note = DryRunNote
		}
		for _, t := range po.Targets {
			p := plannedProbe(t)
			if m.ViaFor != nil && t.Check != probe.CheckNone {
				p.Via = m.ViaFor(t)
			}
			o.Probes = append(o.Probes, p)
		}
		o.Probes = append(o.Probes, plannedSweeps(po, m.ViaFor)...)
		if po.Skip == "" {
			o.Rule = rule(o.Protocol, unknownSource, o.Destinations, o.Ports)
		}
		return o
	}
	o.Probes = make([]Probe, 0, len(po.Targets)+len(tallies))
	for j, t := range po.Targets {
		var rs []probe.Result
		if j < len(res) {
			rs = res[j]
		}
		if len(rs) == 0 {
			// A target without a result was never proven: say so, loudly, never pass it.
			rs = []probe.Result{{Target: t, Address: t.Addr, Via: probe.Direct, State: probe.LocalError, Reason: "local-error:no-result",
				Detail: "the probe ended without a result (a bug in fwcheck: please report it)"}}
		}
		for _, pr := range rs {
			o.Probes = append(o.Probes, judgeProbe(po, pr))
		}
	}
	for _, t := range tallies {
		sum, stats := t.verdict()
		p := toProbe(sum)
		p.Host, p.Address, p.Sweep = t.Range.String(), "", stats
		o.Probes = append(o.Probes, p)
	}
	if len(o.Probes) == 0 {
		o.Probes = append(o.Probes, toProbe(probe.Result{Target: probe.Target{Check: probe.CheckNone}, Via: probe.Direct,
			State: probe.LocalError, Reason: "local-error:no-probe",
			Detail: "no probe was planned for this opening, so nothing proves it (a bug in fwcheck or the catalog)"}))
	}
	o.Status = status(o)
	for _, p := range o.Probes {
		if p.severity != probe.Pass && p.finding != "" {
			o.Findings = appendNew(o.Findings, p.finding)
		}
	}
	switch o.Status {
	case Missing, Warning:
		o.Rule = failedRule(o)
	case Skipped:
		o.Note = "the run was interrupted before this opening was proven"
	}
	return o
}

// judgeProbe turns one result into a report entry, flagging an address outside the ranges
// the page documents for the name (drift).
func judgeProbe(po endpoints.Opening, pr probe.Result) Probe {
	p := toProbe(pr)
	if len(po.Documented) > 0 && pr.Address.IsValid() && !inAny(pr.Address, po.Documented) {
		p.Warning = fmt.Sprintf("%s resolves to %s, outside the addresses the page documents for it (%s): the page has drifted; request %s too",
			pr.Target.Host, pr.Address, prefixList(po.Documented), pr.Address)
		if p.severity == probe.Pass {
			p.severity = probe.Warn
		}
	}
	return p
}

// status is the opening's verdict: any failure makes it missing (a warning when optional);
// it is verified only when something passed and nothing failed, warned or was cut short.
func status(o Opening) string {
	var fail, warn, pass, interrupted bool
	for _, p := range o.Probes {
		switch p.severity {
		case probe.Fail:
			fail = true
		case probe.Warn:
			warn = true
		case probe.Pass:
			pass = true
		default:
			interrupted = interrupted || p.finding == FindingInterrupted
			// Not dialed because this machine cannot (the source's other family): unproven.
			fail = fail || p.finding == FindingLocal
		}
	}
	if pass && !interrupted && !warn {
		// Some address proved the opening; one the bound source cannot reach does not undo it.
		fail = slices.ContainsFunc(o.Probes, func(p Probe) bool { return p.severity == probe.Fail })
	}
	switch {
	case fail && o.Required:
		return Missing
	case fail || warn:
		return Warning
	case pass && !interrupted:
		return Verified
	default:
		return Skipped
	}
}

func toProbe(pr probe.Result) Probe {
	t := pr.Target
	p := Probe{
		Host: t.Name(), Port: int(t.Port), Protocol: t.Network(), Via: cmp.Or(pr.Via, probe.Direct),
		Check: t.Description(), Dialed: t.Check != probe.CheckNone, State: string(pr.State), OK: pr.OK(), Reason: pr.Reason,
		Detail:    pr.Detail,
		ElapsedMS: float64(pr.Elapsed.Microseconds()) / 1000,
		severity:  pr.State.Severity(),
	}
	if p.severity != probe.Pass {
		p.finding = findingKind(pr.State, pr.Reason)
	}
	p.ProxySource, p.Attempts, p.ProxyAuth, p.Proof = pr.ProxySource, pr.Tried, pr.ProxyAuth, pr.Proof
	if pr.State == probe.Filtered && pr.SYNs > 0 {
		p.SYNs, p.WaitedMS = pr.SYNs, p.ElapsedMS
	}
	if pr.Address.IsValid() {
		p.Address = pr.Address.String()
	}
	if pr.Source.IsValid() {
		p.source = pr.Source.String()
	}
	if t.Check == probe.CheckNone {
		p.Host, p.Protocol = rangeName(t), ""
	}
	return p
}

func plannedProbe(t probe.Target) Probe {
	p := toProbe(probe.Result{Target: t, Address: t.Addr, State: probe.Skipped, Reason: "skipped", Detail: t.Note})
	if t.Check == probe.CheckNone {
		p.Detail = t.Note
	}
	return p
}

func rangeName(t probe.Target) string {
	if t.Range.IsValid() {
		return t.Range.String()
	}
	return t.Host
}

// failedRule names only the destinations and ports that failed (or could not be proven) at
// the firewall, from the source addresses this machine used; failures with a finding behind
// them (DNS, the proxy, this machine) are no rule.
func failedRule(o Opening) string {
	var dests, ports, sources []string
	for _, p := range o.Probes {
		if p.severity == probe.Pass || p.severity == probe.NotRun || p.finding != "" {
			continue
		}
		if !p.Dialed {
			// An unprovable range stands for the opening's whole port list.
			dests = appendNew(dests, cmp.Or(p.Host, strings.Join(o.Destinations, ", ")))
			ports = appendNew(ports, o.Ports)
			continue
		}
		dests = appendNew(dests, cmp.Or(p.Address, p.Host))
		ports = appendNew(ports, fmt.Sprint(p.Port))
		switch {
		case p.Via != probe.Direct && p.Via != "":
			// Through a proxy, the connection that was refused left from the proxy.
			sources = appendNew(sources, "the proxy "+proxyHost(p.Via))
		case p.source != "":
			sources = appendNew(sources, p.source)
		}
	}
	if len(dests) == 0 {
		return ""
	}
	src := unknownSource
	if len(sources) > 0 {
		src = strings.Join(sources, ", ")
	}
	proto := o.Protocol
	return rule(proto, src, dests, strings.Join(ports, ","))
}

func rule(proto, src string, dests []string, ports string) string {
	proto = strings.ReplaceAll(proto, ",", "/")
	r := fmt.Sprintf("allow %s from %s to %s", proto, src, strings.Join(dests, ", "))
	if ports != "" && ports != "any" {
		r += " port " + ports
	}
	return r
}

// proxyHost is a redacted proxy URL's host:port.
func proxyHost(via string) string {
	if u, err := url.Parse(via); err == nil && u.Host != "" {
		return u.Host
	}
	return via
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
}

func prefixList(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// appendNew appends what list does not hold yet, in order.
func appendNew(list []string, add ...string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}
