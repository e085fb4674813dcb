package report

import (
	"cmp"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
)

// The judging, in one place: how a probe counts (severityOf, findingOf), an opening's status
// and findings (decide), and the rule it asks for (ruleOf). A live run judges results
// (judge); merge and diff judge a decoded report's probes again (rejudge), by the same rules,
// believing none of the verdicts it states.

// severityOf is how a probe counts: its state's severity, where a pass that found the page
// drifted (a drift warning) is a warning.
func severityOf(p Probe) probe.Severity {
	s := probe.State(p.State).Severity()
	if s == probe.Pass && p.Warning != "" {
		return probe.Warn
	}
	return s
}

// findingOf names the non-firewall cause of a probe that did not pass (see findingKind).
func findingOf(p Probe) string {
	if probe.State(p.State).Severity() == probe.Pass {
		return ""
	}
	return findingKind(probe.State(p.State), p.Reason)
}

// findingKind names the non-firewall cause of a probe that did not pass, or "" when the
// firewall (or the path it guards) is the cause and a rule is the fix.
func findingKind(state probe.State, reason string) string {
	switch state {
	case probe.DNSError:
		return FindingDNS
	case probe.ProxyError:
		if reason == probe.ReasonPAC {
			return FindingPAC
		}
		return FindingProxy
	case probe.ProxyDenied:
		// A proxy's policy refusing a destination is an opening to request (on the proxy);
		// a proxy that wants credentials is not.
		if reason == "proxy-denied:policy" {
			return ""
		}
		return FindingProxy
	case probe.LocalError:
		return FindingLocal
	case probe.TLSIntercepted:
		return FindingTLSInspection
	case probe.Skipped:
		switch reason {
		case probe.ReasonInterrupted:
			return FindingInterrupted
		case probe.ReasonSourceFamily:
			return FindingLocal
		}
	}
	return ""
}

// planned says whether an opening is (or, in a dry run, would be) probed: not one --skip or
// the catalog left out.
func planned(o *Opening) bool {
	return o.Status != Skipped || o.Note == DryRunNote || o.Note == InterruptedNote
}

