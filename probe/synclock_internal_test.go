package probe

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// TestOwnSYNClockOnDirectAttempts: the system is asked to send one SYN a connect (where it
// can: Windows) for the direct attempts that re-send SYNs themselves, and for no other dial:
// a proxy's connection keeps the system's own retries.
func TestOwnSYNClockOnDirectAttempts(t *testing.T) {
	var asked atomic.Int32
	counted := func(cfg Config) *Prober {
		p := New(cfg)
		p.synOff = func(syscall.RawConn) { asked.Add(1) }
		return p
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // a CONNECT proxy that says yes, and a TLS port that never answers
				defer c.Close()
				if req, err := http.ReadRequest(bufio.NewReader(c)); err == nil && req.Method == http.MethodConnect {
					c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
				}
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				c.Read(make([]byte, 1)) // the tunnel stays open until the client is done
			}()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()

	// Direct, on the general path (a TLS check): the attempt's connects.
	direct := counted(Config{Timeout: 100 * time.Millisecond}).Run(t.Context(), []Target{{Host: addr.Addr().String(), Addr: addr.Addr(), Port: addr.Port(), Check: CheckTLS}})
	if n := asked.Load(); n < 1 || direct[0][0].Reason != "tls-stall" {
		t.Fatalf("direct attempt: asked %d times, result %s; want at least once, tls-stall", n, direct[0][0].Reason)
	}

	// Through a proxy: the connection to the proxy is not one of them.
	asked.Store(0)
	px := &ProxyConfig{HTTP: httpproxy.Config{HTTPSProxy: "http://" + addr.String()}}
	if err := px.Validate(); err != nil {
		t.Fatal(err)
	}
	proxied := counted(Config{Timeout: time.Second, Proxy: px}).Run(t.Context(), []Target{{Host: "name.fwcheck.test", Port: 443, Check: CheckTCP}})
	if n := asked.Load(); n != 0 || proxied[0][0].State != Open {
		t.Errorf("through a proxy: asked %d times, state %s; want none, open", n, proxied[0][0].State)
	}
}

// TestConnectTimingOutAlone: a connect that the system gives up on by itself (one SYN, as on
// Windows with no retransmissions) does not end the attempt: the schedule still sends its
// three SYNs and decides when the probe is filtered.
func TestConnectTimingOutAlone(t *testing.T) {
	var dials atomic.Int32
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		dials.Add(1)
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connectex", syscall.ETIMEDOUT)}
	}
	a := netip.MustParseAddr("198.51.100.9")
	r := New(Config{Timeout: 3 * time.Second, Dial: dial}).Run(t.Context(), []Target{{Host: a.String(), Addr: a, Port: 443, Check: CheckTCP}})[0][0]
	if r.State != Filtered || r.SYNs != maxSYNs || dials.Load() != maxSYNs {
		t.Errorf("state %s after %d SYNs (%d dials); want filtered after %d", r.State, r.SYNs, dials.Load(), maxSYNs)
	}
}
