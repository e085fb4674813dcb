package report

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
)

// Grant is one accept rule, in any firewall's syntax: traffic of one protocol from Sources to
// Dests on Ports. Grants are aggregated exactly: together they allow exactly the (source,
// destination, port) triples that failed at the firewall (in a dry run, that the plan lists),
// never a wider CIDR or port range.
type Grant struct {
	Protocol string         // tcp or udp
	Sources  []netip.Prefix // nil: unknown, and the rule leaves the source out
	Dests    []netip.Prefix // all of one family
	Ports    []endpoints.PortRange
	AnyPort  bool // the page opens every port ("any")
	// Proxy is the proxy (host:port) the failed connections left from, when they went through
	// one: a rule in words names it ("from the proxy proxy.corp:3128"), even when its address
	// is not known (a proxy named by host name leaves Sources empty).
	Proxy    string
	Openings []string // the ids of the openings it serves, in plan order
}

// IPv6 says whether the grant's destinations are IPv6.
func (g Grant) IPv6() bool { return g.Dests[0].Addr().Is6() }

// Unplaced is a destination that is not an address yet (a host name a proxy resolved, a
// placeholder for a fact not given): a rule cannot name it, a comment says what to pass.
type Unplaced struct {
	Opening, Protocol, Destination, Ports, Why string
	// Source says where the connection left from, in words ("the proxy proxy.corp:3128", the
	// run's addresses); "" when unknown.
	Source string
}

// triple is one destination prefix and port list from one source set, for one opening.
type triple struct {
	opening  string
	protocol string
	sources  string // the sources' key: prefixes joined, "" when unknown
	proxy    string // the proxy's host:port, when the connection went through one
	dest     netip.Prefix
	ports    []endpoints.PortRange // nil with any
	any      bool
}

// GrantsOf collects the grants of a report: its missing openings (in a dry run, every
// opening it plans), what failed at the firewall only (findings are never rules), aggregated
// exactly; what is not an address yet is unplaced.
func GrantsOf(r *Report) ([]Grant, []Unplaced, error) {
	var agg aggregator
	var unplaced []Unplaced
	err := r.Each(func(o Opening) error {
		t, u := rulesOf(r, o)
		agg.add(t...)
		unplaced = append(unplaced, u...)
		return nil
	})
	return agg.grants(), unplaced, err
}

// GrantsOfOpening is GrantsOf for one opening of r.
func GrantsOfOpening(r *Report, o Opening) ([]Grant, []Unplaced) {
	t, u := rulesOf(r, o)
	return aggregate(t), u
}

// aggregate merges triples into grants (see aggregator).
func aggregate(ts []triple) []Grant {
	var agg aggregator
	agg.add(ts...)
	return agg.grants()
}

// wantsRule says whether an opening's failures become rules: a live run's missing openings,
// every opening a dry run plans.
func wantsRule(r *Report, o Opening) bool {
	if r.DryRun {
		return o.Status == Skipped && o.Note == DryRunNote
	}
	return o.Status == Missing
}

// rulesOf is what an opening asks the firewall for, as triples and unplaced destinations.
func rulesOf(r *Report, o Opening) ([]triple, []Unplaced) {
	if !wantsRule(r, o) {
		return nil, nil
	}
	var out []triple
	var unplaced []Unplaced
	for _, p := range o.Probes {
		if s := severityOf(p); !r.DryRun && (s == probe.Pass || s == probe.NotRun || findingOf(p) != "") {
			continue
		}
		protocols := []string{p.Protocol}
		if !p.Dialed || p.Protocol == "" {
			protocols = strings.Split(o.Protocol, ",")
		}
		portText := fmt.Sprint(p.Port)
		if !p.Dialed {
			portText = o.Ports
		}
		ranges, any, err := endpoints.ParsePorts(portText)
		dest := cmp.Or(p.Address, p.Host)
		if !p.Dialed && dest == "" {
			dest = strings.Join(o.Destinations, ",") // a range no probe can prove stands for them all
		}
		dests, ok := prefixesOf(dest)
		if !ok || err != nil || p.Dialed && p.Address == "" && !isAddr(p.Host) {
			why := "a host name: its addresses are known once it resolves (run the check, or pass --resolve NAME:PORT:ADDR)"
			if !p.Dialed && p.Detail != "" {
				why = p.Detail
			}
			source := ""
			switch addrs, proxy := sourceAddrs(r, p); {
			case proxy != "":
				source = "the proxy " + proxy
			case !r.DryRun:
				source = strings.Join(addrs, ", ")
			}
			unplaced = append(unplaced, Unplaced{Opening: o.ID, Protocol: strings.Join(protocols, "/"),
				Destination: cmp.Or(p.Address, p.Host, strings.Join(o.Destinations, ", ")), Ports: portText, Why: why, Source: source})
			continue
		}
		_, proxy := sourceAddrs(r, p)
		for _, dest := range dests {
			src := sourcesOf(r, p, dest.Addr().Is6())
			for _, proto := range protocols {
				out = append(out, triple{opening: o.ID, protocol: strings.TrimSpace(proto), sources: src, proxy: proxy, dest: dest, ports: ranges, any: any})
			}
		}
	}
	return out, unplaced
}

// sourcesOf is where a failed probe's connection left from, as the key of a source set of
// dest's family: the proxy's address through a proxy, else the report's (the vantage's, in a
// merged report) own addresses; "" when unknown.
func sourcesOf(r *Report, p Probe, six bool) string {
	addrs, _ := sourceAddrs(r, p)
	var keep []string
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Unmap().Is6() == six {
			keep = append(keep, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()).String())
		}
	}
	slices.Sort(keep)
	return strings.Join(slices.Compact(keep), " ")
}

