package lab

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// apiRecorder is a reverse proxy in front of the API server that notes every request fwcheck
// makes: what the API server is asked, and how often.
type apiRecorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []apiRequest
}

type apiRequest struct {
	at     time.Time
	method string
	path   string
	query  url.Values
}

func newAPIRecorder(t *testing.T, target string) *apiRecorder {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 100}
	r := &apiRecorder{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, apiRequest{time.Now(), req.Method, req.URL.Path, req.URL.Query()})
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *apiRecorder) take() []apiRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// fleetRun is one `fwcheck nodes` over n played nodes: its wall time and the requests it made.
type fleetRun struct {
	nodes int
	wall  time.Duration
	reqs  []apiRequest
}

// polls counts the requests that watch the run (lists of Jobs and pods), and perSecond their
// rate over the run.
func (f fleetRun) polls() int {
	n := 0
	for _, r := range f.reqs {
		if r.method == http.MethodGet && (strings.HasSuffix(r.path, "/jobs") || strings.HasSuffix(r.path, "/pods")) {
			n++
		}
	}
	return n
}

func (f fleetRun) perSecond() float64 { return float64(f.polls()) / f.wall.Seconds() }

// TestLabNodesFleet: `fwcheck nodes` at fleet scale against the lab's real kube-apiserver, with
// the lab playing the Job controller and one kubelet answering for every node. Each pod takes as
// long as one real worker check in the lab (measured first, in the lab's client namespace) and
// its log is that check's framed report. With 200 nodes the run takes less than 10 s more than
// that one check; the requests that watch the run come at the same rate for 20 nodes as for 200;
// and fwcheck never asks for more than its own run's objects (no list of every pod or Job in
// the cluster, no request outside its namespace but the node list and the namespace itself).
// The numbers are in BENCHMARKS.md.
func TestLabNodesFleet(t *testing.T) {
	l := needLab(t)
	cfg, _ := startAPIServer(t)
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 1000, 1000 // the played controllers are not what is measured
	cs, err := kubernetes.NewForConfig(fast)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	// One pod's own check: a worker check in the lab, framed as the pods print it.
	master := l.addr(t, "169.46.7.238")
	check := exec.Command("ip", "netns", "exec", nsClient, l.bin, "worker", "--master-url", "https://"+master+":31142", "--region", "us-south",
		"--catalog", l.catalog, "--timeout", labTimeout.String(), "-o", "frame", "-q")
	check.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=" + l.ca}
	start := time.Now()
	frame, err := check.Output()
	podTime := time.Since(start)
	if !strings.HasPrefix(string(frame), "FWCHECK-REPORT ") || !strings.Contains(string(frame), `"schema":"fwcheck.report/v1"`) {
		t.Fatalf("the worker check: %v\n%.2000s", err, frame)
	}

	// One kubelet for every node: it serves the pods' logs, and ends each pod podTime after
	// the Job controller made it.
	logs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(frame) }))
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	logs.Listener.Close()
	logs.Listener = ln
	logs.StartTLS()
	defer logs.Close()
	kubeletPort := ln.Addr().(*net.TCPAddr).Port
	played, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); playFleet(played, t, cs, podTime) }()
	defer func() { stop(); wg.Wait() }()

	rec := newAPIRecorder(t, cfg.Host)
	kubeconfig := writeKubeconfig(t, t.TempDir(), rec.srv.URL, "admin", "testtoken")
	var runs []fleetRun
	made := 0
	for _, n := range []int{20, 200} {
		for ; made < n; made++ {
			name := fmt.Sprintf("node-%03d", made)
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"topology.kubernetes.io/zone": fmt.Sprintf("dal1%d", made%3)}}}
			if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			status := fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.2"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, kubeletPort)
			if _, err := cs.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, []byte(status), metav1.PatchOptions{}, "status"); err != nil {
				t.Fatal(err)
			}
		}
		out := filepath.Join(t.TempDir(), "nodes.json")
		rec.take()
		run := exec.Command(l.bin, "nodes", "--kubeconfig", kubeconfig, "--image", "fwcheck:lab", "--region", "us-south",
			"--deadline", "2m", "-o", "json="+out, "-q")
		start := time.Now()
		b, err := run.CombinedOutput()
		wall := time.Since(start)
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
			t.Fatalf("fwcheck nodes over %d nodes: %v\n%s", n, err, b)
		}
		rep, _ := os.ReadFile(out)
		if got := strings.Count(string(rep), `"name": "node-`); got != n {
			t.Fatalf("the report of %d nodes has %d vantages\n%s", n, got, b)
		}
		runs = append(runs, fleetRun{n, wall, rec.take()})
	}

	for _, r := range runs {
		t.Logf("%d nodes: %.2f s (one pod's check %.2f s, so %.2f s more), %d requests, %d of them polls (%.1f a second)",
			r.nodes, r.wall.Seconds(), podTime.Seconds(), (r.wall - podTime).Seconds(), len(r.reqs), r.polls(), r.perSecond())
		for _, q := range r.reqs {
			switch {
			case q.path == "/api/v1/nodes" || q.path == "/api/v1/namespaces/fwcheck" || q.method == http.MethodPost && q.path == "/api/v1/namespaces":
			case !strings.HasPrefix(q.path, "/api/v1/namespaces/fwcheck/") && !strings.HasPrefix(q.path, "/apis/batch/v1/namespaces/fwcheck/"):
				t.Errorf("%d nodes: a request outside the run's namespace: %s %s", r.nodes, q.method, q.path)
			case q.method == http.MethodGet && (strings.HasSuffix(q.path, "/jobs") || strings.HasSuffix(q.path, "/pods")) && q.query.Get("labelSelector") == "":
				t.Errorf("%d nodes: a list of every object in the namespace: %s %s", r.nodes, q.method, q.path)
			}
		}
	}
	small, big := runs[0], runs[1]
	if over := big.wall - podTime; over > 10*time.Second {
		t.Errorf("200 nodes took %.1f s more than one pod's check; want under 10 s", over.Seconds())
	}
	if big.perSecond() > 1.5*small.perSecond()+1 {
		t.Errorf("the API is polled %.1f times a second for 200 nodes, %.1f for 20: the rate grows with the nodes", big.perSecond(), small.perSecond())
	}
}

