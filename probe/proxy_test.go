package probe_test

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/fwcheck/fwcheck/probe"
)

// connectProxy is a CONNECT proxy for tests: it tunnels to backend whatever name was asked
// for, on the ports it allows, and answers others with status. It never resolves names.
type connectProxy struct {
	backend  string       // where every tunnel goes
	allow    map[int]bool // ports CONNECT may reach; others get deny
	deny     int          // status for a refused port (403 by default)
	status   int          // if non-zero, every CONNECT gets this status
	auth     string       // if non-empty, "user:password" required (407 otherwise)
	offer    []string     // Proxy-Authenticate schemes offered with 407
	okStatus int          // the 2xx to open a tunnel with (200 by default)
	mu       sync.Mutex   // guards asked
	asked    []string     // CONNECT targets seen
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.asked = append(p.asked, r.Host)
	p.mu.Unlock()
	if p.auth != "" && r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(p.auth)) {
		for _, o := range p.offer {
			w.Header().Add("Proxy-Authenticate", o)
		}
		w.WriteHeader(http.StatusProxyAuthRequired)
		return
	}
	if p.status != 0 {
		w.WriteHeader(p.status)
		return
	}
	_, portStr, _ := net.SplitHostPort(r.Host)
	port, _ := strconv.Atoi(portStr)
	if !p.allow[port] {
		w.WriteHeader(cmpOr(p.deny, http.StatusForbidden))
		return
	}
	up, err := net.Dial("tcp", p.backend)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	w.WriteHeader(cmpOr(p.okStatus, http.StatusOK))
	w.(http.Flusher).Flush()
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	pipe(c, brw.Reader, up)
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// pipe copies both ways until either side closes.
func pipe(c net.Conn, r io.Reader, up net.Conn) {
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, r); up.Close(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.Close(); done <- struct{}{} }()
	<-done
	<-done
}

func (p *connectProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// proxyFor builds the probe config for a proxy URL, as main does from --proxy.
func proxyFor(t testing.TB, proxyURL string) *probe.ProxyConfig {
	t.Helper()
	pc := &probe.ProxyConfig{HTTP: httpproxy.Config{HTTPSProxy: proxyURL, HTTPProxy: proxyURL}}
	if err := pc.Validate(); err != nil {
		t.Fatalf("proxy config: %v", err)
	}
	return pc
}

// socks5Server is a SOCKS5 server (RFC 1928, no auth or RFC 1929 user/password) that
// connects every request to backend and records what it was asked for.
func socks5Server(t testing.TB, backend, auth string) (string, func() []string) {
	t.Helper()
	ln := newLocalListener(t, "tcp")
	var mu sync.Mutex
	var asked []string
	serve(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(br, hdr); err != nil || hdr[0] != 5 {
			return
		}
		methods := make([]byte, hdr[1])
		io.ReadFull(br, methods)
		if auth == "" {
			c.Write([]byte{5, 0})
		} else {
			c.Write([]byte{5, 2})
			v := make([]byte, 2)
			io.ReadFull(br, v)
			user := make([]byte, v[1])
			io.ReadFull(br, user)
			pl := make([]byte, 1)
			io.ReadFull(br, pl)
			pass := make([]byte, pl[0])
			io.ReadFull(br, pass)
			if string(user)+":"+string(pass) != auth {
				c.Write([]byte{1, 1})
				return
			}
			c.Write([]byte{1, 0})
		}
		req := make([]byte, 4)
		if _, err := io.ReadFull(br, req); err != nil {
			return
		}
		var host string
		switch req[3] {
		case 1:
			a := make([]byte, 4)
			io.ReadFull(br, a)
			host = net.IP(a).String()
		case 3:
			l := make([]byte, 1)
			io.ReadFull(br, l)
			name := make([]byte, l[0])
			io.ReadFull(br, name)
			host = string(name)
		case 4:
			a := make([]byte, 16)
			io.ReadFull(br, a)
			host = net.IP(a).String()
		}
		pb := make([]byte, 2)
		io.ReadFull(br, pb)
		mu.Lock()
		asked = append(asked, net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(pb)))))
		mu.Unlock()
		up, err := net.Dial("tcp", backend)
		if err != nil {
			c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
		c.SetDeadline(time.Time{})
		pipe(c, br, up)
	})
	return ln.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), asked...) }
}

