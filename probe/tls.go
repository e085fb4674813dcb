package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
)

// proxyTLS is the TLS config for an https:// proxy: the system roots and --ca-file's.
func (p *Prober) proxyTLS() *tls.Config {
	roots, err := p.roots()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	} else {
		roots = roots.Clone()
	}
	for _, c := range p.cfg.ExtraRoots {
		roots.AddCert(c)
	}
	return &tls.Config{RootCAs: roots}
}

// checkTLS completes a handshake on conn and verifies the chain itself, so that an
// intercepting proxy's issuer can be named rather than merely failing. It returns the TLS
// connection when the handshake completed.
func (p *Prober) checkTLS(ctx context.Context, conn net.Conn, r *Result) *tls.Conn {
	t := r.Target
	name := t.Name()
	cfg := &tls.Config{
		// Verification is done below, by hand, to tell interception from other failures.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
	}
	if !isIPLiteral(name) {
		cfg.ServerName = name
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		classify(err, PhaseTLS, t).result(r)
		return nil
	}
	chain := tc.ConnectionState().PeerCertificates
	if len(chain) == 0 {
		r.State, r.Reason, r.Detail = TLSError, "tls-error", "the server sent no certificate"
		return nil
	}
	leaf := chain[0]
	r.Issuer, r.Chain = issuerName(leaf), chain
	if t.Insecure {
		r.State, r.Reason = Open, "open"
		r.Detail = fmt.Sprintf("TLS handshake completed; certificate from %q not verified (no CA known: checked as `curl --insecure`)", r.Issuer)
		return tc
	}
	roots, err := p.roots()
	if err != nil {
		r.State, r.Reason, r.Detail = LocalError, "local-error:roots", fmt.Sprintf("cannot load the system's trusted roots: %v (use --ca-file)", err)
		return nil
	}
	if t.RootCAs != nil {
		roots = t.RootCAs
	}
	opts := x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: x509.NewCertPool()}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, verr := leaf.Verify(opts)
	if verr == nil {
		r.State, r.Reason, r.Detail = Open, "open", fmt.Sprintf("TLS handshake completed; certificate for %s from %q verified", name, r.Issuer)
		if t.RootCAs != nil {
			r.Detail += " against the cluster's CA"
		}
		return tc
	}
	if t.RootCAs != nil {
		v := classify(verr, PhaseTLS, t)
		if v.state == TLSIntercepted {
			v = outcome{TLSError, "tls-unknown-ca", fmt.Sprintf("the certificate (issuer %q) is not signed by the cluster's CA from the kubeconfig: the wrong kubeconfig, or a TLS-inspecting proxy", r.Issuer), false}
		}
		v.result(r)
		return nil
	}
	if p.extra != nil {
		opts.Roots = p.extra
		if chains, err := leaf.Verify(opts); err == nil {
			root := chains[0][len(chains[0])-1]
			r.State, r.Reason = Open, "open:inspected"
			r.Detail = fmt.Sprintf("TLS handshake completed; the certificate chains to %q from --ca-file, not to a public root: the connection is inspected by %q (or the service uses a private CA)", subjectName(root), r.Issuer)
			return tc
		}
	}
	v := classify(verr, PhaseTLS, t)
	if v.state == TLSIntercepted {
		v.detail += fmt.Sprintf("; a TLS-inspecting proxy presents such certificates: give its CA to your CLIs and kubectl (and to fwcheck with --ca-file), or ask for an inspection exemption for %s", name)
	}
	v.result(r)
	return nil
}

func subjectName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}
