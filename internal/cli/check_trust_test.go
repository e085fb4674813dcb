package cli

import (
	"encoding/json"
	"github.com/fwcheck/fwcheck/internal/testnet"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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

// TestOutputsAreAtomic: a report file is replaced whole at the end, never truncated at the
// start; two outputs to one destination are bad input.
func TestOutputsAreAtomic(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	os.WriteFile(file, []byte("the previous report\n"), 0o644)
	silent := silentServer(t)
	done := make(chan int)
	go func() {
		code, _, _ := fwcheck(t, nil, "probe", "--timeout", "1s", "-o", "json="+file, "http://"+silent+"/")
		done <- code
	}()
	time.Sleep(300 * time.Millisecond)
	if b, _ := os.ReadFile(file); string(b) != "the previous report\n" {
		t.Errorf("mid-run the report file holds %q; the old one must stay until the new one is whole", b)
	}
	if code := <-done; code != 1 {
		t.Errorf("exit %d", code)
	}
	b, _ := os.ReadFile(file)
	decodeReport(t, string(b))
	if left, _ := filepath.Glob(filepath.Join(dir, ".r.json.fwcheck-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A device is written in place, never renamed over.
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json=/dev/null", "--dry-run", "127.0.0.1:1"); code != 0 {
		t.Errorf("-o json=/dev/null: exit %d (%s)", code, stderr)
	}
	for _, args := range [][]string{
		{"-o", "json=" + file, "-o", "text=" + file},
		{"-o", "json=" + file, "-o", "text=" + filepath.Join(dir, ".", "r.json")},
		{"-o", "json", "-o", "text"},
		{"-o", "json=-", "-o", "text"},
		{"-o", "json=/dev/stdout", "-o", "rules=-"},
	} {
		code, stdout, stderr := fwcheck(t, nil, append(append([]string{"probe", "--dry-run"}, args...), "127.0.0.1:1")...)
		if code != ExitBadInput || stdout != "" || !strings.Contains(stderr, "write to the same destination") {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
	if code, stdout, _ := fwcheck(t, nil, "probe", "--dry-run", "-o", "json=-", "127.0.0.1:1"); code != 0 || !strings.HasPrefix(stdout, "{") {
		t.Errorf("-o json=-: exit %d, stdout %.40q", code, stdout)
	}
}
