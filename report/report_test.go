package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

var update = flag.Bool("update", false, "update golden files")

var started = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

// fakeResults gives every target of the plan a fixed outcome: the region's dal10 IPs are
// dropped, one registry address has drifted outside the page's ranges, monitoring's 9095 is
// refused, logging is intercepted, the rest open.
func fakeResults(t *testing.T, plan *endpoints.Plan) [][][]probe.Result {
	t.Helper()
	src := netip.MustParseAddr("198.51.100.5")
	out := make([][][]probe.Result, plan.Len())
	for i, o := range plan.All() {
		if o.Skip != "" {
			continue
		}
		out[i] = make([][]probe.Result, len(o.Targets))
		for j, tg := range o.Targets {
			r := probe.Result{Target: tg, Address: tg.Addr, Source: src, Via: "direct", State: probe.Open,
				Reason: "open", Detail: "TCP handshake completed", Elapsed: time.Duration(10+j) * time.Millisecond, Attempts: 1}
			switch {
			case tg.Check == probe.CheckNone:
				r.State, r.Reason, r.Detail, r.Source = probe.Unverified, "unverified", tg.Note, netip.Addr{}
			case o.ID == "region-us-south-dal10":
				r.State, r.Reason, r.Detail, r.Elapsed = probe.Filtered, "filtered-timeout", "no answer to the connection attempt within the timeout: a firewall drops the packets", 5*time.Second
			case o.Group == "registry" && o.ID == "registry-us-south":
				r.Address = netip.MustParseAddr("169.46.9.7")
				drift := r
				drift.Address = netip.MustParseAddr("198.18.0.9")
				out[i][j] = []probe.Result{r, drift}
				continue
			case o.Group == "registry":
				r.Address = netip.MustParseAddr("169.60.72.150")
			case o.Group == "monitoring" && tg.Port == 9095:
				r.State, r.Reason, r.Detail = probe.Refused, "refused", "connection refused (TCP reset or ICMP port unreachable): nothing listens, or a firewall rejects with a reset"
			case o.Group == "logging" && tg.Port == 443:
				r.State, r.Reason, r.Detail = probe.TLSIntercepted, "tls-intercepted", `certificate issued by "Corp Inspection CA", which no trusted root vouches for`
			case o.Group == "master":
				r.Detail = "HTTP/1.1 200 OK with gitVersion v1.7.4 \x1b[31mred\x1b[0m | pipe"
			}
			out[i][j] = []probe.Result{r}
		}
	}
	return out
}

