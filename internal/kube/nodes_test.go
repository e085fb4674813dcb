package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/report"
)

func frame(status string) []byte {
	state := "open"
	if status != report.Verified {
		state = "refused"
	}
	return []byte(fmt.Sprintf("some stderr line\n%s{\"schema\":%q,\"tool\":{\"catalog\":%q},\"profile\":\"worker\",\"summary\":{},"+
		"\"openings\":[{\"id\":\"region-us-south-dal10\",\"group\":\"region\",\"status\":%q,\"probes\":[{\"dialed\":true,\"state\":%q,\"via\":\"direct\"}]}]}\nanother line\n",
		report.FramePrefix, report.Schema, endpoints.DefaultEdition, status, state))
}

func node(name, zone string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"topology.kubernetes.io/zone": zone}},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "198.51.100.1"}}}}
}

// controller plays the Job controller and the kubelets: for each Job a pod, whose fate the
// test decides by node: "ok", "missing" (a report each), "unschedulable", "deleted" (the Job
// vanishes), "hang" (never finishes), "nolog" (fails with no report in its log), "imagepull"
// (the image cannot be pulled), "deadline" (the Job passes its activeDeadlineSeconds).
func controller(ctx context.Context, _ testing.TB, cs *fake.Clientset, ns string, fate map[string]string) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		made := map[string]bool{}
		for ctx.Err() == nil {
			jobs, _ := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			for _, j := range jobs.Items {
				if made[j.Name] {
					continue
				}
				made[j.Name] = true
				n := j.Spec.Template.Spec.NodeName
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: j.Name + "-pod", Namespace: ns, Labels: j.Spec.Template.Labels,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: j.Name, UID: j.UID}}},
					Spec: j.Spec.Template.Spec}
				switch fate[n] {
				case "ok", "missing":
					pod.Status.Phase = corev1.PodSucceeded
				case "unschedulable":
					pod.Status.Phase = corev1.PodPending
					pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
						Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes are available"}}
				case "deleted":
					cs.BatchV1().Jobs(ns).Delete(ctx, j.Name, metav1.DeleteOptions{})
					continue
				case "nolog":
					pod.Status.Phase = corev1.PodFailed
				case "imagepull":
					pod.Status.Phase = corev1.PodPending
					pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: Container,
						State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}
				case "deadline":
					pod.Status.Phase = corev1.PodRunning
					j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue,
						Reason: "DeadlineExceeded", Message: "Job was active longer than specified deadline"}}
					cs.BatchV1().Jobs(ns).UpdateStatus(ctx, &j, metav1.UpdateOptions{})
				default:
					pod.Status.Phase = corev1.PodRunning
				}
				cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return &wg
}

// options reads each pod's log as the kubelet of its node would serve it: a report whose
// status is the node's fate.
func options(cs *fake.Clientset, fate map[string]string) Options {
	return Options{Namespace: "fwcheck", Image: "registry.example.com/fwcheck:test", Args: []string{"worker", "-o", "frame"},
		Deadline: 2 * time.Second, RunID: "t1", Poll: 20 * time.Millisecond,
		Logs: func(ctx context.Context, ns, pod string) ([]byte, error) {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			switch fate[p.Labels[LabelNode]] {
			case "ok":
				return frame("verified"), nil
			case "nolog":
				return []byte("exec /fwcheck: exec format error\n"), nil
			}
			return frame("missing"), nil
		}}
}

// leftovers are the Jobs and pods the run left behind: none, whatever happened.
func leftovers(t *testing.T, cs *fake.Clientset) {
	t.Helper()
	jobs, _ := cs.BatchV1().Jobs("fwcheck").List(context.Background(), metav1.ListOptions{})
	pods, _ := cs.CoreV1().Pods("fwcheck").List(context.Background(), metav1.ListOptions{})
	if len(jobs.Items)+len(pods.Items) != 0 {
		t.Errorf("left behind: %d Jobs, %d pods", len(jobs.Items), len(pods.Items))
	}
}

