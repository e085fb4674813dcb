package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/fwcheck/fwcheck/probe"
)

// Finding kinds: causes of a failed probe that are not the firewall. The list is closed and
// later features add theirs here; a finding is never printed as a firewall rule.
const (
	FindingDNS           = "dns"
	FindingProxy         = "proxy"
	FindingLocal         = "local"
	FindingTLSInspection = "tls-inspection"
	FindingInterrupted   = "interrupted"
	FindingDiscovery     = "discovery"
	FindingPAC           = "pac"
	FindingNode          = "node"
)

// FindingKinds lists every kind, in the order reports print them.
var FindingKinds = []string{FindingInterrupted, FindingNode, FindingLocal, FindingDiscovery, FindingPAC, FindingDNS, FindingProxy, FindingTLSInspection}

// Finding is a root cause the network team's firewall cannot fix: a resolver, a proxy, this
// machine, an interrupted run.
type Finding struct {
	Kind    string   `json:"kind"`
	Summary string   `json:"summary"`
	Detail  string   `json:"detail"`
	Targets []string `json:"targets"`
}

// maxFindingTargets bounds the targets a finding lists; its summary gives the full count.
const maxFindingTargets = 50

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

// collectFindings groups the probes that failed for non-firewall reasons into one finding per
// kind (per proxy for proxy findings), in FindingKinds order, after the run's own (extra).
func collectFindings(openings []Opening, extra []Finding, resolver string) []Finding {
	type key struct{ kind, via string }
	type group struct {
		probes  int
		targets []string
		first   Probe
		reasons []string
	}
	groups := map[key]*group{}
	var order []key
	for _, o := range openings {
		for _, p := range o.Probes {
			if p.finding == "" {
				continue
			}
			k := key{p.finding, ""}
			if p.finding == FindingProxy {
				k.via = p.Via
			}
			g := groups[k]
			if g == nil {
				g = &group{first: p}
				groups[k] = g
				order = append(order, k)
			}
			g.probes++
			g.reasons = appendNew(g.reasons, p.Reason)
			name := probeTarget(p)
			if p.finding == FindingDNS {
				name = p.Host
			}
			if len(g.targets) < maxFindingTargets {
				g.targets = appendNew(g.targets, name)
			}
		}
	}
	slices.SortStableFunc(order, func(a, b key) int {
		return cmp.Compare(slices.Index(FindingKinds, a.kind), slices.Index(FindingKinds, b.kind))
	})
	out := append([]Finding{}, extra...)
	for _, k := range order {
		g := groups[k]
		f := Finding{Kind: k.kind, Targets: g.targets, Detail: g.first.Detail}
		n := plural(g.probes, "probe")
		switch k.kind {
		case FindingDNS:
			f.Summary = fmt.Sprintf("%s did not resolve through %s (%s): fix DNS, not the firewall", plural(len(g.targets), "name"), cmp.Or(resolver, "the system resolver"), strings.Join(g.reasons, ", "))
		case FindingProxy:
			f.Summary = fmt.Sprintf("the proxy %s failed %s (%s): fix the proxy or its settings; no firewall rule is implied", k.via, n, strings.Join(g.reasons, ", "))
		case FindingLocal:
			f.Summary = fmt.Sprintf("this machine could not make %s (%s): not a verdict on the path", n, strings.Join(g.reasons, ", "))
		case FindingTLSInspection:
			f.Summary = fmt.Sprintf("a TLS-inspecting proxy re-signed %s: trust its CA (--ca-file, --export-ca) or ask for an inspection exemption", n)
		case FindingPAC:
			f.Summary = fmt.Sprintf("the PAC file failed for %s: fix the PAC file (fwcheck never falls back to DIRECT on its own)", n)
		case FindingInterrupted:
			f.Summary = fmt.Sprintf("the run was interrupted: %s did not finish and are skipped, not verdicts", n)
		}
		out = append(out, f)
	}
	return out
}

// plural writes "1 probe", "2 probes".
func plural(n int, word string) string {
	return fmt.Sprintf("%d %s%s", n, word, pluralS(n))
}
