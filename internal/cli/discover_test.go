package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/fwcheck/fwcheck/internal/testnet"
)

// secrets are the credentials the fixtures carry; none may appear in any output.
var secrets = []string{"tok-SECRET-123", "exec-SECRET-456"}

type apiServer struct {
	srv       *httptest.Server
	etcd      string // host:port of a listener playing etcd
	clientCA  *x509.Certificate
	clientKey *ecdsa.PrivateKey
	noEtcdKey bool
	// etcdHost is cluster-info's etcd_host (edition 2025-07-08); "" serves the host:port form.
	etcdHost string
}

// newAPIServer plays the cluster's API server: /version, and calico-config for a caller that
// presents the token, the exec token or a client certificate signed by the client CA.
func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	etcd := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	a := &apiServer{etcd: etcd.Addr().String()}
	a.clientKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "client CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &a.clientKey.PublicKey, a.clientKey)
	a.clientCA, _ = x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(a.clientCA)

	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/version":
			fmt.Fprint(w, `{"major":"1","minor":"7+","gitVersion":"v1.7.4-2+eb9172c211dc41"}`)
		case "/api/v1/namespaces/kube-system/configmaps/calico-config":
			auth := r.Header.Get("Authorization")
			if auth != "Bearer tok-SECRET-123" && auth != "Bearer exec-SECRET-456" && (r.TLS == nil || len(r.TLS.PeerCertificates) == 0) {
				http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
				return
			}
			data := map[string]string{"etcd_endpoints": "https://" + a.etcd}
			if a.noEtcdKey {
				data = map[string]string{"calico_backend": "bird"}
			}
			json.NewEncoder(w).Encode(map[string]any{"kind": "ConfigMap", "data": data})
		case "/api/v1/namespaces/kube-system/configmaps/cluster-info":
			if r.Header.Get("Authorization") != "Bearer tok-SECRET-123" {
				http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
				return
			}
			host := a.etcdHost
			if host == "" {
				host = a.etcd
			}
			json.NewEncoder(w).Encode(map[string]any{"kind": "ConfigMap", "data": map[string]string{"etcd_host": host}})
		default:
			http.NotFound(w, r)
		}
	}))
	a.srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	a.srv.StartTLS()
	t.Cleanup(a.srv.Close)
	return a
}

func b64pem(typ string, der []byte) string {
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// kubeconfig writes a fixture from testdata/kubeconfig with this server filled in.
func (a *apiServer) kubeconfig(t *testing.T, fixture string, caDER []byte) string {
	t.Helper()
	dir := t.TempDir()
	exec := filepath.Join(dir, "credential-helper")
	os.WriteFile(exec, []byte(`#!/bin/sh
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-SECRET-456"}}'
`), 0o755)
	keyDER, _ := x509.MarshalECPrivateKey(a.clientKey)
	tmpl := template.Must(template.ParseFiles(filepath.Join(repoRoot, "testdata", "kubeconfig", fixture)))
	out := filepath.Join(dir, fixture)
	f, _ := os.Create(out)
	defer f.Close()
	if caDER == nil {
		caDER = a.srv.Certificate().Raw
	}
	tmpl.Execute(f, map[string]string{
		"Server": a.srv.URL, "CA": b64pem("CERTIFICATE", caDER), "Exec": exec,
		"Cert": b64pem("CERTIFICATE", a.clientCA.Raw), "Key": b64pem("EC PRIVATE KEY", keyDER),
	})
	return out
}

type discovered struct {
	Notes    []string
	Openings []struct {
		ID     string
		Status string
		Probes []struct{ Host, State, Reason, Detail string }
	}
}

func runDiscover(t *testing.T, env map[string]string, args ...string) (int, discovered, string) {
	t.Helper()
	// --skip api: containers.bluemix.net is a real public name; tests never dial it.
	dir := t.TempDir()
	base := []string{"workstation", "--skip", "api", "--timeout", "2s", "-o", "json", "-v"}
	for _, f := range []string{"text", "junit", "markdown", "rules"} {
		base = append(base, "-o", f+"="+filepath.Join(dir, f))
	}
	code, out, errOut := fwcheck(t, env, append(base, args...)...)
	all := out + errOut
	for _, f := range []string{"text", "junit", "markdown", "rules"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		all += string(b)
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the credential %s appears in the output", s)
		}
	}
	var d discovered
	if code != 2 {
		if err := json.NewDecoder(strings.NewReader(out)).Decode(&d); err != nil {
			t.Fatalf("report: %v\n%s", err, out)
		}
	}
	return code, d, errOut
}