// TestRunNodes: one Job per node, hardened and pinned; the framed reports read; the nodes that
// never schedule, cannot pull, pass their deadline, leave no report or whose Job vanishes are
// problems, not verdicts; everything deleted after.
func TestRunNodes(t *testing.T) {
	fate := map[string]string{"node-a": "ok", "node-b": "missing", "node-c": "unschedulable", "node-d": "deleted",
		"node-e": "nolog", "node-f": "imagepull", "node-g": "deadline"}
	cs := fake.NewSimpleClientset(node("node-a", "dal10"), node("node-b", "dal12"), node("node-c", "dal12"), node("node-d", "dal13"),
		node("node-e", "dal13"), node("node-f", "dal13"), node("node-g", "dal13"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := options(cs, fate)
	nodes, err := Nodes(ctx, clientsetAPI{cs}, o)
	if err != nil || len(nodes) != 7 || nodes[0].Zone != "dal10" {
		t.Fatalf("nodes: %v, %v", nodes, err)
	}
	if err := EnsureNamespace(ctx, clientsetAPI{cs}, o.Namespace); err != nil {
		t.Fatal(err)
	}
	ns, _ := cs.CoreV1().Namespaces().Get(ctx, "fwcheck", metav1.GetOptions{})
	if ns.Labels[PrivilegedLabel] != "privileged" {
		t.Errorf("namespace labels %v", ns.Labels)
	}
	var seenJobs []string
	cs.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		j := a.(k8stesting.CreateAction).GetObject().(interface{ GetName() string })
		seenJobs = append(seenJobs, j.GetName())
		return false, nil, nil
	})
	wg := controller(ctx, t, cs, o.Namespace, fate)
	if err := Run(ctx, clientsetAPI{cs}, nodes, o); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	got := map[string]string{}
	for _, n := range nodes {
		if n.Report != nil {
			n.Report.Each(func(o report.Opening) error {
				got[n.Name] = o.Status
				return errors.New("the first is enough")
			})
		} else {
			got[n.Name] = "problem: " + n.Problem
		}
	}
	want := map[string]string{"node-a": "verified", "node-b": "missing", "node-c": "cannot be scheduled", "node-d": "deleted",
		"node-e": "left no report in its log", "node-f": "cannot pull the image", "node-g": "passed its deadline"}
	for n, w := range want {
		if !strings.Contains(got[n], w) {
			t.Errorf("%s: %q, want %q", n, got[n], w)
		}
	}
	if len(seenJobs) != 7 {
		t.Errorf("created Jobs %v", seenJobs)
	}
	if f := Findings(nodes); len(f) != 5 || f[0].Kind != report.FindingNode {
		t.Errorf("findings %+v", f)
	}
	leftovers(t, cs)
}

// TestRunNodesInterrupted: Ctrl-C mid-run ends the wait; the Jobs and pods still go.
func TestRunNodesInterrupted(t *testing.T) {
	fate := map[string]string{"node-a": "hang"}
	cs := fake.NewSimpleClientset(node("node-a", "dal10"))
	ctx, cancel := context.WithCancel(context.Background())
	o := options(cs, fate)
	o.Deadline = time.Minute
	nodes, _ := Nodes(ctx, clientsetAPI{cs}, o)
	wg := controller(ctx, t, cs, o.Namespace, fate)
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := Run(ctx, clientsetAPI{cs}, nodes, o)
	wg.Wait()
	if err == nil || time.Since(start) > 10*time.Second || !strings.Contains(nodes[0].Problem, "interrupted") {
		t.Errorf("err %v after %s, problem %q", err, time.Since(start), nodes[0].Problem)
	}
	leftovers(t, cs)
}

// TestNamespaceForbidden: a user who may not create the namespace is told what to ask for.
func TestNamespaceForbidden(t *testing.T) {
	cs := fake.NewSimpleClientset()
	cs.PrependReactor("create", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "fwcheck", fmt.Errorf("RBAC"))
	})
	err := EnsureNamespace(context.Background(), clientsetAPI{cs}, "fwcheck")
	if err == nil || !strings.Contains(err.Error(), PrivilegedLabel+"=privileged") {
		t.Errorf("err = %v", err)
	}
	cs = fake.NewSimpleClientset(node("n", "z"))
	cs.PrependReactor("create", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "batch", Resource: "jobs"}, "x", fmt.Errorf("RBAC"))
	})
	nodes, _ := Nodes(context.Background(), clientsetAPI{cs}, options(cs, nil))
	err = Run(context.Background(), clientsetAPI{cs}, nodes, options(cs, nil))
	if refused := (*Refused)(nil); !errors.As(err, &refused) || !strings.Contains(err.Error(), "--rbac") {
		t.Errorf("jobs forbidden: %v; want a Refused naming --rbac", err)
	}
}

