package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe/pac"
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
		src, err = readCapped(where, maxPACBytes)
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
		return nil, fmt.Errorf("%s is not a URL", quoteValue(u))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch %s: %v", quoteValue(u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %s", quoteValue(u), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPACBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %v", quoteValue(u), err)
	}
	if len(data) > maxPACBytes {
		return nil, fmt.Errorf("%s is larger than %s", quoteValue(u), sizeText(maxPACBytes))
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
