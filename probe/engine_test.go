package probe_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/probe"
)

func TestDNS(t *testing.T) {
	live := newLocalListener(t, "tcp")
	serve(t, live, func(net.Conn) {})
	dead := blackholePort(t, syscall.AF_INET)
	_ = dead
	dns := newFakeDNS(t, map[string][]netip.Addr{
		"live.example":  {loopback},
		"multi.example": {netip.MustParseAddr("127.0.0.2"), loopback},
	}, "silent.example")
	cfg := probe.Config{Timeout: 700 * time.Millisecond, Lookup: dns.lookup()}

	cases := []struct {
		host   string
		states []probe.State
		reason string
	}{
		{"live.example", []probe.State{probe.Open}, "open"},
		{"missing.example", []probe.State{probe.DNSError}, "dns-nxdomain"},
		{"silent.example", []probe.State{probe.DNSError}, "dns-timeout"},
		{"servfail.example", []probe.State{probe.DNSError}, "dns-error"},
		{"garbage.example", []probe.State{probe.DNSError}, ""},
		// Two addresses, the first closed: each gets its own probe, the live one is open.
		{"multi.example", []probe.State{probe.Open, probe.Refused}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			start := time.Now()
			rs := run(t, cfg, probe.Target{Host: tc.host, Port: port(live), Check: probe.CheckTCP})
			if len(rs) != len(tc.states) {
				t.Fatalf("%d results, want %d: %+v", len(rs), len(tc.states), rs)
			}
			// Results come back sorted by address: 127.0.0.1 before 127.0.0.2.
			for i, r := range rs {
				if r.State != tc.states[i] {
					t.Errorf("result %d (%s) = %s (%s); want %s", i, r.Address, r.State, r.Detail, tc.states[i])
				}
			}
			if tc.reason != "" && rs[0].Reason != tc.reason {
				t.Errorf("reason = %q; want %q", rs[0].Reason, tc.reason)
			}
			// A silent DNS server costs our budget, not Go's 5 s × attempts.
			if el := time.Since(start); el > 3*cfg.Timeout {
				t.Errorf("took %v; the budget is %v", el, cfg.Timeout)
			}
		})
	}
}

// TestResolvePins sends a name to a fixed address without DNS, as curl's --resolve.
func TestResolvePins(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(net.Conn) {})
	cfg := probe.Config{Timeout: time.Second, Pins: []probe.Pin{{Host: "pinned.invalid", Port: port(ln), Addr: loopback}}}
	r := one(t, cfg, probe.Target{Host: "pinned.invalid", Port: port(ln), Check: probe.CheckTCP})
	if r.State != probe.Open || r.Address != loopback {
		t.Fatalf("state = %s at %s (%s); want open at 127.0.0.1", r.State, r.Address, r.Detail)
	}
}

// TestDualStack: one name with an IPv6 address that drops and an IPv4 address that answers
// gets one probe per address, so "IPv6 blocked, IPv4 open" is visible.
func TestDualStack(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	p := blackholePort(t, syscall.AF_INET6)
	v4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p))))
	if err != nil {
		t.Skipf("port %d is taken on 127.0.0.1: %v", p, err)
	}
	t.Cleanup(func() { v4.Close() })
	serve(t, v4, func(net.Conn) {})
	dns := newFakeDNS(t, map[string][]netip.Addr{"dual.example": {netip.MustParseAddr("::1"), loopback}})
	rs := run(t, probe.Config{Timeout: 500 * time.Millisecond, Lookup: dns.lookup()},
		probe.Target{Host: "dual.example", Port: p, Check: probe.CheckTCP})
	if len(rs) != 2 {
		t.Fatalf("%d results; want one per family: %+v", len(rs), rs)
	}
	if rs[0].Address != loopback || rs[0].State != probe.Open || !rs[1].Address.Is6() || rs[1].State != probe.Filtered {
		t.Fatalf("results = %s %s, %s %s; want 127.0.0.1 open, ::1 filtered", rs[0].Address, rs[0].State, rs[1].Address, rs[1].State)
	}
}

func TestUDP(t *testing.T) {
	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			echo.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() { echo.Close(); <-done })
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	closed, _ := net.ListenPacket("udp", "127.0.0.1:0")
	closedPort := uint16(closed.LocalAddr().(*net.UDPAddr).Port)
	closed.Close()

	udpPort := func(pc net.PacketConn) uint16 { return uint16(pc.LocalAddr().(*net.UDPAddr).Port) }
	cfg := probe.Config{Timeout: 400 * time.Millisecond}
	cases := []struct {
		name  string
		port  uint16
		state probe.State
		ok    bool
	}{
		{"echo answers", udpPort(echo), probe.Open, true},
		{"silent listener", udpPort(silent), probe.Unverified, false},
		{"closed port: a reset never passes", closedPort, probe.Refused, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := one(t, cfg, probe.Target{Host: "127.0.0.1", Port: tc.port, Check: probe.CheckUDP})
			if r.State != tc.state || r.OK() != tc.ok {
				t.Fatalf("state = %s ok = %v (%s); want %s ok = %v", r.State, r.OK(), r.Detail, tc.state, tc.ok)
			}
		})
	}
}