// TestJobManifest: the pod is what the issue asks for.
func TestJobManifest(t *testing.T) {
	j := Job("fwcheck", "fwcheck-x-0", "x", "node-a", "img", []string{"worker"}, time.Minute, "")
	s := j.Spec.Template.Spec
	c := s.Containers[0]
	if s.NodeName != "node-a" || !s.HostNetwork || s.DNSPolicy != corev1.DNSDefault || s.RestartPolicy != corev1.RestartPolicyNever ||
		*j.Spec.BackoffLimit != 0 || *j.Spec.ActiveDeadlineSeconds != 60 || j.Spec.TTLSecondsAfterFinished == nil ||
		*s.AutomountServiceAccountToken || !*s.SecurityContext.RunAsNonRoot || len(s.Tolerations) != 1 || s.Tolerations[0].Operator != corev1.TolerationOpExists ||
		!*c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.Capabilities.Drop[0] != "ALL" || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("job: %s", YAML(j))
	}
}

// BenchmarkNodes50 runs the orchestration for 50 simulated nodes (a fake API and kubelets):
// the time and memory of fwcheck's own part of `fwcheck nodes`, the pods' runs aside.
func BenchmarkNodes50(b *testing.B) {
	for range b.N {
		fate := map[string]string{}
		var objs []runtime.Object
		for i := range 50 {
			n := fmt.Sprintf("node-%02d", i)
			fate[n] = "ok"
			objs = append(objs, node(n, fmt.Sprintf("zone-%d", i%3)))
		}
		cs := fake.NewSimpleClientset(objs...)
		ctx, cancel := context.WithCancel(context.Background())
		o := options(cs, fate)
		nodes, _ := Nodes(ctx, clientsetAPI{cs}, o)
		wg := controller(ctx, nil, cs, o.Namespace, fate)
		if err := Run(ctx, clientsetAPI{cs}, nodes, o); err != nil {
			b.Fatal(err)
		}
		cancel()
		wg.Wait()
		var reps []*report.Report
		var vants []report.Vantage
		for _, n := range nodes {
			if n.Report == nil {
				b.Fatalf("%s: %s", n.Name, n.Problem)
			}
			reps = append(reps, n.Report)
			vants = append(vants, report.Vantage{Name: n.Name, Zone: n.Zone})
		}
		cat, _ := endpoints.Embedded()
		if _, err := report.Merge(reps, vants, cat); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRunNodesDeadlineIsTheRuns: --deadline bounds the whole wait: a pod that never finishes
// is the node's problem at the deadline, not half a minute later (--deadline 15s took 45 s).
func TestRunNodesDeadlineIsTheRuns(t *testing.T) {
	fate := map[string]string{"node-a": "hang", "node-b": "ok"}
	cs := fake.NewSimpleClientset(node("node-a", "dal10"), node("node-b", "dal10"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := options(cs, fate)
	o.Deadline = 500 * time.Millisecond
	nodes, _ := Nodes(ctx, clientsetAPI{cs}, o)
	wg := controller(ctx, t, cs, o.Namespace, fate)
	start := time.Now()
	if err := Run(ctx, clientsetAPI{cs}, nodes, o); err != nil {
		t.Fatal(err)
	}
	// Generous: the bound this guards is the old half a minute past the deadline.
	if el := time.Since(start); el > o.Deadline+10*time.Second {
		t.Errorf("Run took %s with a deadline of %s", el, o.Deadline)
	}
	cancel()
	wg.Wait()
	if nodes[0].Report != nil || !strings.Contains(nodes[0].Problem, "did not finish within 500ms") || nodes[1].Report == nil {
		t.Errorf("node-a: %q; node-b reported: %v", nodes[0].Problem, nodes[1].Report != nil)
	}
}
