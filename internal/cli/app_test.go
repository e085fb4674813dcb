package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/report"
)

// sparse makes a file of size bytes that takes no disk (all zeros).
func sparse(t *testing.T, name string, size int64) string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostileInput runs every subcommand with hostile input: each is bad input, exit 2 with
// one short line on stderr, no report, no panic, in bounded time and memory.
func TestHostileInput(t *testing.T) {
	long := strings.Repeat("A", 1<<20)
	nulLine := writeFile(t, "nul", strings.Repeat("\x00", 8<<10))
	hugeTargets := sparse(t, "targets", 100<<20)
	hugeCatalog := sparse(t, "catalog.yaml", 17<<20)
	hugeKubeconfig := sparse(t, "kubeconfig", 17<<20)
	badYAML := writeFile(t, "bad.yaml", "edition: [\n")
	deepYAML := writeFile(t, "deep.yaml", strings.Repeat("[", 100000))
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"probe", "--targets-file", nulLine}, nil, "a line longer than 4 KiB"},
		{[]string{"probe", "--targets-file", hugeTargets}, nil, "larger than 64 MiB"},
		{[]string{"probe", "--targets-file", "/nonexistent/targets"}, nil, "no such file"},
		{[]string{"probe", "--targets-file", t.TempDir()}, nil, "is a directory"},
		{[]string{"worker", "--region", "us-south", "--catalog", hugeCatalog}, nil, "larger than 16 MiB"},
		{[]string{"worker", "--region", "us-south", "--catalog", badYAML}, nil, "--catalog"},
		{[]string{"worker", "--region", "us-south", "--catalog", deepYAML}, nil, "--catalog"},
		{[]string{"catalog", "validate", hugeCatalog}, nil, "larger than 16 MiB"},
		{[]string{"workstation", "--kubeconfig", hugeKubeconfig}, nil, "larger than 16 MiB"},
		{[]string{"workstation"}, map[string]string{"KUBECONFIG": hugeKubeconfig}, "larger than 16 MiB"},
		{[]string{"probe", long + ":443"}, nil, "is not an IP address or host name"},
		{[]string{"probe", "https://" + long + "/"}, nil, "is not an IP address or host name"},
		{[]string{"probe", "127.0.0.1:99999"}, nil, "not a number from 1 to 65535"},
		{[]string{"probe", "--timeout", "500us", "127.0.0.1:1"}, nil, "too short"},
		{[]string{"probe", "--timeout", "-1s", "127.0.0.1:1"}, nil, "too short"},
		{[]string{"probe", "--proxy", "http://proxy:99999", "127.0.0.1:1"}, nil, "not 1-65535"},
		{[]string{"probe", "--proxy", "http://" + long, "127.0.0.1:1"}, nil, "--proxy"},
		{[]string{"probe", "--resolve", long, "127.0.0.1:1"}, nil, "--resolve"},
		{[]string{"probe", "--source-ip", long, "127.0.0.1:1"}, nil, "--source-ip"},
		{[]string{"worker", "--region", long}, nil, "unknown region"},
		{[]string{"worker", "--region", "us-south", "--location", long}, nil, "unknown location"},
		{[]string{"worker", "--region", "us-south", "--skip", long}, nil, "is not a group"},
		{[]string{"workstation", "--master-url", long}, nil, "--master-url"},
		{[]string{"workstation", "--etcd-endpoint", long}, nil, "--etcd-endpoint"},
		{[]string{"inbound", "--node-ip", long, "--nodeport", "30000"}, nil, "--node-ip"},
		{[]string{"inbound", "--lb", long}, nil, "--lb"},
		{[]string{"probe", "-o", long, "127.0.0.1:1"}, nil, "unknown format"},
		{[]string{"probe", "-o", "json=/nonexistent/dir/r.json", "127.0.0.1:1"}, nil, "cannot write in"},
		{[]string{"probe", "\x1b[31m\x00"}, nil, "not HOST:PORT"},
		{[]string{"probe", "[::1%eth0]:80"}, nil, "zoned"},
		{[]string{"probe", "udp://127.0.0.1"}, nil, "needs a port"},
		{[]string{"probe", "ftp://127.0.0.1:21"}, nil, "scheme"},
		{[]string{"probe", "127.0.0.1:1"}, map[string]string{"HTTPS_PROXY": "http://" + long}, "proxy"},
		// What other programs hand over: reports to merge, PAC files.
		{[]string{"merge", "/dev/zero"}, nil, "not a regular file"},
		{[]string{"merge", fifo(t)}, nil, "not a regular file"},
		{[]string{"merge", sparse(t, "huge.json", 65<<20)}, nil, "larger than 64 MiB"},
		{[]string{"merge", nulLine}, nil, "not a JSON report"},
		{[]string{"probe", "--pac", "/dev/zero", "127.0.0.1:1"}, nil, "not a regular file"},
		{[]string{"probe", "--pac", fifo(t), "127.0.0.1:1"}, nil, "not a regular file"},
		{[]string{"probe", "--pac", sparse(t, "huge.pac", 2<<20), "127.0.0.1:1"}, nil, "larger than 1 MiB"},
		{[]string{"probe", "tls://127.0.0.1:1"}, map[string]string{"SSL_CERT_FILE": "/dev/zero"}, "SSL_CERT_FILE"},
		{[]string{"probe", "-o", "nftables", "--rules-chain", "FORWARD", "127.0.0.1:1"}, nil, "not an nftables chain"},
		{[]string{"probe", "-o", "iptables", "--rules-chain", "inet filter forward", "127.0.0.1:1"}, nil, "not an iptables chain"},
		{[]string{"probe", "-o", "nftables", "--rules-chain", "inet filter x;flush ruleset", "127.0.0.1:1"}, nil, "--rules-chain"},
		{[]string{"probe", "tls://127.0.0.1:1"}, map[string]string{"SSL_CERT_FILE": fifo(t)}, "not a regular file"},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			args := tc.args
			if args[0] != "catalog" && args[0] != "merge" {
				// Dial nothing, whatever slips through (flags go before the targets).
				args = append([]string{args[0], "--dry-run"}, args[1:]...)
			}
			code, stdout, stderr := fwcheck(t, tc.env, args...)
			el := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if code != ExitBadInput {
				t.Fatalf("exit %d; want 2 (stderr %.200q)", code, stderr)
			}
			if stdout != "" {
				t.Errorf("a report was printed: %.200q", stdout)
			}
			line := strings.TrimSuffix(stderr, "\n")
			if strings.Contains(line, "\n") || len(line) > MaxErrorLine+20 || !strings.Contains(line, tc.want) {
				t.Errorf("stderr = %.300q (%d bytes); want one short line containing %q", stderr, len(stderr), tc.want)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("panic: %.300q", stderr)
			}
			// Generous bounds: the failures this guards against took minutes and gigabytes.
			if el > 5*time.Second {
				t.Errorf("took %s", el)
			}
			if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 256<<20 {
				t.Errorf("allocated %d MiB", grew>>20)
			}
		})
	}
}

