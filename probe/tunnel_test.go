package probe_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/probe"
)

// lyingProxy answers every CONNECT with 200 and then, instead of tunnelling, does after(c).
func lyingProxy(t *testing.T, after func(c net.Conn)) string {
	t.Helper()
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		after(c)
	})
	return "http://" + ln.Addr().String()
}

// lyingSOCKS5 reports every request a success, then does after(c).
func lyingSOCKS5(t *testing.T, after func(c net.Conn)) string {
	t.Helper()
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(br, hdr); err != nil {
			return
		}
		io.ReadFull(br, make([]byte, hdr[1]))
		c.Write([]byte{5, 0})
		req := make([]byte, 4)
		if _, err := io.ReadFull(br, req); err != nil {
			return
		}
		switch req[3] {
		case 1:
			io.ReadFull(br, make([]byte, 4+2))
		case 3:
			l, _ := br.ReadByte()
			io.ReadFull(br, make([]byte, int(l)+2))
		case 4:
			io.ReadFull(br, make([]byte, 16+2))
		}
		c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
		after(c)
	})
	return "socks5h://" + ln.Addr().String()
}

func write(s string) func(net.Conn) {
	return func(c net.Conn) { io.WriteString(c, s); c.Read(make([]byte, 1)) }
}

func hold(c net.Conn) { c.Read(make([]byte, 1)) }

func closeNow(net.Conn) {}

// TestProxyTunnelIsNotTheDestination: a proxy's 2xx is only its word. A TCP-only probe through
// a proxy that then sends its own page, or closes the tunnel, is not the destination; one
// whose tunnel stays silent is open on the proxy's word, and says so; bytes that are not HTTP
// are the destination's own banner.
func TestProxyTunnelIsNotTheDestination(t *testing.T) {
	etcd := probe.Target{Host: "etcd.example.com", Port: 31234, Check: probe.CheckTCP}
	cases := []struct {
		name, proxy string
		state       probe.State
		reason      string
		proof       string
		detail      string
	}{
		{"a block page after the 200", lyingProxy(t, write("HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n\r\n<html>blocked by policy</html>")),
			probe.UnexpectedResponse, "unexpected-response:proxy-page", "", "blocked by policy"},
		{"bare HTML after the 200", lyingProxy(t, write("\r\n<!DOCTYPE html><html><body>Access denied</body></html>")),
			probe.UnexpectedResponse, "unexpected-response:proxy-page", "", "Access denied"},
		{"the tunnel closed at once", lyingProxy(t, closeNow),
			probe.ProxyError, "proxy-error:tunnel-closed", "", "closed it within"},
		{"an SSH banner is the destination's", lyingProxy(t, write("SSH-2.0-OpenSSH_9.2\r\n")),
			probe.Open, "open", "", "the destination spoke first"},
		{"a silent tunnel rests on the proxy's word", lyingProxy(t, hold),
			probe.Open, "open", probe.ProofProxy, "proxy's word"},
		{"SOCKS5 success, then closed", lyingSOCKS5(t, closeNow),
			probe.ProxyError, "proxy-error:tunnel-closed", "", ""},
		{"SOCKS5 success, then an HTML page", lyingSOCKS5(t, write("<html>not here</html>")),
			probe.UnexpectedResponse, "unexpected-response:proxy-page", "", ""},
		{"SOCKS5 silent tunnel", lyingSOCKS5(t, hold),
			probe.Open, "open", probe.ProofProxy, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := one(t, probe.Config{Timeout: 2 * time.Second, Proxy: proxyFor(t, tc.proxy)}, etcd)
			checkResult(t, r, tc.state, tc.reason, tc.detail)
			if r.Proof != tc.proof {
				t.Errorf("proof = %q, want %q", r.Proof, tc.proof)
			}
			// The settle window is inside the budget: never past --timeout.
			if r.Elapsed >= 2*time.Second {
				t.Errorf("took %s: past the probe's timeout", r.Elapsed)
			}
		})
	}

	t.Run("a direct TCP probe waits for nothing", func(t *testing.T) {
		ln := newLocalListener(t, "tcp")
		serve(t, ln, hold)
		r := one(t, probe.Config{Timeout: 2 * time.Second}, probe.Target{Host: "127.0.0.1", Addr: loopback, Port: port(ln), Check: probe.CheckTCP})
		checkResult(t, r, probe.Open, "open", "TCP handshake completed")
		if r.Proof != "" {
			t.Errorf("proof = %q for a direct handshake", r.Proof)
		}
	})
	t.Run("a budget shorter than the window", func(t *testing.T) {
		r := one(t, probe.Config{Timeout: 50 * time.Millisecond, Proxy: proxyFor(t, lyingProxy(t, hold))}, etcd)
		if r.State != probe.Open || r.Proof != probe.ProofProxy || r.Elapsed > 500*time.Millisecond {
			t.Errorf("%s/%s in %s: %s", r.State, r.Proof, r.Elapsed, r.Detail)
		}
	})
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