func (d discovered) probe(id string) (state, detail string) {
	for _, o := range d.Openings {
		if o.ID == id && len(o.Probes) > 0 {
			return o.Probes[0].State, o.Probes[0].Reason + ": " + o.Probes[0].Detail
		}
	}
	return "", ""
}

func TestKubeconfigDiscovery(t *testing.T) {
	a := newAPIServer(t)
	cases := []struct {
		name, fixture string
		args          []string
		kubeconfigEnv func(t *testing.T) string
	}{
		{name: "token user", fixture: "token.yaml"},
		{name: "client certificate user", fixture: "client-cert.yaml"},
		{name: "exec user", fixture: "exec.yaml"},
		{name: "second of two contexts", fixture: "two-contexts.yaml", args: []string{"--context", "second"}},
		{name: "merged KUBECONFIG", kubeconfigEnv: func(t *testing.T) string {
			return a.kubeconfig(t, "merged-a.yaml", nil) + string(os.PathListSeparator) + a.kubeconfig(t, "merged-b.yaml", nil)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			args := tc.args
			if tc.kubeconfigEnv != nil {
				env["KUBECONFIG"] = tc.kubeconfigEnv(t)
			} else {
				args = append(args, "--kubeconfig", a.kubeconfig(t, tc.fixture, nil))
			}
			code, d, errOut := runDiscover(t, env, args...)
			if code != 0 {
				t.Fatalf("exit %d (%s): %+v", code, errOut, d)
			}
			if st, det := d.probe("master"); st != "open" || !strings.Contains(det, "against the cluster's CA") {
				t.Errorf("master = %s (%s); want open, verified with the kubeconfig's CA", st, det)
			}
			if st, det := d.probe("etcd"); st != "open" {
				t.Errorf("etcd = %s (%s); want open at the endpoint read from calico-config", st, det)
			}
			notes := strings.Join(d.Notes, "\n")
			if !strings.Contains(notes, "master URL "+a.srv.URL) || !strings.Contains(notes, "from kube-system/calico-config") {
				t.Errorf("notes do not say where the facts came from: %q", notes)
			}
		})
	}
}

func TestKubeconfigProblems(t *testing.T) {
	a := newAPIServer(t)

	t.Run("wrong CA", func(t *testing.T) {
		_, d, _ := runDiscover(t, nil, "--kubeconfig", a.kubeconfig(t, "token.yaml", a.clientCA.Raw))
		if st, det := d.probe("master"); st != "tls-error" || !strings.Contains(det, "tls-unknown-ca") {
			t.Errorf("master = %s (%s); want tls-error", st, det)
		}
	})
	t.Run("API unreachable", func(t *testing.T) {
		kc := a.kubeconfig(t, "token.yaml", nil)
		data, _ := os.ReadFile(kc)
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		closed := ln.Addr().String()
		ln.Close()
		os.WriteFile(kc, []byte(strings.ReplaceAll(string(data), strings.TrimPrefix(a.srv.URL, "https://"), closed)), 0o644)
		code, d, _ := runDiscover(t, nil, "--kubeconfig", kc)
		st, det := d.probe("etcd")
		if code != 1 || st != "unverified" || !strings.Contains(det, "could not be reached") || !strings.Contains(det, "--etcd-endpoint") {
			t.Errorf("exit %d, etcd = %s (%s); want unverified naming --etcd-endpoint", code, st, det)
		}
		if st, _ := d.probe("master"); st != "refused" {
			t.Errorf("master = %s; want refused", st)
		}
	})
	t.Run("ConfigMap without etcd_endpoints", func(t *testing.T) {
		a.noEtcdKey = true
		defer func() { a.noEtcdKey = false }()
		_, d, _ := runDiscover(t, nil, "--kubeconfig", a.kubeconfig(t, "token.yaml", nil))
		if st, det := d.probe("etcd"); st != "unverified" || !strings.Contains(det, "has no etcd_endpoints") || !strings.Contains(det, "--etcd-endpoint") {
			t.Errorf("etcd = %s (%s)", st, det)
		}
	})
	t.Run("explicit flags win", func(t *testing.T) {
		_, d, _ := runDiscover(t, nil, "--kubeconfig", a.kubeconfig(t, "token.yaml", nil), "--etcd-endpoint", a.etcd)
		if strings.Contains(strings.Join(d.Notes, " "), "calico-config") {
			t.Errorf("--etcd-endpoint was given, yet calico-config was read: %q", d.Notes)
		}
	})
	t.Run("malformed kubeconfig", func(t *testing.T) {
		bad, _ := filepath.Abs(filepath.Join(repoRoot, "testdata", "kubeconfig", "malformed.yaml"))
		code, _, errOut := runDiscover(t, nil, "--kubeconfig", bad)
		if code != 2 || !strings.Contains(errOut, bad) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("exit %d, stderr %q; want 2 and one line naming the file", code, errOut)
		}
	})
}