// TestProxy drives every proxy outcome against in-process proxies. Targets carry names that
// do not resolve here: the proxy resolves them, or the probe fails.
func TestProxy(t *testing.T) {
	apiSrv, _, roots := testServer(t, shipsHandler)
	backend := apiSrv.Listener.Addr().String()
	tcpBackend := newLocalListener(t, "tcp")
	serve(t, tcpBackend, func(c net.Conn) { c.Read(make([]byte, 1)) })

	newProxy := func(p *connectProxy) string {
		s := httptest.NewServer(p)
		t.Cleanup(s.Close)
		return s.URL
	}
	policy := &connectProxy{backend: backend, allow: map[int]bool{443: true}}
	policyURL := newProxy(policy)
	authURL := newProxy(&connectProxy{backend: backend, allow: map[int]bool{443: true}, auth: "alice:s3cret", offer: []string{`Negotiate`, `Basic realm="corp"`}})
	negotiateURL := newProxy(&connectProxy{backend: backend, allow: map[int]bool{443: true}, auth: "x:y", offer: []string{"Negotiate", "NTLM"}})
	badGatewayURL := newProxy(&connectProxy{status: http.StatusBadGateway})
	noContentURL := newProxy(&connectProxy{backend: backend, allow: map[int]bool{443: true}, okStatus: http.StatusNoContent})
	tlsProxy := httptest.NewTLSServer(&connectProxy{backend: backend, allow: map[int]bool{443: true}})
	t.Cleanup(tlsProxy.Close)
	roots.AddCert(tlsProxy.Certificate())
	hang := silentListener(t)
	closed := closedPort(t)
	socksAddr, socksSeen := socks5Server(t, backend, "")
	socksAuthAddr, _ := socks5Server(t, tcpBackend.Addr().String(), "bob:pw")

	api := probe.Target{Host: "example.com", Port: 443, Check: probe.CheckHTTPS, Path: "/v1/", Expect: probe.Expect{Body: ships}}
	master := probe.Target{Host: "example.com", Port: 31142, Check: probe.CheckHTTPS, Path: "/version", Insecure: true, Expect: probe.Expect{JSONKey: "gitVersion"}}
	etcd := probe.Target{Host: "etcd.example.com", Port: 31234, Check: probe.CheckTCP}
	// socks5:// resolves here: a --resolve pin gives the name an address without DNS.
	pinnedEtcd := probe.Target{Host: "pinned.example.com", Port: 31234, Check: probe.CheckTCP}

	cases := []struct {
		name   string
		proxy  string
		target probe.Target
		state  probe.State
		reason string
		detail string
	}{
		{"CONNECT to 443 allowed", policyURL, api, probe.Open, "", ""},
		{"master port refused by policy", policyURL, master, probe.ProxyDenied, "proxy-denied:policy", "403 Forbidden"},
		{"etcd port refused by policy, tcp too", policyURL, etcd, probe.ProxyDenied, "proxy-denied:policy", "allow CONNECT to port 31234"},
		{"407 with Basic offered", authURL, api, probe.ProxyDenied, "proxy-denied:auth-required", "it offers Negotiate, Basic"},
		{"407 with Basic credentials", strings.Replace(authURL, "http://", "http://alice:s3cret@", 1), api, probe.Open, "", ""},
		{"407 with Negotiate and NTLM offered, no credentials", negotiateURL, api, probe.ProxyDenied, "proxy-denied:auth-required", "it offers Negotiate, NTLM"},
		{"502 from the proxy", badGatewayURL, api, probe.ProxyError, "proxy-upstream-failure", "502 Bad Gateway"},
		{"204 opens the tunnel (RFC 9110)", noContentURL, api, probe.Open, "", ""},
		{"proxy that accepts and never answers", "http://127.0.0.1:" + strconv.Itoa(int(hang)), api, probe.ProxyError, "proxy-timeout", ""},
		{"proxy port closed", "http://127.0.0.1:" + strconv.Itoa(int(closed)), api, probe.ProxyError, "proxy-unreachable:refused", ""},
		{"proxy name does not resolve", "http://proxy.invalid:3128", api, probe.ProxyError, "proxy-unreachable:dns", ""},
		{"https proxy", tlsProxy.URL, api, probe.Open, "", ""},
		{"socks5h: the proxy resolves", "socks5h://" + socksAddr, api, probe.Open, "", ""},
		{"socks5 with user/password, resolved here", "socks5://bob:pw@" + socksAuthAddr, pinnedEtcd, probe.Open, "", ""},
		{"socks5 with wrong password", "socks5://bob:nope@" + socksAuthAddr, pinnedEtcd, probe.ProxyError, "proxy-error:socks", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := probe.Config{Timeout: 800 * time.Millisecond, Roots: roots, Proxy: proxyFor(t, tc.proxy),
				Pins: []probe.Pin{{Host: "pinned.example.com", Port: 31234, Addr: loopback}}}
			r := one(t, cfg, tc.target)
			checkResult(t, r, tc.state, tc.reason, tc.detail)
			if r.Address.IsValid() && tc.state == probe.Open && !strings.HasPrefix(tc.proxy, "socks5://") {
				t.Errorf("address = %s; a name the proxy resolves has no local address", r.Address)
			}
			if strings.Contains(r.Detail+r.Via, "s3cret") || strings.Contains(r.Detail+r.Via, ":pw@") {
				t.Errorf("credentials leak: via %q, detail %q", r.Via, r.Detail)
			}
		})
	}
	if got := policy.seen(); len(got) == 0 || got[0] != "example.com:443" {
		t.Errorf("proxy was asked for %q; want example.com:443 by name", got)
	}
	if got := socksSeen(); len(got) == 0 || got[0] != "example.com:443" {
		t.Errorf("socks5h proxy was asked for %q; want the name", got)
	}
}

