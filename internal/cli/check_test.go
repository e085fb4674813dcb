package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/probe"
)

func TestMain(m *testing.M) {
	if os.Getenv(asFwcheckEnv) != "" { // this binary, run as fwcheck by a shell under test
		os.Exit(Run(context.Background(), os.Args, os.Stdout, os.Stderr, os.Getenv))
	}
	code := m.Run()
	// The tests' plain http.Get calls keep idle connections in the default transport: close
	// them, then whatever goroutine is left is a leak.
	http.DefaultClient.CloseIdleConnections()
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

func TestBadInputExits2(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("edition: x\ngroups:\n  - name: nope\n"), 0o644)
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"worker", "--regoin", "us-south"}, nil, "unknown flag --regoin; did you mean --region?"},
		{[]string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{[]string{"worker", "--region", "mars"}, nil, `unknown region "mars"`},
		{[]string{"worker", "--region", "us-south", "--location", "lon02"}, nil, `unknown location "lon02"`},
		{[]string{"worker", "--region", "us-south", "--timeout", "0s"}, nil, "--timeout 0s is too short to prove anything"},
		{[]string{"worker", "--region", "us-south", "--concurrency", "0"}, nil, "--concurrency 0 must be at least 1"},
		{[]string{"workstation", "--master-url", "http://1.2.3.4:31142"}, nil, "--master-url"},
		{[]string{"probe", "127.0.0.1"}, nil, `"127.0.0.1" is not HOST:PORT`},
		{[]string{"probe"}, nil, "probe needs at least one"},
		{[]string{"worker", "--region", "us-south", "--catalog", "/nonexistent/c.yaml"}, nil, `--catalog: "/nonexistent/c.yaml": no such file or directory`},
		{[]string{"worker", "--region", "us-south", "--catalog", bad}, nil, bad + ":3: group \"nope\" is not one of"},
		{[]string{"worker", "--region", "us-south", "--proxy", "ftp://p:21"}, nil, `scheme "ftp"`},
		{[]string{"worker", "--region", "us-south"}, map[string]string{"HTTPS_PROXY": "gopher://p:70"}, `scheme "gopher"`},
		{[]string{"worker", "--region", "us-south", "-o", "yaml"}, nil, `unknown format "yaml"`},
		{[]string{"worker", "--region", "us-south", "--skip", "dns"}, nil, `--skip: "dns" is not a group`},
		{[]string{"worker", "--region", "us-south", "--resolve", "x:443"}, nil, "--resolve"},
		{[]string{"worker", "--region", "us-south", "--source-ip", "nope"}, nil, "--source-ip"},
		{[]string{"inbound", "--node-ip", "1.2.3.4"}, nil, "--node-ip, --nodeport: worker IPs and NodePorts go together"},
		{[]string{"catalog", "validate", bad}, nil, ""},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := fwcheck(t, tc.env, append(tc.args, "--dry-run")[:len(tc.args)]...)
			if code != ExitBadInput {
				t.Fatalf("exit %d; want 2 (stdout %q, stderr %q)", code, out, errOut)
			}
			if tc.want == "" {
				return // catalog validate lists its problems on stdout
			}
			if out != "" {
				t.Errorf("a report was printed on bad input: %q", out)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr = %q; want one line containing %q", errOut, tc.want)
			}
		})
	}
}

func TestDryRunEveryFormat(t *testing.T) {
	for _, format := range []string{"text", "json", "junit", "markdown", "rules"} {
		code, out, errOut := fwcheck(t, nil, "worker", "--region", "us-south", "--dry-run", "-o", format)
		if code != 0 || out == "" || errOut != "" {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q", format, code, len(out), errOut)
		}
		if !strings.Contains(out, "169.46.7.238") {
			t.Errorf("%s: the plan lacks the dal10 master IP", format)
		}
	}
}

