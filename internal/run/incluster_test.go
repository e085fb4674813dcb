package run

import (
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// podAPIServer plays the API server a pod reaches at KUBERNETES_SERVICE_HOST: calico-config
// for the service account's token alone, naming etcd at etcd.
func podAPIServer(t *testing.T, etcd string) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/namespaces/kube-system/configmaps/calico-config" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer pod-token" {
			http.Error(w, `{"kind":"Status","code":403}`, http.StatusForbidden)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"kind": "ConfigMap", "data": map[string]string{"etcd_endpoints": "https://" + etcd}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// serviceAccount writes what the kubelet mounts: the token and the CA.
func serviceAccount(t *testing.T, srv *httptest.Server, token string) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte(token), 0o600)
	os.WriteFile(filepath.Join(dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	return dir
}

// workerInPod runs a worker check as the DaemonSet's pod runs it, with only the master's
// openings dialed (the master URL and etcd on loopback; everything else of the catalog is
// skipped: its addresses are public).
func workerInPod(t *testing.T, srv *httptest.Server, dir, master string, dryRun bool) (*report.Report, error) {
	u := srv.Listener.Addr().(*net.TCPAddr)
	env := map[string]string{"KUBERNETES_SERVICE_HOST": u.IP.String(), "KUBERNETES_SERVICE_PORT": strconv.Itoa(u.Port)}
	m, err := endpoints.ParseMasterURL("https://" + master)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(t.Context(), Input{
		Facts: endpoints.Facts{Profile: endpoints.Worker, Region: "us-south", Master: m,
			Skip: []string{"region", "registry", "iam", "monitoring", "logging"}},
		Probe:             probe.Config{Timeout: 2 * time.Second, Concurrency: 4},
		Getenv:            func(k string) string { return env[k] },
		ServiceAccountDir: dir,
		DryRun:            dryRun,
	})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { out.Report.Close() })
	return out.Report, nil
}

// masterOpening is the worker's master opening: its probes' hosts:ports and states.
func masterOpening(t *testing.T, r *report.Report) (probes map[string]string, note string) {
	probes = map[string]string{}
	r.Each(func(o report.Opening) error {
		if o.Group != "master" {
			return nil
		}
		for _, p := range o.Probes {
			if p.Port != 0 {
				probes[net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port)))] = p.State
			} else {
				note = p.Detail
			}
		}
		return nil
	})
	return probes, note
}

// TestWorkerReadsEtcdInPod: a worker check in a pod with a service account token reads the
// etcd endpoint through the API server at KUBERNETES_SERVICE_HOST, verified against the mounted
// CA, and dials it as part of the master opening; without a token (the Jobs of `fwcheck nodes`)
// it reads nothing; a dry run says what it would read.
func TestWorkerReadsEtcdInPod(t *testing.T) {
	etcd := testnet.Accepting(t, "tcp", "127.0.0.1:0").Addr().String()
	master := testnet.Closed(t, "127.0.0.1")
	srv := podAPIServer(t, etcd)

	r, err := workerInPod(t, srv, serviceAccount(t, srv, "pod-token\n"), master, false)
	if err != nil {
		t.Fatal(err)
	}
	probes, _ := masterOpening(t, r)
	if probes[etcd] != "open" || len(r.Findings) != 0 || !strings.Contains(strings.Join(r.Notes, "\n"), "etcd endpoint https://"+etcd+" from kube-system/calico-config") {
		t.Errorf("in a pod: master probes %v, findings %+v, notes %q", probes, r.Findings, r.Notes)
	}

	r, err = workerInPod(t, srv, t.TempDir(), master, false) // no token mounted
	if err != nil {
		t.Fatal(err)
	}
	if probes, _ := masterOpening(t, r); len(probes) != 1 || len(r.Findings) != 0 {
		t.Errorf("with no token: master probes %v, findings %+v; want the master URL alone", probes, r.Findings)
	}

	r, err = workerInPod(t, srv, serviceAccount(t, srv, "pod-token"), master, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, note := masterOpening(t, r); !strings.Contains(note, "would be read through the API with the pod's service account") {
		t.Errorf("dry run: the range's note is %q", note)
	}
}
