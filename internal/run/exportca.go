package run

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/fwcheck/fwcheck/probe"
)

// InterceptedCA is the PEM of the issuer certificates of an intercepted TLS chain
// (Outcome.Intercepted), for the user to give the inspecting proxy's CA to bx, kubectl and
// fwcheck, and what it holds, for a person. It is nil when no chain was intercepted.
func InterceptedCA(r *probe.Result) (pemData []byte, what string) {
	if r == nil || r.State != probe.TLSIntercepted || len(r.Chain) == 0 {
		return nil, ""
	}
	certs := r.Chain[1:]
	if len(certs) == 0 {
		// Only a leaf was presented: its issuer is not in the chain, so the leaf itself is
		// what can be inspected and pinned.
		certs = r.Chain
	}
	for _, c := range certs {
		pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return pemData, fmt.Sprintf("%d certificate(s) presented for %s (issuer %q, top %q)",
		len(certs), r.Target.Name(), r.Issuer, subject(certs[len(certs)-1]))
}

func subject(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}
