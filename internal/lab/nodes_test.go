package lab

// The e2e test of `fwcheck nodes` against a real kube-apiserver (and etcd), built once with
// testdata/kube-apiserver/build.sh and cached outside the repository. The API server has no
// controller-manager, scheduler or kubelet: the test plays the Job controller (a pod per Job,
// with the Job's labels and an ownerReference) and two kubelets (each runs its pods' command,
// the real fwcheck binary, in a lab namespace of its own behind its own nftables rules, sets
// the pod's status, and serves the pod's log at /containerLogs/NS/POD/CONTAINER on the port
// the Node's status names, for the API server to proxy pods/log to). Nothing collects garbage:
// fwcheck deletes the pods itself.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fwcheck/fwcheck/internal/testtier"
)

// apiServerBin is where build.sh caches the kube-apiserver (FWCHECK_KUBE_APISERVER overrides).
func apiServerBin() string {
	if p := os.Getenv("FWCHECK_KUBE_APISERVER"); p != "" {
		return p
	}
	dir, _ := os.UserCacheDir()
	return filepath.Join(dir, "fwcheck", "kube-apiserver", "kube-apiserver")
}

// freePort is a port for a server of the test's to bind later: below the kernel's ephemeral
// range (32768 and up), which the connections and port-0 listeners of tests running at once draw
// from; a port from it could be taken between here and the server's bind (CI saw the
// kube-apiserver fail so: "bind: address already in use").
func freePort(t *testing.T) int {
	for range 100 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

// startAPIServer starts etcd and the kube-apiserver on loopback; they are stopped (the API server
// first: the other way round it can hang) when the test ends.
func startAPIServer(t *testing.T) (*rest.Config, string) {
	bin := apiServerBin()
	if _, err := os.Stat(bin); err != nil {
		testtier.Skip(t, "kube-apiserver", fmt.Sprintf("no kube-apiserver at %s: build it with testdata/kube-apiserver/build.sh %s (about 10 minutes once)", bin, filepath.Dir(bin)))
	}
	testtier.Need(t, "kube-apiserver", testtier.MissingTool("etcd-server", "etcd"))
	dir := t.TempDir()
	port, etcdPort, peerPort := freePort(t), freePort(t), freePort(t)
	// admin bypasses RBAC; nobody has no rights but what a test grants it.
	os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte("testtoken,admin,1,system:masters\nnobodytoken,nobody,2\n"), 0o600)
	if out, err := exec.Command("openssl", "genrsa", "-out", filepath.Join(dir, "sa.key"), "2048").CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v %s", err, out)
	}
	exec.Command("openssl", "rsa", "-in", filepath.Join(dir, "sa.key"), "-pubout", "-out", filepath.Join(dir, "sa.pub")).Run()
	logf := func(name string) *os.File { f, _ := os.Create(filepath.Join(dir, name)); return f }
	etcd := exec.Command("etcd", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort), "--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPort),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort))
	etcd.Stdout, etcd.Stderr = logf("etcd.log"), logf("etcd.log")
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	api := exec.Command(bin, "--etcd-servers", fmt.Sprintf("http://127.0.0.1:%d", etcdPort), "--bind-address", "127.0.0.1",
		"--secure-port", fmt.Sprint(port), "--advertise-address", "127.0.0.1", "--cert-dir", filepath.Join(dir, "certs"),
		"--token-auth-file", filepath.Join(dir, "tokens.csv"), "--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", filepath.Join(dir, "sa.pub"), "--service-account-signing-key-file", filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16", "--authorization-mode", "RBAC", "--endpoint-reconciler-type", "none",
		"--enable-priority-and-fairness=false", "--kubelet-preferred-address-types", "InternalIP")
	apiLog := logf("apiserver.log")
	api.Stdout, api.Stderr = apiLog, apiLog
	if err := api.Start(); err != nil {
		etcd.Process.Kill()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		api.Process.Kill()
		api.Wait()
		etcd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { etcd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			etcd.Process.Kill()
		}
	})
	cfg := &rest.Config{Host: fmt.Sprintf("https://127.0.0.1:%d", port), BearerToken: "testtoken",
		TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); ; {
		req, _ := http.NewRequest("GET", cfg.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer testtoken")
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "apiserver.log"))
			t.Fatalf("kube-apiserver not ready:\n%s", tail(string(b), 2000))
		}
		time.Sleep(250 * time.Millisecond)
	}
	return cfg, writeKubeconfig(t, dir, cfg.Host, "admin", "testtoken")
}

