package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
)

// SecurityContext and WithSystemAuth let the external tests play the operating system's
// security provider (SSPI), which only Windows has: f stands for it in a (nil: none).
type SecurityContext = securityContext

func WithSystemAuth(a ProxyAuth, f func(scheme, spn string) (SecurityContext, error)) ProxyAuth {
	a.provider, a.providerSet = f, true
	return a
}

// Run probes every target in parallel and returns, for each target in order, one result per
// address it was dialed at, as a run does through RunEach: the tests' shorthand (no command
// needs the results of a whole plan at once).
func (p *Prober) Run(ctx context.Context, targets []Target) [][]Result {
	results := make([][]Result, len(targets))
	p.RunEach(ctx, len(targets), func(i int) Target { return targets[i] }, func(i int, rs []Result) { results[i] = rs })
	p.LocateDrops(ctx, results)
	return results
}

// dialViaProxy is dialViaProxyAuth without the scheme, for the fuzz target.
func dialViaProxy(ctx context.Context, dial DialFunc, proxyURL *url.URL, target string, tlsConf *tls.Config, auth *ProxyAuth) (net.Conn, error) {
	c, _, err := dialViaProxyAuth(ctx, dial, proxyURL, target, tlsConf, auth)
	return c, err
}
