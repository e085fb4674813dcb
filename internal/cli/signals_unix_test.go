//go:build unix

package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/internal/testnet"
)

// TestInterrupted: a signal mid-run writes the partial report, the unfinished probes skipped
// (interrupted) and never rules, and exits 130 for SIGINT, 143 for SIGTERM. The signal is
// real: the process sends it to itself while fwcheck listens for it.
func TestInterrupted(t *testing.T) {
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0")
	silent := silentServer(t) // accepts, never answers: the HTTP check waits out its budget
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, ExitInterrupted}, {syscall.SIGTERM, ExitTerminated}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			ctx, stop := WithSignals(context.Background())
			defer stop()
			time.AfterFunc(300*time.Millisecond, func() { syscall.Kill(os.Getpid(), tc.sig) })
			file := filepath.Join(t.TempDir(), "r.json")
			var out, errb strings.Builder
			start := time.Now()
			code := Run(ctx, []string{"fwcheck", "probe", "--timeout", "20s", "-o", "json=" + file, "-o", "rules",
				open.Addr().String(), "http://" + silent + "/"}, &out, &errb, func(string) string { return "" })
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("the run took %s after the signal", el)
			}
			if code != tc.code {
				t.Fatalf("exit %d (%s); want %d", code, errb.String(), tc.code)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			r := decodeReport(t, string(b))
			st := map[string]string{}
			for _, o := range r.Openings {
				st[o.ID] = o.Status + "/" + o.Probes[0].Reason
			}
			if st["probe-1"] != "verified/open" || st["probe-2"] != "skipped/interrupted" {
				t.Errorf("openings = %v; want the finished probe verified and the cut one skipped (interrupted)", st)
			}
			if len(r.Findings) != 1 || r.Findings[0].Kind != "interrupted" {
				t.Errorf("findings = %+v", r.Findings)
			}
			if strings.Contains(out.String(), "allow ") {
				t.Errorf("an interrupted probe became a rule:\n%s", out.String())
			}
		})
	}
}

// TestCredentialPluginBounded: a kubeconfig exec plugin that hangs (and its own child) is
// killed at the run's timeout; etcd is unverified with a discovery finding naming the plugin,
// and the master is still checked. A plugin that prints garbage says so.
func TestCredentialPluginBounded(t *testing.T) {
	a := newAPIServer(t)
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	plugins := map[string]string{
		"hang":    "#!/bin/sh\necho $$ > " + pids + "\nsleep 300 &\necho $! >> " + pids + "\nwait\n",
		"garbage": "#!/bin/sh\necho 'Please log in at https://login.example/'\n",
		// Endless output: capped for real (800 MB of it once became 2 GB of memory).
		"flood": "#!/bin/sh\nexec cat /dev/zero\n",
	}
	wants := map[string]string{"hang": "did not finish within the timeout", "garbage": "not an ExecCredential",
		"flood": "printed more than 1 MiB"}
	for name, script := range plugins {
		t.Run(name, func(t *testing.T) {
			plugin := filepath.Join(dir, "plugin-"+name)
			os.WriteFile(plugin, []byte(script), 0o755)
			kc := writeFile(t, "kubeconfig", `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster: {server: "`+a.srv.URL+`", certificate-authority-data: `+b64pem("CERTIFICATE", a.srv.Certificate().Raw)+`}
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: `+plugin+`, interactiveMode: Never}
contexts:
- name: c
  context: {cluster: k, user: u}
`)
			start := time.Now()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			code, stdout, stderr := fwcheck(t, nil, "workstation", "--kubeconfig", kc, "--skip", "api", "--timeout", "1s", "-o", "json")
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("took %s: the plugin held the run", el)
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("the run allocated %d MiB: the plugin's output is not capped", grew>>20)
			}
			if code != 0 {
				t.Fatalf("exit %d (%s)", code, stderr)
			}
			r := decodeReport(t, stdout)
			st := map[string]string{}
			for _, o := range r.Openings {
				st[o.ID] = o.Status + "/" + o.Probes[0].State
			}
			if st["master"] != "verified/open" || st["etcd"] != "warning/unverified" {
				t.Errorf("openings = %v; want the master checked and etcd unverified", st)
			}
			if len(r.Findings) != 1 || r.Findings[0].Kind != "discovery" || !strings.Contains(r.Findings[0].Detail, wants[name]) ||
				!strings.Contains(r.Findings[0].Detail, plugin) {
				t.Errorf("findings = %+v; want a discovery finding naming the plugin and %q", r.Findings, wants[name])
			}
			if name != "hang" {
				return
			}
			b, _ := os.ReadFile(pids)
			for _, f := range strings.Fields(string(b)) {
				var pid int
				fmt.Sscan(f, &pid)
				// The group was killed; give the kernel a moment to reap.
				deadline := time.Now().Add(2 * time.Second)
				for pid > 0 && syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if pid <= 0 || syscall.Kill(pid, 0) == nil {
					t.Errorf("plugin process %q is still running", f)
				}
			}
		})
	}
}

// TestInterruptedInAPACFile: a PAC file that never returns gives way to the first Ctrl-C: exit
// 130, the report whole, the target skipped (interrupted), not a proxy-error.
func TestInterruptedInAPACFile(t *testing.T) {
	pacFile := writeFile(t, "loop.pac", `function FindProxyForURL(url, host) { for (;;) {} }`)
	ctx, stop := WithSignals(context.Background())
	defer stop()
	time.AfterFunc(300*time.Millisecond, func() { syscall.Kill(os.Getpid(), syscall.SIGINT) })
	file := filepath.Join(t.TempDir(), "r.json")
	var out, errb strings.Builder
	start := time.Now()
	code := Run(ctx, []string{"fwcheck", "probe", "--pac", pacFile, "--timeout", "20s", "-o", "json=" + file,
		"tcp://name.fwcheck.test:443"}, &out, &errb, func(string) string { return "" })
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("the run took %s after the signal", el)
	}
	if code != ExitInterrupted {
		t.Fatalf("exit %d (%s); want %d", code, errb.String(), ExitInterrupted)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeReport(t, string(b)); len(r.Openings) != 1 || r.Openings[0].Probes[0].Reason != "interrupted" {
		t.Errorf("report: %+v; want the target skipped (interrupted)", r.Openings)
	}
}
