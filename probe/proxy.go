package probe

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/net/proxy"

	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe/pac"
)

// ProxyConfig says which proxy each target goes through. Build it once (from flags and the
// environment in main) and pass it in: nothing here reads the environment.
type ProxyConfig struct {
	// HTTP is the HTTPS_PROXY / HTTP_PROXY / NO_PROXY part, read as Go and curl read it.
	HTTP httpproxy.Config
	// All is ALL_PROXY (often socks5://), used when HTTP names no proxy for a target.
	All string
	// Direct turns proxies off (--no-proxy).
	Direct bool
	// PAC, if set, picks the proxies (an ordered failover list) for each target instead.
	PAC *pac.Script
	// Source says where the proxy settings came from: flag, pac, env or system.
	Source string
	// Auth answers a proxy's 407: Negotiate, NTLM or Basic.
	Auth ProxyAuth

	pick func(*url.URL) (*url.URL, error)
	all  func(*url.URL) (*url.URL, error)
	// The settings as ParseProxyURL reads them, once (Validate): For hands every target one of
	// these, never a URL parsed again.
	httpsProxy, httpProxy, allProxy *url.URL
}

// supportedProxySchemes are the proxy kinds fwcheck can speak.
var supportedProxySchemes = []string{"http", "https", "socks5", "socks5h"}

// ParseProxyURL reads a proxy URL as Go does (a bare host:port means http://) and rejects
// what fwcheck cannot use, rather than falling back to a direct connection.
func ParseProxyURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if !strings.Contains(s, "://") && (err != nil || u.Scheme == "" || u.Host == "") {
		u2, err2 := url.Parse("http://" + s)
		if err2 != nil || u2.Host == "" {
			return nil, fmt.Errorf("proxy URL %s does not parse", quote.Value(Redact(s)))
		}
		u, err = u2, nil
	}
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("proxy URL %s does not parse", quote.Value(Redact(s)))
	}
	if !slices.Contains(supportedProxySchemes, u.Scheme) {
		return nil, fmt.Errorf("proxy URL %s: scheme %s is not one of %s", quote.Value(Redact(s)), quote.Value(u.Scheme), strings.Join(supportedProxySchemes, ", "))
	}
	if len(u.Hostname()) > 253 {
		return nil, fmt.Errorf("proxy URL %s: the host name is longer than 253 characters", quote.Value(Redact(s)))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("proxy URL %s: port %s is not 1-65535", quote.Value(Redact(s)), quote.Value(p))
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("proxy URL %s: empty port", quote.Value(Redact(s)))
	}
	if u.Port() == "" && (u.Scheme == "socks5" || u.Scheme == "socks5h") {
		u.Host = net.JoinHostPort(u.Hostname(), "1080")
	}
	return u, nil
}

// Validate parses every proxy URL the config holds, so bad input fails before any dial, and
// prepares For. Call it once before the config is shared between goroutines.
func (c *ProxyConfig) Validate() error {
	var err error
	if c.httpsProxy, err = ParseProxyURL(c.HTTP.HTTPSProxy); err != nil {
		return err
	}
	if c.httpProxy, err = ParseProxyURL(c.HTTP.HTTPProxy); err != nil {
		return err
	}
	if c.allProxy, err = ParseProxyURL(c.All); err != nil {
		return err
	}
	c.pick = c.HTTP.ProxyFunc()
	c.all = (&httpproxy.Config{HTTPSProxy: c.All, HTTPProxy: c.All, NoProxy: c.HTTP.NoProxy}).ProxyFunc()
	return nil
}

// For returns the proxy a target goes through, or nil for a direct connection. Every kind of
// target goes the way an HTTPS client would (CONNECT tunnels plain TCP too), except a plain
// HTTP check, which uses HTTP_PROXY's choice.
func (c *ProxyConfig) For(t Target) (*url.URL, error) {
	if c == nil || c.Direct || t.Check == CheckUDP || t.Check == CheckNone {
		return nil, nil
	}
	if c.pick == nil {
		// Not validated: validate a copy for this call only, never racing other callers.
		v := *c
		if err := v.Validate(); err != nil {
			return nil, err
		}
		c = &v
	}
	scheme := "https"
	if t.Check == CheckHTTP {
		scheme = "http"
	}
	req := &url.URL{Scheme: scheme, Host: t.HostPort()}
	if t.Addr.IsValid() && t.Host != t.Addr.String() {
		// A named service dialed at a documented IP: NO_PROXY may name either.
		req.Host = net.JoinHostPort(t.Host, fmt.Sprint(t.Port))
	}
	// httpproxy says whether a target goes through a proxy (NO_PROXY) and picks the setting by
	// the request's scheme; the URL returned is the one Validate parsed from that setting.
	u, err := c.pick(req)
	switch {
	case err != nil:
		return nil, err
	case u != nil && scheme == "http":
		return c.httpProxy, nil
	case u != nil:
		return c.httpsProxy, nil
	case c.All == "":
		return nil, nil
	}
	if u, err = c.all(req); err != nil || u == nil {
		return nil, err
	}
	return c.allProxy, nil
}