// TestRetries: only a probe that got no answer is tried again.
func TestRetries(t *testing.T) {
	refused := closedPort(t)
	dropped := blackholePort(t, syscall.AF_INET)
	cfg := probe.Config{Timeout: 200 * time.Millisecond, Retries: 2}
	rs := probe.New(cfg).Run(t.Context(), []probe.Target{
		{Host: "127.0.0.1", Port: refused, Check: probe.CheckTCP},
		{Host: "127.0.0.1", Port: dropped, Check: probe.CheckTCP},
	})
	if r := rs[0][0]; r.State != probe.Refused || r.Attempts != 1 {
		t.Errorf("refused: %s after %d attempts; want refused after 1", r.State, r.Attempts)
	}
	if r := rs[1][0]; r.State != probe.Filtered || r.Attempts != 3 {
		t.Errorf("dropped: %s after %d attempts; want filtered after 3", r.State, r.Attempts)
	}
}

// TestDeadlineLessDialer: a dialer that ignores its context (as a kernel connect with no
// deadline would, for two minutes) still ends at the prober's budget.
func TestDeadlineLessDialer(t *testing.T) {
	release, returned := make(chan struct{}), make(chan struct{}, 1)
	t.Cleanup(func() { close(release); <-returned })
	cfg := probe.Config{Timeout: 300 * time.Millisecond, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		defer func() { returned <- struct{}{} }()
		<-release
		return nil, errors.New("released")
	}}
	start := time.Now()
	r := one(t, cfg, probe.Target{Host: "127.0.0.1", Port: 9, Check: probe.CheckTCP})
	if r.State != probe.Filtered {
		t.Fatalf("state = %s (%s); want filtered", r.State, r.Detail)
	}
	if el := time.Since(start); el > 10*cfg.Timeout {
		t.Fatalf("returned after %v; the budget is %v", el, cfg.Timeout)
	}
}

// TestPanicIsolation: a probe that panics is that target's local-error; the rest finish.
func TestPanicIsolation(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(net.Conn) {})
	good := ln.Addr().String()
	cfg := probe.Config{Timeout: time.Second, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != good {
			panic("boom")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	rs := probe.New(cfg).Run(t.Context(), []probe.Target{
		{Host: "127.0.0.1", Port: port(ln), Check: probe.CheckTCP},
		{Host: "127.0.0.1", Port: 9, Check: probe.CheckTCP},
	})
	if rs[0][0].State != probe.Open {
		t.Errorf("good target = %s; want open", rs[0][0].State)
	}
	if r := rs[1][0]; r.State != probe.LocalError || r.Reason != "local-error:panic" {
		t.Errorf("panicking target = %s (%s); want local-error:panic", r.State, r.Reason)
	}
}

// TestOneFailureDoesNotCancelTheRest: a refused target among slow-open ones.
func TestOneFailureDoesNotCancelTheRest(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(c net.Conn) {})
	slowDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	targets := []probe.Target{{Host: "127.0.0.1", Port: closedPort(t), Check: probe.CheckTCP}}
	for i := 0; i < 99; i++ {
		targets = append(targets, probe.Target{Host: "127.0.0.1", Port: port(ln), Check: probe.CheckTCP})
	}
	rs := probe.New(probe.Config{Timeout: 2 * time.Second, Concurrency: 100, Dial: slowDial}).Run(t.Context(), targets)
	counts := map[probe.State]int{}
	for _, r := range rs {
		counts[r[0].State]++
	}
	if counts[probe.Open] != 99 || counts[probe.Refused] != 1 {
		t.Fatalf("states = %v; want 99 open and 1 refused", counts)
	}
}

// TestCancellation: canceling the run ends every probe promptly as skipped (interrupted), leaking nothing.
func TestCancellation(t *testing.T) {
	silent := silentListener(t)
	ctx, cancel := context.WithCancel(t.Context())
	var targets []probe.Target
	for i := 0; i < 20; i++ {
		targets = append(targets, probe.Target{Host: "127.0.0.1", Port: silent, Check: probe.CheckHTTP})
	}
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	start := time.Now()
	rs := probe.New(probe.Config{Timeout: 10 * time.Second}).Run(ctx, targets)
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("run took %v after cancel", el)
	}
	for _, r := range rs {
		if r[0].State != probe.Skipped || r[0].Reason != probe.ReasonInterrupted {
			t.Fatalf("state = %s (%s); want skipped interrupted", r[0].State, r[0].Reason)
		}
	}
}

// TestSlowBody: headers come at once, the body a byte at a time: the probe ends at its
// budget as stalled, having read a bounded amount.
func TestSlowBody(t *testing.T) {
	_, p, roots := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		for i := 0; i < 1000; i++ {
			if _, err := io.WriteString(w, "x"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	r := one(t, probe.Config{Timeout: 500 * time.Millisecond, Roots: roots}, apiTarget(p))
	if r.State != probe.Stalled || !strings.Contains(r.Detail, "body") {
		t.Fatalf("state = %s (%s); want stalled in the body", r.State, r.Detail)
	}
}

// TestConnectEngineIPv6: the connect engine speaks IPv6 too: open and refused on [::1].
func TestConnectEngineIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	serve(t, ln, func(net.Conn) {})
	closed, _ := net.Listen("tcp6", "[::1]:0")
	closedPort := port(closed)
	closed.Close()
	v6 := netip.MustParseAddr("::1")
	rs := probe.New(probe.Config{Timeout: time.Second}).Run(t.Context(), []probe.Target{
		{Host: "::1", Addr: v6, Port: port(ln), Check: probe.CheckTCP},
		{Host: "::1", Addr: v6, Port: closedPort, Check: probe.CheckTCP},
	})
	checkResult(t, rs[0][0], probe.Open, "open", "")
	checkResult(t, rs[1][0], probe.Refused, "refused", "")
	if rs[0][0].Source != v6 {
		t.Errorf("source = %s; want ::1", rs[0][0].Source)
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
