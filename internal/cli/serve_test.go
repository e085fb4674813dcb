//go:build linux

package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/report"
)

// droppedPort is a loopback port whose SYNs are dropped: a listener with a full accept queue.
func droppedPort(t *testing.T) int {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	syscall.Listen(fd, 0)
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	for range 2 {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 300*time.Millisecond); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return port
}

// openPort is a loopback listener that accepts and closes every connection.
func openPort(t *testing.T) net.Listener { return testnet.Accepting(t, "tcp", "127.0.0.1:0") }

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// gauge finds the value of a series by its labels.
func gauge(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// TestServe scrapes /metrics across two intervals of `serve ... probe` with an open, a
// dropped and a DNS-failed target, and reads /healthz and /report.json.
func TestServe(t *testing.T) {
	open := openPort(t)
	dropped := droppedPort(t)
	addr := testnet.Closed(t, "127.0.0.1") // a free port for serve to listen on
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"fwcheck", "serve", "--listen", addr, "--interval", "2s", "probe", "--timeout", "1s",
			open.Addr().String(), fmt.Sprintf("127.0.0.1:%d", dropped), "tcp://name.fwcheck.invalid:443"}, io.Discard, io.Discard, func(string) string { return "" })
	}()
	base := "http://" + addr
	var last, firstSince float64
	for round := 1; round <= 2; round++ {
		// Wait for the run of this round.
		deadline := time.Now().Add(15 * time.Second)
		var fams map[string]*dto.MetricFamily
		for {
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				fams = scrape(t, base+"/metrics")
				if ts, ok := gauge(fams, "fwcheck_last_run_timestamp_seconds", nil); ok && ts > last {
					last = ts
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no run finished", round)
			}
			time.Sleep(100 * time.Millisecond)
		}
		port := func(a string) string { return a[strings.LastIndex(a, ":")+1:] }
		for _, tc := range []struct {
			host, port string
			up         float64
		}{{"127.0.0.1", port(open.Addr().String()), 1}, {"127.0.0.1", fmt.Sprint(dropped), 0}, {"name.fwcheck.invalid", "443", 0}} {
			v, ok := gauge(fams, "fwcheck_probe_up", map[string]string{"host": tc.host, "port": tc.port, "protocol": "tcp"})
			if !ok || v != tc.up {
				t.Errorf("round %d: fwcheck_probe_up{host=%q,port=%s} = %v (present %v); want %v", round, tc.host, tc.port, v, ok, tc.up)
			}
			if _, ok := gauge(fams, "fwcheck_probe_duration_seconds", map[string]string{"host": tc.host, "port": tc.port}); !ok {
				t.Errorf("round %d: no duration for %s:%s", round, tc.host, tc.port)
			}
		}
		if v, _ := gauge(fams, "fwcheck_openings_missing", nil); v != 2 {
			t.Errorf("round %d: fwcheck_openings_missing = %v; want 2", round, v)
		}
		if v, ok := gauge(fams, "fwcheck_opening_up", map[string]string{"opening": "probe-1", "required": "true"}); !ok || v != 1 {
			t.Errorf("round %d: fwcheck_opening_up{opening=probe-1} = %v, %v", round, v, ok)
		}
		if _, ok := gauge(fams, "fwcheck_build_info", map[string]string{"goversion": runtime.Version()}); !ok {
			t.Errorf("no fwcheck_build_info")
		}
		// "Broken since": set in the first round, kept while the status stays.
		since, ok := gauge(fams, "fwcheck_opening_status_since_timestamp_seconds", map[string]string{"opening": "probe-2", "status": "missing"})
		if !ok || since <= 0 || since > last {
			t.Errorf("round %d: the status-since of probe-2 = %v (present %v), last run %v", round, since, ok, last)
		}
		if round == 1 {
			firstSince = since
		} else if since != firstSince {
			t.Errorf("round 2: probe-2 is still missing, and its since moved from %v to %v", firstSince, since)
		}
	}
	resp, err := http.Get(base + "/report.json")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/report.json: %v %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"schema": "fwcheck.report/v1"`) {
		t.Errorf("/report.json: %.200s", body)
	}
	if resp, err := http.Get(base + "/probe?target=127.0.0.1:1"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("/probe without --probe-endpoint: %v %v; want 404", err, resp)
	} else {
		resp.Body.Close()
	}
	cancel() // as SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve ended with %d; want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not end")
	}
}

// TestServeProbeEndpoint: with --probe-endpoint, /probe?target= dials one target on request,
// as blackbox_exporter does: open, refused and dropped targets answer with probe_success and
// the state of each address; bad requests are 400s that say why.
func TestServeProbeEndpoint(t *testing.T) {
	open := openPort(t)
	closedAddr := testnet.Closed(t, "127.0.0.1")
	dropped := fmt.Sprintf("127.0.0.1:%d", droppedPort(t))
	addr := testnet.Closed(t, "127.0.0.1") // a free port for serve to listen on
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"fwcheck", "serve", "--listen", addr, "--probe-endpoint", "probe", open.Addr().String()},
			io.Discard, io.Discard, func(string) string { return "" })
	}()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}
	for _, tc := range []struct {
		query, header string
		success       float64
		state         string
	}{
		{query: "target=" + open.Addr().String(), success: 1, state: "open"},
		{query: "target=tcp://" + closedAddr + "&timeout=1s", success: 0, state: "refused"},
		{query: "target=" + dropped + "&timeout=300ms", success: 0, state: "filtered"},
		{query: "target=" + dropped, header: "1", success: 0, state: "filtered"}, // Prometheus's scrape timeout, less the margin
	} {
		req, _ := http.NewRequest("GET", base+"/probe?"+tc.query, nil)
		if tc.header != "" {
			req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", tc.query, resp.StatusCode, err)
		}
		if v, ok := gauge(fams, "probe_success", nil); !ok || v != tc.success {
			t.Errorf("%s: probe_success = %v (present %v); want %v", tc.query, v, ok, tc.success)
		}
		if _, ok := gauge(fams, "fwcheck_probe_state", map[string]string{"address": "127.0.0.1", "state": tc.state}); !ok {
			t.Errorf("%s: no fwcheck_probe_state{state=%q}: %v", tc.query, tc.state, fams["fwcheck_probe_state"])
		}
		if _, ok := gauge(fams, "probe_duration_seconds", nil); !ok {
			t.Errorf("%s: no probe_duration_seconds", tc.query)
		}
		if tc.header != "" {
			if v, _ := gauge(fams, "fwcheck_probe_timeout_seconds", nil); v != 0.5 {
				t.Errorf("scrape timeout 1s: the probe ran with %vs; want 0.5s", v)
			}
		}
	}
	for query, want := range map[string]string{
		"":                                "target parameter is missing",
		"target=--dry-run=false":          "is not HOST:PORT or a URL",
		"target=127.0.0.1:1&timeout=soon": "is not a duration",
		"target=127.0.0.1:1&timeout=2h":   "out of range",
		"target=127.0.0.1:99999":          "99999",
	} {
		resp, err := http.Get(base + "/probe?" + query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), want) || strings.Count(string(body), "\n") > 1 {
			t.Errorf("/probe?%s: %d %q; want 400 saying %q", query, resp.StatusCode, body, want)
		}
	}
}

// TestServeProbeConcurrently: /probe requests at once share no state they write (run with
// -race: building the app per request wrote urfave's package variables).
func TestServeProbeConcurrently(t *testing.T) {
	open := openPort(t)
	closed := testnet.Closed(t, "127.0.0.1")
	check, err := parseCheck(t.Context(), []string{"probe", open.Addr().String()}, func(string) string { return "" }, theMachine)
	if err != nil {
		t.Fatal(err)
	}
	h := probeHandler(check.input)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target, want := open.Addr().String(), "probe_success 1"
			if i%2 == 1 {
				target, want = closed, "probe_success 0"
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/probe?timeout=2s&target="+target, nil))
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%s: %d %s; want %s", target, rec.Code, rec.Body.String(), want)
			}
		}()
	}
	// The version printer is the other package variable an app reads: use it at the same time.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			if code := Run(context.Background(), []string{"fwcheck", "--version"}, &out, io.Discard, func(string) string { return "" }); code != 0 || !strings.Contains(out.String(), "fwcheck") {
				t.Errorf("--version: %d %q", code, out.String())
			}
		}()
	}
	wg.Wait()
}

// TestServeWithoutTmp: serve keeps its reports in memory, so it runs where there is no /tmp
// (its own image, a read-only root): each round is run.Run, not the CLI writing a file.
func TestServeWithoutTmp(t *testing.T) {
	t.Setenv("TMPDIR", "/nonexistent/tmp")
	open := openPort(t)
	addr := testnet.Closed(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"fwcheck", "serve", "--listen", addr, "--interval", "1s", "probe", open.Addr().String()},
			io.Discard, &stderr, func(string) string { return "" })
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve ended with %d: %s", code, stderr.String())
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/report.json")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"status": "verified"`) {
			return
		}
	}
	t.Fatalf("no report without a /tmp: %s", stderr.String())
}