// ReasonPAC is the reason of a target whose PAC evaluation failed: never a silent DIRECT.
const ReasonPAC = "proxy-error:pac"

// Choices returns the ways to try a target, in order: the PAC file's failover list (nil for
// DIRECT), or the one proxy (or nil) of For.
func (c *ProxyConfig) Choices(ctx context.Context, t Target) ([]*url.URL, error) {
	if c == nil || c.PAC == nil || c.Direct || t.Check == CheckUDP || t.Check == CheckNone {
		u, err := c.For(t)
		return []*url.URL{u}, err
	}
	name := t.Name()
	list, err := c.PAC.Find(ctx, pac.URLFor(name, t.Port), name)
	if err != nil {
		return nil, &pacError{err}
	}
	out := make([]*url.URL, 0, len(list))
	for _, ch := range list {
		if ch.Direct {
			out = append(out, nil)
			continue
		}
		if ch.Scheme == "socks4" {
			continue // not spoken; the next choice is tried
		}
		u, err := ParseProxyURL(ch.String())
		if err != nil {
			return nil, &pacError{err}
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, &pacError{fmt.Errorf("the PAC answer for %s names only SOCKS4 proxies, which fwcheck does not speak", name)}
	}
	return out, nil
}

// pacError is a PAC file that failed for a target.
type pacError struct{ err error }

func (e *pacError) Error() string { return "the PAC file failed for this target: " + e.err.Error() }

// failsOver reports whether a result through a proxy means the proxy itself could not be
// used, so that a PAC failover list moves on to its next entry, as browsers do.
func failsOver(r Result) bool { return r.proxyUnusable }

// Redact hides the password of a URL's user info: http://user:***@proxy:3128.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			// Not a URL we can parse: drop everything before the host.
			return "***@" + s[i+1:]
		}
		return s
	}
	return RedactURL(u)
}

// RedactURL is Redact for a parsed URL. A proxy is named by scheme, user and host only:
// no password, and no path, query or fragment (which a proxy URL has no use for, and which
// could carry a secret too).
func RedactURL(u *url.URL) string {
	if u == nil {
		return Direct
	}
	user := ""
	if u.User != nil {
		user = url.PathEscape(u.User.Username())
		if _, has := u.User.Password(); has {
			user += ":***"
		}
		user += "@"
	}
	if u.Host == "" {
		return u.Scheme + "://" + user + "(no host)"
	}
	return u.Scheme + "://" + user + u.Host
}

// ProxyFailure is a failure at or of the proxy, as opposed to the destination.
type ProxyFailure struct {
	Proxy string // redacted
	// Status is the proxy's HTTP status for CONNECT, 0 when it never answered.
	Status     int
	StatusLine string
	// Reason is the finer reason ("proxy-denied:policy", "proxy-unreachable:refused").
	Reason string
	Detail string
	Err    error
	// Unusable: the proxy itself could not be used (it could not be reached, did not answer,
	// or its TLS failed), as opposed to a proxy that answered and refused or failed the target.
	Unusable bool
}

func (e *ProxyFailure) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("proxy %s: %s: %v", e.Proxy, e.Detail, e.Err)
	}
	return fmt.Sprintf("proxy %s: %s", e.Proxy, e.Detail)
}

func (e *ProxyFailure) Unwrap() error { return e.Err }

func (e *ProxyFailure) outcome() outcome {
	state := ProxyError
	if strings.HasPrefix(e.Reason, "proxy-denied") {
		state = ProxyDenied
	}
	return outcome{state, e.Reason, e.Detail, e.Unusable}
}

