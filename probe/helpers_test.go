package probe_test

import (
	"bufio"
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/fwcheck/fwcheck/probe"
)

// newLocalListener listens on a free loopback port until the test ends.
func newLocalListener(t testing.TB, network string) net.Listener {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s: %v", network, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t testing.TB) uint16 {
	t.Helper()
	ln := newLocalListener(t, "tcp")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return uint16(port)
}

// serve accepts connections and hands each to handle until the test ends.
func serve(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	_ = done
}

// silentListener accepts and never says anything; the connection closes when the test ends.
func silentListener(t testing.TB) uint16 {
	t.Helper()
	ln := newLocalListener(t, "tcp")
	stop := make(chan struct{})
	serve(t, ln, func(c net.Conn) {
		buf := make([]byte, 1024)
		go func() { <-stop; c.Close() }()
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
	t.Cleanup(func() { close(stop) })
	return port(ln)
}

func port(ln net.Listener) uint16 { return uint16(ln.Addr().(*net.TCPAddr).Port) }

// blackholePort returns a loopback port that drops SYNs: a listener with a backlog of 0 whose
// accept queue is already full and which never accepts. Linux then drops further SYNs, so a
// connect times out exactly as through a firewall that drops.
func blackholePort(t testing.TB, family int) uint16 {
	t.Helper()
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	host := "127.0.0.1"
	if family == syscall.AF_INET6 {
		sa = &syscall.SockaddrInet6{Addr: [16]byte{15: 1}}
		host = "::1"
	}
	if err := syscall.Bind(fd, sa); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	var p int
	switch a := got.(type) {
	case *syscall.SockaddrInet4:
		p = a.Port
	case *syscall.SockaddrInet6:
		p = a.Port
	}
	// Fill the queue: these connections complete and sit there; later SYNs are dropped.
	for i := 0; i < 2; i++ {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, itoa(p)), 300*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return uint16(p)
}

func itoa(n int) string { return strconv.Itoa(n) }

// testServer is an HTTPS server on loopback whose certificate covers example.com and 127.0.0.1.
func testServer(t testing.TB, h http.HandlerFunc) (*httptest.Server, uint16, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, port(srv.Listener), pool
}

// fakeDNS is a DNS server on loopback UDP: names in answers resolve to their addresses, names
// in silent get no reply at all, every other name is NXDOMAIN.
type fakeDNS struct {
	answers map[string][]netip.Addr
	silent  map[string]bool
	conn    net.PacketConn
}

func newFakeDNS(t testing.TB, answers map[string][]netip.Addr, silent ...string) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	d := &fakeDNS{answers: answers, silent: map[string]bool{}, conn: pc}
	for _, s := range silent {
		d.silent[s] = true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := d.answer(buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return d
}

func (d *fakeDNS) answer(req []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.TrimSuffix(q.Name.String(), ".")
	if d.silent[name] {
		return nil
	}
	if strings.HasPrefix(name, "garbage.") {
		// The request's ID, then bytes that are no DNS message.
		return append([]byte{req[0], req[1], 0x81, 0x80}, []byte("\xff\xfe not dns at all")...)
	}
	addrs, ok := d.answers[name]
	rcode := dnsmessage.RCodeSuccess
	switch {
	case strings.HasPrefix(name, "servfail."):
		rcode = dnsmessage.RCodeServerFailure
	case !ok:
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RCode: rcode})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	for _, a := range addrs {
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
		switch {
		case a.Is4() && q.Type == dnsmessage.TypeA:
			b.AResource(rh, dnsmessage.AResource{A: a.As4()})
		case a.Is6() && q.Type == dnsmessage.TypeAAAA:
			b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

// lookup resolves through the fake server only.
func (d *fakeDNS) lookup() probe.LookupFunc {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		c, err := dl.DialContext(ctx, "udp", d.conn.LocalAddr().String())
		if err == nil {
			context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
		}
		return c, err
	}}
	return probe.ResolverLookup(r)
}

// run probes one target and returns its results.
func run(t testing.TB, cfg probe.Config, tg probe.Target) []probe.Result {
	t.Helper()
	res := probe.New(cfg).Run(t.Context(), []probe.Target{tg})
	return res[0]
}

// one probes one target that must give exactly one result.
func one(t testing.TB, cfg probe.Config, tg probe.Target) probe.Result {
	t.Helper()
	rs := run(t, cfg, tg)
	if len(rs) != 1 {
		t.Fatalf("%d results, want 1: %+v", len(rs), rs)
	}
	return rs[0]
}

var loopback = netip.MustParseAddr("127.0.0.1")

// checkResult asserts a result's state and, when given, its reason and a part of its detail.
func checkResult(t testing.TB, r probe.Result, state probe.State, reason, detail string) {
	t.Helper()
	if r.State != state {
		t.Fatalf("state = %s (%s: %s); want %s", r.State, r.Reason, r.Detail, state)
	}
	if reason != "" && r.Reason != reason {
		t.Errorf("reason = %q; want %q (%s)", r.Reason, reason, r.Detail)
	}
	if detail != "" && !strings.Contains(r.Detail, detail) {
		t.Errorf("detail = %q; want it to contain %q", r.Detail, detail)
	}
}

// endlessHeaders reads a request line and answers with megabytes of headers that never end.
func endlessHeaders(c net.Conn) {
	bufio.NewReader(c).ReadString('\n')
	io.WriteString(c, "HTTP/1.1 200 OK\r\n")
	line := "X-Junk: " + strings.Repeat("a", 1000) + "\r\n"
	for i := 0; i < 4000; i++ {
		if _, err := io.WriteString(c, line); err != nil {
			return
		}
	}
}
