package endpoints

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// GroupNames is the closed set of opening groups, in the order reports list them.
var GroupNames = []string{"api", "master", "etcd", "region", "registry", "iam", "monitoring", "logging",
	"private", "pvc", "nodeport", "loadbalancer", "ingress"}

// optionalGroup reports whether a catalog may leave a group out: iam when it names no IAM host.
func (c *Catalog) optionalGroup(name string) bool { return name == "iam" && len(c.IAM) == 0 }

// validate checks every field and builds the look-up maps. It lists every problem, not the first.
func (c *Catalog) validate() []Problem {
	var probs []Problem
	bad := func(line int, format string, args ...any) {
		probs = append(probs, Problem{File: c.Name, Line: line, Msg: fmt.Sprintf(format, quote.Args(args)...)})
	}
	if strings.TrimSpace(c.Edition) == "" {
		bad(0, "edition is missing: give the catalog an edition, such as the page's lastupdated date")
	}

	c.groups = map[string]*Group{}
	for i := range c.Groups {
		g := &c.Groups[i]
		name := g.Name.V
		switch {
		case !slices.Contains(GroupNames, name):
			bad(g.Line, "group %q is not one of %s", name, strings.Join(GroupNames, ", "))
			continue
		case c.groups[name] != nil:
			bad(g.Line, "group %q is listed twice", name)
			continue
		}
		c.groups[name] = g
		if g.Section == "" || g.Title == "" || g.Reason == "" {
			bad(g.Line, "group %q needs a section, a title and a reason", name)
		}
		if g.Protocol != "tcp" && g.Protocol != "udp" && g.Protocol != "tcp,udp" {
			bad(g.Line, "group %q: protocol %q is not tcp, udp or tcp,udp", name, g.Protocol)
		}
		if _, _, err := ParsePorts(g.Ports.V); err != nil {
			bad(g.Ports.Line, "group %q: ports: %v", name, err)
		}
	}
	for _, name := range GroupNames {
		if c.groups[name] == nil && !c.optionalGroup(name) {
			bad(0, "group %q is missing", name)
		}
	}
	if len(c.IAM) > 0 && c.groups["iam"] == nil {
		bad(0, "group \"iam\" is missing (the catalog names IAM hosts)")
	}
	for _, list := range []struct {
		what  string
		hosts []Pos[string]
	}{{"cli_hosts", c.CLIHosts}, {"iam", c.IAM}} {
		for _, h := range list.hosts {
			if !validHostname(h.V) {
				bad(h.Line, "%s: %q is not a host name", list.what, h.V)
			}
		}
	}
	if e := c.API.ExpectJSON; e != "" && e != "list" && e != "zones" {
		bad(c.API.Host.Line, "api.expect_json %q is not \"list\" or \"zones\"", e)
	}
	if p := c.PrivateInbound.V; p != "" {
		if _, _, err := ParsePorts(p); err != nil {
			bad(c.PrivateInbound.Line, "private_inbound: %v", err)
		}
	}
	for _, m := range c.IngressMonitors {
		if m.Name == "" || len(m.Sources) == 0 {
			bad(m.Line, "ingress_monitors: an entry needs a name and sources")
		}
		if _, _, err := ParsePorts(m.Ports.V); err != nil {
			bad(m.Ports.Line, "ingress_monitors %q: ports: %v", m.Name, err)
		}
		for _, s := range m.Sources {
			if _, err := parseAddrOrPrefix(s.V); err != nil {
				bad(s.Line, "ingress_monitors %q: %v", m.Name, err)
			}
		}
	}

	if !validHostname(c.API.Host.V) {
		bad(c.API.Host.Line, "api.host %q is not a host name", c.API.Host.V)
	}
	if c.API.Port.V < 1 || c.API.Port.V > 65535 {
		bad(c.API.Port.Line, "api.port %d is not a port from 1 to 65535", c.API.Port.V)
	}
	if !strings.HasPrefix(c.API.Path, "/") {
		bad(c.API.Host.Line, "api.path %q must start with /", c.API.Path)
	}
	if r, any, err := ParsePorts(c.MasterPorts.V); err != nil || any || len(r) != 1 {
		bad(c.MasterPorts.Line, "master_ports %q must be one range such as 20000-32767", c.MasterPorts.V)
	}

	c.hosts = map[string]*Host{}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if !validHostname(h.Name.V) {
			bad(h.Name.Line, "host %q is not a host name", h.Name.V)
			continue
		}
		if c.hosts[h.Name.V] != nil {
			bad(h.Line, "host %q is listed twice", h.Name.V)
		}
		c.hosts[h.Name.V] = h
		if len(h.Addresses) == 0 {
			bad(h.Line, "host %q has no addresses", h.Name.V)
		}
		h.prefixes = nil
		for _, a := range h.Addresses {
			p, err := parseAddrOrPrefix(a.V)
			if err != nil {
				bad(a.Line, "host %q: %v", h.Name.V, err)
				continue
			}
			h.prefixes = append(h.prefixes, p)
		}
	}
	if !validHostname(c.RegistryGlobal.V) {
		bad(c.RegistryGlobal.Line, "registry_global %q is not a host name", c.RegistryGlobal.V)
	}
	if h := c.PrivateRegistryGlobal; h.V != "" && c.hosts[h.V] == nil {
		bad(h.Line, "private_registry_global %q is not one of the hosts", h.V)
	}

	c.regions = map[string]*Region{}
	c.places = map[string]*Location{}
	addPlace := func(l *Location, region string) {
		l.Region = region
		name := l.Name.V
		if name == "" || strings.ContainsAny(name, " \t,") {
			bad(l.Line, "location name %q is not a single word", name)
			return
		}
		if c.places[name] != nil {
			bad(l.Line, "location %q is listed twice", name)
			return
		}
		c.places[name] = l
		if r := c.regions[region]; r != nil && !r.Regional() && len(l.Master) == 0 {
			bad(l.Line, "location %q has no master IPs (nor has its region)", name)
		}
		for _, a := range l.Master {
			if _, err := netip.ParseAddr(a.V); err != nil {
				bad(a.Line, "location %q: master %q is not an IP address", name, a.V)
			}
		}
		for _, list := range [][]Pos[string]{l.Frontend, l.Backend} {
			for _, a := range list {
				if _, err := parseAddrOrPrefix(a.V); err != nil {
					bad(a.Line, "location %q: %v", name, err)
				}
			}
		}
	}
	for i := range c.Regions {
		r := &c.Regions[i]
		name := r.Name.V
		if name == "" || name != strings.ToLower(name) || strings.ContainsAny(name, " \t_") {
			bad(r.Name.Line, "region name %q must be lower case words joined by -", name)
			continue
		}
		if c.regions[name] != nil {
			bad(r.Line, "region %q is listed twice", name)
			continue
		}
		c.regions[name] = r
		if r.Title == "" {
			bad(r.Line, "region %q has no title", name)
		}
		for _, ref := range []struct {
			what string
			host Pos[string]
			need bool
		}{{"registry", r.Registry, len(r.Registries) == 0}, {"monitoring", r.Monitoring, false}, {"logging", r.Logging, false},
			{"private registry", r.PrivateRegistry, false}} {
			if ref.host.V == "" && !ref.need {
				continue
			}
			if c.hosts[ref.host.V] == nil {
				bad(max(ref.host.Line, r.Line), "region %q: %s host %q is not one of the hosts", name, ref.what, ref.host.V)
			}
		}
		if len(r.Locations) == 0 {
			bad(r.Line, "region %q has no locations", name)
		}
		for _, h := range r.Registries {
			if !validHostname(h.V) {
				bad(h.Line, "region %q: registry %q is not a host name", name, h.V)
			}
		}
		for _, list := range [][]Pos[string]{r.Master, r.MasterPrivate} {
			for _, a := range list {
				if _, err := netip.ParseAddr(a.V); err != nil {
					bad(a.Line, "region %q: master %q is not an IP address", name, a.V)
				}
			}
		}
		for j := range r.Locations {
			addPlace(&r.Locations[j], name)
		}
	}
	for i := range c.Datacenters {
		addPlace(&c.Datacenters[i], "")
	}
	for _, dc := range c.PrivateAlways {
		if c.places[dc.V] == nil {
			bad(dc.Line, "private_always: %q is not a location or data center", dc.V)
		}
	}
	for _, n := range c.ServiceNetwork {
		if _, err := parseAddrOrPrefix(n.V); err != nil {
			bad(n.Line, "service_network: %v", err)
		}
	}
	return probs
}

// parseAddrOrPrefix reads "1.2.3.4" or "1.2.3.0/24"; a range with host bits set is an error,
// since the page has printed such ranges by mistake.
func parseAddrOrPrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, quote.Errorf("%q is not an IP address or CIDR", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, quote.Errorf("%q is not an IP address or CIDR", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, quote.Errorf("%q has host bits set (did you mean %s?)", s, p.Masked())
	}
	return p, nil
}

// validHostname reports whether s is a DNS name (letters, digits, hyphens, dots).
func validHostname(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