// proxyUnreachable wraps a failure to reach the proxy itself.
func proxyUnreachable(proxyName string, err error) *ProxyFailure {
	v := classify(err, PhaseConnect, Target{})
	reason := "proxy-unreachable"
	var dnsErr *net.DNSError
	switch {
	case isLocalResource(err) || isCanceled(err):
		return nil
	case errors.As(err, &dnsErr):
		reason += ":dns"
	case isTimeout(err):
		reason = "proxy-timeout"
	case v.state == Refused:
		reason += ":refused"
	case v.state == Unreachable:
		reason += ":unreachable"
	}
	return &ProxyFailure{Proxy: proxyName, Reason: reason, Err: err, Unusable: true,
		Detail: fmt.Sprintf("cannot reach the proxy %s (%s)", proxyName, errnoText(err))}
}

// maxConnectResponse bounds the CONNECT answer's status line and headers; a proxy that sends
// more is broken or hostile, and memory must stay flat.
const maxConnectResponse = 64 << 10

// dialViaProxyAuth opens a tunnel to target (host:port, a name or an IP) through proxyURL,
// dialing the proxy with dial, and names the authentication scheme that opened it ("" for
// none). Failures are *ProxyFailure, except local resource errors and cancelation.
func dialViaProxyAuth(ctx context.Context, dial DialFunc, proxyURL *url.URL, target string, tlsConf *tls.Config, auth *ProxyAuth) (net.Conn, string, error) {
	// dial reaches the proxy itself; it resolves the proxy's name through the prober.
	name := RedactURL(proxyURL)
	switch proxyURL.Scheme {
	case "socks5", "socks5h":
		c, err := dialSOCKS(ctx, dial, proxyURL, name, target)
		return c, "", err
	}
	var stops []func() bool
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	s := &connectSession{ctx: ctx, target: target, name: name, dial: func() (net.Conn, error) {
		conn, err := dial(ctx, "tcp", proxyURL.Host)
		if err != nil {
			if pe := proxyUnreachable(name, err); pe != nil {
				return nil, pe
			}
			return nil, err
		}
		stops = append(stops, closeOnDone(ctx, conn))
		if proxyURL.Scheme == "https" {
			tc := tls.Client(conn, tlsConfForProxy(tlsConf, proxyURL.Hostname()))
			if err := tc.HandshakeContext(ctx); err != nil {
				conn.Close()
				v := classify(err, PhaseTLS, Target{Host: proxyURL.Hostname()})
				return nil, &ProxyFailure{Proxy: name, Reason: "proxy-tls:" + v.reason, Err: err, Unusable: true,
					Detail: fmt.Sprintf("TLS to the proxy %s failed: %s", name, v.detail)}
			}
			conn = tc
		}
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		return conn, nil
	}}
	// Credentials in the proxy URL go along at once, as curl sends them (Basic).
	preemptive := ""
	if u := proxyURL.User; u != nil {
		pw, _ := u.Password()
		preemptive = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw))
	}
	resp, err := s.send(preemptive)
	if err == nil && resp.StatusCode == http.StatusProxyAuthRequired {
		resp, err = authenticate(s, resp, proxyURL, auth)
	}
	if err != nil {
		s.close()
		return nil, "", err
	}
	if resp.StatusCode/100 != 2 {
		s.close()
		return nil, "", connectRefused(name, target, resp)
	}
	if s.scheme == "" && preemptive != "" {
		s.scheme = "Basic"
	}
	conn, br := s.conn, s.br
	conn.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		// The proxy sent tunnel bytes along with its answer: hand them on first.
		buf, _ := br.Peek(br.Buffered())
		return &prefixConn{Conn: conn, prefix: slices.Clone(buf)}, s.scheme, nil
	}
	return conn, s.scheme, nil
}

// RFC 9110 lets any 2xx answer to CONNECT open the tunnel; Go's client accepts 200 only.
// fwcheck follows the RFC: a proxy answering 204 does tunnel, and the tools the user runs
// through it (curl among them) accept that too.

func proxyIOError(ctx context.Context, name string, err error) error {
	if isCanceled(err) || isLocalResource(err) {
		return err
	}
	if isTimeout(err) || budgetSpent(ctx) {
		return &ProxyFailure{Proxy: name, Reason: "proxy-timeout", Err: err, Unusable: true,
			Detail: fmt.Sprintf("the proxy %s accepted the connection but did not answer CONNECT within the timeout", name)}
	}
	return &ProxyFailure{Proxy: name, Reason: "proxy-error:protocol", Err: err,
		Detail: fmt.Sprintf("the proxy %s closed or garbled its answer to CONNECT", name)}
}

