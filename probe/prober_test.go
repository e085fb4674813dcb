package probe_test

import (
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/probe"
)

func TestMain(m *testing.M) {
	if childMain() {
		return
	}
	goleak.VerifyTestMain(m)
}

// ships is what the catalog's api.expect asks for: the page's drawing.
var ships = strings.TrimSpace(testnet.Ships)

// shipsHandler plays containers.bluemix.net: /v1/ shows the banner, /version the JSON.
func shipsHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/":
		fmt.Fprint(w, testnet.Ships)
	case "/version":
		fmt.Fprint(w, `{"major":"1","minor":"7+","gitVersion":"v1.7.4-2+eb9172c211dc41"}`)
	default:
		http.NotFound(w, r)
	}
}

func apiTarget(port uint16) probe.Target {
	return probe.Target{Host: "example.com", Addr: loopback, Port: port, Check: probe.CheckHTTPS,
		Path: "/v1/", Expect: probe.Expect{Status: []int{200}, Body: ships}}
}

// TestStates produces each state loopback can produce, for real, against a listener made here.
func TestStates(t *testing.T) {
	apiSrv, apiPort, roots := testServer(t, shipsHandler)
	_, blockPort, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>Access to this site is blocked by corporate policy</html>")
	})
	_, forbiddenPort, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "blocked", http.StatusForbidden)
	})
	_, portalPort, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://portal.example/login", http.StatusFound)
	})
	plain := newLocalListener(t, "tcp")
	serve(t, plain, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
	})
	empty := newLocalListener(t, "tcp")
	serve(t, empty, func(c net.Conn) {
		c.Read(make([]byte, 4096)) // read the request, then close without a word
	})
	resetAfterAccept := newLocalListener(t, "tcp")
	serve(t, resetAfterAccept, func(c net.Conn) {
		c.Read(make([]byte, 4096)) // the ClientHello, or EOF for a bare connect
		c.(*net.TCPConn).SetLinger(0)
	})
	silent := silentListener(t)
	halfHello := newLocalListener(t, "tcp")
	serve(t, halfHello, func(c net.Conn) {
		c.Read(make([]byte, 4096)) // the ClientHello
		// A handshake record header announcing 100 bytes, then 10 of them, then silence.
		c.Write([]byte{0x16, 0x03, 0x03, 0x00, 0x64, 0x02, 0x00, 0x00, 0x60, 0x03, 0x03, 1, 2, 3, 4})
		io.Copy(io.Discard, c) // until the client gives up and closes
	})
	refused := closedPort(t)
	filtered := blackholePort(t, syscall.AF_INET)

	budget := 500 * time.Millisecond
	base := probe.Config{Timeout: budget, Roots: roots}
	cases := []struct {
		name   string
		target probe.Target
		cfg    func(*probe.Config)
		state  probe.State
		reason string
		detail string
	}{
		{name: "open https with banner", target: apiTarget(apiPort), state: probe.Open, detail: "expected banner"},
		{name: "open tcp", target: probe.Target{Host: "127.0.0.1", Port: apiPort, Check: probe.CheckTCP}, state: probe.Open},
		{name: "refused", target: probe.Target{Host: "127.0.0.1", Port: refused, Check: probe.CheckTCP}, state: probe.Refused, reason: "refused"},
		{name: "filtered", target: probe.Target{Host: "127.0.0.1", Port: filtered, Check: probe.CheckTCP}, state: probe.Filtered, reason: "filtered-timeout"},
		{name: "stalled http", target: probe.Target{Host: "127.0.0.1", Port: silent, Check: probe.CheckHTTP}, state: probe.Stalled, reason: "app-timeout"},
		{name: "silent tcp is open", target: probe.Target{Host: "127.0.0.1", Port: silent, Check: probe.CheckTCP}, state: probe.Open},
		{name: "tls stall", target: probe.Target{Host: "example.com", Addr: loopback, Port: silent, Check: probe.CheckTLS}, state: probe.TLSError, reason: "tls-stall"},
		{name: "tls stall mid-ServerHello", target: probe.Target{Host: "example.com", Addr: loopback, Port: port(halfHello), Check: probe.CheckTLS}, state: probe.TLSError, reason: "tls-stall"},
		{name: "not tls", target: probe.Target{Host: "example.com", Addr: loopback, Port: port(plain), Check: probe.CheckTLS}, state: probe.UnexpectedResponse, reason: "unexpected-response:not-tls"},
		{name: "reset after accept, tcp", target: probe.Target{Host: "127.0.0.1", Port: port(resetAfterAccept), Check: probe.CheckTCP}, state: probe.Open},
		{name: "reset after accept, tls", target: probe.Target{Host: "example.com", Addr: loopback, Port: port(resetAfterAccept), Check: probe.CheckTLS}, state: probe.TLSError, reason: "tls-reset"},
		{name: "empty reply", target: probe.Target{Host: "127.0.0.1", Port: port(empty), Check: probe.CheckHTTP}, state: probe.UnexpectedResponse, reason: "unexpected-response:empty"},
		{name: "name mismatch", target: probe.Target{Host: "wrong.test", Addr: loopback, Port: apiPort, Check: probe.CheckTLS}, state: probe.TLSError, reason: "tls-name-mismatch"},
		{
			name: "intercepted: issuer not trusted", target: apiTarget(apiPort),
			cfg:   func(c *probe.Config) { c.Roots = x509.NewCertPool() },
			state: probe.TLSIntercepted, detail: "Acme Co",
		},
		{
			name: "trusted through --ca-file: open, inspection named", target: apiTarget(apiPort),
			cfg: func(c *probe.Config) {
				c.Roots = x509.NewCertPool()
				c.ExtraRoots = []*x509.Certificate{apiSrv.Certificate()}
			},
			state: probe.Open, reason: "open:inspected", detail: "--ca-file",
		},
		{name: "insecure master check", target: probe.Target{Host: "127.0.0.1", Port: apiPort, Check: probe.CheckHTTPS, Path: "/version", Insecure: true, Expect: probe.Expect{JSONKey: "gitVersion"}},
			cfg: func(c *probe.Config) { c.Roots = x509.NewCertPool() }, state: probe.Open, detail: "curl --insecure"},
		{name: "block page: 200, wrong body", target: apiTarget(blockPort), state: probe.UnexpectedResponse, reason: "unexpected-response:body", detail: "blocked by corporate policy"},
		{name: "block page: 403", target: apiTarget(forbiddenPort), state: probe.UnexpectedResponse, reason: "unexpected-response:status", detail: "403"},
		{name: "captive portal redirect", target: apiTarget(portalPort), state: probe.UnexpectedResponse, reason: "unexpected-response:redirect", detail: "portal.example"},
		{name: "json without gitVersion", target: probe.Target{Host: "example.com", Addr: loopback, Port: apiPort, Check: probe.CheckHTTPS, Path: "/v1/", Expect: probe.Expect{JSONKey: "gitVersion"}}, state: probe.UnexpectedResponse, reason: "unexpected-response:body"},
		{name: "dns .invalid", target: probe.Target{Host: "containers.invalid", Port: 443, Check: probe.CheckTCP}, state: probe.DNSError, reason: "dns-nxdomain"},
		{name: "unverified range", target: probe.Target{Check: probe.CheckNone, Note: "no listener known"}, state: probe.Unverified},
		{
			name: "source address not on this host", target: probe.Target{Host: "127.0.0.1", Port: apiPort, Check: probe.CheckTCP},
			cfg:   func(c *probe.Config) { c.SourceIP = netip.MustParseAddr("198.51.100.77") },
			state: probe.LocalError, detail: "EADDRNOTAVAIL",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := one(t, cfg, tc.target)
			checkResult(t, r, tc.state, tc.reason, tc.detail)
		})
	}
}

// TestResetsAreNotProof: a refused probe never passes, whatever it stands for.
func TestResetsAreNotProof(t *testing.T) {
	r := one(t, probe.Config{Timeout: time.Second}, probe.Target{Host: "127.0.0.1", Port: closedPort(t), Check: probe.CheckTCP})
	if r.State != probe.Refused || r.OK() {
		t.Fatalf("state = %s ok = %v; want refused, not ok", r.State, r.OK())
	}
}
