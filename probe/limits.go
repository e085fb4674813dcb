package probe

import (
	"net"
	"net/netip"
)

// maxConcurrency caps in-flight probes whatever the fd limit: past it the kernel's SYN queue and
// the machine's own links, not the prober, bound the speed.
const maxConcurrency = 1024

// fdHeadroom is kept free of probes for the resolver, TLS roots, output files and Go itself.
const fdHeadroom = 64

// fdsPerProbe: a direct TCP probe holds up to maxSYNs sockets while it re-sends its SYN; a
// proxied one its connection and the proxy's.
const fdsPerProbe = maxSYNs

// DefaultConcurrency is the number of probes in flight the fd limit safely allows (Go raised
// the soft limit to the hard one at start), at most maxConcurrency.
func DefaultConcurrency() int { return concurrencyFor(fdLimit()) }

// SafeConcurrency lowers n to what the fd limit allows, so that running out of descriptors
// cannot turn into a false verdict. Unlike the default, it may exceed maxConcurrency.
func SafeConcurrency(n int) int { return min(n, fdBound(fdLimit())) }

func concurrencyFor(limit uint64) int { return min(maxConcurrency, fdBound(limit)) }

// fdBound is how many probes the fd limit leaves room for.
func fdBound(limit uint64) int {
	if limit <= fdHeadroom+fdsPerProbe {
		return 1
	}
	return int(min((limit-fdHeadroom)/fdsPerProbe, 1<<20))
}

// IsLocalAddr reports whether a is an address of one of this machine's interfaces, the only
// addresses a socket can be bound to.
func IsLocalAddr(a netip.Addr) (bool, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false, err
	}
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok {
			if b, ok := netip.AddrFromSlice(n.IP); ok && b.Unmap() == a.Unmap() {
				return true, nil
			}
		}
	}
	return false, nil
}
