package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/internal/cli"
	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/internal/testtier"
)

// promQuery asks a Prometheus server for an instant query's series.
func promQuery(t *testing.T, base, q string) []map[string]string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	return decodeSeries(resp.Body)
}

// decodeSeries reads the series of a Prometheus query answer, each with its value as
// "__value".
func decodeSeries(body io.Reader) []map[string]string {
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string
				Value  []any
			}
		}
	}
	json.NewDecoder(body).Decode(&r)
	var out []map[string]string
	for _, s := range r.Data.Result {
		s.Metric["__value"] = fmt.Sprint(s.Value[1])
		out = append(out, s.Metric)
	}
	return out
}

// TestAlertRules: the alert rules of docs/alerts.yml pass promtool, and against the series a
// real Prometheus server scraped from a real serve (an opening missing, one verified, one a
// warning) they fire for the missing opening alone: promtool test rules replays those series.
func TestAlertRules(t *testing.T) {
	testtier.Need(t, "prometheus", testtier.MissingTool("prometheus", "prometheus", "promtool"))
	prom, _ := exec.LookPath("prometheus")
	promtool, _ := exec.LookPath("promtool")
	rules, _ := filepath.Abs(filepath.Join("docs", "alerts.yml"))
	if out, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}

	// serve: 127.0.0.1:open verified, a closed port missing, a silent UDP port a warning.
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	closed := testnet.Closed(t, "127.0.0.1")
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	addr := testnet.Closed(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, []string{"fwcheck", "serve", "--listen", addr, "--interval", "1s", "probe", "--timeout", "1s",
			open.Addr().String(), closed, "udp://" + udp.LocalAddr().String()}, io.Discard, io.Discard, func(string) string { return "" })
	}()
	defer func() { cancel(); <-done }()
	var metrics []byte
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
			metrics, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(metrics), "fwcheck_opening_up") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("serve served no metrics")
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(string(metrics))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	// A real Prometheus server scrapes serve every second and evaluates the rules.
	dir := t.TempDir()
	web := testnet.Closed(t, "127.0.0.1")
	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: fwcheck
    static_configs: [{targets: [%q]}]
`, rules, addr)), 0o644)
	server := exec.Command(prom, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+web)
	logFile, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	server.Stdout, server.Stderr = logFile, logFile
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { server.Process.Kill(); server.Wait() }()
	base := "http://" + web
	var up []map[string]string
	for deadline := time.Now().Add(30 * time.Second); len(up) < 3; time.Sleep(200 * time.Millisecond) {
		up = promQuery(t, base, "fwcheck_opening_up")
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("Prometheus scraped %d series of fwcheck_opening_up:\n%s", len(up), b)
		}
	}
	// The alert's expression, on the scraped series: the missing opening, nothing else.
	firing := promQuery(t, base, "fwcheck_opening_up == 0")
	if len(firing) != 1 || firing[0]["opening"] != "probe-2" {
		t.Errorf("fwcheck_opening_up == 0 selects %v; want probe-2 (the closed port) alone", firing)
	}
	if bad := promQuery(t, base, "fwcheck_last_run_success == 0"); len(bad) != 0 {
		t.Errorf("the check runs, yet %v", bad)
	}

	// promtool test rules with those series, held for 15 minutes: only FirewallOpeningMissing
	// for probe-2 fires.
	var series strings.Builder
	for _, s := range up {
		fmt.Fprintf(&series, "      - series: 'fwcheck_opening_up{instance=%q,job=\"fwcheck\",opening=%q,group=%q,required=%q}'\n        values: '%sx15'\n",
			s["instance"], s["opening"], s["group"], s["required"], s["__value"])
	}
	fmt.Fprintf(&series, "      - series: 'fwcheck_last_run_success{instance=%q,job=\"fwcheck\"}'\n        values: '1x15'\n", addr)
	test := filepath.Join(dir, "alerts_test.yml")
	os.WriteFile(test, []byte(fmt.Sprintf(`rule_files: [%q]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
%s    alert_rule_test:
      - eval_time: 11m
        alertname: FirewallOpeningMissing
        exp_alerts:
          - exp_labels: {severity: critical, instance: %q, job: fwcheck, opening: probe-2, group: probe, required: "true"}
            exp_annotations:
              summary: "Firewall opening probe-2 is missing from %s"
              description: "fwcheck has found the opening probe-2 (group probe) missing for 10 minutes; /report.json on the node has the rule to request."
      - eval_time: 11m
        alertname: FwcheckCannotRun
        exp_alerts: []
`, rules, series.String(), addr, addr)), 0o644)
	if out, err := exec.Command(promtool, "test", "rules", test).CombinedOutput(); err != nil {
		b, _ := os.ReadFile(test)
		t.Errorf("promtool test rules: %v\n%s\n%s", err, out, b)
	}
}
