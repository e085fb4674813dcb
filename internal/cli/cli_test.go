package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/report"
)

// repoRoot is the repository's root, where the docs and the shared testdata are.
const repoRoot = "../.."

var update = flag.Bool("update", false, "rewrite the help golden files")

// golden compares got, what the test made, with the golden file (rewritten under -update).
func golden(t *testing.T, file, got, what string) {
	t.Helper()
	if *update {
		os.WriteFile(file, []byte(got), 0o644)
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test ./internal/cli -update):\n%s", what, file, got)
	}
}

// fwcheck runs the CLI with env as the whole environment (KUBECONFIG never the developer's).
func fwcheck(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return fwcheckOn(t, theMachine, env, args...)
}

// fwcheckOn is fwcheck on a machine of the test's: its proxy settings, its --wait pause.
func fwcheckOn(t *testing.T, m machine, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if v, ok := env[k]; ok || k != "KUBECONFIG" {
			return v
		}
		return "/nonexistent/kubeconfig"
	}
	code := runApp(context.Background(), append([]string{"fwcheck"}, args...), &out, &errb, getenv, m, nil)
	return code, out.String(), errb.String()
}

// TestInvocations: what people type, with its exit code and the first line on stderr.
func TestInvocations(t *testing.T) {
	cases := []struct {
		args   []string
		env    map[string]string
		code   int
		stderr string // the first line, exactly ("" for none)
		stdout string // a part of stdout
	}{
		// Flags anywhere, global flags before the command, a glued short flag, --.
		{[]string{"probe", "127.0.0.1:443", "-o", "json", "--timeout", "2s", "--dry-run"}, nil, 0, "", `"schema": "fwcheck.report/v1"`},
		{[]string{"--no-color", "worker", "--dry-run", "--region", "us-south", "-q"}, nil, 0, "", "12 openings"},
		{[]string{"--dry-run", "probe", "-ojson", "127.0.0.1:443"}, nil, 0, "", `"profile": "probe"`},
		{[]string{"probe", "--dry-run", "--", "127.0.0.1:443"}, nil, 0, "", "127.0.0.1:443"},
		{[]string{"worker", "--region=us-south", "--dry-run", "-o", "rules=-"}, nil, 0, "", "(planned)"},
		// Help and version.
		{[]string{"help"}, nil, 0, "", "COMMANDS:"},
		{[]string{"help", "worker"}, nil, 0, "", "fwcheck worker - check the outbound openings"},
		{[]string{"worker", "--help"}, nil, 0, "", "WHAT TO CHECK:"},
		{[]string{"--version"}, nil, 0, "", "catalog edition 2018-04-18"},
		{[]string{"version"}, nil, 0, "", "catalog edition 2018-04-18"},
		{[]string{"version"}, nil, 0, "", ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "), "},
		// Did you mean.
		{[]string{"wroker"}, nil, 2, `fwcheck: unknown command "wroker"; did you mean worker?`, ""},
		{[]string{"worker", "--regoin", "us-south"}, nil, 2, "fwcheck: unknown flag --regoin; did you mean --region?", ""},
		{[]string{"worker", "--region", "dal10", "--dry-run"}, nil, 2, "fwcheck: --region dal10 is a location of us-south: --region us-south --location dal10", ""},
		{[]string{"frobnicate"}, nil, 2, `fwcheck: unknown command "frobnicate" (run fwcheck help)`, ""},
		{[]string{"complet", "bash"}, nil, 2, `fwcheck: unknown command "complet"; did you mean completion?`, ""}, // cut short
		{[]string{"worker", "--priv"}, nil, 2, "fwcheck: unknown flag --priv; did you mean --private?", ""},
		{[]string{"work"}, nil, 2, `fwcheck: unknown command "work" (run fwcheck help)`, ""}, // worker or workstation: no guess
		// Where to look next, as kubectl says: a subcommand's help, a command's flags.
		{[]string{"catalog", "nope"}, nil, 2, `fwcheck: unknown catalog subcommand "nope" (run fwcheck catalog --help)`, ""},
		{[]string{"catalog", "lst"}, nil, 2, `fwcheck: unknown catalog subcommand "lst"; did you mean list?`, ""},
		{[]string{"worker", "--frobnicate"}, nil, 2, "fwcheck: unknown flag --frobnicate (run fwcheck worker --help for its flags)", ""},
		{[]string{"version", "-o", "json"}, nil, 0, "", `"platform": "` + runtime.GOOS + "/" + runtime.GOARCH + `"`},
		{[]string{"version", "-o", "yaml"}, nil, 2, `fwcheck: version -o "yaml": give text or json`, ""},
		// A workstation with no kubeconfig says where it looked and what to pass.
		{[]string{"workstation", "--dry-run", "--no-color"}, map[string]string{"KUBECONFIG": "/nonexistent/a"}, 0, "",
			"note: no kubeconfig (looked for /nonexistent/a; KUBECONFIG names no file that exists): pass --kubeconfig FILE, or --master-url URL and --etcd-endpoint HOST:PORT"},
		// Plurals.
		{[]string{"probe", "--dry-run", "--no-color", "127.0.0.1:443"}, nil, 0, "", "PLAN (1 opening, nothing dialed)"},
		// Errors in the user's words.
		{[]string{"probe", "--timeout", "2", "127.0.0.1:1"}, nil, 2, `fwcheck: --timeout "2": add a unit: 2s (ms, s, m, h)`, ""},
		{[]string{"probe", "--retries", "x", "127.0.0.1:1"}, nil, 2, `fwcheck: --retries "x": not a whole number`, ""},
		{[]string{"worker", "--dry-run"}, map[string]string{"FWCHECK_REGION": "mars"}, 2,
			`fwcheck: FWCHECK_REGION: unknown region "mars" (valid: ap-north, ap-south, eu-central, uk-south, us-east, us-south)`, ""},
		{[]string{"probe", "127.0.0.1:1"}, map[string]string{"FWCHECK_DRY_RUN": "yes"}, 2,
			`fwcheck: FWCHECK_DRY_RUN="yes": not true or false (1, 0, t, f, true, false, TRUE, FALSE also work)`, ""},
		{[]string{"worker", "--region", "us-south", "--dry-run"}, map[string]string{"FWCHECK_TIMEOUT": "1"}, 2,
			`fwcheck: FWCHECK_TIMEOUT="1": add a unit: 1s (ms, s, m, h)`, ""},
		{[]string{"workstation", "--kubeconfig", "/nonexistent/k", "--dry-run"}, nil, 2, `fwcheck: --kubeconfig: "/nonexistent/k": no such file or directory`, ""},
		{[]string{"worker", "--region", "us-south", "--dry-run", "--catalog", "/nonexistent/c.yaml"}, nil, 2, `fwcheck: --catalog: "/nonexistent/c.yaml": no such file or directory`, ""},
		{[]string{"worker", "--region", "us-south", "--skip", "dns", "--dry-run"}, nil, 2,
			`fwcheck: --skip: "dns" is not a group (valid: api, master, etcd, region, registry, iam, monitoring, logging, private, pvc, nodeport, loadbalancer, ingress)`, ""},
		{[]string{"worker", "--dry-run"}, map[string]string{"FWCHECK_SKIP": "dns", "FWCHECK_REGION": "us-south"}, 2,
			`fwcheck: FWCHECK_SKIP: "dns" is not a group (valid: api, master, etcd, region, registry, iam, monitoring, logging, private, pvc, nodeport, loadbalancer, ingress)`, ""},
		{[]string{"inbound", "--node-ip", "198.51.100.7", "--dry-run"}, nil, 2, "fwcheck: --node-ip, --nodeport: worker IPs and NodePorts go together: give both", ""},
		{[]string{"worker", "--dry-run"}, nil, 2, "fwcheck: --region: worker needs a region (one of ap-north, ap-south, eu-central, uk-south, us-east, us-south), or a master URL whose IP the catalog lists", ""},
		// Typed input that would be ignored is an error; a flag with no effect is a warning.
		{[]string{"workstation", "--context", "prod", "--dry-run"}, nil, 2, "fwcheck: --context: no kubeconfig file was found (KUBECONFIG or ~/.kube/config) to take the context from: name one", ""},
		{[]string{"catalog", "show", "us-south", "uk-south"}, nil, 2, `fwcheck: catalog show takes at most one REGION, got "uk-south"`, ""},
		{[]string{"catalog", "list", "x"}, nil, 2, `fwcheck: catalog list takes no arguments, got "x"`, ""},
		{[]string{"probe", "--region", "us-south", "--dry-run", "127.0.0.1:1"}, nil, 0, "fwcheck: warning: --region has no effect on probe; ignored", "1 opening:"},
		{[]string{"probe", "--dry-run", "127.0.0.1:1"}, map[string]string{"FWCHECK_REGION": "us-south"}, 0, "", "1 opening:"},
		// fwcheck nodes.
		{[]string{"nodes", "--rbac", "--rbac-user", "alice"}, nil, 0, "", "kind: ClusterRole"},
		{[]string{"nodes"}, nil, 2, "fwcheck: --image IMAGE is needed (this build has no default image): push the image to your registry and name it here", ""},
		{[]string{"nodes", "--image", "registry.example.com/fwcheck:v1"}, nil, 2, "fwcheck: fwcheck nodes needs the cluster's kubeconfig: none in KUBECONFIG or ~/.kube/config: pass --kubeconfig FILE", ""},
		{[]string{"serve", "--manifest", "--image", "registry.example.com/fwcheck:v1", "worker", "--region", "us-south"}, nil, 0, "", "kind: DaemonSet"},
		{[]string{"serve", "frobnicate"}, nil, 2, "fwcheck: serve needs a check to re-run: one of workstation, worker, inbound, probe, then its arguments", ""},
		// Outputs.
		{[]string{"probe", "--dry-run", "-o", "json=-", "-o", "text", "127.0.0.1:1"}, nil, 2, "fwcheck: -o json=- and -o text write to the same destination: give each output its own file", ""},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v) // the flag library reads the process environment
			}
			code, stdout, stderr := fwcheck(t, tc.env, tc.args...)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != tc.code || first != tc.stderr || !strings.Contains(stdout, tc.stdout) {
				t.Errorf("exit %d, stderr %q, stdout %.200q;\nwant exit %d, stderr %q, stdout with %q", code, first, stdout, tc.code, tc.stderr, tc.stdout)
			}
			if tc.code == 2 && stdout != "" {
				t.Errorf("bad input printed a report: %.200q", stdout)
			}
		})
	}
}