// TestClusterInfoEtcdHost: the current edition reads the etcd endpoint from cluster-info's
// etcd_host, in each form FACTS.md 3.10 allows (host:port, a URL, a bare host naming no port).
func TestClusterInfoEtcdHost(t *testing.T) {
	a := newAPIServer(t)
	for _, tc := range []struct {
		name, etcdHost, state, note string
	}{
		{"host:port", "", "open", "from kube-system/cluster-info etcd_host"},
		{"URL", "https://" + a.etcd, "open", "from kube-system/cluster-info etcd_host"},
		{"bare host", "127.0.0.1", "unverified", "names no port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.etcdHost = tc.etcdHost
			code, d, errOut := runDiscover(t, nil, "--edition", "2025-07-08", "--kubeconfig", a.kubeconfig(t, "token.yaml", nil))
			if code == 2 {
				t.Fatalf("exit 2: %s", errOut)
			}
			st, det := d.probe("etcd")
			all := strings.Join(d.Notes, "\n") + det
			if st != tc.state || !strings.Contains(all, tc.note) {
				t.Errorf("etcd = %s (%s), notes %q; want %s mentioning %q", st, det, d.Notes, tc.state, tc.note)
			}
		})
	}
}

// TestPrivateServiceEndpoint: a kubeconfig that names the cluster's private service endpoint
// beside the public one (c100.private.us-south beside c100.us-south, not c101's) makes the
// workstation check it too, as an opening of its own that warns when closed: the public
// endpoint is the way in. Both names are sent to loopback with --resolve; nothing else is
// dialed (the API and region openings are skipped, the etcd endpoint given).
func TestPrivateServiceEndpoint(t *testing.T) {
	a := newAPIServer(t)
	_, port, _ := net.SplitHostPort(a.srv.Listener.Addr().String())
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closedPort, _ := net.SplitHostPort(closed.Addr().String())
	closed.Close()
	const public, private = "c100.us-south.containers.cloud.ibm.com", "c100.private.us-south.containers.cloud.ibm.com"
	for _, tc := range []struct {
		name, privatePort, state, status string
		code                             int
	}{
		{"open", port, "open", "verified", 0},
		{"closed", closedPort, "refused", "warning", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := filepath.Join(t.TempDir(), "kubeconfig")
			f, _ := os.Create(kc)
			template.Must(template.ParseFiles(filepath.Join(repoRoot, "testdata", "kubeconfig", "service-endpoints.yaml"))).
				Execute(f, map[string]string{"Port": port, "PrivatePort": tc.privatePort})
			f.Close()
			code, d, errOut := runDiscover(t, nil, "--kubeconfig", kc, "--skip", "region", "--etcd-endpoint", a.etcd,
				"--resolve", public+":"+port+":127.0.0.1", "--resolve", private+":"+tc.privatePort+":127.0.0.1")
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if st, det := d.probe("master"); st != "open" {
				t.Errorf("master = %s (%s)", st, det)
			}
			if st, det := d.probe("master-private"); st != tc.state {
				t.Errorf("master-private = %s (%s), want %s", st, det, tc.state)
			}
			for _, o := range d.Openings {
				if o.ID == "master-private" && o.Status != tc.status {
					t.Errorf("master-private is %s, want %s", o.Status, tc.status)
				}
			}
			notes := strings.Join(d.Notes, "\n")
			if !strings.Contains(notes, "private service endpoint https://"+private+":"+tc.privatePort) || !strings.Contains(notes, "edition 2025-07-08 picked") {
				t.Errorf("notes %q", notes)
			}
		})
	}
}