func TestCatalogExportValidate(t *testing.T) {
	code, exported, _ := fwcheck(t, nil, "catalog", "export")
	if code != 0 {
		t.Fatalf("export exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "catalog.yaml")
	os.WriteFile(file, []byte(exported), 0o644)
	code, out, _ := fwcheck(t, nil, "catalog", "validate", file)
	if code != 0 || !strings.Contains(out, "valid (edition 2018-04-18") {
		t.Fatalf("validate: exit %d, %q", code, out)
	}
	// The exported file is what --catalog reads.
	code, out, _ = fwcheck(t, nil, "worker", "--region", "eu-central", "--catalog", file, "--dry-run", "-o", "rules")
	if code != 0 || !strings.Contains(out, "169.50.56.174") {
		t.Fatalf("--catalog exported: exit %d, %q", code, out)
	}
	code, out, _ = fwcheck(t, nil, "catalog", "list")
	if code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "us-south US South dal10 dal12 dal13 hou02 sao01") {
		t.Errorf("catalog list: %q", out)
	}
	code, out, _ = fwcheck(t, nil, "catalog", "show", "uk-south")
	if code != 0 || !strings.Contains(out, "lon04") || strings.Contains(out, "dal10") {
		t.Errorf("catalog show uk-south: %q", out)
	}
	code, out, _ = fwcheck(t, nil, "version")
	if code != 0 || !strings.Contains(out, "catalog edition 2018-04-18") {
		t.Errorf("version: %q", out)
	}
}

// silentServer accepts connections and never answers until the test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	return testnet.Holding(t, "tcp", "127.0.0.1:0").Addr().String()
}

// TestParallel: 200 targets, 50 of which accept and never answer, finish in about one
// timeout, not 50.
func TestParallel(t *testing.T) {
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(open.Close)
	silent := silentServer(t)
	args := []string{"probe", "--timeout", "1s", "--retries", "0", "-o", "json"}
	for i := 0; i < 150; i++ {
		args = append(args, open.URL+"/"+strconv.Itoa(i))
	}
	for i := 0; i < 50; i++ {
		args = append(args, "http://"+silent+"/"+strconv.Itoa(i))
	}
	start := time.Now()
	code, out, errOut := fwcheck(t, nil, args...)
	elapsed := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d (stderr %q); want 1 (50 stalled)", code, errOut)
	}
	var rep struct {
		Summary  struct{ Verified, Missing int }
		Openings []struct{ Probes []struct{ State string } }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Verified != 150 || rep.Summary.Missing != 50 {
		t.Errorf("summary = %+v; want 150 verified, 50 missing", rep.Summary)
	}
	for _, o := range rep.Openings[150:] {
		if o.Probes[0].State != "stalled" {
			t.Fatalf("silent target state = %s; want stalled", o.Probes[0].State)
		}
	}
	if elapsed > 3*time.Second {
		t.Errorf("200 targets took %v; a parallel run takes about one timeout (1s)", elapsed)
	}
}

// connectProxy answers CONNECT to port 443 by tunnelling to backend, and 403 otherwise;
// it requires Basic alice:s3cret.
type connectProxy struct{ backend string }

func (p connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Proxy-Authorization") != "Basic YWxpY2U6czNjcmV0" {
		w.Header().Set("Proxy-Authenticate", `Basic realm="corp"`)
		w.WriteHeader(http.StatusProxyAuthRequired)
		return
	}
	if !strings.HasSuffix(r.Host, ":443") {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	tunnelProxy(p).ServeHTTP(w, r)
}

