package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// LookupFunc resolves a host name to its addresses, both families.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// Pin sends connections for Host:Port to Addr instead of resolving Host (--resolve).
type Pin struct {
	Host string
	Port uint16
	Addr netip.Addr
}

// maxAddrsPerName bounds the addresses probed for one name; a name with more is a load
// balancer pool, and the first ones say what the path does.
const maxAddrsPerName = 16

// defaultLookup uses Go's own resolver, so that resolution honours the context deadline and
// running out of file descriptors is never mistaken for "no such host" (the cgo resolver
// reports EMFILE that way).
func defaultLookup(dial DialFunc) LookupFunc {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, server string) (net.Conn, error) {
		c, err := dial(ctx, network, server)
		if err == nil {
			// Go's resolver goes on with a lookup after its caller gave up, bounded only by
			// resolv.conf's timeout; expiring the socket when the lookup is abandoned ends it
			// as the timeout it is.
			context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
		}
		if err != nil && isLocalResource(err) {
			// Go's resolver flattens this into a DNSError that reads like a failed lookup;
			// keep the real cause for the caller.
			if h, ok := ctx.Value(localErrKey{}).(*localErrHolder); ok {
				h.set(err)
			}
		}
		return c, err
	}}
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		h := &localErrHolder{}
		addrs, err := r.LookupNetIP(context.WithValue(ctx, localErrKey{}, h), "ip", host)
		if err != nil {
			if lerr := h.get(); lerr != nil {
				return nil, fmt.Errorf("resolving %s: %w", host, lerr)
			}
		}
		return addrs, err
	}
}

type localErrKey struct{}

// localErrHolder keeps the first local resource error met while resolving one name.
type localErrHolder struct {
	mu  sync.Mutex // guards err
	err error
}

func (h *localErrHolder) set(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.err = err
	}
}

func (h *localErrHolder) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// ResolverLookup adapts a *net.Resolver (tests point its Dial at a fake DNS server; that Dial
// should close its connection when its context ends, as defaultLookup's does).
func ResolverLookup(r *net.Resolver) LookupFunc {
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		return r.LookupNetIP(ctx, "ip", host)
	}
}

// resolve finds the addresses to dial for t: its own address, a --resolve pin, or DNS.
// Names under .invalid never resolve (RFC 6761), so none is sent to a server.
func (p *Prober) resolve(ctx context.Context, t Target) ([]netip.Addr, error) {
	if t.Addr.IsValid() {
		return []netip.Addr{t.Addr}, nil
	}
	if a, err := netip.ParseAddr(t.Host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	host := strings.ToLower(strings.TrimSuffix(t.Host, "."))
	var pinned []netip.Addr
	for _, pin := range p.cfg.Pins {
		if pin.Host == host && pin.Port == t.Port {
			pinned = append(pinned, pin.Addr)
		}
	}
	if len(pinned) > 0 {
		return pinned, nil
	}
	if host == "invalid" || strings.HasSuffix(host, ".invalid") {
		return nil, &net.DNSError{Err: "no such host (.invalid names never resolve, RFC 6761)", Name: t.Host, IsNotFound: true}
	}
	addrs, err := p.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	seen := map[netip.Addr]bool{}
	out := addrs[:0:0]
	for _, a := range addrs {
		a = a.Unmap()
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	// IPv4 first, as most firewall rules are written, then IPv6; stable for reports.
	slices.SortStableFunc(out, func(a, b netip.Addr) int {
		if a.Is4() != b.Is4() {
			if a.Is4() {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
	if len(out) > maxAddrsPerName {
		out = out[:maxAddrsPerName]
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: t.Host, IsNotFound: true}
	}
	if t.Public && host != "localhost" && !strings.HasSuffix(host, ".localhost") {
		if sunk := slices.DeleteFunc(slices.Clone(out), func(a netip.Addr) bool { return !IsSinkhole(a) }); len(sunk) > 0 {
			return nil, &SinkholeError{Name: t.Host, Addrs: sunk}
		}
	}
	return out, nil
}

// IsSinkhole reports whether a is what DNS filters answer for a name they block: 0.0.0.0/8,
// 127.0.0.0/8, :: or ::1. No public service is there; a listener of this machine's would be.
func IsSinkhole(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsUnspecified() || a.IsLoopback() || a.Is4() && a.As4()[0] == 0
}

// SinkholeError is a name that resolved to a sinkhole address: a DNS filter blocks it. It is
// never dialed there (a local listener on the port would pass for the service).
type SinkholeError struct {
	Name  string
	Addrs []netip.Addr
}

func (e *SinkholeError) Error() string {
	return fmt.Sprintf("%s resolves to %s, what a DNS filter answers for a name it blocks (a sinkhole): not dialed; ask for the name to be allowed at the DNS filter (or pin it with --resolve)", e.Name, e.Addrs[0])
}
