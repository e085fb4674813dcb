//go:build unix

package run

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/report"
)

// TestWorkerInPodHostileMounts: what the pod's mounts and environment hand fwcheck is read as
// hostile input: a token that is a FIFO, /dev/zero, huge or holds control characters, a CA
// that is no certificate, a token the API server refuses. Each is a discovery finding that
// says what failed, and the rest of the check runs; none hangs.
func TestWorkerInPodHostileMounts(t *testing.T) {
	etcd := testnet.Accepting(t, "tcp", "127.0.0.1:0").Addr().String()
	master := testnet.Closed(t, "127.0.0.1")
	srv := podAPIServer(t, etcd)
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"token is a FIFO", func(dir string) {
			os.Remove(filepath.Join(dir, "token"))
			syscall.Mkfifo(filepath.Join(dir, "token"), 0o600)
		}, "not a regular file"},
		{"token is /dev/zero", func(dir string) {
			os.Remove(filepath.Join(dir, "token"))
			os.Symlink("/dev/zero", filepath.Join(dir, "token"))
		}, "not a regular file"},
		{"token is huge", func(dir string) { os.WriteFile(filepath.Join(dir, "token"), make([]byte, 1<<20), 0o600) }, "larger than"},
		{"token has control characters", func(dir string) { os.WriteFile(filepath.Join(dir, "token"), []byte("pod\x1b[2Jtoken"), 0o600) }, "is not a token"},
		{"CA is not PEM", func(dir string) { os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("garbage"), 0o644) }, "holds no PEM certificate"},
		{"token refused", func(dir string) { os.WriteFile(filepath.Join(dir, "token"), []byte("other-token"), 0o600) }, "refused to read kube-system/calico-config"},
		{"CA of another server", func(dir string) {
			// httptest's servers share one certificate: another CA is made here.
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"}, IsCA: true,
				BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
			der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			os.WriteFile(filepath.Join(dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
		}, "could not be reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := serviceAccount(t, srv, "pod-token")
			tc.setup(dir)
			r, err := workerInPod(t, srv, dir, master, false)
			if err != nil {
				t.Fatalf("bad input, not a finding: %v", err)
			}
			if len(r.Findings) != 1 || r.Findings[0].Kind != report.FindingDiscovery || !strings.Contains(r.Findings[0].Summary+r.Findings[0].Detail, tc.want) {
				t.Errorf("findings %+v; want one discovery finding saying %q", r.Findings, tc.want)
			}
			if probes, _ := masterOpening(t, r); probes[master] == "" || probes[etcd] != "" {
				t.Errorf("master probes %v; want the master URL dialed, etcd not", probes)
			}
		})
	}
}