// TestWorkstationBehindProxy runs the workstation profile through a proxy that allows 443
// only, with names nobody here can resolve: the API is open, the master and etcd ports are
// refused by the proxy's policy, exit 1; and no credential appears in any output.
func TestWorkstationBehindProxy(t *testing.T) {
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, testnet.Ships)
	}))
	t.Cleanup(api.Close)
	proxy := httptest.NewServer(connectProxy{backend: api.Listener.Addr().String()})
	t.Cleanup(proxy.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}), 0o644)

	// The test server's certificate is for example.com: a catalog whose API host is that.
	_, exported, _ := fwcheck(t, nil, "catalog", "export")
	catalog := filepath.Join(dir, "catalog.yaml")
	os.WriteFile(catalog, []byte(strings.Replace(exported, "host: containers.bluemix.net", "host: example.com", 1)), 0o644)

	proxyURL := strings.Replace(proxy.URL, "http://", "http://alice:s3cret@", 1)
	outs := map[string]string{}
	args := []string{"workstation", "--catalog", catalog, "--ca-file", ca, "-v", "--timeout", "2s",
		"--master-url", "https://master.example.com:31142", "--etcd-endpoint", "master.example.com:31234"}
	for _, f := range []string{"json", "junit", "markdown", "rules"} {
		outs[f] = filepath.Join(dir, "report."+f)
		args = append(args, "-o", f+"="+outs[f])
	}
	args = append(args, "-o", "text")
	code, stdout, stderr := fwcheck(t, map[string]string{"HTTPS_PROXY": proxyURL, "NO_PROXY": "internal.example"}, args...)
	if code != 1 {
		t.Fatalf("exit %d; want 1\n%s\n%s", code, stdout, stderr)
	}
	var rep struct {
		Via      string
		Openings []struct {
			ID     string
			Status string
			Probes []struct{ State, Address, Via, Detail string }
		}
	}
	data, _ := os.ReadFile(outs["json"])
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"api": "open", "master": "proxy-denied", "etcd": "proxy-denied"}
	for _, o := range rep.Openings {
		p := o.Probes[0]
		if p.State != want[o.ID] {
			t.Errorf("%s: %s (%s); want %s", o.ID, p.State, p.Detail, want[o.ID])
		}
		if p.Address != "" || !strings.HasPrefix(p.Via, "http://alice:***@127.0.0.1:") {
			t.Errorf("%s: address %q via %q; the proxy resolves, credentials redacted", o.ID, p.Address, p.Via)
		}
	}
	all := stdout + stderr
	for _, f := range outs {
		b, _ := os.ReadFile(f)
		all += string(b)
	}
	if strings.Contains(all, "s3cret") {
		t.Error("the proxy password appears in a report")
	}
	if flat := strings.Join(strings.Fields(stdout), " "); !strings.Contains(flat, "MISSING (2)") || !strings.Contains(flat, "policy, not a firewall, refuses port 31142") {
		t.Errorf("text report:\n%s", stdout)
	}
}

// TestEnvFlags: every flag also reads FWCHECK_<NAME> (urfave reads the process environment).
func TestEnvFlags(t *testing.T) {
	t.Setenv("FWCHECK_REGION", "uk-south")
	t.Setenv("FWCHECK_DRY_RUN", "true")
	t.Setenv("FWCHECK_OUTPUT", "rules")
	code, out, _ := fwcheck(t, nil, "worker")
	if code != 0 || !strings.Contains(out, "158.175.65.170") {
		t.Fatalf("exit %d: %q", code, out)
	}
	t.Setenv("FWCHECK_REGION", "mars")
	if code, _, errOut := fwcheck(t, nil, "worker"); code != 2 || !strings.Contains(errOut, `unknown region "mars"`) {
		t.Fatalf("FWCHECK_REGION=mars: exit %d, %q", code, errOut)
	}
}

func TestProbeExitCodes(t *testing.T) {
	ln := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	closedAddr := testnet.Closed(t, "127.0.0.1")
	if code, out, _ := fwcheck(t, nil, "probe", ln.Addr().String()); code != 0 {
		t.Errorf("open: exit %d\n%s", code, out)
	}
	code, out, _ := fwcheck(t, nil, "probe", "-o", "rules", ln.Addr().String(), closedAddr)
	if code != 1 || !strings.Contains(out, "allow tcp from 127.0.0.1 to 127.0.0.1 port "+closedAddr[strings.LastIndex(closedAddr, ":")+1:]) {
		t.Errorf("refused: exit %d\n%s", code, out)
	}
	_ = context.Background
}