// TestHelpGolden: every command's help, as golden files (go test ./internal/cli -update),
// every line under 100 columns.
func TestHelpGolden(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"workstation", "--help"}, {"worker", "--help"}, {"inbound", "--help"},
		{"probe", "--help"}, {"catalog", "--help"}, {"catalog", "list", "--help"}, {"catalog", "show", "--help"},
		{"catalog", "export", "--help"}, {"catalog", "validate", "--help"}, {"version", "--help"}, {"merge", "--help"}, {"serve", "--help"}, {"nodes", "--help"}} {
		name := strings.Join(args, "_")
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := fwcheck(t, nil, args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, line := range strings.Split(stdout, "\n") {
				if n := len([]rune(line)); n >= 100 {
					t.Errorf("a line of %d columns: %q", n, line)
				}
			}
			golden(t, filepath.Join("testdata", "help", strings.TrimPrefix(name, "-")+".txt"), stdout, "help")
		})
	}
}

// TestNoFlagNamesBelowTheCLI: endpoints and probe return plain errors; only the CLI names a
// flag. Every error the plan and the parsers give for a table of bad facts is checked.
func TestNoFlagNamesBelowTheCLI(t *testing.T) {
	for _, args := range [][]string{
		{"worker", "--dry-run"}, {"worker", "--region", "mars", "--dry-run"}, {"worker", "--region", "us-south", "--location", "x", "--dry-run"},
		{"workstation", "--location", "dal10", "--dry-run"}, {"inbound", "--dry-run"}, {"inbound", "--nodeport", "1", "--dry-run"},
		{"probe", "--resolve", "x", "--dry-run", "127.0.0.1:1"}, {"workstation", "--master-url", "http://x", "--dry-run"},
		{"workstation", "--etcd-endpoint", ",", "--dry-run"}, {"worker", "--region", "us-south", "--skip", "x", "--dry-run"},
	} {
		_, _, stderr := fwcheck(t, nil, args...)
		// The CLI puts the flag first, once; the reason after it names none.
		_, reason, _ := strings.Cut(strings.TrimPrefix(stderr, "fwcheck: "), ": ")
		if strings.Contains(reason, "--") {
			t.Errorf("%v: %q: the reason names a flag", args, stderr)
		}
	}
}

// TestDryRunGolden: the plans of the current edition, as golden files (-update rewrites them):
// a worker with the private network, and a workstation whose master URL picks the edition.
func TestDryRunGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"worker-2025-us-south-private": {"worker", "--edition", "2025-07-08", "--region", "us-south", "--private", "--dry-run", "-o", "text", "-o", "json=-"},
		"workstation-2025-master-url":  {"workstation", "--master-url", "https://c3.us-south.containers.cloud.ibm.com:30426", "--dry-run", "-q"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "worker-2025-us-south-private" {
				args = args[:len(args)-2] // one output to stdout
			}
			code, stdout, stderr := fwcheck(t, nil, args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			golden(t, filepath.Join("testdata", "dryrun", name+".txt"), stdout, "the plan")
		})
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

// reportWith is head with the given openings, made as a reader of the JSON form makes one.
func reportWith(t testing.TB, head report.Report, openings ...report.Opening) *report.Report {
	t.Helper()
	b, err := json.Marshal(&head)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	json.Unmarshal(b, &fields)
	fields["openings"] = openings
	if b, err = json.Marshal(fields); err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}