// TestServeFailingRound: a round that cannot run (the kubeconfig it reads each round broken) is
// not served as fresh: fwcheck_last_run_success is 0, the last good time stays, each failed
// round is logged, /healthz turns unhealthy after three, /livez stays ok (a restart would not
// mend it), and the openings' series are the last good report's.
func TestServeFailingRound(t *testing.T) {
	open := openPort(t)
	kc := tokenKubeconfig(t, open.Addr().String())
	addr := testnet.Closed(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"fwcheck", "serve", "--listen", addr, "--interval", "1s", "workstation", "--kubeconfig", kc,
			"--skip", "api", "--etcd-endpoint", open.Addr().String(), "--timeout", "1s"},
			io.Discard, &stderr, func(string) string { return "" })
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + addr
	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not happen: %s", what, stderr.String())
			}
		}
	}
	waitFor("a good round", func() bool { return status("/healthz") == http.StatusOK })
	fams := scrape(t, base+"/metrics")
	good, _ := gauge(fams, "fwcheck_last_success_timestamp_seconds", nil)
	os.WriteFile(kc, []byte("clusters: [\n"), 0o644)
	waitFor("three failed rounds", func() bool { return status("/healthz") == http.StatusServiceUnavailable })
	fams = scrape(t, base+"/metrics")
	if v, _ := gauge(fams, "fwcheck_last_run_success", nil); v != 0 {
		t.Errorf("fwcheck_last_run_success = %v after failed rounds", v)
	}
	if v, _ := gauge(fams, "fwcheck_last_success_timestamp_seconds", nil); v != good {
		t.Errorf("the last good time moved from %v to %v", good, v)
	}
	if v, _ := gauge(fams, "fwcheck_failed_rounds", nil); v < 3 {
		t.Errorf("fwcheck_failed_rounds = %v", v)
	}
	if v, ok := gauge(fams, "fwcheck_opening_up", map[string]string{"opening": "etcd"}); !ok || v != 1 {
		t.Errorf("the last good report's opening: %v %v", v, ok)
	}
	if status("/livez") != http.StatusOK {
		t.Error("/livez is not ok: a configuration error would become a restart loop")
	}
	if log := stderr.String(); !strings.Contains(log, "failed (3 in a row)") || !strings.Contains(log, "serving the report of") {
		t.Errorf("the failed rounds are not logged: %s", log)
	}
}

