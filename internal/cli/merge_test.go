package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testnet"
)

// TestMerge: reports from two machines, one of which misses the opening, merge into one: the
// matrix shows which, the opening is missing, each probe keeps its vantage, JUnit has a suite
// per vantage, and the exit code is that of the worst.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	closed := testnet.Closed(t, "127.0.0.1")
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+a, open.Addr().String()); code != 0 {
		t.Fatalf("a: exit %d %s", code, stderr)
	}
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+b, closed); code != 1 {
		t.Fatalf("b: exit %d %s", code, stderr)
	}
	junit := filepath.Join(dir, "merged.xml")
	code, stdout, stderr := fwcheck(t, nil, "merge", "--no-color", "-o", "text", "-o", "junit="+junit, "-o", "json="+filepath.Join(dir, "m.json"),
		a+"=node-a@dal10", b+"=node-b@dal12")
	if code != 1 {
		t.Fatalf("merge: exit %d (%s)\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "MATRIX (1 openings × 2 vantages)") || !strings.Contains(stdout, "zone dal10") ||
		!regexpMatch(`probe-1\s+✓\s+✗`, stdout) {
		t.Errorf("matrix:\n%s", stdout)
	}
	var m struct {
		Vantages []struct{ Name, Zone string }
		Openings []struct {
			Status string
			Probes []struct{ Vantage, State string }
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "m.json"))
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Vantages) != 2 || m.Openings[0].Status != "missing" || len(m.Openings[0].Probes) != 2 ||
		m.Openings[0].Probes[0].Vantage != "node-a" || m.Openings[0].Probes[1].State != "refused" {
		t.Errorf("merged JSON: %+v", m)
	}
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	data, _ = os.ReadFile(junit)
	if err := xml.Unmarshal(data, &suites); err != nil || len(suites.Suites) != 2 || suites.Suites[0].Failures != 0 || suites.Suites[1].Failures != 1 {
		t.Errorf("JUnit: %+v, %v", suites, err)
	}
	// Not a report, or reports of different commands: bad input.
	notReport := filepath.Join(dir, "x.json")
	os.WriteFile(notReport, []byte(`{"schema":"other"}`), 0o644)
	for _, args := range [][]string{{"merge"}, {"merge", notReport}, {"merge", "/nonexistent.json"}} {
		if code, _, _ := fwcheck(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d; want 2", args, code)
		}
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

// mutate reads a JSON report, lets edit change it as a map, and writes it to a new file.
func mutate(t *testing.T, file string, edit func(r map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	edit(r)
	out, _ := json.Marshal(r)
	return writeFile(t, "mutated.json", string(out))
}

func rawOpenings(r map[string]any) []map[string]any {
	var out []map[string]any
	for _, o := range r["openings"].([]any) {
		out = append(out, o.(map[string]any))
	}
	return out
}

// TestMergeBelievesNothing: merge judges every opening again from its probes, with required
// from the catalog edition the reports name: a report's own verdicts, required flags and
// counts change nothing, and what it cannot hold (an unknown state, status, edition, no
// openings, another region) is bad input naming the file and the field.
func TestMergeBelievesNothing(t *testing.T) {
	dir := t.TempDir()
	closed := testnet.Closed(t, "127.0.0.1")
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	refused := filepath.Join(dir, "refused.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+refused, closed); code != 1 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	both := filepath.Join(dir, "both.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+both, open.Addr().String(), closed); code != 1 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	plan := filepath.Join(dir, "plan.json")
	if code, _, stderr := fwcheck(t, nil, "worker", "--region", "us-south", "--location", "dal10", "--dry-run", "-o", "json="+plan); code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	// A worker run as a lying machine would write it: every probe refused, every opening
	// "verified", optional ones "required" and required ones not.
	liar := mutate(t, plan, func(r map[string]any) {
		r["dry_run"] = false
		for _, o := range rawOpenings(r) {
			o["status"], o["required"] = "verified", !o["required"].(bool)
			for _, p := range o["probes"].([]any) {
				p := p.(map[string]any)
				p["state"], p["ok"], p["reason"] = "refused", true, "refused"
			}
		}
	})
	verifiedLie := mutate(t, refused, func(r map[string]any) {
		for _, o := range rawOpenings(r) {
			o["status"] = "verified"
			for _, p := range o["probes"].([]any) {
				p.(map[string]any)["ok"] = true
			}
		}
		r["summary"] = map[string]any{"openings": 1, "verified": 1}
	})

	t.Run("refused probes marked verified", func(t *testing.T) {
		code, stdout, stderr := fwcheck(t, nil, "merge", "-o", "json", verifiedLie)
		if code != 1 || !strings.Contains(stdout, `"status": "missing"`) {
			t.Errorf("exit %d (%s): %s; want 1, the opening missing", code, stderr, stdout)
		}
	})
	t.Run("required comes from the catalog", func(t *testing.T) {
		code, stdout, stderr := fwcheck(t, nil, "merge", "-o", "json", liar)
		if code != 1 {
			t.Fatalf("exit %d (%s); want 1", code, stderr)
		}
		var m struct {
			Openings []struct {
				ID, Group, Status string
				Required          bool
			}
		}
		json.Unmarshal([]byte(stdout), &m)
		for _, o := range m.Openings {
			optional := o.Group == "monitoring" || o.Group == "logging"
			want := "missing"
			if optional {
				want = "warning"
			}
			if o.Required == optional || o.Status != want {
				t.Errorf("%s (%s): required %t, %s; want required %t, %s", o.ID, o.Group, o.Required, o.Status, !optional, want)
			}
		}
	})
	t.Run("an opening a vantage never reported", func(t *testing.T) {
		// refused.json has probe-1 (closed); both.json has probe-1 (open) and probe-2. Make
		// the first probe of the second machine open so only absence can fail probe-2 there.
		onlyOpen := mutate(t, both, func(r map[string]any) { r["openings"] = r["openings"].([]any)[:1] })
		okAlso := mutate(t, both, func(r map[string]any) {
			o := rawOpenings(r)[1]
			o["probes"] = rawOpenings(r)[0]["probes"]
		})
		code, stdout, stderr := fwcheck(t, nil, "merge", "--no-color", okAlso+"=a", onlyOpen+"=b")
		if code != 1 || !strings.Contains(stdout, "b did not report 1 opening") || !regexpMatch(`probe-2\s+✓\s+\?`, stdout) {
			t.Errorf("exit %d (%s)\n%s; want 1 and probe-2 not run from b", code, stderr, stdout)
		}
	})
	bad := []struct {
		name string
		file string
		want []string
	}{
		{"an unknown status", mutate(t, refused, func(r map[string]any) { rawOpenings(r)[0]["status"] = "fine" }), []string{"status", `"fine"`}},
		{"an unknown state", mutate(t, refused, func(r map[string]any) {
			rawOpenings(r)[0]["probes"].([]any)[0].(map[string]any)["state"] = "ok"
		}), []string{"state", `"ok"`}},
		{"no openings", mutate(t, refused, func(r map[string]any) { r["openings"] = []any{} }), []string{"no openings"}},
		{"an edition not embedded", mutate(t, refused, func(r map[string]any) { r["tool"] = map[string]any{"catalog": "1999-01-01"} }), []string{"tool.catalog", "--catalog FILE"}},
		{"an unknown group", mutate(t, plan, func(r map[string]any) { rawOpenings(r)[0]["group"] = "\x1b[2Jwho" }), []string{"group", `\x1b[2Jwho`}},
		{"no probes", mutate(t, refused, func(r map[string]any) { rawOpenings(r)[0]["probes"] = []any{} }), []string{"no probes"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := fwcheck(t, nil, "merge", tc.file)
			line := strings.TrimSpace(stderr)
			if code != 2 || strings.Contains(line, "\n") || strings.ContainsRune(line, 0x1b) {
				t.Fatalf("exit %d, stderr %q; want 2 and one line", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("stderr %q lacks %q", line, w)
				}
			}
		})
	}
	t.Run("another region", func(t *testing.T) {
		other := mutate(t, plan, func(r map[string]any) { r["region"] = "eu-central" })
		code, _, stderr := fwcheck(t, nil, "merge", plan, other)
		if code != 2 || !strings.Contains(stderr, "region") || !strings.Contains(stderr, `"eu-central"`) {
			t.Errorf("exit %d, stderr %q; want 2 naming the region", code, stderr)
		}
	})
}