// TestProxyStatusKept: Go's own client reports only "Forbidden"; the code must survive.
func TestProxyStatusKept(t *testing.T) {
	for _, code := range []int{403, 407, 502, 503, 504} {
		s := httptest.NewServer(&connectProxy{status: code})
		r := one(t, probe.Config{Timeout: time.Second, Proxy: proxyFor(t, s.URL)},
			probe.Target{Host: "example.com", Port: 443, Check: probe.CheckTLS})
		s.Close()
		if !strings.Contains(r.Detail, strconv.Itoa(code)) {
			t.Errorf("%d: detail %q lacks the status code", code, r.Detail)
		}
	}
}

// TestOversizedConnectResponse: a proxy that sends megabytes of headers is an error, and
// memory stays bounded.
func TestOversizedConnectResponse(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	serve(t, ln, endlessHeaders)
	r := one(t, probe.Config{Timeout: 2 * time.Second, Proxy: proxyFor(t, "http://"+ln.Addr().String())},
		probe.Target{Host: "example.com", Port: 443, Check: probe.CheckTCP})
	if r.State != probe.ProxyError || r.Reason != "proxy-error:oversized" {
		t.Fatalf("state = %s (%s: %s); want proxy-error:oversized", r.State, r.Reason, r.Detail)
	}
}