// writeKubeconfig writes a kubeconfig for user, authenticated by token, and returns its path.
func writeKubeconfig(t *testing.T, dir, server, user, token string) string {
	kc := filepath.Join(dir, user+".kubeconfig")
	err := os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: %s, user: {token: %s}}]
contexts: [{name: test, context: {cluster: test, user: %s}}]
current-context: test
`, server, user, token, user)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// fakeNode is a Node of the test and the kubelet that plays it: its pods run in ns.
type fakeNode struct {
	name, zone, ip, ns string
	srv                *httptest.Server
	mu                 sync.Mutex
	logs               map[string][]byte // pod -> log
}

func (n *fakeNode) serve(t *testing.T) {
	n.logs = map[string][]byte{}
	ln, err := net.Listen("tcp", n.ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", n.ip, err)
	}
	n.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /containerLogs/NS/POD/CONTAINER
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
		if len(parts) != 3 {
			http.NotFound(w, r)
			return
		}
		n.mu.Lock()
		b, ok := n.logs[parts[1]]
		n.mu.Unlock()
		if !ok {
			http.Error(w, "no such container", http.StatusNotFound)
			return
		}
		w.Write(b)
	}))
	n.srv.Listener.Close()
	n.srv.Listener = ln
	n.srv.StartTLS()
	t.Cleanup(n.srv.Close)
}

// namespaceReady says whether fwcheck's namespace exists, giving it the default ServiceAccount
// pod admission wants (there is no controller-manager to make it).
func namespaceReady(ctx context.Context, cs kubernetes.Interface) bool {
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "fwcheck", metav1.GetOptions{}); err != nil {
		return false
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	_, err := cs.CoreV1().ServiceAccounts("fwcheck").Create(ctx, sa, metav1.CreateOptions{})
	return err == nil || apierrors.IsAlreadyExists(err)
}

// playCluster plays the Job controller and the kubelets until ctx ends.
func playCluster(ctx context.Context, t *testing.T, l *lab, cs kubernetes.Interface, nodes []*fakeNode) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		made, started := map[string]bool{}, map[string]bool{}
		for ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
			if !namespaceReady(ctx, cs) {
				continue
			}
			jobs, _ := cs.BatchV1().Jobs("fwcheck").List(ctx, metav1.ListOptions{})
			for _, j := range jobs.Items {
				if made[j.Name] {
					continue
				}
				if _, err := cs.CoreV1().Pods("fwcheck").Create(ctx, podOf(&j), metav1.CreateOptions{}); err == nil {
					made[j.Name] = true
				} else if ctx.Err() == nil {
					t.Logf("the Job controller could not make a pod: %v", err)
				}
			}
			pods, _ := cs.CoreV1().Pods("fwcheck").List(ctx, metav1.ListOptions{})
			for _, p := range pods.Items {
				if started[p.Name] {
					continue
				}
				for _, n := range nodes {
					if p.Spec.NodeName != n.name {
						continue
					}
					started[p.Name] = true
					wg.Add(1)
					go func(p corev1.Pod, n *fakeNode) {
						defer wg.Done()
						n.run(ctx, t, l, cs, p)
					}(p, n)
				}
			}
		}
	}()
	return &wg
}

// run is the kubelet running a pod: the container's command in the node's namespace (the
// image's entrypoint is fwcheck; the lab's catalog stands for the real page), its output the
// log, its exit code the pod's phase.
func (n *fakeNode) run(ctx context.Context, t *testing.T, l *lab, cs kubernetes.Interface, p corev1.Pod) {
	args := append([]string{"netns", "exec", n.ns, l.bin}, p.Spec.Containers[0].Args...)
	args = append(args, "--catalog", l.catalog, "--timeout", labTimeout.String())
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=" + l.ca}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	n.mu.Lock()
	n.logs[p.Name] = out.Bytes()
	n.mu.Unlock()
	phase, code := corev1.PodSucceeded, 0
	if ee, ok := err.(*exec.ExitError); ok {
		phase, code = corev1.PodFailed, ee.ExitCode()
	}
	status, _ := json.Marshal(map[string]any{"status": map[string]any{"phase": phase, "containerStatuses": []any{map[string]any{
		"name": p.Spec.Containers[0].Name, "image": p.Spec.Containers[0].Image, "imageID": "", "ready": false, "restartCount": 0,
		"state": map[string]any{"terminated": map[string]any{"exitCode": code, "reason": "Completed"}}}}}})
	if _, err := cs.CoreV1().Pods("fwcheck").Patch(ctx, p.Name, types.MergePatchType, status, metav1.PatchOptions{}, "status"); err != nil && ctx.Err() == nil {
		t.Logf("kubelet %s: pod status: %v", n.name, err)
	}
}

// TestLabNodes: `fwcheck nodes` end to end against a real API server: node A behind a firewall
// that drops dal10's master IPs, node B open; the merged matrix shows A missing dal10 and B
// verified; the Jobs and pods are gone after. A user without rights is refused in one line
// that names --rbac; granted exactly what `fwcheck nodes --rbac` prints, the same run works.
// Every manifest fwcheck prints passes the API server's dry run.
func TestLabNodes(t *testing.T) {
	l := needLab(t)
	cfg, kubeconfig := startAPIServer(t)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nodes := []*fakeNode{{name: "node-a", zone: "dal10", ip: "127.0.0.2", ns: nsClient2}, {name: "node-b", zone: "dal12", ip: "127.0.0.3", ns: nsClient}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, n := range nodes {
		n.serve(t)
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: map[string]string{"topology.kubernetes.io/zone": n.zone}}}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		port := n.srv.Listener.Addr().(*net.TCPAddr).Port
		status := fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":%q}],"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, n.ip, port)
		if _, err := cs.CoreV1().Nodes().Patch(ctx, n.name, types.MergePatchType, []byte(status), metav1.PatchOptions{}, "status"); err != nil {
			t.Fatal(err)
		}
	}
	nft(t, nsRouter, "nodes", `chain forward_filter { type filter hook forward priority 0; policy accept;
		ip saddr `+client2Addr+` ip daddr { `+l.addr(t, "169.47.234.18")+`, `+l.addr(t, "169.46.7.238")+` } tcp dport 443 drop
	}`)
	wg := playCluster(ctx, t, l, cs, nodes)
	dir := t.TempDir()
	checkNodesRun(t, l, cs, kubeconfig, dir, "admin")

	// A user with no rights gets a one-line refusal naming --rbac, from the API server's own 403
	// (the REST client decodes it as Forbidden); with exactly the RBAC that `fwcheck nodes
	// --rbac` prints for that user, granted for real, the same run works.
	nobody := writeKubeconfig(t, dir, cfg.Host, "nobody", "nobodytoken")
	refused := exec.Command(l.bin, "nodes", "--kubeconfig", nobody, "--image", "fwcheck:lab", "--region", "us-south", "-o", "json")
	var refusedErr bytes.Buffer
	refused.Stderr = &refusedErr
	err = refused.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(refusedErr.String(), "does not let you list the nodes") ||
		!strings.Contains(refusedErr.String(), "--rbac") {
		t.Errorf("fwcheck nodes without rights: %v; want exit 2 naming --rbac:\n%s", err, refusedErr.String())
	}
	// Granted the ClusterRole but not the Role, the user is refused the Jobs: exit 2 too, one
	// rule for every refusal before any pod runs, and no report.
	applyManifest(t, l, kubeconfig, false, "nodes", "--rbac", "--rbac-user", "nobody")
	if err := cs.RbacV1().RoleBindings("fwcheck").Delete(ctx, "fwcheck-nodes", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	refused = exec.Command(l.bin, "nodes", "--kubeconfig", nobody, "--image", "fwcheck:lab", "--region", "us-south", "-o", "json")
	refusedErr.Reset()
	refused.Stderr = &refusedErr
	stdout, err := refused.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || len(stdout) != 0 || !strings.Contains(refusedErr.String(), "does not let you create Jobs") {
		t.Errorf("fwcheck nodes without the Role: %v; want exit 2, no report, naming the Jobs:\n%s\n%s", err, stdout, refusedErr.String())
	}
	applyManifest(t, l, kubeconfig, false, "nodes", "--rbac", "--rbac-user", "nobody")
	checkNodesRun(t, l, cs, nobody, dir, "nobody")
	cancel()
	wg.Wait()

	// The Jobs read proxy credentials from the optional Secret, never from their arguments.
	jobs, err := exec.Command(l.bin, "nodes", "--kubeconfig", kubeconfig, "--image", "registry.example.com/fwcheck:v1", "--region", "us-south",
		"--dry-run").Output()
	if err != nil || !strings.Contains(string(jobs), "secretKeyRef") || !strings.Contains(string(jobs), "name: fwcheck-proxy") {
		t.Errorf("nodes --dry-run: %v\n%s", err, jobs)
	}
	// Every manifest fwcheck prints passes the API server's own validation (a dry run).
	for _, args := range [][]string{
		{"nodes", "--kubeconfig", kubeconfig, "--image", "registry.example.com/fwcheck:v1", "--region", "us-south", "--dry-run"},
		{"serve", "--manifest", "--image", "registry.example.com/fwcheck:v1", "worker", "--region", "us-south"},
		{"nodes", "--rbac", "--rbac-user", "alice@example.com"},
	} {
		applyManifest(t, l, kubeconfig, true, args...)
	}
}

