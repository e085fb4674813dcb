package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/internal/testnet"
)

// lockedBuffer is a bytes.Buffer that serve's goroutine and the test may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestServeMasksSecrets: what serve prints of its command (the container log) and serves
// (/metrics, /report.json) carries no credential of a --proxy or master URL.
func TestServeMasksSecrets(t *testing.T) {
	const secret = "PW-SECRET-serve"
	addr := testnet.Closed(t, "127.0.0.1")
	closed := testnet.Closed(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"fwcheck", "serve", "--listen", addr, "--interval", "1s", "probe", "--timeout", "1s",
			"--proxy", "http://alice:" + secret + "@" + closed, "tls://name.fwcheck.test:443"}, io.Discard, &stderr, func(string) string { return "" })
	}()
	var served string
	deadline := time.Now().Add(15 * time.Second)
	for served == "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		for _, path := range []string{"/metrics", "/report.json", "/healthz"} {
			resp, err := http.Get("http://" + addr + path)
			if err != nil || resp.StatusCode != http.StatusOK {
				served = ""
				if resp != nil {
					resp.Body.Close()
				}
				break
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			served += string(b)
		}
	}
	cancel()
	<-done
	if served == "" {
		t.Fatal("serve never served a report")
	}
	if !strings.Contains(stderr.String(), "alice:***@") && !strings.Contains(stderr.String(), "***@") {
		t.Errorf("stderr does not show the masked proxy: %q", stderr.String())
	}
	if all := stderr.String() + served; strings.Contains(all, secret) {
		t.Errorf("the proxy password appears: %q", all)
	}
}

// TestManifestCredentialsFromASecret: serve --manifest and nodes --dry-run print no secret: a
// --proxy URL's credentials move to the Secret --proxy-secret names (secretKeyRef), and any
// other argument with credentials is bad input.
func TestManifestCredentialsFromASecret(t *testing.T) {
	const secret = "PW-SECRET-manifest"
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append([]string{"fwcheck"}, args...), &out, &errb, func(string) string { return "" })
		return code, out.String(), errb.String()
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"--proxy URL", []string{"serve", "--manifest", "--image", "img", "worker", "--region", "us-south", "--proxy", "http://alice:" + secret + "@proxy.example:3128"},
			[]string{"- --proxy\n", "- http://proxy.example:3128\n", "name: fwcheck-proxy", "key: password", "FWCHECK_PROXY_PASSWORD"}},
		{"--proxy=URL, a Secret named", []string{"serve", "--manifest", "--image", "img", "--proxy-secret", "corp-proxy", "worker", "--region", "us-south", "--proxy=socks5://bob:" + secret + "@proxy.example:1080"},
			[]string{"- --proxy=socks5://proxy.example:1080\n", "name: corp-proxy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if strings.Contains(out+errOut, secret) || strings.Contains(out, "alice") || strings.Contains(out, "bob") {
				t.Errorf("a credential is in the manifest:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the manifest lacks %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, errOut := run("serve", "--manifest", "--image", "img", "workstation", "--master-url", "https://admin:"+secret+"@c1.us-south.containers.cloud.ibm.com:30000")
	if code != 2 || strings.Contains(out+errOut, secret) || !strings.Contains(errOut, "carries credentials") {
		t.Errorf("credentials in --master-url: exit %d, %q %q; want 2, masked", code, out, errOut)
	}
}

// TestManifestBakesTheMaster: serve --manifest gives a worker check the master URL of the
// kubeconfig, as nodes does (a pod has no kubeconfig, and the master's port went unproven); a
// check that names its master keeps it.
func TestManifestBakesTheMaster(t *testing.T) {
	kc := tokenKubeconfig(t, "c100.us-south.containers.cloud.ibm.com:30426")
	run := func(env map[string]string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append([]string{"fwcheck"}, args...), &out, &errb, func(k string) string { return env[k] })
		return code, out.String(), errb.String()
	}
	code, out, errOut := run(map[string]string{"KUBECONFIG": kc}, "serve", "--manifest", "--image", "img", "worker", "--region", "us-south")
	if code != 0 || !strings.Contains(out, "- --master-url\n        - https://c100.us-south.containers.cloud.ibm.com:30426\n") || !strings.Contains(errOut, "checks the master") {
		t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	_, out, _ = run(map[string]string{"KUBECONFIG": kc}, "serve", "--manifest", "--image", "img", "worker", "--region", "us-south", "--master-url", "https://169.46.7.238:31000")
	if strings.Contains(out, "c100.us-south") || !strings.Contains(out, "https://169.46.7.238:31000") {
		t.Errorf("an explicit --master-url was replaced:\n%s", out)
	}
	code, out, errOut = run(map[string]string{"KUBECONFIG": "/nonexistent/kubeconfig"}, "serve", "--manifest", "--image", "img", "worker", "--region", "us-south")
	if code != 0 || strings.Contains(out, "--master-url") || errOut != "" {
		t.Errorf("no kubeconfig: exit %d, stderr %q", code, errOut)
	}
}

// tokenKubeconfig is a kubeconfig whose one context is server (host:port), a token user, no CA.
func tokenKubeconfig(t *testing.T, server string) string {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: {server: "https://`+server+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`), 0o644)
	return kc
}