// sourceAddrs is where a probe's connection left from: through a proxy, the proxy's host (and
// proxy its host:port); else the address the probe itself names; else the vantage's addresses
// in a merged report, the run's otherwise (a range not dialed names none).
func sourceAddrs(r *Report, p Probe) (addrs []string, proxy string) {
	switch {
	case p.Via != "" && p.Via != probe.Direct:
		proxy = proxyHost(p.Via)
		host := proxy
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return []string{host}, proxy
	case p.Source != "":
		return []string{p.Source}, ""
	case p.Vantage != "":
		for _, v := range r.Vantages {
			if v.Name == p.Vantage {
				return v.Addresses, ""
			}
		}
		return nil, ""
	}
	return r.Source.Addresses, ""
}

func isAddr(s string) bool { _, err := netip.ParseAddr(s); return err == nil }

// prefixesOf reads a list of addresses and CIDRs ("169.47.234.18, 169.46.7.238": the master
// IPs a range stands for); ok is false unless every item is one.
func prefixesOf(s string) ([]netip.Prefix, bool) {
	var out []netip.Prefix
	for _, item := range strings.Split(s, ",") {
		p, ok := prefixOf(strings.TrimSpace(item))
		if !ok {
			return nil, false
		}
		out = append(out, p)
	}
	return out, len(out) > 0
}

// prefixOf reads an address or a CIDR as a prefix.
func prefixOf(s string) (netip.Prefix, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err == nil
}

// aggregator merges triples into grants as they come: per protocol and source set, each
// destination's ports merged into ranges, then the destinations with the same ports merged
// into the fewest CIDRs that cover exactly them. It holds a port set per destination, never
// the triples: 100,000 failed probes are a few destinations.
type aggregator struct {
	byGroup map[aggGroup]map[netip.Prefix]*destPorts
	groups  []aggGroup
}

type aggGroup struct{ protocol, sources, proxy string }

type destPorts struct {
	ports    map[uint16]bool
	any      bool
	openings idSet
}

func (a *aggregator) add(ts ...triple) {
	if a.byGroup == nil {
		a.byGroup = map[aggGroup]map[netip.Prefix]*destPorts{}
	}
	for _, t := range ts {
		g := aggGroup{t.protocol, t.sources, t.proxy}
		if a.byGroup[g] == nil {
			a.byGroup[g] = map[netip.Prefix]*destPorts{}
			a.groups = append(a.groups, g)
		}
		d := a.byGroup[g][t.dest]
		if d == nil {
			d = &destPorts{ports: map[uint16]bool{}}
			a.byGroup[g][t.dest] = d
		}
		d.any = d.any || t.any
		for _, r := range t.ports {
			for p := int(r.Lo); p <= int(r.Hi); p++ {
				d.ports[uint16(p)] = true
			}
		}
		d.openings.add(t.opening)
	}
}

func (a *aggregator) grants() []Grant {
	byGroup, groups := a.byGroup, a.groups
	var out []Grant
	for _, g := range groups {
		// Destinations with the same ports (and family) are one grant.
		type key struct {
			ports string
			six   bool
		}
		type pending struct {
			ports    []endpoints.PortRange
			any      bool
			set      netipx.IPSetBuilder
			openings idSet
		}
		byPorts := map[key]*pending{}
		var order []key
		dests := make([]netip.Prefix, 0, len(byGroup[g]))
		for d := range byGroup[g] {
			dests = append(dests, d)
		}
		slices.SortFunc(dests, func(a, b netip.Prefix) int { return cmp.Or(a.Addr().Compare(b.Addr()), a.Bits()-b.Bits()) })
		for _, d := range dests {
			dp := byGroup[g][d]
			ranges := portRanges(dp.ports)
			k := key{rangesText(ranges, dp.any), d.Addr().Is6()}
			pg := byPorts[k]
			if pg == nil {
				pg = &pending{ports: ranges, any: dp.any}
				byPorts[k] = pg
				order = append(order, k)
			}
			pg.set.AddPrefix(d)
			pg.openings.add(dp.openings.list...)
		}
		var sources []netip.Prefix
		for _, s := range strings.Fields(g.sources) {
			p, _ := netip.ParsePrefix(s)
			sources = append(sources, p)
		}
		for _, k := range order {
			pg := byPorts[k]
			set, _ := pg.set.IPSet()
			out = append(out, Grant{Protocol: g.protocol, Sources: sources, Proxy: g.proxy, Dests: set.Prefixes(), Ports: pg.ports, AnyPort: pg.any, Openings: pg.openings.list})
		}
	}
	slices.SortStableFunc(out, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), a.Dests[0].Addr().Compare(b.Dests[0].Addr()))
	})
	return out
}

// idSet is opening ids in the order first added, each once: a grant may serve 100,000 openings,
// and a list searched at every add made that quadratic (19 s of a 21 s text report).
type idSet struct {
	list []string
	seen map[string]bool
}

func (s *idSet) add(ids ...string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, id := range ids {
		if !s.seen[id] {
			s.seen[id] = true
			s.list = append(s.list, id)
		}
	}
}

// portRanges merges a set of ports into sorted ranges.
func portRanges(set map[uint16]bool) []endpoints.PortRange {
	ports := make([]int, 0, len(set))
	for p := range set {
		ports = append(ports, int(p))
	}
	slices.Sort(ports)
	var out []endpoints.PortRange
	for _, p := range ports {
		if n := len(out); n > 0 && int(out[n-1].Hi)+1 == p {
			out[n-1].Hi = uint16(p)
			continue
		}
		out = append(out, endpoints.PortRange{Lo: uint16(p), Hi: uint16(p)})
	}
	return out
}

func rangesText(rs []endpoints.PortRange, any bool) string {
	if any {
		return "any"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, ",")
}