// checkNodesRun runs `fwcheck nodes` as the kubeconfig's user: node A behind the firewall misses
// dal10, node B passes, and no Job or pod is left.
func checkNodesRun(t *testing.T, l *lab, cs kubernetes.Interface, kubeconfig, dir, user string) {
	t.Helper()
	out := filepath.Join(dir, user+"-nodes.json")
	run := exec.Command(l.bin, "nodes", "--kubeconfig", kubeconfig, "--image", "fwcheck:lab", "--deadline", "1m",
		"--region", "us-south", "--skip", "master", "-o", "json="+out, "-o", "text", "--no-color")
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	err := run.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("fwcheck nodes as %s: %v; want exit 1\n%s\n%s", user, err, stdout.String(), stderr.String())
	}
	text := stdout.String()
	t.Logf("fwcheck nodes as %s:\n%s", user, text)
	if !regexp.MustCompile(`region-us-south-dal10\s+✗\s+✓`).MatchString(text) || !regexp.MustCompile(`region-us-south-dal12\s+✓\s+✓`).MatchString(text) {
		t.Errorf("matrix as %s:\n%s", user, text)
	}
	var rep struct {
		Vantages []struct{ Name, Zone string }
		Findings []struct{ Kind, Summary string }
	}
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Vantages) != 2 || len(rep.Findings) != 0 {
		t.Errorf("report as %s: %v %+v\n%s", user, err, rep, stderr.String())
	}
	// fwcheck deleted its Jobs and pods (there is no garbage collector).
	jobs, _ := cs.BatchV1().Jobs("fwcheck").List(context.Background(), metav1.ListOptions{})
	pods, _ := cs.CoreV1().Pods("fwcheck").List(context.Background(), metav1.ListOptions{})
	if len(jobs.Items)+len(pods.Items) != 0 {
		t.Errorf("left behind as %s: %d Jobs, %d pods", user, len(jobs.Items), len(pods.Items))
	}
}

// applyManifest pipes what fwcheck prints for args to `kubectl apply`, as the README does, as
// the kubeconfig's user: for real, or as the API server's dry run (its own validation, strict
// on unknown fields).
func applyManifest(t *testing.T, l *lab, kubeconfig string, dryRun bool, args ...string) {
	t.Helper()
	manifest, err := exec.Command(l.bin, args...).Output()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	kargs := []string{"--kubeconfig", kubeconfig, "apply", "--validate=true", "-f", "-"}
	if dryRun {
		kargs = append(kargs, "--dry-run=server")
	}
	cmd := exec.Command("kubectl", kargs...)
	cmd.Stdin = bytes.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("fwcheck %v | kubectl %v: %v\n%s", args, kargs, err, out)
	}
}
