package probe

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/Azure/go-ntlmssp"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/fwcheck/fwcheck/internal/boundedfile"
)

// ProxyAuth is what fwcheck can authenticate to a proxy with, after a 407: Negotiate
// (Kerberos, from the user's ticket cache), then NTLM, then Basic. Nothing of it, and no
// token or NTLM message, is ever printed.
type ProxyAuth struct {
	// User (DOMAIN\user for NTLM) and Password serve a proxy whose URL carries none (from a
	// PAC file or the system settings): FWCHECK_PROXY_USER and FWCHECK_PROXY_PASSWORD.
	User, Password string
	// Krb5Conf is the krb5.conf to read (KRB5_CONFIG, else /etc/krb5.conf).
	Krb5Conf string
	// CCache is the ticket cache (KRB5CCNAME); gokrb5 reads FILE: caches only.
	CCache string

	// provider, when providerSet, stands for the system's security provider (systemAuth): a
	// test's fake, or nil for none.
	provider    func(scheme, spn string) (securityContext, error)
	providerSet bool
}

// systemProvider is the security provider a handshake uses: the system's, unless a stands
// in another.
func (a *ProxyAuth) systemProvider() func(scheme, spn string) (securityContext, error) {
	if a != nil && a.providerSet {
		return a.provider
	}
	return systemAuth
}

// Reasons of a proxy's refusal to authenticate.
const (
	reasonAuthRequired      = "proxy-denied:auth-required"
	reasonAuthFailed        = "proxy-denied:auth-failed"
	reasonNoTicket          = "proxy-denied:no-ticket"
	reasonClockSkew         = "proxy-denied:clock-skew"
	reasonSchemeUnsupported = "proxy-denied:scheme-unsupported"
)

// maxAuthRounds bounds the CONNECTs of one handshake (NTLM needs two after the first).
const maxAuthRounds = 4

// connectSession is one connection to an HTTP proxy on which CONNECT is sent, answered with
// 407 and sent again with credentials, as the handshakes need (NTLM must stay on one
// connection); it redials when the proxy closes.
type connectSession struct {
	// scheme is the authentication scheme that opened the tunnel, if any.
	scheme string
	ctx    context.Context
	dial   func() (net.Conn, error)
	conn   net.Conn
	br     *bufio.Reader
	lr     *io.LimitedReader
	target string
	name   string
}

func (s *connectSession) send(authz string) (*http.Response, error) {
	if s.conn == nil {
		c, err := s.dial()
		if err != nil {
			return nil, err
		}
		s.conn = c
		s.lr = &io.LimitedReader{R: c, N: maxConnectResponse}
		s.br = bufio.NewReader(s.lr)
	}
	req := "CONNECT " + s.target + " HTTP/1.1\r\nHost: " + s.target + "\r\nUser-Agent: " + UserAgent + "\r\n"
	if authz != "" {
		req += "Proxy-Authorization: " + authz + "\r\n"
	}
	if _, err := io.WriteString(s.conn, req+"\r\n"); err != nil {
		s.close()
		return nil, proxyIOError(s.ctx, s.name, err)
	}
	s.lr.N = maxConnectResponse // each answer has its own bound
	resp, err := http.ReadResponse(s.br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		over := s.lr.N <= 0
		s.close()
		if over {
			return nil, &ProxyFailure{Proxy: s.name, Reason: "proxy-error:oversized", Err: err,
				Detail: fmt.Sprintf("the proxy's answer to CONNECT is larger than %d KiB", maxConnectResponse>>10)}
		}
		return nil, proxyIOError(s.ctx, s.name, err)
	}
	return resp, nil
}

// next makes the connection ready for another CONNECT after a 407: the body is read by its
// length, or the connection is closed (and redialed) when the proxy will close it.
func (s *connectSession) next(resp *http.Response) {
	if resp.Close || resp.ContentLength < 0 && resp.Header.Get("Transfer-Encoding") == "" {
		s.close()
		return
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxConnectResponse)); err != nil {
		s.close()
	}
	resp.Body.Close()
}

func (s *connectSession) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// schemes lists the authentication schemes a 407 offers, lower case, with their data.
func schemes(resp *http.Response) map[string]string {
	m := map[string]string{}
	for _, v := range resp.Header.Values("Proxy-Authenticate") {
		scheme, data, _ := strings.Cut(strings.TrimSpace(v), " ")
		m[strings.ToLower(scheme)] = strings.TrimSpace(data)
	}
	return m
}

// offeredList names the schemes of a 407 as the proxy wrote them, in its order.
func offeredList(resp *http.Response) string {
	var names []string
	for _, v := range resp.Header.Values("Proxy-Authenticate") {
		scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !slices.Contains(names, scheme) {
			names = append(names, scheme)
		}
	}
	return orNone(strings.Join(names, ", "))
}

