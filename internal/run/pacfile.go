package run

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/boundedfile"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/probe/pac"
	"github.com/fwcheck/fwcheck/report"
)

// maxPACBytes caps a PAC file; real ones are a few KiB.
const maxPACBytes = 1 << 20

// pacFetchTimeout bounds fetching a PAC file from a URL.
const pacFetchTimeout = 5 * time.Second

// loadPAC reads a PAC file from a path or an http(s) URL (fetched directly, never through a
// proxy) and compiles it. Every failure is bad input, naming the file and, for a script
// error, the line.
func loadPAC(ctx context.Context, where string) (*pac.Script, error) {
	var src []byte
	var err error
	if isURL(where) {
		src, err = fetchPAC(ctx, where)
	} else {
		src, err = boundedfile.Read(where, maxPACBytes)
	}
	if err != nil {
		return nil, err
	}
	// The name is in every error and stack trace of the script: never a URL's credentials.
	return pac.Parse(quote.Userinfo(where), src, pac.Env{MyIPs: localAddrs()})
}

func fetchPAC(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, pacFetchTimeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s is not a URL", quote.Value(u))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch %s: %v", quote.Value(u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %s", quote.Value(u), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPACBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %v", quote.Value(u), err)
	}
	if len(data) > maxPACBytes {
		return nil, fmt.Errorf("%s is larger than %s", quote.Value(u), boundedfile.SizeText(maxPACBytes))
	}
	return data, nil
}

// localAddrs are this machine's addresses, for myIpAddress: the global unicast ones first.
func localAddrs() []netip.Addr {
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var global, other []netip.Addr
	for _, ia := range ifaddrs {
		n, ok := ia.(*net.IPNet)
		if !ok {
			continue
		}
		a, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		if a = a.Unmap(); a.IsGlobalUnicast() {
			global = append(global, a)
		} else {
			other = append(other, a)
		}
	}
	return append(global, other...)
}

// isURL says whether a PAC file is named by an http(s) URL, to be fetched, rather than a path.
func isURL(where string) bool {
	return strings.HasPrefix(where, "http://") || strings.HasPrefix(where, "https://")
}

// setUpProxy makes the run's proxy settings whole, as a step of the run: it reads or fetches
// the PAC file in.PAC names, or, when nothing named a proxy, reads the system's settings
// (in.SystemProxy; Windows and macOS) and their PAC file. A dry run fetches nothing and says
// what it would fetch. It works on a copy of in.Probe.Proxy, so that runs sharing one Input
// (serve's rounds, /probe's requests) never write to each other's. pacName names the PAC file
// for the report ("" for none); a system PAC file that cannot be used is a finding, and its
// targets go DIRECT; a --pac that cannot be is bad input.
func setUpProxy(ctx context.Context, in *Input) (pacName string, findings []report.Finding, err error) {
	if in.Probe.Proxy == nil || in.Probe.Proxy.Direct {
		return "", nil, nil
	}
	px := *in.Probe.Proxy
	defer func() { in.Probe.Proxy = &px }()
	switch {
	case in.PAC != "" && in.DryRun && isURL(in.PAC):
		px.Source = "pac"
		return in.PAC + " (a dry run fetches nothing)", nil, nil
	case in.PAC != "":
		script, err := loadPAC(ctx, in.PAC)
		if err != nil {
			return "", nil, &endpoints.FieldError{Field: "pac", Err: err}
		}
		px.PAC, px.Source = script, "pac"
		return in.PAC, nil, nil
	case px.Source != "" || in.SystemProxy == nil:
		return "", nil, nil
	}
	s, err := in.SystemProxy()
	if err != nil || s.Empty() {
		return "", nil, nil
	}
	px.Source = "system"
	where := s.PACURL
	if where == "" && s.AutoDetect {
		where = "http://wpad/wpad.dat" // WPAD by DNS: the short name wpad in the search domain
	}
	if where != "" {
		if in.DryRun && isURL(where) {
			return where + " (system settings; a dry run fetches nothing)", nil, nil
		}
		script, err := loadPAC(ctx, where)
		if err == nil {
			px.PAC = script
			return where + " (system settings)", nil, nil
		}
		return "", []report.Finding{{Kind: report.FindingPAC,
			Summary: fmt.Sprintf("the PAC file of the system's proxy settings (%s) could not be used: targets are tried DIRECT", s.From),
			Detail:  err.Error(), Targets: []string{quote.Userinfo(where)}}}, nil
	}
	px.HTTP = httpproxy.Config{HTTPSProxy: s.HTTPS, HTTPProxy: s.HTTP, NoProxy: s.NoProxy()}
	px.All = s.SOCKS
	if err := px.Validate(); err != nil {
		return "", nil, fmt.Errorf("%v (from the system's proxy settings, %s; --proxy or --no-proxy overrides them)", err, s.From)
	}
	return "", nil, nil
}

// proxyWays names the way most probes go, for the report header, and the way one target goes.
func proxyWays(px *probe.ProxyConfig, pacName string) (via string, viaFor func(probe.Target) string) {
	viaFor = func(t probe.Target) string {
		if pacName != "" {
			return "pac " + quote.Userinfo(pacName) // a dry run evaluates no PAC file: it may resolve names
		}
		u, err := px.For(t)
		if err != nil {
			return probe.Direct
		}
		return probe.RedactURL(u)
	}
	switch {
	case px == nil || px.Direct:
		return probe.Direct, viaFor
	case pacName != "":
		return "pac " + quote.Userinfo(pacName), viaFor
	}
	for _, s := range []string{px.HTTP.HTTPSProxy, px.All} {
		if u, err := probe.ParseProxyURL(s); err == nil && u != nil {
			return probe.RedactURL(u), viaFor
		}
	}
	return probe.Direct, viaFor
}
