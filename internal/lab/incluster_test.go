//go:build linux

package lab

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/fwcheck/fwcheck/internal/testtier"
)

// inNetns runs fn on an OS thread moved into the network namespace ns: the sockets fn opens
// live there, and stay usable from any goroutine. The thread is moved back after; if it
// cannot be, it is left locked, and Go ends it with its goroutine.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer self.Close()
		target, err := os.Open(filepath.Join("/var/run/netns", ns))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %v", ns, err)
			return
		}
		err = fn()
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// forwardInto plays kube-proxy for a pod on a lab node: a listener at addr inside the node's
// namespace whose connections go to target in the test's own (the API server on loopback).
func forwardInto(t *testing.T, ns, addr, target string) {
	var ln net.Listener
	if err := inNetns(ns, func() (err error) { ln, err = net.Listen("tcp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(out, in); out.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); io.Copy(in, out); in.(*net.TCPConn).CloseWrite() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

// netnsClient is an HTTP client whose connections are made inside the namespace ns.
func netnsClient(ns string) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = inNetns(ns, func() (err error) { c, err = (&net.Dialer{}).DialContext(ctx, network, addr); return err })
			return c, err
		}}}
}

// docBlock is the code block of a doc page that follows the marker comment.
func docBlock(t *testing.T, page, marker string) string {
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- " + regexp.QuoteMeta(marker) + "[^>]*-->\n```[a-z]*\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s has no code block after <!-- %s", page, marker)
	}
	return string(m[1])
}

// TestLabInCluster follows docs/cluster.md literally against the lab's real kube-apiserver:
// `fwcheck serve --manifest ... | kubectl apply -f -` with the admin's KUBECONFIG; the lab
// plays the DaemonSet controller and the kubelet of one node behind a firewall that drops the
// region's dal10 master IPs: it runs the container from the unpacked image as the pod spec
// says (its args and env, the downward API's host IP, user 65532, a read-only root, the
// emptyDir, the service account token it mounts) in the node's network namespace. A real
// Prometheus, with the doc's scrape job discovering the pod through the API server and
// docs/alerts.yml loaded, then holds exactly one alert: FirewallOpeningMissing for dal10 (still
// pending: its 10 minutes are promtool's to test, TestAlertRules). Not for the master's range,
// which no probe can prove, although its master URL and the etcd port read with the pod's
// service account are open.
func TestLabInCluster(t *testing.T) {
	l := needLab(t)
	testtier.Need(t, "kubectl", testtier.MissingTool("kubernetes-client", "kubectl"))
	testtier.Need(t, "prometheus", testtier.MissingTool("prometheus", "prometheus"))
	root := unpackedImage(t)
	cfg, kubeconfig := startAPIServer(t)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	apiAddr := strings.TrimPrefix(cfg.Host, "https://")
	node := &fakeNode{name: "node-a", zone: "dal10", ip: client2Addr, ns: nsClient2}

	// The cluster: a node, and the ConfigMap the 2018 page reads etcd from (its port on a
	// dal12 master IP: the cloud listens on 31234).
	etcd := l.addr(t, "169.47.70.10") + ":31234"
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("kubectl", args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node.name, Labels: map[string]string{"topology.kubernetes.io/zone": node.zone}}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubectl("", "create", "configmap", "calico-config", "-n", "kube-system", "--from-literal=etcd_endpoints=https://"+etcd)
	nft(t, nsRouter, "incluster", `chain forward_filter { type filter hook forward priority 0; policy accept;
		ip saddr `+client2Addr+` ip daddr { `+l.addr(t, "169.47.234.18")+`, `+l.addr(t, "169.46.7.238")+` } tcp dport 443 drop
	}`)

	// Step 2 of the doc, literally: its command line, with the lab's image name.
	step := strings.ReplaceAll(strings.TrimSpace(docBlock(t, "docs/cluster.md", "apply")), "registry.example.com/fwcheck:v1", "fwcheck:lab")
	apply := exec.Command("sh", "-c", step)
	apply.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "PATH="+filepath.Dir(l.bin)+":"+os.Getenv("PATH"))
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("serve --manifest | kubectl apply: %v\n%s", err, out)
	} else {
		t.Logf("kubectl apply:\n%s", out)
	}

	// The DaemonSet controller: the DaemonSet's pod on the node, through admission (the
	// service account's token volume is added there).
	ds, err := cs.AppsV1().DaemonSets("fwcheck").Get(ctx, "fwcheck", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := true
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "fwcheck-" + node.name, Namespace: "fwcheck", Labels: ds.Spec.Template.Labels,
		Annotations:     ds.Spec.Template.Annotations,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: ds.Name, UID: ds.UID, Controller: &tr}}},
		Spec: *ds.Spec.Template.Spec.DeepCopy()}
	pod.Spec.NodeName = node.name
	if pod, err = cs.CoreV1().Pods("fwcheck").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the DaemonSet's pod is refused: %v", err)
	}

	// The kubelet: the pod's service account token and the cluster's CA, mounted where the
	// pod spec says; kube-proxy: the API server at the address the kubelet gives the pod.
	forwardInto(t, node.ns, apiAddr, apiAddr)
	sa := serviceAccountMount(t, cs, pod, apiAddr)
	stopPod := runPod(t, l, root, node, pod, sa, apiAddr)
	defer stopPod()
	status := fmt.Sprintf(`{"status":{"phase":"Running","hostIP":%q,"podIP":%q,"podIPs":[{"ip":%q}]}}`, node.ip, node.ip, node.ip)
	if _, err := cs.CoreV1().Pods("fwcheck").Patch(ctx, pod.Name, types.MergePatchType, []byte(status), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}

	// Step 3: Prometheus with the doc's scrape job and the alert rules, in the node's namespace.
	// Debian's Prometheus is built without Kubernetes discovery: the lab plays it, with the
	// targets and __meta_kubernetes_* labels it would find for the pods in the API server
	// (through a file, file_sd), and the doc's relabeling does the rest as written.
	dir := t.TempDir()
	targets := filepath.Join(dir, "pods.json")
	if err := writePodTargets(ctx, cs, "fwcheck", targets); err != nil {
		t.Fatal(err)
	}
	scrape := docBlock(t, "docs/cluster.md", "scrape-config")
	sd := "    kubernetes_sd_configs:\n      - role: pod\n        namespaces: {names: [fwcheck]}\n"
	if !strings.Contains(scrape, sd) {
		t.Fatalf("the doc's scrape job has no pod discovery of the fwcheck namespace:\n%s", scrape)
	}
	scrape = strings.Replace(scrape, sd, fmt.Sprintf("    file_sd_configs: [{files: [%q]}]\n", targets), 1)
	rules, _ := filepath.Abs(filepath.Join("docs", "alerts.yml"))
	promCfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(promCfg, []byte(fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [%q]\n%s", rules, scrape)), 0o644)
	web := "127.0.0.1:19090"
	prom := exec.Command("ip", "netns", "exec", node.ns, "prometheus", "--config.file="+promCfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+web)
	promLog, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	prom.Stdout, prom.Stderr = promLog, promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { prom.Process.Kill(); prom.Wait() }()
	client := netnsClient(node.ns)
	query := func(q string) []map[string]string { return promQueryWith(client, "http://"+web, q) }

	var alerts []map[string]string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		alerts = query(`ALERTS`)
		if len(query(`fwcheck_opening_up`)) > 0 && len(alerts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("Prometheus has no fwcheck series or no alert: %v\n%s\npod:\n%s", alerts, tail(string(b), 3000), stopPod())
		}
	}
	t.Logf("Prometheus' alerts: %v", alerts)
	if len(alerts) != 1 || alerts[0]["alertname"] != "FirewallOpeningMissing" || alerts[0]["opening"] != "region-us-south-dal10" ||
		alerts[0]["node"] != node.name {
		t.Errorf("alerts: %v; want FirewallOpeningMissing for region-us-south-dal10 on %s alone", alerts, node.name)
	}
	// The master's opening is a warning (its range cannot be proven), not down; its master URL
	// and the etcd port from the ConfigMap, read with the pod's token, are open.
	if s := query(`fwcheck_opening_status{opening="master-us-south",status="warning"} == 1`); len(s) != 1 {
		t.Errorf("the master opening is not a warning: %v", query(`fwcheck_opening_status{opening="master-us-south"} == 1`))
	}
	host, port, _ := net.SplitHostPort(etcd)
	t.Logf("the master opening's probes: %v", query(`fwcheck_probe_up{opening="master-us-south"}`))
	if s := query(fmt.Sprintf(`fwcheck_probe_up{opening="master-us-south",host=%q,port=%q} == 1`, host, port)); len(s) != 1 {
		t.Errorf("the etcd port %s is not proven: %v", etcd, query(`fwcheck_probe_up{opening="master-us-south"}`))
	}
	if s := query(`fwcheck_last_run_success == 1`); len(s) != 1 {
		t.Errorf("fwcheck_last_run_success: %v", query(`fwcheck_last_run_success`))
	}
	// kubectl sees the DaemonSet's objects as the doc says, and deletes them the same way.
	if out := kubectl("", "-n", "fwcheck", "get", "daemonset", "fwcheck", "-o", "name"); strings.TrimSpace(out) != "daemonset.apps/fwcheck" {
		t.Errorf("kubectl get daemonset: %s", out)
	}
	// The lab has no namespace controller to finalize the namespace: kubectl must not wait for it.
	step = strings.ReplaceAll(strings.TrimSpace(docBlock(t, "docs/cluster.md", "delete")), "registry.example.com/fwcheck:v1", "fwcheck:lab")
	step = strings.Replace(step, "kubectl delete", "kubectl delete --wait=false", 1)
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	del := exec.CommandContext(dctx, "sh", "-c", step)
	del.Env = apply.Env
	if out, err := del.CombinedOutput(); err != nil {
		t.Errorf("serve --manifest | kubectl delete: %v\n%s", err, out)
	}
}

// writePodTargets writes, as file_sd's JSON, what Prometheus' Kubernetes discovery (role pod)
// finds in namespace: a target for each container port of each pod with an IP, labeled with
// the pod's name, namespace, node and annotations.
func writePodTargets(ctx context.Context, cs kubernetes.Interface, namespace, file string) error {
	pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	sanitize := regexp.MustCompile(`[^a-zA-Z0-9_]`)
	var groups []map[string]any
	for _, p := range pods.Items {
		labels := map[string]string{"__meta_kubernetes_namespace": p.Namespace, "__meta_kubernetes_pod_name": p.Name,
			"__meta_kubernetes_pod_node_name": p.Spec.NodeName, "__meta_kubernetes_pod_ip": p.Status.PodIP}
		for k, v := range p.Annotations {
			labels["__meta_kubernetes_pod_annotation_"+sanitize.ReplaceAllString(k, "_")] = v
		}
		for _, c := range p.Spec.Containers {
			for _, port := range c.Ports {
				if p.Status.PodIP != "" {
					groups = append(groups, map[string]any{"targets": []string{net.JoinHostPort(p.Status.PodIP, fmt.Sprint(port.ContainerPort))}, "labels": labels})
				}
			}
		}
	}
	b, _ := json.Marshal(groups)
	return os.WriteFile(file, b, 0o644)
}

// promQueryWith asks a Prometheus server for an instant query's series, through client.
func promQueryWith(client *http.Client, base, q string) []map[string]string {
	resp, err := client.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	return decodeSeries(resp.Body)
}

// serviceAccountMount is what the kubelet mounts for the pod's service account volume: a token
// from the API server's TokenRequest, bound to the pod, and the API server's CA.
func serviceAccountMount(t *testing.T, cs kubernetes.Interface, pod *corev1.Pod, apiAddr string) string {
	t.Helper()
	if pod.Spec.ServiceAccountName != "fwcheck" || pod.Spec.AutomountServiceAccountToken == nil || !*pod.Spec.AutomountServiceAccountToken {
		t.Fatalf("the DaemonSet's pod has no service account token: %q %v", pod.Spec.ServiceAccountName, pod.Spec.AutomountServiceAccountToken)
	}
	secs := int64(3600)
	tok, err := cs.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(t.Context(), pod.Spec.ServiceAccountName, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &secs,
			BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The API server's certificate chain ends in the CA it made for itself.
	conn, err := tls.Dial("tcp", apiAddr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	chain := conn.ConnectionState().PeerCertificates
	conn.Close()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "token"), []byte(tok.Status.Token), 0o644)
	os.WriteFile(filepath.Join(dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[len(chain)-1].Raw}), 0o644)
	os.WriteFile(filepath.Join(dir, "namespace"), []byte(pod.Namespace), 0o644)
	return dir
}

// runPod is the kubelet starting the pod's container on node: its args with $(VAR) expanded
// from its env (the downward API's status.hostIP is the node's address; an optional Secret
// that does not exist gives nothing), in the node's network namespace and resolver, from the
// unpacked image's root, read-only, as the pod's user, with its emptyDir and the service
// account volume mounted. The lab's catalog stands for the real page, and the lab's CA for the
// public ones. It returns a function that stops the container and returns its output.
func runPod(t *testing.T, l *lab, root string, node *fakeNode, pod *corev1.Pod, saDir, apiAddr string) func() string {
	t.Helper()
	c := pod.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.hostIP":
			env[e.Name] = node.ip
		case e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Optional != nil && *e.ValueFrom.SecretKeyRef.Optional:
		default:
			t.Fatalf("the kubelet cannot give %s: %+v", e.Name, e.ValueFrom)
		}
	}
	host, port, _ := net.SplitHostPort(apiAddr)
	env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"] = host, port
	env["SSL_CERT_FILE"] = "/lab/ca.pem"
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = os.Expand(strings.NewReplacer("$(", "${", ")", "}").Replace(a), func(k string) string { return env[k] })
	}
	args = append(args, "--catalog", "/lab/catalog.yaml", "--timeout", labTimeout.String())

	// The mount points, made before the root goes read-only (a runtime makes them too).
	var mounts []string
	for _, m := range c.VolumeMounts {
		os.MkdirAll(filepath.Join(root, m.MountPath), 0o755)
		mounts = append(mounts, m.MountPath)
	}
	os.MkdirAll(filepath.Join(root, "lab"), 0o755)
	for src, dst := range map[string]string{l.catalog: "lab/catalog.yaml", l.ca: "lab/ca.pem", filepath.Join("/etc/netns", node.ns, "resolv.conf"): "etc/resolv.conf"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(root, dst)), 0o755)
		os.WriteFile(filepath.Join(root, dst), b, 0o644)
	}
	script := `set -e
mount --bind "$ROOT" "$ROOT"
mount -o remount,bind,ro "$ROOT"
for m in $MOUNTS; do
  if [ "$m" = /var/run/secrets/kubernetes.io/serviceaccount ]; then
    mount --bind "$SA" "$ROOT$m"; mount -o remount,bind,ro "$ROOT$m"
  else
    mount -t tmpfs -o size=64m,mode=1777 tmpfs "$ROOT$m"
  fi
done
exec chroot --userspec=` + fmt.Sprintf("%d:%d", *pod.Spec.SecurityContext.RunAsUser, *pod.Spec.SecurityContext.RunAsGroup) + ` "$ROOT" /fwcheck "$@"`
	cmd := exec.Command("ip", append([]string{"netns", "exec", node.ns, "unshare", "--mount", "--fork", "sh", "-c", script, "sh"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	cmd.Env = []string{"ROOT=" + root, "SA=" + saDir, "MOUNTS=" + strings.Join(mounts, " "), "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	var mu sync.Mutex
	cmd.Stdout, cmd.Stderr = lockedWriter{&mu, &out}, lockedWriter{&mu, &out}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	return func() string {
		if !stopped {
			stopped = true
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		}
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