// playFleet plays the Job controller (a pod per Job) and the kubelets (each pod Succeeded
// podTime after it was made) of the namespace fwcheck until ctx ends. Requests go out many at
// a time, as a controller-manager's and 200 kubelets' would: the stand-ins' own latency is not
// what the test measures.
func playFleet(ctx context.Context, t *testing.T, cs kubernetes.Interface, podTime time.Duration) {
	var mu sync.Mutex
	made := map[string]time.Time{} // pod name -> when it was made
	done := map[string]bool{}
	jobsSeen := map[string]bool{}
	for ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		if !namespaceReady(ctx, cs) {
			continue
		}
		jobs, err := cs.BatchV1().Jobs("fwcheck").List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		var g errgroup.Group
		g.SetLimit(32)
		for _, j := range jobs.Items {
			if jobsSeen[string(j.UID)] {
				continue
			}
			jobsSeen[string(j.UID)] = true
			g.Go(func() error {
				pod, err := cs.CoreV1().Pods("fwcheck").Create(ctx, podOf(&j), metav1.CreateOptions{})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					made[pod.Name] = time.Now()
				} else if ctx.Err() == nil {
					delete(jobsSeen, string(j.UID)) // tried again next time round
					t.Logf("the Job controller could not make a pod: %v", err)
				}
				return nil
			})
		}
		g.Wait()
		var due []string
		for name, at := range made {
			if !done[name] && time.Since(at) >= podTime {
				due = append(due, name)
			}
		}
		for _, name := range due {
			g.Go(func() error {
				status := `{"status":{"phase":"Succeeded","containerStatuses":[{"name":"fwcheck","image":"fwcheck:lab","imageID":"","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}`
				_, err := cs.CoreV1().Pods("fwcheck").Patch(ctx, name, types.MergePatchType, []byte(status), metav1.PatchOptions{}, "status")
				if err == nil || apierrors.IsNotFound(err) {
					mu.Lock()
					done[name] = true
					mu.Unlock()
				}
				return nil
			})
		}
		g.Wait()
	}
}

// podOf is the pod the Job controller makes for j.
func podOf(j *batchv1.Job) *corev1.Pod {
	labels := map[string]string{"job-name": j.Name, "controller-uid": string(j.UID),
		"batch.kubernetes.io/job-name": j.Name, "batch.kubernetes.io/controller-uid": string(j.UID)}
	for k, v := range j.Spec.Template.Labels {
		labels[k] = v
	}
	tr := true
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: j.Name + "-", Namespace: j.Namespace, Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: j.Name, UID: j.UID, Controller: &tr, BlockOwnerDeletion: &tr}}},
		Spec: j.Spec.Template.Spec}
}