// TestExportCA: an intercepting server's chain is written as PEM, and with it as --ca-file the
// same probe is open, said to be inspected.
func TestExportCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "inspecting-ca.pem")
	target := "tls://example.com:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	pin := "example.com:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:] + ":127.0.0.1"
	code, out, errOut := fwcheck(t, nil, "probe", "--resolve", pin, "--export-ca", caFile, "-o", "json", target)
	if code != 0 || !strings.Contains(out, `"state": "tls-intercepted"`) || !strings.Contains(errOut, "wrote 1 certificate") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(caFile)
	if err != nil || !bytes.Contains(data, []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("%s: %v %q", caFile, err, data)
	}
	code, out, _ = fwcheck(t, nil, "probe", "--resolve", pin, "--ca-file", caFile, "-o", "json", target)
	if code != 0 || !strings.Contains(out, `"reason": "open:inspected"`) {
		t.Fatalf("with --ca-file: exit %d\n%s", code, out)
	}
	// A file that cannot be written is named with its flag; no temporary file is left.
	code, _, errOut = fwcheck(t, nil, "probe", "--resolve", pin, "--export-ca", filepath.Join(dir, "missing", "ca.pem"), "-o", "json", target)
	if code != 2 || !strings.HasPrefix(errOut, "fwcheck: --export-ca ") {
		t.Errorf("--export-ca into a missing directory: exit %d, %q; want 2 naming the flag", code, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in %s; want only the CA", len(entries), dir)
	}
}

func TestTargetsFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "targets.txt")
	os.WriteFile(good, []byte("# hosts\n127.0.0.1:1\n\n[::1]:1  # v6\n"), 0o644)
	code, out, _ := fwcheck(t, nil, "probe", "--dry-run", "-o", "rules", "--targets-file", good)
	if code != 0 || !strings.Contains(out, "127.0.0.1 port 1") || !strings.Contains(out, "::1 port 1") {
		t.Errorf("exit %d: %q", code, out)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("127.0.0.1:1\nnot-a-target\n"), 0o644)
	code, _, errOut := fwcheck(t, nil, "probe", "--targets-file", bad)
	if code != 2 || !strings.Contains(errOut, bad+":2:") {
		t.Errorf("exit %d, %q; want 2 naming %s:2", code, errOut, bad)
	}
}

// TestReportsStayShort: 2,000 closed ports (14,005 lines of text once, and 2,000 rules) are one
// group in the text report, which fits a screen, with -q too; their rules are one line; -v and
// JSON keep every opening.
func TestReportsStayShort(t *testing.T) {
	dir := t.TempDir()
	var list strings.Builder
	for p := 20001; p <= 22000; p++ {
		fmt.Fprintf(&list, "127.0.0.77:%d\n", p) // a loopback address no test listens on
	}
	targets := filepath.Join(dir, "targets.txt")
	os.WriteFile(targets, []byte(list.String()), 0o644)
	for _, tc := range []struct {
		args     []string
		maxLines int
		want     string
	}{
		{[]string{"-o", "text"}, 40, "✗ 2,000 openings refused"},
		{[]string{"-o", "text", "-q"}, 40, "allow tcp from 127.0.0.1 to 127.0.0.77 port 20001-22000"},
		{[]string{"-o", "rules"}, 1, "allow tcp from 127.0.0.1 to 127.0.0.77 port 20001-22000  # probe-1, probe-2, probe-3 and 1997 more"},
		{[]string{"-o", "text", "-v"}, 1 << 20, "✗ probe-2000"},
	} {
		code, out, errOut := fwcheck(t, nil, append([]string{"probe", "--no-color", "--targets-file", targets}, tc.args...)...)
		lines := strings.Count(out, "\n")
		if code != 1 || lines > tc.maxLines || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, %d lines (at most %d), want %q:\n%.3000s\n%s", tc.args, code, lines, tc.maxLines, tc.want, out, errOut)
		}
	}
}

