package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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

// maxFindingTargets bounds the targets a finding lists; its summary gives the full count.
const maxFindingTargets = 50

// findingSet groups the probes that failed for non-firewall reasons into one finding per kind
// (per proxy for proxy findings), as they are judged. Openings may come in any order; every
// list is kept in plan order (by where each entry was first seen), so that a report does
// not depend on which probe finished first.
type findingSet struct {
	groups map[findingKey]*findingGroup
}

type findingKey struct{ kind, via string }

type findingGroup struct {
	probes  int
	at      seenAt // where the first probe of the group is
	first   Probe
	targets []seen
	reasons []seen
}

// seenAt is a probe's place in the plan: its opening's index, then its own.
type seenAt struct{ opening, probe int }

func (a seenAt) before(b seenAt) bool {
	return a.opening < b.opening || a.opening == b.opening && a.probe < b.probe
}

type seen struct {
	at   seenAt
	text string
}

// note records text at its earliest place, keeping at most limit entries (0: no limit), the
// earliest ones.
func note(list []seen, text string, at seenAt, limit int) []seen {
	if k := slices.IndexFunc(list, func(s seen) bool { return s.text == text }); k >= 0 {
		if at.before(list[k].at) {
			list[k].at = at
		}
		return list
	}
	if limit == 0 || len(list) < limit {
		return append(list, seen{at, text})
	}
	last := 0
	for k := range list {
		if list[last].at.before(list[k].at) {
			last = k
		}
	}
	if at.before(list[last].at) {
		list[last] = seen{at, text}
	}
	return list
}

func sortedText(list []seen) []string {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b seen) int {
		if a.at.before(b.at) {
			return -1
		}
		if b.at.before(a.at) {
			return 1
		}
		return 0
	})
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.text
	}
	return out
}

func (s *findingSet) add(p Probe, at seenAt) {
	kind := findingOf(p)
	if kind == "" {
		return
	}
	k := findingKey{kind, ""}
	if kind == FindingProxy {
		k.via = p.Via
	}
	g := s.groups[k]
	if g == nil {
		if s.groups == nil {
			s.groups = map[findingKey]*findingGroup{}
		}
		g = &findingGroup{at: at, first: p}
		s.groups[k] = g
	} else if at.before(g.at) {
		g.at, g.first = at, p
	}
	g.probes++
	g.reasons = note(g.reasons, p.Reason, at, 0)
	name := probeTarget(p)
	if kind == FindingDNS {
		name = p.Host
	}
	g.targets = note(g.targets, name, at, maxFindingTargets)
}

// list is the findings in FindingKinds order, after the run's own (extra).
func (s *findingSet) list(extra []Finding, resolver string) []Finding {
	order := slices.Collect(maps.Keys(s.groups))
	slices.SortFunc(order, func(a, b findingKey) int {
		if c := cmp.Compare(slices.Index(FindingKinds, a.kind), slices.Index(FindingKinds, b.kind)); c != 0 {
			return c
		}
		if s.groups[a].at.before(s.groups[b].at) {
			return -1
		}
		return 1
	})
	out := append([]Finding{}, extra...)
	for _, k := range order {
		g := s.groups[k]
		f := Finding{Kind: k.kind, Targets: sortedText(g.targets), Detail: g.first.Detail}
		reasons := sortedText(g.reasons)
		n := plural(g.probes, "probe")
		switch k.kind {
		case FindingDNS:
			f.Summary = fmt.Sprintf("%s did not resolve through %s (%s): fix DNS, not the firewall", plural(len(g.targets), "name"), cmp.Or(resolver, "the system resolver"), strings.Join(reasons, ", "))
		case FindingProxy:
			f.Summary = fmt.Sprintf("the proxy %s failed %s (%s): fix the proxy or its settings; no firewall rule is implied", k.via, n, strings.Join(reasons, ", "))
		case FindingLocal:
			f.Summary = fmt.Sprintf("this machine could not make %s (%s): not a verdict on the path", n, strings.Join(reasons, ", "))
		case FindingTLSInspection:
			f.Summary = fmt.Sprintf("a TLS-inspecting proxy re-signed %s: trust its CA (--ca-file, --export-ca) or ask for an inspection exemption", n)
		case FindingPAC:
			f.Summary = fmt.Sprintf("the PAC file failed for %s: fix the PAC file (fwcheck never falls back to DIRECT on its own)", n)
		case FindingInterrupted:
			verb := "are"
			if g.probes == 1 {
				verb = "is"
			}
			f.Summary = fmt.Sprintf("the run was interrupted: %s did not finish, and %s skipped, not verdicts", n, verb)
		}
		out = append(out, f)
	}
	return out
}

// plural writes "1 probe", "2 probes".
func plural(n int, word string) string {
	return Thousands(n) + " " + word + pluralS(n)
}

// Thousands writes n for people, with thousands separators: 467,215.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