// judge makes the report's opening of a plan's opening from its targets' results (res[j] for
// target j) and its sweeps' tallies. pending is true when its rule names the run's source,
// known only at the end (ruleOf).
func judge(po endpoints.Opening, res [][]probe.Result, tallies []*Tally, m Meta) (o Opening, pending bool) {
	o = Opening{
		ID: po.ID, Group: po.Group, Section: po.Section, Title: po.Title, Reason: po.Reason, Direction: po.Direction,
		Protocol: po.Protocol, Ports: po.Ports, Destinations: po.Destinations, Required: po.Required,
		Probes: []Probe{},
	}
	if o.Destinations == nil {
		o.Destinations = []string{}
	}
	if po.Skip != "" || m.DryRun {
		o.Status, o.Note = Skipped, po.Skip
		if po.Skip == "" {
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
		return o, withRule(&o)
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
		sum, stats := t.fold()
		p := toProbe(sum)
		p.Host, p.Address, p.Sweep = t.Range.String(), "", stats
		o.Probes = append(o.Probes, p)
	}
	if len(o.Probes) == 0 {
		o.Probes = append(o.Probes, toProbe(probe.Result{Target: probe.Target{Check: probe.CheckNone}, Via: probe.Direct,
			State: probe.LocalError, Reason: "local-error:no-probe",
			Detail: "no probe was planned for this opening, so nothing proves it (a bug in fwcheck or the catalog)"}))
	}
	decide(&o)
	if o.Status == Skipped {
		o.Note = InterruptedNote
	}
	return o, withRule(&o)
}

// withRule gives o its rule when its probes name the source, and says whether it still waits
// for the run's.
func withRule(o *Opening) (pending bool) {
	r, ok := ruleOf(o, "")
	o.Rule = r
	return !ok
}

// rejudge judges a decoded opening again from its probes, as a live run does: its status,
// required flag (the catalog's), findings and rule. src is the vantage's own addresses, for a
// rule no probe names the source of. What the report said of the opening's verdict is checked
// and ignored.
func rejudge(o *Opening, cat *endpoints.Catalog, src string) error {
	if _, known := statusRank[o.Status]; !known {
		return fmt.Errorf("status %s is not one of verified, missing, warning, skipped", quote.Value(o.Status))
	}
	required, ok := cat.Required(o.ID, o.Group)
	if !ok {
		return fmt.Errorf("group %s is not in catalog edition %s", quote.Value(o.Group), quote.Value(cat.Edition))
	}
	if len(o.Probes) == 0 {
		return fmt.Errorf("no probes: nothing proves it")
	}
	for k := range o.Probes {
		p := &o.Probes[k]
		if !slices.Contains(probe.States, probe.State(p.State)) {
			return fmt.Errorf("probe %d: state %s is not a state fwcheck knows", k+1, quote.Value(p.State))
		}
		if p.Source != "" {
			if _, err := netip.ParseAddr(p.Source); err != nil {
				return fmt.Errorf("probe %d: source %s is not an IP address", k+1, quote.Value(p.Source))
			}
		}
		p.OK = probe.State(p.State).Severity() == probe.Pass
	}
	o.Required = required
	decide(o)
	o.Rule = ""
	if o.Status == Missing || o.Status == Warning {
		o.Rule, _ = ruleOf(o, src)
	}
	return nil
}

// decide sets an opening's status from its probes, and the findings behind its failures.
func decide(o *Opening) {
	o.Status, o.Findings = status(o), nil
	for _, p := range o.Probes {
		if f := findingOf(p); f != "" {
			o.Findings = appendNew(o.Findings, f)
		}
	}
}

// status is the opening's verdict: any failure makes it missing (a warning when optional);
// it is verified only when something passed and nothing failed, warned or was cut short.
func status(o *Opening) string {
	var fail, warn, pass, interrupted bool
	for _, p := range o.Probes {
		switch severityOf(p) {
		case probe.Fail:
			fail = true
		case probe.Warn:
			warn = true
		case probe.Pass:
			pass = true
		default:
			f := findingOf(p)
			interrupted = interrupted || f == FindingInterrupted
			// Not dialed because this machine cannot (the source's other family): unproven.
			fail = fail || f == FindingLocal
		}
	}
	if pass && !interrupted && !warn {
		// Some address proved the opening; one the bound source cannot reach does not undo it.
		fail = slices.ContainsFunc(o.Probes, func(p Probe) bool { return severityOf(p) == probe.Fail })
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

// ruleOf is the firewall rule an opening asks for: for a missing opening or a warning, only
// the destinations and ports that failed (or could not be proven) at the firewall, failures
// with a finding behind them (DNS, the proxy, this machine) being no rule; for an opening a dry
// run plans, all of it. It names the source the connections left from: the proxy, the probes'
// own addresses, else runSource, the run's addresses (known at its end). ok is false when the
// rule needs runSource and it is "".
func ruleOf(o *Opening, runSource string) (rule string, ok bool) {
	switch {
	case o.Status == Missing || o.Status == Warning:
	case o.Status == Skipped && o.Note == DryRunNote:
		if runSource == "" {
			return "", false
		}
		return ruleText(o.Protocol, runSource, o.Destinations, o.Ports), true
	default:
		return "", true
	}
	var dests, ports, sources []string
	for _, p := range o.Probes {
		if s := severityOf(p); s == probe.Pass || s == probe.NotRun || findingOf(p) != "" {
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
		case p.Source != "":
			sources = appendNew(sources, p.Source)
		}
	}
	if len(dests) == 0 {
		return "", true
	}
	src := runSource
	if len(sources) > 0 {
		src = strings.Join(sources, ", ")
	}
	if src == "" {
		return "", false
	}
	return ruleText(o.Protocol, src, dests, strings.Join(ports, ",")), true
}

// ruleText is a rule in words: "allow tcp from SRC to DESTS port PORTS".
func ruleText(proto, src string, dests []string, ports string) string {
	proto = strings.ReplaceAll(proto, ",", "/")
	r := fmt.Sprintf("allow %s from %s to %s", proto, src, strings.Join(dests, ", "))
	if ports != "" && ports != "any" {
		r += " port " + ports
	}
	return r
}

// judgeProbe turns one result into a report entry, flagging an address outside the ranges
// the page documents for the name (drift).
func judgeProbe(po endpoints.Opening, pr probe.Result) Probe {
	p := toProbe(pr)
	if len(po.Documented) > 0 && pr.Address.IsValid() && !inAny(pr.Address, po.Documented) {
		p.Warning = fmt.Sprintf("%s resolves to %s, outside the addresses the page documents for it (%s): the page has drifted; request %s too",
			pr.Target.Host, pr.Address, prefixList(po.Documented), pr.Address)
	}
	return p
}

func toProbe(pr probe.Result) Probe {
	t := pr.Target
	p := Probe{
		Host: t.Name(), Port: int(t.Port), Protocol: t.Network(), Via: cmp.Or(pr.Via, probe.Direct),
		Check: t.Description(), Dialed: t.Check != probe.CheckNone, State: string(pr.State), OK: pr.OK(), Reason: pr.Reason,
		Detail:    pr.Detail,
		ElapsedMS: float64(pr.Elapsed.Microseconds()) / 1000,
	}
	p.ProxySource, p.Attempts, p.ProxyAuth, p.Proof = pr.ProxySource, pr.Tried, pr.ProxyAuth, pr.Proof
	if pr.State == probe.Filtered && pr.SYNs > 0 {
		p.SYNs, p.WaitedMS = pr.SYNs, p.ElapsedMS
	}
	if pr.Address.IsValid() {
		p.Address = pr.Address.String()
	}
	if pr.Source.IsValid() {
		p.Source = pr.Source.String()
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

// ExitCode is 0 when every required opening is verified (warnings too under strict), else 1.
func (r *Report) ExitCode(strict bool) int {
	if r.Summary.Missing > 0 || strict && r.Summary.Warnings > 0 {
		return 1
	}
	return 0
}

// summarize counts openings by status.
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
	if planned(o) {
		for _, p := range o.Probes {
			if p.Sweep != nil {
				s.Probes += p.Sweep.Addresses // a swept range is one entry for all its probes
			} else {
				s.Probes++
			}
		}
	}
}

// statusRank orders statuses from best to worst, for the merged verdict of an opening.
var statusRank = map[string]int{Skipped: 0, Verified: 1, Warning: 2, Missing: 3}

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