// credentialsFor are the user and password for a proxy: its URL's, else the configured ones.
func credentialsFor(u *url.URL, a *ProxyAuth) (user, password string, ok bool) {
	if u.User != nil {
		pw, _ := u.User.Password()
		return u.User.Username(), pw, true
	}
	if a != nil && a.User != "" {
		return a.User, a.Password, true
	}
	return "", "", false
}

// authenticate answers a 407 with the schemes it offers, strongest first, on the session, and
// returns the answer that ended the handshake (2xx, or the last refusal as a *ProxyFailure).
func authenticate(s *connectSession, first *http.Response, proxyURL *url.URL, a *ProxyAuth) (*http.Response, error) {
	offered := schemes(first)
	user, password, haveCreds := credentialsFor(proxyURL, a)
	tried := false // some scheme fwcheck speaks was offered and tried
	var ticketErr error
	fail := func(reason, detail string) error {
		return &ProxyFailure{Proxy: s.name, Status: http.StatusProxyAuthRequired, StatusLine: first.Proto + " " + first.Status,
			Reason: reason, Detail: detail}
	}
	resp := first
	s.next(resp)

	// The operating system's own provider (SSPI on Windows) authenticates as the logged-on
	// user, with no password in fwcheck's hands: first, unless credentials were given.
	system := a.systemProvider()
	if system != nil && !haveCreds {
		for _, scheme := range []string{"Negotiate", "NTLM"} {
			if _, ok := offered[strings.ToLower(scheme)]; !ok {
				continue
			}
			tried = true
			r, err := systemHandshake(s, system, scheme, "HTTP/"+proxyURL.Hostname())
			if err != nil {
				return nil, err
			}
			if r == nil {
				continue // the provider could not start: try what else there is
			}
			if r.StatusCode != http.StatusProxyAuthRequired {
				s.scheme = scheme
				return r, nil
			}
			s.next(r)
			return nil, fail(reasonAuthFailed, fmt.Sprintf("the proxy %s refused the logged-on user's %s (SSPI) credentials (it offers %s): set FWCHECK_PROXY_USER (DOMAIN\\user) and FWCHECK_PROXY_PASSWORD to authenticate as someone else",
				s.name, scheme, offeredList(first)))
		}
	}
	if _, ok := offered["negotiate"]; ok && system == nil {
		tried = true
		token, err := negotiateToken(a, proxyURL.Hostname())
		if err == nil {
			r, err := s.send("Negotiate " + token)
			if err != nil {
				return nil, err
			}
			if r.StatusCode != http.StatusProxyAuthRequired {
				s.scheme = "Negotiate"
				return r, nil
			}
			s.next(r)
			ticketErr = errors.New("the proxy refused the Kerberos ticket for HTTP/" + proxyURL.Hostname())
		} else {
			ticketErr = err
		}
	}
	if _, ok := offered["ntlm"]; ok && haveCreds {
		r, err := ntlmHandshake(s, user, password)
		if err != nil {
			return nil, err
		}
		if r.StatusCode != http.StatusProxyAuthRequired {
			s.scheme = "NTLM"
			return r, nil
		}
		s.next(r)
		return nil, fail(reasonAuthFailed, fmt.Sprintf("the proxy %s refused the NTLM credentials of %s (it offers %s): check FWCHECK_PROXY_USER (DOMAIN\\user) and FWCHECK_PROXY_PASSWORD",
			s.name, user, offeredList(first)))
	}
	if _, ok := offered["basic"]; ok && haveCreds {
		r, err := s.send("Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
		if err != nil {
			return nil, err
		}
		if r.StatusCode != http.StatusProxyAuthRequired {
			s.scheme = "Basic"
			return r, nil
		}
		s.next(r)
		return nil, fail(reasonAuthFailed, fmt.Sprintf("the proxy %s refused the Basic credentials of %s", s.name, user))
	}
	_, ntlm := offered["ntlm"]
	_, basic := offered["basic"]
	var ke *kerberosError
	switch {
	case ticketErr != nil && errors.As(ticketErr, &ke) && (ke.reason != reasonNoTicket || !ntlm && !basic):
		// Negotiate was the way, and it failed for this reason.
		return nil, fail(ke.reason, fmt.Sprintf("the proxy %s offers %s; Negotiate (Kerberos) failed: %v", s.name, offeredList(first), ke.err))
	case ticketErr != nil && ke == nil:
		return nil, fail(reasonAuthFailed, fmt.Sprintf("the proxy %s offers %s; %v", s.name, offeredList(first), ticketErr))
	case len(offered) > 0 && !tried && !ntlm && !basic:
		return nil, fail(reasonSchemeUnsupported, fmt.Sprintf("the proxy %s offers only %s; fwcheck speaks Negotiate (Kerberos), NTLM and Basic", s.name, offeredList(first)))
	}
	detail := fmt.Sprintf("the proxy %s requires authentication (%s %s); it offers %s: set FWCHECK_PROXY_USER (DOMAIN\\user for NTLM) and FWCHECK_PROXY_PASSWORD, or put user:password in the proxy URL", s.name, first.Proto, first.Status, offeredList(first))
	if _, ok := offered["negotiate"]; ok {
		detail += ", or get a Kerberos ticket for Negotiate (kinit, KRB5CCNAME=FILE:...)"
	}
	return nil, fail(reasonAuthRequired, detail)
}

// securityContext is one client handshake of the operating system's security provider (SSPI
// on Windows): the logged-on user's credentials, which fwcheck never sees.
type securityContext interface {
	// Next takes the proxy's token (nil at first) and returns the one to send.
	Next(in []byte) (out []byte, err error)
	Close()
}

// systemAuth opens a security context for a scheme (Negotiate or NTLM) and the proxy's SPN;
// nil where the system has no such provider (every OS but Windows). Set at start-up only.
var systemAuth func(scheme, spn string) (securityContext, error)

// systemHandshake runs a scheme's handshake through the system's provider on one connection:
// its token, the proxy's answer, until the proxy stops answering 407 with a token. A provider
// that cannot start (no logon session, the scheme unavailable) returns a nil response.
func systemHandshake(s *connectSession, system func(scheme, spn string) (securityContext, error), scheme, spn string) (*http.Response, error) {
	sc, err := system(scheme, spn)
	if err != nil {
		return nil, nil
	}
	defer sc.Close()
	var in []byte
	for round := 0; round < maxAuthRounds; round++ {
		out, err := sc.Next(in)
		if err != nil {
			if round == 0 {
				return nil, nil
			}
			return nil, &ProxyFailure{Proxy: s.name, Reason: reasonAuthFailed, Detail: fmt.Sprintf("the system's %s provider (SSPI) could not answer the proxy %s: %s", scheme, s.name, plainErr(err))}
		}
		r, err := s.send(scheme + " " + base64.StdEncoding.EncodeToString(out))
		if err != nil {
			return nil, err
		}
		token := schemes(r)[strings.ToLower(scheme)]
		if r.StatusCode != http.StatusProxyAuthRequired || token == "" {
			return r, nil
		}
		if in, err = base64.StdEncoding.DecodeString(token); err != nil {
			return r, nil
		}
		if s.next(r); s.conn == nil {
			return nil, &ProxyFailure{Proxy: s.name, Reason: "proxy-error:" + strings.ToLower(scheme), Detail: fmt.Sprintf("the proxy %s closed the connection in the middle of the %s handshake", s.name, scheme)}
		}
	}
	return nil, &ProxyFailure{Proxy: s.name, Reason: reasonAuthFailed, Detail: fmt.Sprintf("the %s handshake with the proxy %s did not end in %d rounds", scheme, s.name, maxAuthRounds)}
}

// ntlmHandshake sends NTLM's negotiate message, answers the challenge with the authenticate
// message, on one connection, and returns the proxy's last answer.
func ntlmHandshake(s *connectSession, user, password string) (*http.Response, error) {
	// The negotiate message names the client machine's domain, not the user's: none. The
	// user's (DOMAIN\user) goes into the authenticate message, whole.
	negotiate, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return nil, &ProxyFailure{Proxy: s.name, Reason: "proxy-error:ntlm", Err: err, Detail: "cannot build the NTLM negotiate message"}
	}
	r, err := s.send("NTLM " + base64.StdEncoding.EncodeToString(negotiate))
	if err != nil {
		return nil, err
	}
	if r.StatusCode != http.StatusProxyAuthRequired {
		return r, nil
	}
	challenge, err := base64.StdEncoding.DecodeString(schemes(r)["ntlm"])
	if err != nil || len(challenge) == 0 {
		s.next(r)
		return nil, &ProxyFailure{Proxy: s.name, Reason: "proxy-error:ntlm", Detail: fmt.Sprintf("the proxy %s answered the NTLM negotiate message without a challenge (did it drop the connection?)", s.name)}
	}
	if s.next(r); s.conn == nil {
		// NTLM authenticates a connection: a proxy that closed it cannot take the answer.
		return nil, &ProxyFailure{Proxy: s.name, Reason: "proxy-error:ntlm", Detail: fmt.Sprintf("the proxy %s closed the connection after its NTLM challenge", s.name)}
	}
	auth, err := ntlmssp.NewAuthenticateMessage(normalizeChallenge(challenge), user, password, nil)
	if err != nil {
		return nil, &ProxyFailure{Proxy: s.name, Reason: "proxy-error:ntlm", Detail: fmt.Sprintf("the proxy %s sent an NTLM challenge fwcheck cannot answer (%v)", s.name, err)}
	}
	return s.send("NTLM " + base64.StdEncoding.EncodeToString(auth))
}

