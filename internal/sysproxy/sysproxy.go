// Package sysproxy reads the operating system's proxy settings, where browsers take them from
// on corporate workstations: the current user's Internet Settings and WinHTTP on Windows,
// `scutil --proxy` on macOS. Linux has no system setting: the environment is the setting.
// The parsers work on recorded inputs on every platform; only the readers are per platform.
package sysproxy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Settings are a system's proxy settings.
type Settings struct {
	// From names where they were read ("Internet Settings", "WinHTTP", "scutil --proxy").
	From string
	// PACURL is the proxy auto-config URL, if one is set.
	PACURL string
	// AutoDetect asks for WPAD discovery of a PAC file.
	AutoDetect bool
	// HTTPS and HTTP are proxy URLs (http://host:port), if set; SOCKS a socks5:// one.
	HTTPS, HTTP, SOCKS string
	// Bypass lists the exceptions, as the system writes them ("*.corp", "<local>", "10/8").
	Bypass []string
}

// Empty reports whether the settings name no proxy and no way to find one.
func (s Settings) Empty() bool {
	return s.PACURL == "" && !s.AutoDetect && s.HTTPS == "" && s.HTTP == "" && s.SOCKS == ""
}

// NoProxy is Bypass in the NO_PROXY form: "<local>" (hosts without a dot) is dropped, since
// NO_PROXY has no such word; "*.corp" becomes ".corp".
func (s Settings) NoProxy() string {
	var out []string
	for _, b := range s.Bypass {
		b = strings.TrimSpace(b)
		switch {
		case b == "" || b == "<local>":
		case strings.HasPrefix(b, "*."):
			out = append(out, b[1:])
		default:
			out = append(out, b)
		}
	}
	return strings.Join(out, ",")
}

// ParseScutil reads the output of `scutil --proxy` (macOS).
func ParseScutil(out string) Settings {
	s := Settings{From: "scutil --proxy"}
	kv := map[string]string{}
	inExceptions := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "ExceptionsList :"):
			inExceptions = true
			continue
		case inExceptions && line == "}":
			inExceptions = false
			continue
		}
		k, v, ok := strings.Cut(line, " : ")
		if !ok {
			continue
		}
		if inExceptions {
			s.Bypass = append(s.Bypass, strings.TrimSpace(v))
			continue
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	on := func(k string) bool { return kv[k] == "1" }
	proxy := func(scheme, enable, host, port string) string {
		if !on(enable) || kv[host] == "" {
			return ""
		}
		p := kv[port]
		if p == "" {
			p = map[string]string{"http": "80", "socks5": "1080"}[scheme]
		}
		return scheme + "://" + net.JoinHostPort(kv[host], p) // an IPv6 proxy in brackets
	}
	s.HTTPS = proxy("http", "HTTPSEnable", "HTTPSProxy", "HTTPSPort")
	s.HTTP = proxy("http", "HTTPEnable", "HTTPProxy", "HTTPPort")
	s.SOCKS = proxy("socks5", "SOCKSEnable", "SOCKSProxy", "SOCKSPort")
	if on("ProxyAutoConfigEnable") {
		s.PACURL = kv["ProxyAutoConfigURLString"]
	}
	s.AutoDetect = on("ProxyAutoDiscoveryEnable")
	return s
}

// Windows is what the Internet Settings key of the current user holds (HKCU\Software\
// Microsoft\Windows\CurrentVersion\Internet Settings): ProxyEnable, ProxyServer,
// ProxyOverride, AutoConfigURL, and the Connections\DefaultConnectionSettings blob whose
// flags say auto-detect.
type Windows struct {
	ProxyEnable       uint32
	ProxyServer       string
	ProxyOverride     string
	AutoConfigURL     string
	ConnectionsBinary []byte
}

// ParseWindows reads recorded Internet Settings values.
func ParseWindows(w Windows) Settings {
	s := Settings{From: "Internet Settings", PACURL: strings.TrimSpace(w.AutoConfigURL)}
	// DefaultConnectionSettings: version (4), counter (4), flags (4); 0x8 = auto-detect.
	if b := w.ConnectionsBinary; len(b) >= 12 {
		s.AutoDetect = binary.LittleEndian.Uint32(b[8:12])&0x8 != 0
	}
	if w.ProxyEnable != 0 {
		s.HTTPS, s.HTTP, s.SOCKS = parseProxyServer(w.ProxyServer)
	}
	for _, b := range strings.Split(w.ProxyOverride, ";") {
		if b = strings.TrimSpace(b); b != "" {
			s.Bypass = append(s.Bypass, b)
		}
	}
	return s
}

// ParseWinHTTP reads the WinHttpSettings blob (HKLM\...\Internet Settings\Connections), as
// `netsh winhttp set proxy` writes it: version, counter, flags, then the proxy and bypass
// strings, each after its length.
func ParseWinHTTP(b []byte) (Settings, error) {
	s := Settings{From: "WinHTTP"}
	if len(b) < 12 {
		return s, fmt.Errorf("WinHttpSettings is %d bytes", len(b))
	}
	flags := binary.LittleEndian.Uint32(b[8:12])
	rest := b[12:]
	str := func() (string, error) {
		if len(rest) < 4 {
			return "", fmt.Errorf("WinHttpSettings ends early")
		}
		n := int(binary.LittleEndian.Uint32(rest))
		if n > len(rest)-4 {
			return "", fmt.Errorf("WinHttpSettings: a string of %d bytes in %d", n, len(rest)-4)
		}
		v := string(rest[4 : 4+n])
		rest = rest[4+n:]
		return v, nil
	}
	server, err := str()
	if err != nil {
		return s, err
	}
	bypass, err := str()
	if err != nil {
		return s, err
	}
	if flags&0x2 != 0 { // PROXY_TYPE_PROXY
		s.HTTPS, s.HTTP, s.SOCKS = parseProxyServer(server)
	}
	for _, v := range strings.Split(bypass, ";") {
		if v = strings.TrimSpace(v); v != "" {
			s.Bypass = append(s.Bypass, v)
		}
	}
	return s, nil
}

// parseProxyServer reads ProxyServer: "host:port" for every protocol, or
// "http=h:p;https=h:p;socks=h:p".
func parseProxyServer(v string) (https, http, socks string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if !strings.Contains(v, "=") {
		u := withScheme("http", v)
		return u, u, ""
	}
	for _, part := range strings.Split(v, ";") {
		k, hp, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || hp == "" {
			continue
		}
		switch strings.ToLower(k) {
		case "https":
			https = withScheme("http", hp)
		case "http":
			http = withScheme("http", hp)
		case "socks":
			socks = withScheme("socks5", hp)
		}
	}
	return
}

func withScheme(scheme, hostport string) string {
	if strings.Contains(hostport, "://") {
		return hostport
	}
	if _, err := strconv.Atoi(hostport[strings.LastIndex(hostport, ":")+1:]); err != nil {
		hostport += map[string]string{"http": ":80", "socks5": ":1080"}[scheme]
	}
	return scheme + "://" + hostport
}
