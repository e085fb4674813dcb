// Package testnet holds the loopback fixtures that the tests of several packages share. Only
// tests import it, so none of it is linked into fwcheck.
package testnet

import (
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// Accepting listens on addr (port 0 for any) and closes every connection it accepts: an open
// port. It skips the test when the address cannot be had (no IPv6 loopback, say).
func Accepting(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}

// Holding listens on addr and keeps every connection it accepts open, silent, until the test
// ends: a service that waits for its client to speak first (etcd, a master port). Through a
// proxy, a destination that closes at once cannot be told from a proxy that closes the tunnel.
func Holding(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait() // the accept loop is done: no connection comes after these are closed
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln
}

// Closed is an address of host where nothing listens: a port just released, below the
// kernel's ephemeral range (32768 and up), so that no connection or port-0 listener of a test
// running at once takes it before a server of the test binds it (CI saw "address already in
// use" so).
func Closed(t testing.TB, host string) string {
	t.Helper()
	for range 100 {
		addr := net.JoinHostPort(host, strconv.Itoa(20000+rand.IntN(12000)))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Ships is containers.bluemix.net/v1/ as the page shows it: the ships drawing, indented as
// the page prints it.
const Ships = `                                     )___(
                              _______/__/_
                     ___     /===========|   ___
    ____       __   [\\\]___/____________|__[///]   __
    \   \_____[\\]__/___________________________\__[//]___
     \                                                    |
      \                                                  /
   ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
`