// TestTargetsFileStreamed: a run of more openings than a report holds in memory judges each as
// it finishes and keeps it in a temporary file; every output reads the same report back, in
// plan order, and nothing is left in TMPDIR.
func TestTargetsFileStreamed(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	targets := mixedTargets(t, dir)
	jsonOut, junitOut := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, text, errOut := fwcheck(t, nil, "probe", "--targets-file", targets, "-o", "json="+jsonOut, "-o", "junit="+junitOut, "-o", "text")
	if code != 1 {
		t.Fatalf("exit %d (%s); want 1", code, errOut)
	}
	data, _ := os.ReadFile(jsonOut)
	checkMixedReport(t, data)
	data, _ = os.ReadFile(junitOut)
	var suites struct {
		Tests int `xml:"tests,attr"`
		Fail  int `xml:"failures,attr"`
		Cases []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests != 3000 || suites.Fail != 2000 || len(suites.Cases) != 3000 {
		t.Errorf("JUnit: %d tests, %d failures, %d cases (%v); want 3000, 2000, 3000", suites.Tests, suites.Fail, len(suites.Cases), err)
	}
	if !strings.Contains(text, "MISSING (2,000)") || !strings.Contains(text, "✗ 2,000 openings refused") || !strings.Contains(text, "... and 900 more verified") {
		t.Errorf("text report: want the 2000 missing as one group and 900 more verified counted:\n%.2000s", text)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("the run left %d file(s) in TMPDIR", len(entries))
	}

	// With no temporary file to be had (a read-only container), the run still runs, its
	// report in memory, and says so.
	t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
	code, out, errOut := fwcheck(t, nil, "probe", "--targets-file", targets, "-o", "json")
	if code != 1 || !strings.Contains(errOut, "fwcheck: warning: no temporary file for the report") || !strings.Contains(errOut, "held in memory") {
		t.Errorf("without TMPDIR: exit %d, stderr %q; want 1 and a warning", code, errOut)
	}
	checkMixedReport(t, []byte(out))
}

// mixedTargets writes a targets file of 3,000 loopback targets into dir: every third one
// listens, the others are refused.
func mixedTargets(t *testing.T, dir string) string {
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0").Addr().String()
	closed := testnet.Closed(t, "127.0.0.1")
	var lines []string
	for i := range 3000 {
		if i%3 == 0 {
			lines = append(lines, open)
		} else {
			lines = append(lines, closed)
		}
	}
	targets := filepath.Join(dir, "targets.txt")
	if err := os.WriteFile(targets, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return targets
}

// checkMixedReport checks the JSON report of mixedTargets: every opening there, in plan order,
// each with its right state.
func checkMixedReport(t *testing.T, data []byte) {
	t.Helper()
	var rep struct {
		Summary  struct{ Openings, Verified, Missing int }
		Openings []struct {
			ID     string
			Probes []struct{ State string }
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if s := rep.Summary; s.Openings != 3000 || s.Verified != 1000 || s.Missing != 2000 || len(rep.Openings) != 3000 {
		t.Fatalf("summary %+v with %d openings; want 3000: 1000 verified, 2000 missing", s, len(rep.Openings))
	}
	for i, o := range rep.Openings {
		want := "refused"
		if i%3 == 0 {
			want = "open"
		}
		if o.ID != fmt.Sprintf("probe-%d", i+1) || o.Probes[0].State != want {
			t.Fatalf("opening %d is %s, %s; want probe-%d, %s", i, o.ID, o.Probes[0].State, i+1, want)
		}
	}
}

// TestNoProgressInAJSONReport: a JSON report on stdout stays clean however long the run
// (TestProgressNeverOnAPipe: no progress is drawn on a pipe).
func TestNoProgressInAJSONReport(t *testing.T) {
	silent := silentServer(t)
	code, out, errOut := fwcheck(t, nil, "probe", "--timeout", "1s", "-o", "json", "http://"+silent+"/")
	if code != 1 || !json.Valid([]byte(out)) || strings.Contains(errOut, "probing") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestDocsStates: docs/states.md's table and the README's list name every state the prober
// can give.
func TestDocsStates(t *testing.T) {
	table, err := os.ReadFile(filepath.Join(repoRoot, "docs", "states.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme, _ := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	for _, s := range probe.States {
		if !bytes.Contains(table, []byte("| `"+string(s)+"` |")) {
			t.Errorf("docs/states.md's table lacks %q", s)
		}
		if !bytes.Contains(readme, []byte("`"+string(s)+"`")) {
			t.Errorf("the README's list of states lacks %q", s)
		}
	}
}

// TestTargetsFromAPipe: `... | fwcheck probe --targets-file -`, as a process with a pipe on its
// standard input (this test binary, run as fwcheck).
func TestTargetsFromAPipe(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0").Addr().String()
	closed := testnet.Closed(t, "127.0.0.1")
	cmd := exec.Command(exe, "probe", "--targets-file", "-", "-o", "json")
	cmd.Env = append(os.Environ(), asFwcheckEnv+"=1")
	cmd.Stdin = strings.NewReader(open + "\n" + closed + "\n")
	out, err := cmd.Output()
	var rep struct {
		Openings []struct{ Probes []struct{ State string } }
	}
	if jerr := json.Unmarshal(out, &rep); jerr != nil || cmd.ProcessState.ExitCode() != 1 || len(rep.Openings) != 2 ||
		rep.Openings[0].Probes[0].State != "open" || rep.Openings[1].Probes[0].State != "refused" {
		t.Fatalf("exit %d (%v), %s; want 1 with open, refused", cmd.ProcessState.ExitCode(), err, out)
	}
}

// TestHeaderSaysTheWayProbesWent: with --proxy, a loopback target goes direct (NO_PROXY's
// loopback rule): the header says so instead of claiming every probe went through the proxy.
func TestHeaderSaysTheWayProbesWent(t *testing.T) {
	proxy := testnet.Closed(t, "127.0.0.1")
	_, out, _ := fwcheck(t, nil, "probe", "--no-color", "--timeout", "1s", "--proxy", "http://"+proxy, testnet.Closed(t, "127.0.0.1"), "192.0.2.1:443")
	head, _, _ := strings.Cut(out, "\n")
	if !strings.Contains(head, "via http://"+proxy+" (of 2 dialed probes, 1 direct)") {
		t.Errorf("header %q; want it to say one of the two probes went direct", head)
	}
}

// jsonReport is the part of the JSON report these tests read.
type jsonReport struct {
	Summary struct {
		Openings, Verified, Missing, Warnings, Skipped, Probes int
	}
	Findings []struct {
		Kind, Summary, Detail string
		Targets               []string
	}
	Openings []struct {
		ID, Status, Rule string
		Findings         []string
		Probes           []struct {
			Host, Address, State, Reason, Detail string
			Port                                 int
		}
	}
}

func decodeReport(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, s)
	}
	return r
}

func portOf(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

// TestSourceIPFamily: the crash that printed VERIFIED (an IPv6 source for an IPv4 literal) is
// bad input before anything is dialed; a name with both families dials only the source's.
func TestSourceIPFamily(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := fwcheck(t, nil, "probe", "--source-ip", "::1", "-o", "json="+out, "-o", "text", "127.0.0.1:1")
	if code != ExitBadInput || stdout != "" || !strings.Contains(stderr, "one is IPv4, the other IPv6") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 naming the families", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a report was written on bad input")
	}
	code, _, stderr = fwcheck(t, nil, "probe", "--source-ip", "192.0.2.77", "127.0.0.1:1")
	if code != ExitBadInput || !strings.Contains(stderr, "not an address of this machine") {
		t.Errorf("foreign source: exit %d, stderr %q", code, stderr)
	}

	ln := testnet.Accepting(t, "tcp4", "127.0.0.1:0")
	name := "both.fwcheck.test:" + portOf(ln)
	code, stdout, stderr = fwcheck(t, nil, "probe", "--source-ip", "127.0.0.1", "-o", "json",
		"--resolve", name+":127.0.0.1", "--resolve", name+":::1", "tcp://"+name)
	r := decodeReport(t, stdout)
	if code != 0 || len(r.Openings) != 1 || r.Openings[0].Status != "verified" {
		t.Fatalf("exit %d (%s): %+v", code, stderr, r.Openings)
	}
	states := map[string]string{}
	for _, p := range r.Openings[0].Probes {
		states[p.Address] = p.State + "/" + p.Reason
	}
	if states["127.0.0.1"] != "open/open" || states["::1"] != "skipped/source-family" {
		t.Errorf("probes = %v; want IPv4 open and IPv6 skipped (source-family)", states)
	}

	// Only the other family: nothing was proven, so the opening is not verified.
	only6 := "v6only.fwcheck.test:" + portOf(ln)
	code, stdout, _ = fwcheck(t, nil, "probe", "--source-ip", "127.0.0.1", "-o", "json", "--resolve", only6+":::1", "tcp://"+only6)
	r = decodeReport(t, stdout)
	if code != 1 || r.Openings[0].Status != "missing" || r.Openings[0].Rule != "" || len(r.Findings) != 1 || r.Findings[0].Kind != "local" {
		t.Errorf("IPv6-only name from an IPv4 source: exit %d, %+v, findings %+v; want missing, no rule, a local finding", code, r.Openings[0], r.Findings)
	}
}

// TestRedirectIsNotTheService: a 302 to a portal fails an ad-hoc HTTP probe, naming Location.
func TestRedirectIsNotTheService(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://portal.example/login", http.StatusFound)
	}))
	defer srv.Close()
	code, stdout, _ := fwcheck(t, nil, "probe", "-o", "json", srv.URL+"/")
	r := decodeReport(t, stdout)
	p := r.Openings[0].Probes[0]
	if code != 1 || p.State != "unexpected-response" || p.Reason != "unexpected-response:redirect" || !strings.Contains(p.Detail, "http://portal.example/login") {
		t.Errorf("exit %d, probe %+v; want unexpected-response:redirect naming the Location", code, p)
	}
}

