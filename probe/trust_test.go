package probe_test

import (
	"bufio"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/probe"
)

// TestEndlessHeaders: an answer whose headers never end is not the service, and not a server
// that "closed without an answer".
func TestEndlessHeaders(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, endlessHeaders)
	r := one(t, probe.Config{Timeout: 2 * time.Second}, probe.Target{Host: "127.0.0.1", Port: port(ln), Check: probe.CheckHTTP})
	checkResult(t, r, probe.UnexpectedResponse, "unexpected-response:oversized", "did not end")
}

// TestSlowProxy: a proxy that dribbles its CONNECT answer a byte at a time past the budget is
// a proxy timeout, every time, never a protocol error.
func TestSlowProxy(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		for _, b := range []byte("HTTP/1.1 200 Connection established\r\n\r\n") {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(15 * time.Millisecond)
		}
	})
	cfg := probe.Config{Timeout: 150 * time.Millisecond, Proxy: proxyFor(t, "http://"+ln.Addr().String())}
	targets := make([]probe.Target, 40)
	for i := range targets {
		targets[i] = probe.Target{Host: "name.fwcheck.test", Port: 443, Check: probe.CheckTCP}
	}
	for _, rs := range probe.New(cfg).Run(t.Context(), targets) {
		if r := rs[0]; r.State != probe.ProxyError || r.Reason != "proxy-timeout" {
			t.Fatalf("state = %s (%s: %s); want proxy-error:proxy-timeout", r.State, r.Reason, r.Detail)
		}
	}
}

// TestResetsAreNotProof: a refused probe never passes, whatever it stands for.
func TestResetsAreNotProof(t *testing.T) {
	r := one(t, probe.Config{Timeout: time.Second}, probe.Target{Host: "127.0.0.1", Port: closedPort(t), Check: probe.CheckTCP})
	if r.State != probe.Refused || r.OK() {
		t.Fatalf("state = %s ok = %v; want refused, not ok", r.State, r.OK())
	}
}

// TestSYNsResent: a dropped port is filtered after maxSYNs SYNs on the prober's clock, in the
// connect engine (a plain TCP connect) and on the general path (a TLS check), and the result
// says how many SYNs went unanswered.
func TestSYNsResent(t *testing.T) {
	dropped := blackholePort(t, syscall.AF_INET)
	for _, check := range []probe.Check{probe.CheckTCP, probe.CheckTLS} {
		r := one(t, probe.Config{Timeout: 5 * time.Second}, probe.Target{Host: "127.0.0.1", Port: dropped, Check: check})
		if r.State != probe.Filtered || r.SYNs != 3 || !strings.Contains(r.Detail, "3 SYNs over") {
			t.Errorf("%s: %s with %d SYNs (%s); want filtered after 3 SYNs", check, r.State, r.SYNs, r.Detail)
		}
	}
	// A budget shorter than the adaptive wait still bounds it: fewer SYNs, filtered.
	r := one(t, probe.Config{Timeout: 200 * time.Millisecond}, probe.Target{Host: "127.0.0.1", Port: dropped, Check: probe.CheckTCP})
	if r.State != probe.Filtered || r.SYNs < 1 || r.SYNs > 3 {
		t.Errorf("short budget: %s with %d SYNs", r.State, r.SYNs)
	}
}
