package endpoints

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
)

// HostPort is a parsed HOST:PORT, with Addr valid when the host is an IP literal.
type HostPort struct {
	Host string
	Addr netip.Addr
	Port uint16
}

func (hp HostPort) String() string {
	return net.JoinHostPort(hp.Host, strconv.Itoa(int(hp.Port)))
}

// ParseHostPort reads HOST:PORT or [IPv6]:PORT. The host is an IP literal or a DNS name.
func ParseHostPort(s string) (HostPort, error) {
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil {
		return HostPort{}, quote.Errorf("%q is not HOST:PORT ([IPv6]:PORT for IPv6)", s)
	}
	p, err := ParsePort(port)
	if err != nil {
		return HostPort{}, quote.Errorf("%q: %v", s, err)
	}
	return parseHost(s, host, p)
}

func parseHost(input, host string, port uint16) (HostPort, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return HostPort{}, quote.Errorf("%q: zoned IPv6 addresses are not supported", input)
		}
		return HostPort{Host: a.Unmap().String(), Addr: a.Unmap(), Port: port}, nil
	}
	if !validHostname(host) {
		return HostPort{}, quote.Errorf("%q: %q is not an IP address or host name", input, host)
	}
	return HostPort{Host: strings.ToLower(host), Port: port}, nil
}

// ProbeSchemes are the schemes a probe target may have, each naming its check.
var ProbeSchemes = []string{"tcp", "udp", "tls", "http", "https"}

// ParseProbeTarget reads one argument of `fwcheck probe`: HOST:PORT (a TCP connect) or a URL
// whose scheme names the check: tcp://, udp://, tls://, http://, https://.
func ParseProbeTarget(s string) (probe.Target, error) {
	if !strings.Contains(s, "://") {
		hp, err := ParseHostPort(s)
		if err != nil {
			return probe.Target{}, err
		}
		return probe.Target{Host: hp.Host, Addr: hp.Addr, Port: hp.Port, Check: probe.CheckTCP}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return probe.Target{}, quote.Errorf("%q is not a URL: %v", s, err)
	}
	check, defPort := probe.Check(""), ""
	switch u.Scheme {
	case "tcp":
		check = probe.CheckTCP
	case "udp":
		check = probe.CheckUDP
	case "tls":
		check, defPort = probe.CheckTLS, "443"
	case "https":
		check, defPort = probe.CheckHTTPS, "443"
	case "http":
		check, defPort = probe.CheckHTTP, "80"
	default:
		return probe.Target{}, quote.Errorf("%q: scheme %q is not %s", s, u.Scheme, quote.Trusted(strings.Join(ProbeSchemes[:len(ProbeSchemes)-1], ", ")+" or "+ProbeSchemes[len(ProbeSchemes)-1]))
	}
	if u.User != nil {
		return probe.Target{}, quote.Errorf("%q: credentials in a probe URL are not supported", s)
	}
	port := u.Port()
	if port == "" {
		port = defPort
	}
	if port == "" {
		return probe.Target{}, quote.Errorf("%q: a %s target needs a port", s, u.Scheme)
	}
	p, err := ParsePort(port)
	if err != nil {
		return probe.Target{}, quote.Errorf("%q: %v", s, err)
	}
	hp, err := parseHost(s, u.Hostname(), p)
	if err != nil {
		return probe.Target{}, err
	}
	t := probe.Target{Host: hp.Host, Addr: hp.Addr, Port: hp.Port, Check: check}
	if check == probe.CheckHTTP || check == probe.CheckHTTPS {
		t.Path = u.RequestURI()
		// A success or an authentication challenge proves the service. A redirect does not:
		// it is what captive portals and proxy login pages answer (it fails as
		// unexpected-response:redirect, naming the Location); a block page fails on its 403.
		t.Expect.Status = []int{200, 201, 202, 204, 401}
	}
	return t, nil
}

// Resolve is a --resolve pin: connections to Host:Port go to Addr, as curl's --resolve.
type Resolve struct {
	Host string
	Port uint16
	Addr netip.Addr
}

// ParseResolve reads HOST:PORT:ADDR; ADDR may be an IPv6 literal with or without brackets.
func ParseResolve(s string) (Resolve, error) {
	host, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	port, addr, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return Resolve{}, fieldError("resolve", "%q is not HOST:PORT:ADDR", s)
	}
	p, err := ParsePort(port)
	if err != nil {
		return Resolve{}, fieldError("resolve", "%q: %v", s, err)
	}
	if !validHostname(host) {
		return Resolve{}, fieldError("resolve", "%q: %q is not a host name", s, host)
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"))
	if err != nil || a.Zone() != "" {
		return Resolve{}, fieldError("resolve", "%q: %q is not an IP address", s, addr)
	}
	return Resolve{Host: strings.ToLower(host), Port: p, Addr: a.Unmap()}, nil
}

func (r Resolve) String() string {
	a := r.Addr.String()
	if r.Addr.Is6() {
		a = "[" + a + "]"
	}
	return fmt.Sprintf("%s:%d:%s", r.Host, r.Port, a)
}

// ParseMasterURL reads the master URL (https://HOST:PORT). The port defaults to 443.
func ParseMasterURL(s string) (HostPort, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return HostPort{}, fieldError("master-url", "%q is not an https://HOST:PORT URL", s)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	p, err := ParsePort(port)
	if err != nil {
		return HostPort{}, fieldError("master-url", "%q: %v", s, err)
	}
	return parseHost(s, u.Hostname(), p)
}

// ParseEtcdEndpoints reads a comma-separated list of HOST:PORT or https://HOST:PORT, as
// calico-config's etcd_endpoints holds it.
func ParseEtcdEndpoints(s string) ([]HostPort, error) {
	var out []HostPort
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if i := strings.Index(part, "://"); i >= 0 {
			u, err := url.Parse(part)
			if err != nil || u.Port() == "" {
				return nil, fieldError("etcd-endpoint", "%q is not HOST:PORT", part)
			}
			part = u.Host
		}
		hp, err := ParseHostPort(part)
		if err != nil {
			return nil, &FieldError{Field: "etcd-endpoint", Err: err}
		}
		out = append(out, hp)
	}
	if len(out) == 0 {
		return nil, fieldError("etcd-endpoint", "%q names no endpoint", s)
	}
	return out, nil
}