// connectRefused turns a non-2xx CONNECT answer into the verdict, keeping the status code.
func connectRefused(name, target string, resp *http.Response) *ProxyFailure {
	_, port, _ := net.SplitHostPort(target)
	e := &ProxyFailure{Proxy: name, Status: resp.StatusCode, StatusLine: resp.Proto + " " + resp.Status}
	switch {
	case resp.StatusCode == http.StatusProxyAuthRequired:
		e.Reason = "proxy-denied:auth-required"
		offered := resp.Header.Values("Proxy-Authenticate")
		var schemes []string
		for _, o := range offered {
			s, _, _ := strings.Cut(strings.TrimSpace(o), " ")
			schemes = append(schemes, s)
		}
		e.Detail = fmt.Sprintf("the proxy %s requires authentication (%s); it offers %s", name, e.StatusLine, orNone(strings.Join(schemes, ", ")))
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		e.Reason = "proxy-upstream-failure"
		e.Detail = fmt.Sprintf("the proxy %s could not reach %s (%s): a firewall beyond the proxy, or DNS at the proxy", name, target, e.StatusLine)
	default:
		e.Reason = "proxy-denied:policy"
		e.Detail = fmt.Sprintf("the proxy %s refused CONNECT to %s (%s)", name, target, e.StatusLine)
		if port != "443" {
			e.Detail += fmt.Sprintf(": the proxy's policy, not a firewall, refuses port %s; ask the proxy team to allow CONNECT to port %s for this host", port, port)
		}
	}
	return e
}

func orNone(s string) string {
	if s == "" {
		return "no scheme"
	}
	return s
}

func tlsConfForProxy(base *tls.Config, host string) *tls.Config {
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if base != nil {
		c.RootCAs = base.RootCAs
	}
	return c
}

// dialSOCKS tunnels through a SOCKS5 proxy. With socks5:// the target must already be an
// address (resolved here); with socks5h:// the proxy resolves the name.
func dialSOCKS(ctx context.Context, dial DialFunc, proxyURL *url.URL, name, target string) (net.Conn, error) {
	var auth *proxy.Auth
	if u := proxyURL.User; u != nil {
		pw, _ := u.Password()
		auth = &proxy.Auth{User: u.Username(), Password: pw}
	}
	reached := false
	fwd := contextDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			if pe := proxyUnreachable(name, err); pe != nil {
				return nil, pe
			}
			return nil, err
		}
		reached = true
		return c, nil
	})
	d, err := proxy.SOCKS5("tcp", proxyURL.Host, auth, fwd)
	if err != nil {
		return nil, &ProxyFailure{Proxy: name, Reason: "proxy-error:config", Err: err, Detail: "bad SOCKS5 proxy"}
	}
	conn, err := d.(proxy.ContextDialer).DialContext(ctx, "tcp", target)
	if err == nil {
		return conn, nil
	}
	var pe *ProxyFailure
	switch {
	case errors.As(err, &pe), isCanceled(err), isLocalResource(err):
		return nil, err
	case !reached:
		return nil, err
	case isTimeout(err) || ctx.Err() != nil:
		return nil, &ProxyFailure{Proxy: name, Reason: "proxy-timeout", Err: err, Unusable: true,
			Detail: fmt.Sprintf("the SOCKS5 proxy %s did not finish the handshake within the timeout", name)}
	default:
		// x/net's SOCKS client reports the proxy's reply code only as text.
		return nil, &ProxyFailure{Proxy: name, Reason: "proxy-error:socks", Err: err,
			Detail: fmt.Sprintf("the SOCKS5 proxy %s could not open %s", name, target)}
	}
}

type contextDialer func(ctx context.Context, network, addr string) (net.Conn, error)

func (f contextDialer) Dial(network, addr string) (net.Conn, error) {
	return f(context.Background(), network, addr)
}

func (f contextDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// prefixConn replays bytes read past the proxy's answer before reading the connection.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// ForRequest is For as an http.Transport's Proxy function.
func (c *ProxyConfig) ForRequest(req *http.Request) (*url.URL, error) {
	port := req.URL.Port()
	if port == "" {
		port = "443"
	}
	var p uint16
	fmt.Sscan(port, &p)
	return c.For(Target{Host: req.URL.Hostname(), Port: p, Check: CheckHTTPS})
}
