package probe_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/probe"
)

// TestSinkholedNames: a name a DNS filter answers with a sinkhole address (0.0.0.0/8,
// 127.0.0.0/8, ::, ::1) is a dns-error, never dialed there, even with a listener of this
// machine's on the port; localhost and names pinned with --resolve are dialed as given, and
// so are names the user gave rather than the catalog (a master URL may well be local).
func TestSinkholedNames(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(c net.Conn) {})
	p := port(ln)
	dns := newFakeDNS(t, map[string][]netip.Addr{
		"zero.example":    {netip.MustParseAddr("0.0.0.0")},
		"zeronet.example": {netip.MustParseAddr("0.1.2.3")},
		"loop.example":    {loopback},
		"loop2.example":   {netip.MustParseAddr("127.0.0.2")},
		"v6loop.example":  {netip.MustParseAddr("::1")},
		"v6zero.example":  {netip.MustParseAddr("::")},
		"mixed.example":   {netip.MustParseAddr("192.0.2.1"), loopback},
		"localhost":       {loopback},
		"pinned.example":  {netip.MustParseAddr("0.0.0.0")},
		"api.localhost":   {loopback},
		"mapped.example":  {netip.MustParseAddr("::ffff:127.0.0.1")},
	})
	cfg := probe.Config{Timeout: 2 * time.Second, Lookup: dns.lookup(), Pins: []probe.Pin{{Host: "pinned.example", Port: p, Addr: loopback}}}
	for _, tc := range []struct {
		host  string
		state probe.State
	}{
		{"zero.example", probe.DNSError},
		{"zeronet.example", probe.DNSError},
		{"loop.example", probe.DNSError},
		{"loop2.example", probe.DNSError},
		{"v6loop.example", probe.DNSError},
		{"v6zero.example", probe.DNSError},
		{"mixed.example", probe.DNSError},
		{"mapped.example", probe.DNSError},
		{"localhost", probe.Open},
		{"api.localhost", probe.Open},
		{"pinned.example", probe.Open},
	} {
		t.Run(tc.host, func(t *testing.T) {
			rs := run(t, cfg, probe.Target{Host: tc.host, Port: p, Check: probe.CheckTCP, Public: true})
			if len(rs) != 1 {
				t.Fatalf("%d results: %+v", len(rs), rs)
			}
			r := rs[0]
			if r.State != tc.state {
				t.Fatalf("%s: %s (%s: %s); want %s", tc.host, r.State, r.Reason, r.Detail, tc.state)
			}
			if tc.state == probe.DNSError && (r.Reason != "dns-sinkholed" || r.Address.IsValid()) {
				t.Errorf("%s: reason %q, address %v; want dns-sinkholed and nothing dialed (%s)", tc.host, r.Reason, r.Address, r.Detail)
			}
		})
	}
	t.Run("a name the user gave is dialed as resolved", func(t *testing.T) {
		r := one(t, cfg, probe.Target{Host: "loop.example", Port: p, Check: probe.CheckTCP})
		checkResult(t, r, probe.Open, "open", "")
	})
}