// TestNoSecretInAnyOutput runs every command with credentials in every input it takes (proxy
// URLs from flags and the environment, target URLs, kubeconfig server, token and key) and
// looks for them in every format and on stderr.
func TestNoSecretInAnyOutput(t *testing.T) {
	secret := []string{"PW-SECRET-1", "PW-SECRET-2", "PW-SECRET-3", "PW-SECRET-4", "TOKEN-SECRET-5", "KEY-SECRET-6", "PW-SECRET-7"}
	closed := testnet.Closed(t, "127.0.0.1")
	kc := writeFile(t, "kubeconfig", `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster: {server: "https://admin:PW-SECRET-3@`+closed+`", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: TOKEN-SECRET-5, password: KEY-SECRET-6}
contexts:
- name: c
  context: {cluster: k, user: u}
`)
	kcGood := writeFile(t, "kubeconfig-good", `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster: {server: "https://`+closed+`", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: TOKEN-SECRET-5}
contexts:
- name: c
  context: {cluster: k, user: u}
`)
	env := map[string]string{"HTTPS_PROXY": "http://user:PW-SECRET-4@" + closed, "FWCHECK_TIMEOUT": "1s"}
	runs := [][]string{
		{"probe", "--proxy", "http://alice:PW-SECRET-1@" + closed, "tls://name.fwcheck.test:443"},
		{"probe", "https://bob:PW-SECRET-2@127.0.0.1:1/"},
		{"probe", "bob:PW-SECRET-2@127.0.0.1:1"},
		{"probe", "tls://name.fwcheck.test:443"},
		{"probe", "--proxy", "socks5://carol:PW-SECRET-7@" + closed, "name.fwcheck.test:443"},
		{"workstation", "--kubeconfig", kc},
		{"workstation", "--kubeconfig", kcGood, "--skip", "api"},
		{"workstation", "--master-url", "https://dave:PW-SECRET-2@" + closed},
		{"worker", "--region", "us-south", "--dry-run", "--proxy", "http://alice:PW-SECRET-1@proxy.example:3128"},
		{"inbound", "--lb", closed, "--proxy", "https://alice:PW-SECRET-1@" + closed},
		{"catalog", "list"},
		{"version"},
	}
	for _, args := range runs {
		dir := t.TempDir()
		full := slicesClone(args)
		if args[0] != "catalog" && args[0] != "version" {
			full = append(full, "-v")
		}
		_, all := inEveryFormat(t, env, dir, full...)
		for _, s := range secret {
			if strings.Contains(all, s) {
				i := strings.Index(all, s)
				t.Errorf("%v: %s appears in the output: …%s…", args, s, all[max(0, i-80):min(len(all), i+40)])
			}
		}
		if bytes.Contains([]byte(all), []byte("PW-SECRET")) {
			continue
		}
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// corpus reads the string values of a fuzz target's stored corpus (go test fuzz v1 files).
func corpus(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// TestHostileCorpora feeds the fuzz targets' seeds and stored crashers to the CLI where a user
// would type them: accepted (exit 0, a dry run) or bad input (exit 2, one short line), never
// a panic, never a report on bad input.
func TestHostileCorpora(t *testing.T) {
	targets := []string{"169.46.7.238:443", "[::1]:8080", "udp://h:1", "tls://[2001:db8::1]:443", ":", "[", "http://%zz",
		"https://u:p@h/", "h:0", "h:-1", "[::1]", "tcp://:1", "http://[::1", "\xff\xfe:1"}
	resolves := []string{"containers.bluemix.net:443:127.0.0.1", "h:80:[::1]", "h:80:::1", "::", "a:1:", "a:1:b", "a:99999:127.0.0.1"}
	proxies := append([]string{"http://proxy:3128", "proxy:3128", "socks5h://u:p@s", "https://[::1]:443", "ftp://x", "http://[::1", "u:p@h:1"},
		corpus(t, filepath.Join(repoRoot, "probe", "testdata", "fuzz", "FuzzParseProxyURL"))...)
	catalogs := []string{"edition: x\ngroups: [{name: api}]\n", "regions:\n  - name: us-south\n    locations: [{name: dal10, master: [1.2.3.4]}]\n",
		"", "\x00", "a: &a [*a]\n", strings.Repeat("- ", 10000)}
	var runs [][]string
	for _, s := range targets {
		runs = append(runs, []string{"probe", "--dry-run", "--", s})
	}
	for _, s := range resolves {
		runs = append(runs, []string{"probe", "--dry-run", "--resolve", s, "127.0.0.1:1"})
	}
	for _, s := range proxies {
		runs = append(runs, []string{"probe", "--dry-run", "--proxy", s, "127.0.0.1:1"})
	}
	for i, s := range catalogs {
		f := writeFile(t, fmt.Sprintf("catalog-%d.yaml", i), s)
		runs = append(runs, []string{"catalog", "validate", f}, []string{"worker", "--dry-run", "--region", "us-south", "--catalog", f})
	}
	for _, args := range runs {
		start := time.Now()
		code, stdout, stderr := fwcheck(t, nil, args...)
		if strings.Contains(stderr, "panic") || time.Since(start) > 5*time.Second {
			t.Errorf("%q: panic or slow (%s): %.300q", args, time.Since(start), stderr)
		}
		switch {
		case code == 0:
		case code == ExitBadInput && args[0] == "catalog":
			// validate lists the problems on stdout, one a line.
		case code == ExitBadInput:
			if stdout != "" || strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") != 0 || len(stderr) > MaxErrorLine+20 {
				t.Errorf("%q: exit 2 with stdout %.100q, stderr %.300q", args, stdout, stderr)
			}
		default:
			t.Errorf("%q: exit %d (%.200q)", args, code, stderr)
		}
	}
}

// inEveryFormat runs fwcheck with args and, for a command that writes reports, one output in
// every format there is (a format added later joins every test that uses this) in dir, and
// returns its exit code and all it wrote: stdout, stderr and every report.
func inEveryFormat(t *testing.T, env map[string]string, dir string, args ...string) (int, string) {
	t.Helper()
	if args[0] != "catalog" && args[0] != "version" {
		for _, f := range report.Formats() {
			args = append(args, "-o", f+"="+filepath.Join(dir, f))
		}
	}
	code, stdout, stderr := fwcheck(t, env, args...)
	all := stdout + stderr
	for _, f := range report.Formats() {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		all += string(b)
	}
	return code, all
}