// TestFindingsAreNotRules: a name that does not resolve and a proxy that cannot be reached are
// findings; the rules output asks the firewall team for nothing, and the run still fails.
func TestFindingsAreNotRules(t *testing.T) {
	closed := testnet.Closed(t, "127.0.0.1")
	cases := []struct {
		name, kind string
		args       []string
	}{
		{"dns", "dns", []string{"https://registry.fwcheck.invalid/", "tls://other.fwcheck.invalid:443"}},
		{"proxy", "proxy", []string{"--proxy", "http://u:pw@" + closed, "tls://registry.fwcheck.test:443", "tls://other.fwcheck.test:443"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rules := filepath.Join(dir, "rules")
			code, stdout, stderr := fwcheck(t, nil, append([]string{"probe", "-o", "json", "-o", "rules=" + rules}, tc.args...)...)
			r := decodeReport(t, stdout)
			if code != 1 {
				t.Fatalf("exit %d (%s); want 1: nothing was proven", code, stderr)
			}
			if len(r.Findings) != 1 || r.Findings[0].Kind != tc.kind || len(r.Findings[0].Targets) != 2 {
				t.Errorf("findings = %+v; want one %s finding naming both targets", r.Findings, tc.kind)
			}
			for _, o := range r.Openings {
				if o.Status != "missing" || o.Rule != "" || len(o.Findings) != 1 || o.Findings[0] != tc.kind {
					t.Errorf("%s: status %s, rule %q, findings %v; want missing with no rule, naming %s", o.ID, o.Status, o.Rule, o.Findings, tc.kind)
				}
			}
			b, _ := os.ReadFile(rules)
			if strings.Contains(string(b), "allow ") || !strings.Contains(string(b), "# finding "+tc.kind) {
				t.Errorf("rules output:\n%s", b)
			}
		})
	}
}
