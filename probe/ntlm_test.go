package probe_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	ntlmssp "github.com/Azure/go-ntlmssp"
	//lint:ignore SA1019 NTLM is built on MD4: a verifier of it needs MD4
	"golang.org/x/crypto/md4"

	"github.com/fwcheck/fwcheck/probe"
)

func utf16le(s string) []byte {
	var b bytes.Buffer
	for _, r := range utf16.Encode([]rune(s)) {
		binary.Write(&b, binary.LittleEndian, r)
	}
	return b.Bytes()
}

func fromUTF16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// ntlmChallenge is a type 2 message: NTLMv2 with a target info block.
func ntlmChallenge(server [8]byte) []byte {
	info := append(append([]byte{2, 0}, byte(len(utf16le("LAB"))), 0), utf16le("LAB")...) // MsvAvNbDomainName
	info = append(info, 0, 0, 0, 0)                                                       // MsvAvEOL
	msg := make([]byte, 56)
	copy(msg, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(msg[8:], 2)
	binary.LittleEndian.PutUint32(msg[16:], 56) // empty target name at 56
	binary.LittleEndian.PutUint32(msg[20:], 0x00000001|0x00000200|0x00080000|0x00800000|0x02000000|0x20000000|0x80000000)
	copy(msg[24:], server[:])
	binary.LittleEndian.PutUint16(msg[40:], uint16(len(info)))
	binary.LittleEndian.PutUint16(msg[42:], uint16(len(info)))
	binary.LittleEndian.PutUint32(msg[44:], 56)
	return append(msg, info...)
}

// ntlmVerify checks a type 3 message's NTLMv2 response against the password, as a domain
// controller would: it proves fwcheck ran the real handshake with the password it was given.
// identity is who the message says authenticates, DOMAIN\user as a domain controller reads it.
func ntlmVerify(msg []byte, server [8]byte, password string) (identity string, ok bool) {
	field := func(off int) []byte {
		if len(msg) < off+8 {
			return nil
		}
		n, at := int(binary.LittleEndian.Uint16(msg[off:])), int(binary.LittleEndian.Uint32(msg[off+4:]))
		if at+n > len(msg) {
			return nil
		}
		return msg[at : at+n]
	}
	if !bytes.HasPrefix(msg, []byte("NTLMSSP\x00\x03")) {
		return "", false
	}
	nt, domain, name := field(20), fromUTF16le(field(28)), fromUTF16le(field(36))
	identity = domain + `\` + name
	if len(nt) < 17 {
		return identity, false
	}
	h := md4.New()
	h.Write(utf16le(password))
	mac := hmac.New(md5.New, h.Sum(nil))
	mac.Write(utf16le(strings.ToUpper(name) + domain))
	key := mac.Sum(nil)
	mac = hmac.New(md5.New, key)
	mac.Write(server[:])
	mac.Write(nt[16:])
	return identity, hmac.Equal(mac.Sum(nil), nt[:16])
}

// ntlmProxy is a CONNECT proxy that requires NTLM on the connection, checking the password;
// authenticated names who it let through last (DOMAIN\user), as its domain controller saw it.
func ntlmProxy(t *testing.T, password string) (addr string, authenticated func() string) {
	var mu sync.Mutex
	var last string
	ln := newLocalListener(t, "tcp")
	serve(t, ln, func(c net.Conn) {
		var server [8]byte
		rand.Read(server[:])
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			auth := strings.TrimPrefix(req.Header.Get("Proxy-Authorization"), "NTLM ")
			msg, _ := base64.StdEncoding.DecodeString(auth)
			switch {
			case len(msg) > 8 && msg[8] == 1:
				c.Write([]byte("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM " +
					base64.StdEncoding.EncodeToString(ntlmChallenge(server)) + "\r\nContent-Length: 0\r\n\r\n"))
			case len(msg) > 8 && msg[8] == 3:
				if who, ok := ntlmVerify(msg, server, password); ok {
					mu.Lock()
					last = who
					mu.Unlock()
					c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
					c.Read(make([]byte, 1)) // a tunnel that stays open until the client is done
					return
				}
				c.Write([]byte("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n"))
			default:
				// A body, read by its length, keeps the connection for the handshake.
				c.Write([]byte("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nContent-Length: 6\r\n\r\ndenied"))
			}
		}
	})
	return ln.Addr().String(), func() string {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// TestProxyAuthentication: NTLM on one connection (the body of each 407 read by its length)
// with the right and a wrong password, credentials from the configuration (a PAC file's or
// the system's proxy has none in its URL) or the URL; the classes of failure by reason.
func TestProxyAuthentication(t *testing.T) {
	proxyAddr, authenticated := ntlmProxy(t, "s3cret")
	digestOnly := newLocalListener(t, "tcp")
	serve(t, digestOnly, func(c net.Conn) {
		http.ReadRequest(bufio.NewReader(c))
		c.Write([]byte("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm=\"x\", nonce=\"1\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	})
	negotiateOnly := newLocalListener(t, "tcp")
	serve(t, negotiateOnly, func(c net.Conn) {
		http.ReadRequest(bufio.NewReader(c))
		c.Write([]byte("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	})
	target := probe.Target{Host: "name.fwcheck.test", Port: 443, Check: probe.CheckTCP}
	cases := []struct {
		name, proxy  string
		auth         probe.ProxyAuth
		state        probe.State
		reason, hint string
	}{
		{"NTLM, configured credentials", "http://" + proxyAddr, probe.ProxyAuth{User: `LAB\alice`, Password: "s3cret"}, probe.Open, "open", ""},
		{"NTLM, credentials in the URL", "http://LAB%5Calice:s3cret@" + proxyAddr, probe.ProxyAuth{}, probe.Open, "open", ""},
		{"NTLM, wrong password", "http://" + proxyAddr, probe.ProxyAuth{User: `LAB\alice`, Password: "wrong"}, probe.ProxyDenied, "proxy-denied:auth-failed", `refused the NTLM credentials of LAB\alice`},
		{"NTLM, no credentials", "http://" + proxyAddr, probe.ProxyAuth{}, probe.ProxyDenied, "proxy-denied:auth-required", "FWCHECK_PROXY_USER"},
		{"Digest only", "http://" + digestOnly.Addr().String(), probe.ProxyAuth{User: "u", Password: "p"}, probe.ProxyDenied, "proxy-denied:scheme-unsupported", "offers only Digest"},
		{"Negotiate only, no ticket cache", "http://" + negotiateOnly.Addr().String(), probe.ProxyAuth{}, probe.ProxyDenied, "proxy-denied:no-ticket", "kinit"},
		{"Negotiate only, a KCM cache", "http://" + negotiateOnly.Addr().String(), probe.ProxyAuth{CCache: "KCM:1000"}, probe.ProxyDenied, "proxy-denied:no-ticket", "KRB5CCNAME=FILE:"},
		{"Negotiate only, a FILE cache that is not there", "http://" + negotiateOnly.Addr().String(), probe.ProxyAuth{CCache: "FILE:/nonexistent/krb5cc"}, probe.ProxyDenied, "proxy-denied:no-ticket", "run kinit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px := proxyFor(t, tc.proxy)
			px.Auth = probe.WithSystemAuth(tc.auth, nil) // the same answers on Windows, without its SSPI
			r := one(t, probe.Config{Timeout: 2 * time.Second, Proxy: px}, target)
			checkResult(t, r, tc.state, tc.reason, tc.hint)
			if strings.Contains(r.Detail+r.Via, "s3cret") || strings.Contains(r.Detail, "wrong") || strings.Contains(r.Detail, "TlRMTVNT") {
				t.Errorf("a secret or an NTLM message in the result: %q via %q", r.Detail, r.Via)
			}
			// The user's domain reaches the domain controller: without it, a user of another
			// domain of the forest is looked up in the proxy's own.
			if who := authenticated(); tc.state == probe.Open && who != `LAB\alice` {
				t.Errorf("the proxy authenticated %q; want LAB\\alice", who)
			}
		})
	}
}

// loggedOnUser plays SSPI for a user logged on as LAB\alice: NTLM by go-ntlmssp with a
// password fwcheck is never given.
type loggedOnUser struct {
	password string
	started  bool
}

func (u *loggedOnUser) Next(in []byte) ([]byte, error) {
	if !u.started {
		u.started = true
		return ntlmssp.NewNegotiateMessage("", "")
	}
	return ntlmssp.NewAuthenticateMessage(in, `LAB\alice`, u.password, nil)
}

func (u *loggedOnUser) Close() {}

// TestSystemProxyAuthentication: where the system has a security provider (SSPI on Windows),
// the logged-on user authenticates with no credentials configured; a refusal is auth-failed
// naming SSPI; a provider that cannot start leaves the other ways; configured credentials win.
func TestSystemProxyAuthentication(t *testing.T) {
	proxyAddr, _ := ntlmProxy(t, "s3cret")
	target := probe.Target{Host: "name.fwcheck.test", Port: 443, Check: probe.CheckTCP}
	var spns []string
	cases := []struct {
		name     string
		provider func(scheme, spn string) (probe.SecurityContext, error)
		auth     probe.ProxyAuth
		state    probe.State
		reason   string
		hint     string
	}{
		{"the logged-on user", func(scheme, spn string) (probe.SecurityContext, error) {
			spns = append(spns, scheme+" "+spn)
			return &loggedOnUser{password: "s3cret"}, nil
		}, probe.ProxyAuth{}, probe.Open, "open", ""},
		{"the logged-on user refused", func(string, string) (probe.SecurityContext, error) {
			return &loggedOnUser{password: "stale"}, nil
		}, probe.ProxyAuth{}, probe.ProxyDenied, "proxy-denied:auth-failed", "logged-on user's NTLM (SSPI)"},
		{"no logon session", func(string, string) (probe.SecurityContext, error) {
			return nil, errors.New("SEC_E_NO_CREDENTIALS")
		}, probe.ProxyAuth{}, probe.ProxyDenied, "proxy-denied:auth-required", "FWCHECK_PROXY_USER"},
		{"configured credentials win", func(string, string) (probe.SecurityContext, error) {
			t.Error("the system provider was asked although credentials were given")
			return nil, errors.New("unused")
		}, probe.ProxyAuth{User: `LAB\alice`, Password: "s3cret"}, probe.Open, "open", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px := proxyFor(t, "http://"+proxyAddr)
			px.Auth = probe.WithSystemAuth(tc.auth, tc.provider)
			r := one(t, probe.Config{Timeout: 2 * time.Second, Proxy: px}, target)
			checkResult(t, r, tc.state, tc.reason, tc.hint)
			if strings.Contains(r.Detail, "s3cret") || strings.Contains(r.Detail, "stale") {
				t.Errorf("a secret in the result: %q", r.Detail)
			}
		})
	}
	if want := "NTLM HTTP/127.0.0.1"; len(spns) != 1 || spns[0] != want {
		t.Errorf("the provider was asked for %q; want [%s]", spns, want)
	}
}
