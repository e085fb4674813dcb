package endpoints

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// normalizeName folds the spellings people use for a region or location ("US South",
// "us_south", " US-South ") to the catalog's form ("us-south").
func normalizeName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "-", "_", "-").Replace(s)
}

// RegionNames lists the catalog's regions in catalog order.
func (c *Catalog) RegionNames() []string {
	names := make([]string, len(c.Regions))
	for i, r := range c.Regions {
		names[i] = r.Name.V
	}
	return names
}

// RegionByName finds a region by any common spelling of its name or title. An unknown name is
// an error that lists the valid ones.
func (c *Catalog) RegionByName(name string) (*Region, error) {
	n := normalizeName(name)
	for i := range c.Regions {
		r := &c.Regions[i]
		if r.Name.V == n || normalizeName(r.Title) == n || slices.ContainsFunc(r.Aliases, func(a string) bool { return normalizeName(a) == n }) {
			return r, nil
		}
	}
	for _, r := range c.Regions {
		for _, l := range r.Locations {
			if l.Name.V == n {
				return nil, &LocationAsRegionError{Location: l.Name.V, Region: r.Name.V}
			}
		}
	}
	return nil, quote.Errorf("unknown region %q (valid: %s)", name, quote.Trusted(strings.Join(c.RegionNames(), ", ")))
}

// LocationByName finds a location of region r.
func (r *Region) LocationByName(name string) (*Location, error) {
	n := normalizeName(name)
	var names []string
	for i := range r.Locations {
		if r.Locations[i].Name.V == n {
			return &r.Locations[i], nil
		}
		names = append(names, r.Locations[i].Name.V)
	}
	return nil, quote.Errorf("unknown location %q in region %s (valid: %s)", name, r.Name.V, quote.Trusted(strings.Join(names, ", ")))
}

// Place finds a location or data center by name, or nil.
func (c *Catalog) Place(name string) *Location { return c.places[normalizeName(name)] }

// Host finds a service host by name, or nil.
func (c *Catalog) Host(name string) *Host { return c.hosts[name] }

// Group finds a group by name, or nil.
func (c *Catalog) Group(name string) *Group { return c.groups[name] }

// LocateMaster finds the region and location whose master IPs include ip; both are nil when
// no location of the catalog lists it.
func (c *Catalog) LocateMaster(ip netip.Addr) (*Region, *Location) {
	ip = ip.Unmap()
	for i := range c.Regions {
		r := &c.Regions[i]
		if slices.ContainsFunc(append(slices.Clip(r.Master), r.MasterPrivate...), func(m Pos[string]) bool { return m.V == ip.String() }) {
			return r, nil // a region-wide table: no location to name
		}
		for j := range r.Locations {
			l := &r.Locations[j]
			if slices.ContainsFunc(l.Master, func(m Pos[string]) bool { return m.V == ip.String() }) {
				return r, l
			}
		}
	}
	return nil, nil
}

// Prefixes returns the documented addresses and ranges of the host.
func (h *Host) Prefixes() []netip.Prefix {
	if h == nil {
		return nil // a name the page gives no address for
	}
	return h.prefixes
}

// SingleIPs returns the host's documented addresses when every entry is a single IP, else nil.
func (h *Host) SingleIPs() []netip.Addr {
	if h == nil {
		return nil
	}
	var out []netip.Addr
	for _, p := range h.prefixes {
		if !p.IsSingleIP() {
			return nil
		}
		out = append(out, p.Addr())
	}
	return out
}

// MasterIPs lists the region's master IPs over all its locations.
func (r *Region) MasterIPs() []string {
	if r.Regional() {
		return values(r.Master) // the 2021 and later pages: one table for the region
	}
	var out []string
	for _, l := range r.Locations {
		out = append(out, values(l.Master)...)
	}
	return out
}

func values[T any](ps []Pos[T]) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = p.V
	}
	return out
}
