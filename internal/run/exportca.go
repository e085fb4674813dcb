package run

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/fwcheck/fwcheck/probe"
)

// ExportCA writes the issuer certificates of an intercepted TLS chain (Outcome.Intercepted) as
// PEM, so that the user can give the inspecting proxy's CA to bx, kubectl and fwcheck
// (--ca-file). It reports what it wrote, or why nothing.
func ExportCA(file string, r *probe.Result) (string, error) {
	if r == nil || r.State != probe.TLSIntercepted || len(r.Chain) == 0 {
		return "no intercepted TLS connection: --export-ca wrote nothing", nil
	}
	certs := r.Chain[1:]
	if len(certs) == 0 {
		// Only a leaf was presented: its issuer is not in the chain, so the leaf itself is
		// what can be inspected and pinned.
		certs = r.Chain
	}
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		return "", fmt.Errorf("--export-ca: %w", err)
	}
	return fmt.Sprintf("wrote %d certificate(s) presented for %s (issuer %q, top %q) to %s",
		len(certs), r.Target.Name(), r.Issuer, subject(certs[len(certs)-1]), file), nil
}

func subject(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}