// build judges plan from results through a Builder: in memory, or spooled with the openings
// judged last first, as a run whose probes finish out of order judges them.
func build(t *testing.T, plan *endpoints.Plan, results [][][]probe.Result, m report.Meta, spool bool) *report.Report {
	t.Helper()
	m.Spool = spool
	b, err := report.NewBuilder(plan, m)
	if err != nil {
		t.Fatal(err)
	}
	for k := range plan.Len() {
		i := k
		if spool {
			i = plan.Len() - 1 - k
		}
		var res [][]probe.Result
		if i < len(results) {
			res = results[i]
		}
		b.Add(i, res)
	}
	r, err := b.Report(m.Elapsed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func workerReport(t *testing.T) *report.Report { return workerReportIn(t, false) }

func workerReportIn(t *testing.T, spool bool) *report.Report {
	t.Helper()
	c, err := endpoints.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	master, _ := endpoints.ParseMasterURL("https://169.46.7.238:31142")
	plan, err := c.BuildPlan(endpoints.Facts{Profile: endpoints.Worker, Master: master})
	if err != nil {
		t.Fatal(err)
	}
	return build(t, plan, fakeResults(t, plan), report.Meta{Version: "v0.0.0-test", Started: started,
		Elapsed: 5123 * time.Millisecond, Via: "direct", Hostname: "worker-1"}, spool)
}

func workstationDryRunIn(t *testing.T, spool bool) *report.Report {
	t.Helper()
	c, _ := endpoints.Embedded()
	plan, err := c.BuildPlan(endpoints.Facts{Profile: endpoints.Workstation})
	if err != nil {
		t.Fatal(err)
	}
	return build(t, plan, nil, report.Meta{Version: "v0.0.0-test", Started: started,
		Via: "http://alice:***@proxy.example:3128", Hostname: "laptop", DryRun: true,
		ViaFor: func(probe.Target) string { return "http://alice:***@proxy.example:3128" }}, spool)
}

// TestGolden writes every format from a report held in memory and from one spooled to a
// temporary file with its openings judged out of order: both are the golden file, byte for
// byte.
func TestGolden(t *testing.T) {
	for _, spool := range []bool{false, true} {
		store := "memory"
		if spool {
			store = "spool"
		}
		t.Run(store, func(t *testing.T) {
			testGolden(t, map[string]*report.Report{"worker": workerReportIn(t, spool), "workstation-dry-run": workstationDryRunIn(t, spool)}, !spool)
		})
	}
}

func testGolden(t *testing.T, reports map[string]*report.Report, mayUpdate bool) {
	for name, r := range reports {
		for _, format := range report.Formats() {
			for _, color := range []bool{false, true} {
				if color && format != "text" {
					continue
				}
				golden := filepath.Join("..", "testdata", "golden", name+"."+format)
				if color {
					golden += ".color"
				}
				t.Run(filepath.Base(golden), func(t *testing.T) {
					w, err := report.New(format, report.Options{Color: color})
					if err != nil {
						t.Fatal(err)
					}
					var buf bytes.Buffer
					if err := w.Write(&buf, r); err != nil {
						t.Fatal(err)
					}
					if *update && mayUpdate {
						if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatalf("%v (run go test ./report -update)", err)
					}
					if !bytes.Equal(buf.Bytes(), want) {
						t.Errorf("%s differs from the golden file; got:\n%s", golden, buf.String())
					}
				})
			}
		}
	}
}

func TestVerdicts(t *testing.T) {
	r := workerReport(t)
	s := r.Summary
	if s.Missing != 1 || s.Warnings != 4 || s.Skipped != 2 || s.Verified != 5 {
		t.Errorf("summary = %+v; want 1 missing (dal10), 4 warnings (master range, drift, monitoring, logging), 2 skipped, 5 verified", s)
	}
	if r.ExitCode(false) != 1 || r.ExitCode(true) != 1 {
		t.Errorf("exit codes = %d, %d; want 1, 1", r.ExitCode(false), r.ExitCode(true))
	}
	for _, o := range openingsOf(t, r) {
		switch o.ID {
		case "region-us-south-dal10":
			if o.Status != report.Missing || o.Rule != "allow tcp from 198.51.100.5 to 169.47.234.18, 169.46.7.238 port 443" {
				t.Errorf("dal10: %s %q", o.Status, o.Rule)
			}
		case "monitoring-us-south":
			if o.Status != report.Warning || !strings.HasSuffix(o.Rule, "to 169.47.204.128/29 port 9095") && !strings.HasSuffix(o.Rule, "port 9095") {
				t.Errorf("monitoring: optional and refused on 9095 is a warning naming 9095 only: %s %q", o.Status, o.Rule)
			}
		case "registry-us-south":
			if o.Status != report.Warning || o.Probes[1].Warning == "" || o.Rule != "allow tcp from 198.51.100.5 to 198.18.0.9 port 443" {
				t.Errorf("registry drift: %s %q %+v", o.Status, o.Rule, o.Probes)
			}
		case "registry-global":
			if o.Status != report.Verified || o.Rule != "" {
				t.Errorf("registry-global: %s %q", o.Status, o.Rule)
			}
		}
	}
	ok := &report.Report{Summary: report.Summary{Warnings: 2}}
	if ok.ExitCode(false) != 0 || ok.ExitCode(true) != 1 {
		t.Error("warnings pass, except under --strict")
	}
}

func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	w, _ := report.New("json", report.Options{})
	if err := w.Write(&buf, workerReport(t)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "tool", "profile", "region", "started", "elapsed_ms", "via", "source", "summary", "openings"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if doc["schema"] != "fwcheck.report/v1" || doc["started"] != "2026-11-26T06:00:00Z" {
		t.Errorf("schema %v started %v", doc["schema"], doc["started"])
	}
	probe0 := doc["openings"].([]any)[0].(map[string]any)["probes"].([]any)[0].(map[string]any)
	for _, k := range []string{"host", "address", "port", "protocol", "via", "check", "state", "ok", "detail", "elapsed_ms"} {
		if _, ok := probe0[k]; !ok {
			t.Errorf("probe lacks %q", k)
		}
	}
}

func TestJUnitParses(t *testing.T) {
	var buf bytes.Buffer
	w, _ := report.New("junit", report.Options{})
	if err := w.Write(&buf, workerReport(t)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if s := doc.Suites[0]; s.Tests != 12 || s.Failures != 1 {
		t.Errorf("tests = %d failures = %d; want 12 and 1", s.Tests, s.Failures)
	}
}

// TestTerminalEscaping: a server's escape sequences never reach the terminal.
func TestTerminalEscaping(t *testing.T) {
	var buf bytes.Buffer
	w, _ := report.New("text", report.Options{Verbose: true})
	w.Write(&buf, workerReport(t))
	if strings.Contains(buf.String(), "\x1b[31mred") {
		t.Error("a server's ANSI sequence reached the text report")
	}
	buf.Reset()
	w, _ = report.New("markdown", report.Options{})
	w.Write(&buf, workerReport(t))
	if strings.Contains(buf.String(), " | pipe") {
		t.Error("a | in a cell was not escaped in Markdown")
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

// TestWriteErrors: every reporter returns its writer's error.
func TestWriteErrors(t *testing.T) {
	r := workerReport(t)
	for _, format := range report.Formats() {
		w, _ := report.New(format, report.Options{})
		if err := w.Write(&failingWriter{}, r); err == nil {
			t.Errorf("%s: write error swallowed", format)
		}
	}
}

// TestVerboseTextSpooled: the verbose text report (every probe listed, so its target column
// spans passing probes too) reads the same from a spool, whose index keeps that width, as
// from memory.
func TestVerboseTextSpooled(t *testing.T) {
	var out [2]bytes.Buffer
	for i, spool := range []bool{false, true} {
		w, _ := report.New("text", report.Options{Verbose: true})
		if err := w.Write(&out[i], workerReportIn(t, spool)); err != nil {
			t.Fatal(err)
		}
	}
	if out[0].String() != out[1].String() {
		t.Errorf("spooled verbose text differs from memory:\n%s\n---\n%s", out[1].String(), out[0].String())
	}
}

// openingsOf reads every opening of r, through Each as a writer does.
func openingsOf(t testing.TB, r *report.Report) []report.Opening {
	t.Helper()
	var all []report.Opening
	if err := r.Each(func(o report.Opening) error { all = append(all, o); return nil }); err != nil {
		t.Fatal(err)
	}
	return all
}
