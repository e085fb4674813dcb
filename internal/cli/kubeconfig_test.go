package cli

import (
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubeconfigWith writes a kubeconfig for server whose cluster and user entries carry the
// given fields (YAML lines, indented under cluster: and user:).
func kubeconfigWith(t *testing.T, server string, cluster, user []string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Config\ncurrent-context: ibm\nclusters:\n  - name: mycluster\n    cluster:\n      server: %s\n", server)
	for _, l := range cluster {
		b.WriteString("      " + l + "\n")
	}
	b.WriteString("users:\n  - name: u\n    user:\n")
	if len(user) == 0 {
		user = []string{"token: tok-SECRET-123"}
	}
	for _, l := range user {
		b.WriteString("      " + l + "\n")
	}
	b.WriteString("contexts:\n  - name: ibm\n    context: {cluster: mycluster, user: u}\n")
	return writeFile(t, "kubeconfig", b.String())
}

// TestKubeconfigNamedFiles: every file a kubeconfig names (CA, token file, client certificate
// and key) is hostile input: CA material that holds no certificate is bad input, never the
// insecure fallback, and /dev/zero, a FIFO or a huge file is one line and exit 2, at once.
func TestKubeconfigNamedFiles(t *testing.T) {
	a := newAPIServer(t)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not a key either")}))
	notPEM := writeFile(t, "ca.txt", "this is not a certificate\n")
	keyFile := writeFile(t, "ca.pem", keyPEM)
	huge := sparse(t, "ca.crt", 17<<20)
	good := writeFile(t, "ca-good.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})))
	loop := filepath.Join(t.TempDir(), "loop")
	os.Symlink(loop, loop)

	cases := []struct {
		name          string
		cluster, user []string
		want          []string // in the one line on stderr
	}{
		{"CA data not PEM", []string{"certificate-authority-data: " + b64("garbage")}, nil,
			[]string{`cluster "mycluster"`, "certificate-authority-data", "holds no PEM certificate", "not PEM"}},
		{"CA data PEM without a certificate", []string{"certificate-authority-data: " + b64(keyPEM)}, nil,
			[]string{"certificate-authority-data", `"PRIVATE KEY"`}},
		{"CA file not PEM", []string{"certificate-authority: " + notPEM}, nil,
			[]string{`cluster "mycluster"`, "certificate-authority " + notPEM, "holds no PEM certificate"}},
		{"CA file PEM without a certificate", []string{"certificate-authority: " + keyFile}, nil,
			[]string{"holds no PEM certificate"}},
		{"CA file /dev/zero", []string{"certificate-authority: /dev/zero"}, nil,
			[]string{"certificate-authority", "/dev/zero", "not a regular file"}},
		{"CA file a FIFO", []string{"certificate-authority: " + fifo(t)}, nil,
			[]string{"certificate-authority", "not a regular file"}},
		{"CA file huge", []string{"certificate-authority: " + huge}, nil,
			[]string{"certificate-authority", "larger than 16 MiB"}},
		{"token file /dev/zero", []string{"certificate-authority: " + good}, []string{"tokenFile: /dev/zero"},
			[]string{`user "u"`, "tokenFile", "not a regular file"}},
		{"token file a FIFO", []string{"certificate-authority: " + good}, []string{"tokenFile: " + fifo(t)},
			[]string{"tokenFile", "not a regular file"}},
		{"token file huge", []string{"certificate-authority: " + good}, []string{"tokenFile: " + sparse(t, "token", 2<<20)},
			[]string{"tokenFile", "larger than 1 MiB"}},
		{"client certificate a FIFO", []string{"certificate-authority: " + good}, []string{"client-certificate: " + fifo(t), "client-key: " + good},
			[]string{"client-certificate", "not a regular file"}},
		{"client key /dev/zero", []string{"certificate-authority: " + good}, []string{"client-certificate: " + good, "client-key: /dev/zero"},
			[]string{"client-key", "not a regular file"}},
		{"CA file a symlink loop", []string{"certificate-authority: " + loop}, nil,
			[]string{"certificate-authority", "too many levels of symbolic links"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kc := kubeconfigWith(t, a.srv.URL, tc.cluster, tc.user)
			done := make(chan struct{})
			var code int
			var errOut string
			go func() {
				defer close(done)
				code, _, errOut = runDiscover(t, nil, "--kubeconfig", kc)
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("still running after 20s: a file the kubeconfig names holds the run")
			}
			line := strings.TrimSpace(errOut)
			if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, kc) {
				t.Fatalf("exit %d, stderr %q; want 2 and one line naming the kubeconfig", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("stderr %q lacks %q", line, w)
				}
			}
		})
	}

	t.Run("a good CA file verifies the master", func(t *testing.T) {
		code, d, errOut := runDiscover(t, nil, "--kubeconfig", kubeconfigWith(t, a.srv.URL, []string{"certificate-authority: " + good}, nil))
		if st, det := d.probe("master"); code != 0 || st != "open" || !strings.Contains(det, "against the cluster's CA") {
			t.Errorf("exit %d (%s), master = %s (%s); want open against the cluster's CA", code, errOut, st, det)
		}
	})
	t.Run("no CA at all is the page's curl --insecure, said so", func(t *testing.T) {
		code, d, errOut := runDiscover(t, nil, "--kubeconfig", kubeconfigWith(t, a.srv.URL, nil, nil))
		st, det := d.probe("master")
		if code != 0 || st != "open" || !strings.Contains(det, "not verified") {
			t.Errorf("exit %d (%s), master = %s (%s); want open, not verified", code, errOut, st, det)
		}
		if notes := strings.Join(d.Notes, "\n"); !strings.Contains(notes, `names no CA for cluster mycluster`) {
			t.Errorf("the notes do not say the master was checked without a CA: %q", notes)
		}
	})
	t.Run("KUBECONFIG a symlink loop", func(t *testing.T) {
		code, _, errOut := runDiscover(t, map[string]string{"KUBECONFIG": loop})
		if code != 2 || !strings.Contains(errOut, loop) || !strings.Contains(errOut, "symbolic links") {
			t.Errorf("exit %d, stderr %q; want 2 naming the loop (it read as no kubeconfig)", code, errOut)
		}
	})
}

// TestPrivateEndpointCA: the private service endpoint's cluster entry is read as the public
// one is: a CA file is read (it fell back to insecure), and bad material is bad input.
func TestPrivateEndpointCA(t *testing.T) {
	a := newAPIServer(t)
	good := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})))
	wrong := writeFile(t, "wrong.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.clientCA.Raw})))
	bad := writeFile(t, "bad.pem", "garbage")
	_, port, _ := strings.Cut(strings.TrimPrefix(a.srv.URL, "https://"), ":")
	const public, private = "c100.us-south.containers.cloud.ibm.com", "c100.private.us-south.containers.cloud.ibm.com"
	write := func(t *testing.T, privateCA string) string {
		return writeFile(t, "kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: public
clusters:
  - name: public
    cluster: {server: "https://%s:%s", certificate-authority: %s}
  - name: private
    cluster: {server: "https://%s:%s", certificate-authority: %s}
users:
  - name: u
    user: {token: tok-SECRET-123}
contexts:
  - name: public
    context: {cluster: public, user: u}
`, public, port, good, private, port, privateCA))
	}
	args := func(kc string) []string {
		return []string{"--kubeconfig", kc, "--skip", "region", "--etcd-endpoint", a.etcd,
			"--resolve", public + ":" + port + ":127.0.0.1", "--resolve", private + ":" + port + ":127.0.0.1"}
	}
	t.Run("its CA file is read", func(t *testing.T) {
		_, d, errOut := runDiscover(t, nil, args(write(t, wrong))...)
		// Verified against the entry's CA file (which fails here), not checked as --insecure.
		if st, det := d.probe("master-private"); st != "tls-error" {
			t.Errorf("master-private = %s (%s) [%s]; want tls-error against the entry's CA file", st, det, errOut)
		}
	})
	t.Run("bad material is bad input", func(t *testing.T) {
		code, _, errOut := runDiscover(t, nil, args(write(t, bad))...)
		if code != 2 || !strings.Contains(errOut, `cluster "private"`) || !strings.Contains(errOut, "holds no PEM certificate") {
			t.Errorf("exit %d, stderr %q; want 2 naming the private cluster entry", code, errOut)
		}
	})
}