// TestOpeningUpIsTheExitCodes: fwcheck_opening_up is 0 exactly when the opening fails the run:
// missing, or a warning under --strict; fwcheck_opening_status has every status, 1 for the
// opening's.
func TestOpeningUpIsTheExitCodes(t *testing.T) {
	for _, strict := range []bool{false, true} {
		w := &watcher{strict: strict, interval: time.Second}
		rep := reportWith(t, report.Report{Summary: report.Summary{Missing: 1}},
			report.Opening{ID: "a", Group: "region", Required: true, Status: report.Missing},
			report.Opening{ID: "b", Group: "monitoring", Status: report.Warning},
			report.Opening{ID: "c", Group: "registry", Required: true, Status: report.Verified},
			report.Opening{ID: "d", Group: "master", Required: true, Status: report.Warning}, // a range that cannot be verified
		)
		w.latest, w.runs, w.lastRun, w.lastGood = rep, 1, time.Now(), time.Now()
		reg := prometheus.NewRegistry()
		reg.MustRegister(w)
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*dto.MetricFamily{}
		for _, f := range fams {
			byName[f.GetName()] = f
		}
		want := map[string]float64{"a": 0, "b": 1, "c": 1, "d": 1}
		if strict {
			want["b"], want["d"] = 0, 0
		}
		for id, up := range want {
			if v, ok := gauge(byName, "fwcheck_opening_up", map[string]string{"opening": id}); !ok || v != up {
				t.Errorf("strict %t: fwcheck_opening_up{opening=%s} = %v (%v), want %v", strict, id, v, ok, up)
			}
			for _, st := range []string{"verified", "missing", "warning", "skipped"} {
				v, ok := gauge(byName, "fwcheck_opening_status", map[string]string{"opening": id, "status": st})
				if !ok || (v == 1) != (st == statusOf(t, rep, id)) {
					t.Errorf("fwcheck_opening_status{opening=%s,status=%s} = %v (%v)", id, st, v, ok)
				}
			}
		}
	}
}

