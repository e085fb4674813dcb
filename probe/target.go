package probe

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"time"
)

// Check is the kind of check made once a target is reached.
type Check string

const (
	// CheckTCP proves the TCP handshake completes.
	CheckTCP Check = "tcp"
	// CheckTLS proves the TLS handshake completes and the certificate verifies.
	CheckTLS Check = "tls"
	// CheckHTTPS makes a GET over TLS and checks the answer against Expect.
	CheckHTTPS Check = "https"
	// CheckHTTP makes a plain-text GET and checks the answer against Expect.
	CheckHTTP Check = "http"
	// CheckUDP sends a datagram: a reply proves the port open, an ICMP port-unreachable proves
	// the path reached the host, silence proves nothing.
	CheckUDP Check = "udp"
	// CheckNone dials nothing: the target cannot be proven from this side (a port range with no
	// known listener, a CIDR with no known live address). Its state is Unverified.
	CheckNone Check = "none"
)

// Expect is what a service's answer must look like for the check to pass.
type Expect struct {
	// Status lists the acceptable HTTP status codes. If empty, 200 is.
	Status []int
	// Body, if non-empty, must appear in the response body. A Body of several lines (a
	// banner drawing) must appear line by line, in order, each line's indentation aside.
	Body string
	// JSONKey, if non-empty, must be a top-level key of a JSON object body.
	JSONKey string
	// JSONValue, if set, must match JSONKey's value, which must be a string.
	JSONValue *regexp.Regexp
	// JSONArray: the body must be a non-empty JSON array; with JSONArrayKey, of objects that
	// each have that key as a non-empty string (a list of zones, each with its id).
	JSONArray    bool
	JSONArrayKey string
}

// Target is one thing to dial.
type Target struct {
	// Host is the name to resolve or an IP literal. It is the SNI and HTTP Host unless
	// ServerName is set.
	Host string
	// Addr, if valid, is dialed instead of resolving Host (a documented IP of a named service).
	Addr  netip.Addr
	Port  uint16
	Check Check
	// ServerName, if non-empty, is the TLS server name and HTTP Host to use.
	ServerName string
	// Path is the HTTP request path for CheckHTTP and CheckHTTPS ("/" if empty).
	Path   string
	Expect Expect
	// Insecure skips certificate verification, as `curl --insecure` does.
	Insecure bool
	// RootCAs, if non-nil, are the only roots the certificate may chain to (a cluster's own CA
	// from its kubeconfig); a chain to anything else is a tls-error.
	RootCAs *x509.CertPool
	// Public marks the name of a public service the catalog lists: resolved to a sinkhole
	// address (IsSinkhole), it is blocked by a DNS filter, never dialed there. Names the
	// user gives (a master URL, an ad-hoc target) may be local and are dialed as resolved.
	Public bool
	// Note explains a CheckNone target.
	Note string
	// Range, if valid, is the documented range this target stands for (--sweep dials one
	// target per address of it; one answer proves the range).
	Range netip.Prefix
}

// Name is the name this target is known by: the SNI name when set, else Host.
func (t Target) Name() string {
	if t.ServerName != "" {
		return t.ServerName
	}
	return t.Host
}

// Network is "udp" for UDP checks and "tcp" otherwise.
func (t Target) Network() string {
	if t.Check == CheckUDP {
		return "udp"
	}
	return "tcp"
}

// HostPort is host:port of the target as dialed: the address when known, the host otherwise.
func (t Target) HostPort() string {
	h := t.Host
	if t.Addr.IsValid() {
		h = t.Addr.String()
	}
	return net.JoinHostPort(h, strconv.Itoa(int(t.Port)))
}

// Description is the check in words, as the report shows it ("https GET /v1/", "tcp connect").
func (t Target) Description() string {
	switch t.Check {
	case CheckHTTPS, CheckHTTP:
		p := t.Path
		if p == "" {
			p = "/"
		}
		return fmt.Sprintf("%s GET %s", t.Check, p)
	case CheckTLS:
		return "tls handshake"
	case CheckTCP:
		return "tcp connect"
	case CheckUDP:
		return "udp datagram"
	default:
		return "none"
	}
}

// Result is what happened to one target at one address.
type Result struct {
	Target Target
	// Address is the IP dialed; invalid when a proxy resolved the name.
	Address netip.Addr
	// Source is the local address the probe left from (or would have, when it never connected).
	Source netip.Addr
	// Via is Direct or the redacted proxy URL.
	Via   string
	State State
	// Reason is the finer cause ("filtered-timeout", "dns-nxdomain", "proxy-denied:policy").
	Reason string
	// Detail is the human sentence behind the state: the errno, the proxy's status line,
	// the TLS issuer, the phase that timed out.
	Detail   string
	Elapsed  time.Duration
	Attempts int
	// SYNs counts the SYNs a direct TCP connect sent over every attempt (re-sent ones too).
	SYNs int
	// ProxySource says where the proxy came from (flag, pac, env, system), when one was used
	// or a PAC file chose DIRECT.
	ProxySource string
	// Tried lists the proxies of a PAC failover list tried before the one that answered.
	Tried []ProxyAttempt
	// ProxyAuth names the scheme that authenticated to the proxy (Negotiate, NTLM, Basic).
	ProxyAuth string
	// Issuer is the certificate issuer the server presented, for TLS checks.
	Issuer string
	// Chain is the certificate chain the server presented, for TLS checks.
	Chain []*x509.Certificate
	// Proof says what an open verdict rests on when that is less than the destination's
	// own answer: ProofProxy for a TCP-only probe through a proxy that reported the tunnel
	// open while nothing beyond it spoke.
	Proof string

	// proxyUnusable: the proxy itself could not be used, so a PAC failover list moves on.
	proxyUnusable bool
}

// ProofProxy is the Proof of a verdict that rests on the proxy's word alone.
const ProofProxy = "proxy"

// ProxyAttempt is one entry of a PAC failover list that was tried.
type ProxyAttempt struct {
	Via    string `json:"via"`
	State  State  `json:"state"`
	Reason string `json:"reason"`
}

// OK reports whether the result counts as a pass.
func (r Result) OK() bool { return r.State.Severity() == Pass }

// Direct is the Via of a probe that used no proxy.
const Direct = "direct"