// kerberosError is a Negotiate failure with its reason.
type kerberosError struct {
	reason string
	err    error
}

func (e *kerberosError) Error() string { return e.err.Error() }

// maxKerberosFileBytes caps the ticket cache and krb5.conf: real ones are a few KiB.
const maxKerberosFileBytes = 4 << 20

// negotiateToken makes a SPNEGO token for HTTP/<proxy host, as given> from the ticket cache.
func negotiateToken(a *ProxyAuth, proxyHost string) (string, error) {
	if a == nil || a.CCache == "" {
		return "", &kerberosError{reasonNoTicket, errors.New("no Kerberos ticket cache (run kinit; KRB5CCNAME names a FILE: cache)")}
	}
	cache := a.CCache
	kind, path, found := strings.Cut(cache, ":")
	if !found {
		kind, path = "FILE", cache
	}
	if !strings.EqualFold(kind, "FILE") {
		return "", &kerberosError{reasonNoTicket, fmt.Errorf("the ticket cache %s is a %s: cache, which fwcheck cannot read: run kinit -c FILE:/tmp/krb5cc_fwcheck and set KRB5CCNAME=FILE:/tmp/krb5cc_fwcheck", cache, kind)}
	}
	// gokrb5 reads both files whole: a FIFO would hold the probe, /dev/zero fill memory.
	if err := boundedfile.Check(path, maxKerberosFileBytes); err != nil {
		return "", &kerberosError{reasonNoTicket, fmt.Errorf("no Kerberos ticket in %s (run kinit): %v", cache, err)}
	}
	confPath := a.Krb5Conf
	if confPath == "" {
		confPath = "/etc/krb5.conf"
	}
	if err := boundedfile.Check(confPath, maxKerberosFileBytes); err != nil {
		return "", &kerberosError{reasonAuthFailed, fmt.Errorf("cannot read the Kerberos configuration: %v", err)}
	}
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		return "", &kerberosError{reasonNoTicket, fmt.Errorf("no Kerberos ticket in %s (run kinit): %v", cache, plainErr(err))}
	}
	cfg, err := config.Load(confPath)
	if err != nil {
		return "", &kerberosError{reasonAuthFailed, fmt.Errorf("cannot read the Kerberos configuration %s: %v", confPath, plainErr(err))}
	}
	cl, err := client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
	if err != nil {
		return "", &kerberosError{reasonNoTicket, fmt.Errorf("the ticket cache %s holds no usable ticket (run kinit): %v", cache, plainErr(err))}
	}
	sp := spnego.SPNEGOClient(cl, "HTTP/"+proxyHost)
	if err := sp.AcquireCred(); err != nil {
		return "", classifyKerberos(err, cache)
	}
	tok, err := sp.InitSecContext()
	if err != nil {
		return "", classifyKerberos(err, cache)
	}
	b, err := tok.Marshal()
	if err != nil {
		return "", &kerberosError{reasonAuthFailed, err}
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// classifyKerberos names what went wrong getting a service ticket.
func classifyKerberos(err error, cache string) error {
	msg := plainErr(err)
	switch {
	case strings.Contains(msg, "KRB_AP_ERR_SKEW") || strings.Contains(strings.ToLower(msg), "clock skew"):
		return &kerberosError{reasonClockSkew, fmt.Errorf("this machine's clock is more than the allowed skew (usually 5 minutes) from the KDC's: set the clock right: %s", msg)}
	case strings.Contains(msg, "expired") || strings.Contains(msg, "KRB_AP_ERR_TKT_EXPIRED"):
		return &kerberosError{reasonNoTicket, fmt.Errorf("the ticket in %s has expired: run kinit again", cache)}
	}
	return &kerberosError{reasonAuthFailed, fmt.Errorf("no service ticket for the proxy: %s", msg)}
}

// plainErr is an error's message on one line, at most a few hundred characters.
func plainErr(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// normalizeChallenge makes a short NTLM challenge (the 32-byte form of older servers, which
// has no target info) readable: the missing fields read as empty, and a name or target-info
// field pointing past the message is dropped rather than failing the handshake.
func normalizeChallenge(b []byte) []byte {
	const fixed = 48 // through the TargetInfo field
	if len(b) < fixed {
		b = append(slices.Clone(b), make([]byte, fixed-len(b))...)
	}
	for _, off := range []int{12, 40} { // TargetName, TargetInfo
		n := int(binary.LittleEndian.Uint16(b[off:]))
		at := int(binary.LittleEndian.Uint32(b[off+4:]))
		if n > 0 && at+n > len(b) {
			b = slices.Clone(b)
			clear(b[off : off+8])
		}
	}
	return b
}