func statusOf(t testing.TB, r *report.Report, id string) string {
	for _, o := range openingsOf(t, r) {
		if o.ID == id {
			return o.Status
		}
	}
	return ""
}

// TestServeWebConfig: --web-config takes Prometheus' web-config format: over TLS, /metrics
// answers only with the basic-auth user's password; a web-config that does not hold is bad
// input at start-up.
func TestServeWebConfig(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate and key for 127.0.0.1
	srv.Close()
	cert := srv.TLS.Certificates[0]
	keyDER, _ := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644)
	os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	config := filepath.Join(dir, "web.yml")
	os.WriteFile(config, []byte("tls_server_config:\n  cert_file: "+filepath.Join(dir, "tls.crt")+"\n  key_file: "+filepath.Join(dir, "tls.key")+
		"\nbasic_auth_users:\n  prom: "+string(hash)+"\n"), 0o644)

	open := openPort(t)
	addr := testnet.Closed(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"fwcheck", "serve", "--listen", addr, "--web-config", config, "probe", open.Addr().String()},
			io.Discard, io.Discard, func(string) string { return "" })
	}()
	defer func() { cancel(); <-done }()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	get := func(user, pw string) int {
		req, _ := http.NewRequest("GET", "https://"+addr+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for deadline := time.Now().Add(10 * time.Second); get("prom", "s3cret") != http.StatusOK; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no /metrics over TLS with the password")
		}
	}
	if code := get("", ""); code != http.StatusUnauthorized {
		t.Errorf("no password: %d; want 401", code)
	}
	if code := get("prom", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("a wrong password: %d; want 401", code)
	}
	if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered")
		}
	}

	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("tls_server_config:\n  cert_file: /nonexistent\n"), 0o644)
	for _, f := range []string{bad, "/dev/zero"} {
		var errb strings.Builder
		if code := Run(context.Background(), []string{"fwcheck", "serve", "--listen", "127.0.0.1:0", "--web-config", f, "probe", "127.0.0.1:1"},
			io.Discard, &errb, func(string) string { return "" }); code != ExitBadInput || !strings.Contains(errb.String(), "--web-config") {
			t.Errorf("--web-config %s: exit %d %q; want 2", f, code, errb.String())
		}
	}
}

// TestServeProbeDialsAsTheCheck: /probe dials the way serve's own check does: with its --resolve
// pins, and through its --proxy (here one that refuses every CONNECT), not around it.
func TestServeProbeDialsAsTheCheck(t *testing.T) {
	open := openPort(t)
	name := "svc.fwcheck.test:" + portOf(open)
	pin := "--resolve=" + name + ":127.0.0.1" // a name, so that the proxy is not bypassed as loopback
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not by policy", http.StatusForbidden)
	}))
	defer refusing.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"probe", pin, name}, `state="open"`},
		{[]string{"probe", pin, "--proxy", refusing.URL, name}, `state="proxy-denied"`},
	} {
		check, err := parseCheck(t.Context(), tc.args, func(string) string { return "" }, theMachine)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		probeHandler(check.input).ServeHTTP(rec, httptest.NewRequest("GET", "/probe?timeout=2s&target="+name, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("serve %v: /probe %d %s; want %s", tc.args, rec.Code, rec.Body.String(), tc.want)
		}
	}
}