func TestNoProxy(t *testing.T) {
	base := httpproxy.Config{HTTPSProxy: "http://proxy.example:3128", HTTPProxy: "http://proxy.example:3128"}
	cases := []struct {
		noProxy string
		target  probe.Target
		direct  bool
	}{
		{"", probe.Target{Host: "containers.bluemix.net", Port: 443, Check: probe.CheckTLS}, false},
		{"bluemix.net", probe.Target{Host: "containers.bluemix.net", Port: 443, Check: probe.CheckTLS}, true},
		{".bluemix.net", probe.Target{Host: "containers.bluemix.net", Port: 443, Check: probe.CheckTLS}, true},
		{".bluemix.net", probe.Target{Host: "bluemix.net", Port: 443, Check: probe.CheckTLS}, false},
		{"169.46.7.238", probe.Target{Host: "169.46.7.238", Port: 31142, Check: probe.CheckTCP}, true},
		{"169.46.0.0/16", probe.Target{Host: "169.46.7.238", Port: 31142, Check: probe.CheckTCP}, true},
		{"169.47.0.0/16", probe.Target{Host: "169.46.7.238", Port: 31142, Check: probe.CheckTCP}, false},
		{"example.com:31142", probe.Target{Host: "example.com", Port: 31142, Check: probe.CheckTCP}, true},
		{"example.com:31142", probe.Target{Host: "example.com", Port: 443, Check: probe.CheckTCP}, false},
		{"*", probe.Target{Host: "registry.bluemix.net", Port: 443, Check: probe.CheckTLS}, true},
		{"", probe.Target{Host: "localhost", Port: 443, Check: probe.CheckTLS}, true},
		{"", probe.Target{Host: "127.0.0.1", Port: 443, Check: probe.CheckTLS}, true},
		{"", probe.Target{Host: "169.46.7.238", Port: 30000, Check: probe.CheckUDP}, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("NO_PROXY=%q %s", tc.noProxy, tc.target.HostPort()), func(t *testing.T) {
			c := base
			c.NoProxy = tc.noProxy
			pc := &probe.ProxyConfig{HTTP: c}
			if err := pc.Validate(); err != nil {
				t.Fatal(err)
			}
			u, err := pc.For(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if (u == nil) != tc.direct {
				t.Fatalf("proxy = %v; want direct = %v", u, tc.direct)
			}
		})
	}
}

// TestProxyConfigChanges: two configs in one process each take effect (no env cache).
func TestProxyConfigChanges(t *testing.T) {
	tg := probe.Target{Host: "containers.bluemix.net", Port: 443, Check: probe.CheckTLS}
	a := &probe.ProxyConfig{HTTP: httpproxy.Config{HTTPSProxy: "http://one.example:3128"}}
	b := &probe.ProxyConfig{HTTP: httpproxy.Config{HTTPSProxy: "http://two.example:3128"}}
	ua, _ := a.For(tg)
	ub, _ := b.For(tg)
	if ua.Host != "one.example:3128" || ub.Host != "two.example:3128" {
		t.Fatalf("proxies = %v, %v", ua, ub)
	}
	all := &probe.ProxyConfig{All: "socks5h://socks.example"}
	if u, _ := all.For(tg); u == nil || u.String() != "socks5h://socks.example:1080" {
		t.Fatalf("ALL_PROXY gave %v", u)
	}
}

func TestParseProxyURL(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"http://proxy:3128", "http://proxy:3128", ""},
		{"proxy.corp:8080", "http://proxy.corp:8080", ""},
		{"10.1.2.3:3128", "http://10.1.2.3:3128", ""},
		{"socks5://s", "socks5://s:1080", ""},
		{"ftp://proxy:21", "", `scheme "ftp"`},
		{"http://user:pw@proxy:3128", "http://user:pw@proxy:3128", ""},
		{"http://[::1", "", "does not parse"},
	}
	for _, tc := range cases {
		u, err := probe.ParseProxyURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseProxyURL(%q) error = %v; want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("ParseProxyURL(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"http://alice:s3cret@proxy:3128": "http://alice:***@proxy:3128",
		"http://alice@proxy:3128":        "http://alice@proxy:3128",
		"socks5://u:p%40ss@s:1080":       "socks5://u:***@s:1080",
		"http://proxy:3128":              "http://proxy:3128",
	} {
		if got := probe.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q; want %q", in, got, want)
		}
	}
	u, _ := url.Parse("http://a:b@h")
	if strings.Contains(probe.RedactURL(u), ":b@") {
		t.Error("RedactURL leaks the password")
	}
}

// TestProxyParsedOnce: a validated config hands every target the proxy it parsed at
// validation (the same URL, not one parsed again per target), as ParseProxyURL reads it: a bare
// host:port is http, a SOCKS proxy without a port gets 1080.
func TestProxyParsedOnce(t *testing.T) {
	for _, tc := range []struct {
		cfg  probe.ProxyConfig
		want string
	}{
		{probe.ProxyConfig{HTTP: httpproxy.Config{HTTPSProxy: "proxy.example:3128"}}, "http://proxy.example:3128"},
		{probe.ProxyConfig{HTTP: httpproxy.Config{HTTPSProxy: "https://alice:pw@proxy.example"}}, "https://alice:pw@proxy.example"},
		{probe.ProxyConfig{All: "socks5://proxy.example"}, "socks5://proxy.example:1080"},
	} {
		cfg := tc.cfg
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		a, errA := cfg.For(probe.Target{Host: "a.example", Port: 443, Check: probe.CheckTCP})
		b, errB := cfg.For(probe.Target{Host: "b.example", Port: 8443, Check: probe.CheckTLS})
		if errA != nil || errB != nil || a == nil || a.String() != tc.want || a != b {
			t.Errorf("%+v: %v and %v (%v, %v); want the one URL %s for both", tc.cfg, a, b, errA, errB, tc.want)
		}
	}
}
