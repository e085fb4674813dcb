package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/fwcheck/fwcheck/report"
)

// Node is one node fwcheck runs on, and what came of it.
type Node struct {
	Name      string
	Zone      string
	Addresses []string
	// Report is the node's report; nil when the node could not run (Problem says why).
	Report  *report.Report
	Problem string
	job     string
}

// Options say where and what to run.
type Options struct {
	Namespace string
	Selector  string   // a label selector for the nodes
	Names     []string // these nodes only
	Image     string
	Args      []string // the fwcheck command each pod runs (its report framed on stdout), scrubbed (ScrubArgs)
	// ProxySecret names the Secret the pods take proxy credentials from.
	ProxySecret string
	// Deadline is the Jobs' activeDeadlineSeconds; the run waits that long, and a little more.
	Deadline time.Duration
	RunID    string
	// Poll is how often the pods are looked at (1s if zero).
	Poll time.Duration
	// Logs reads a pod's log (the API server's pods/log if nil).
	Logs func(ctx context.Context, namespace, pod string) ([]byte, error)
	// Progress, if set, is told how many nodes are done.
	Progress func(done, total int)
}

// zoneLabels are where a node's zone is, newest first.
var zoneLabels = []string{"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone", "ibm-cloud.kubernetes.io/zone"}

// Nodes lists the nodes to run on.
func Nodes(ctx context.Context, cs API, o Options) ([]*Node, error) {
	list, err := cs.ListNodes(ctx, o.Selector)
	if err != nil {
		return nil, apiError("list the nodes", err)
	}
	var out []*Node
	for _, n := range list {
		if len(o.Names) > 0 && !slices.Contains(o.Names, n.Name) {
			continue
		}
		node := &Node{Name: n.Name}
		for _, l := range zoneLabels {
			if z := n.Labels[l]; z != "" {
				node.Zone = z
				break
			}
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
				node.Addresses = append(node.Addresses, a.Address)
			}
		}
		out = append(out, node)
	}
	for _, want := range o.Names {
		if !slices.ContainsFunc(out, func(n *Node) bool { return n.Name == want }) {
			return nil, fmt.Errorf("no node named %q", want)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no node matches (selector %q)", o.Selector)
	}
	return out, nil
}

// ErrNamespace is a namespace fwcheck may not create or label: the user must ask for it.
type ErrNamespace struct{ Namespace, What string }

func (e *ErrNamespace) Error() string {
	return fmt.Sprintf("cannot %s the namespace %s: ask an administrator to create it with the label %s=privileged (hostNetwork pods are refused under the baseline level), or pass --namespace", e.What, e.Namespace, PrivilegedLabel)
}

// EnsureNamespace creates the namespace with the privileged label, or labels it.
func EnsureNamespace(ctx context.Context, cs API, name string) error {
	ns, err := cs.GetNamespace(ctx, name)
	switch {
	case apierrors.IsNotFound(err):
		if err := cs.CreateNamespace(ctx, Namespace(name)); err != nil {
			if apierrors.IsForbidden(err) {
				return &ErrNamespace{name, "create"}
			}
			return apiError("create the namespace "+name, err)
		}
		return nil
	case apierrors.IsForbidden(err):
		return &ErrNamespace{name, "read"}
	case err != nil:
		return apiError("read the namespace "+name, err)
	}
	if ns.Labels[PrivilegedLabel] == "privileged" {
		return nil
	}
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:"privileged"}}}`, PrivilegedLabel)
	if err := cs.MergePatchNamespace(ctx, name, []byte(patch)); err != nil {
		if apierrors.IsForbidden(err) {
			return &ErrNamespace{name, "label"}
		}
		return apiError("label the namespace "+name, err)
	}
	return nil
}

// Run makes one Job per node, waits for them (or ctx, or the deadline), reads each pod's
// framed report, and deletes the Jobs and their pods whatever happened: there may be no
// garbage collector, so the pods are deleted explicitly too.
//
// The deadline is the whole run's: the wait ends at it, counted from the start, and the Jobs'
// own deadlines with it (it was the Jobs' deadline plus half a minute, then the cleanup).
func Run(ctx context.Context, cs API, nodes []*Node, o Options) error {
	deadline := time.Now().Add(o.Deadline)
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Logs == nil {
		o.Logs = func(ctx context.Context, ns, pod string) ([]byte, error) {
			return cs.PodLog(ctx, ns, pod, Container, 4*report.MaxFrame)
		}
	}
	defer cleanup(cs, o)
	// A few requests at a time: one after the other, 200 Jobs took seconds.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(apiConcurrency)
	for i, n := range nodes {
		n.job = fmt.Sprintf("fwcheck-%s-%d", o.RunID, i)
		job := Job(o.Namespace, n.job, o.RunID, n.Name, o.Image, o.Args, o.Deadline, o.ProxySecret)
		g.Go(func() error {
			if err := cs.CreateJob(gctx, job); err != nil {
				if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
					return &Refused{apiError("create Jobs in "+o.Namespace, err)}
				}
				n.Problem = "its Job could not be created: " + err.Error()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		lookAll(ctx, cs, nodes, o)
		pending := 0
		for _, n := range nodes {
			if n.Report == nil && n.Problem == "" {
				pending++
			}
		}
		if o.Progress != nil {
			o.Progress(len(nodes)-pending, len(nodes))
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			for _, n := range nodes {
				if n.Report == nil && n.Problem == "" {
					n.Problem = "the run was interrupted before its pod finished"
				}
			}
			return ctx.Err()
		case <-tick.C:
		case <-time.After(time.Until(deadline)):
		}
		if !time.Now().Before(deadline) {
			lookAll(ctx, cs, nodes, o) // a pod that finished at the deadline still counts
			for _, n := range nodes {
				if n.Report == nil && n.Problem == "" {
					n.Problem = fmt.Sprintf("its pod did not finish within %s", o.Deadline)
				}
			}
			return nil
		}
	}
}

// lookAll checks every pending node once, with one list of the run's Jobs and one of its
// pods however many nodes there are; a list that fails is tried again at the next tick.
func lookAll(ctx context.Context, cs API, nodes []*Node, o Options) {
	sel := LabelRun + "=" + o.RunID
	jobs, err := cs.ListJobs(ctx, o.Namespace, sel)
	if err != nil {
		return
	}
	pods, err := cs.ListPods(ctx, o.Namespace, sel)
	if err != nil {
		return
	}
	jobByName := map[string]*batchv1.Job{}
	for i := range jobs {
		jobByName[jobs[i].Name] = &jobs[i]
	}
	podByNode := map[string]*corev1.Pod{}
	for i := range pods {
		podByNode[pods[i].Labels[LabelNode]] = &pods[i]
	}
	var g errgroup.Group
	g.SetLimit(apiConcurrency)
	for _, n := range nodes {
		if n.Report == nil && n.Problem == "" {
			job, pod := jobByName[n.job], podByNode[n.Name]
			g.Go(func() error { n.look(ctx, o, job, pod); return nil })
		}
	}
	g.Wait()
}

// look checks a node's Job and pod once: finished (read the report), failed, or stuck.
func (n *Node) look(ctx context.Context, o Options, job *batchv1.Job, pod *corev1.Pod) {
	if job == nil {
		n.Problem = "its Job was deleted before it finished"
		return
	}
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue && c.Reason == "DeadlineExceeded" {
			n.Problem = "its Job passed its deadline: " + c.Message
			return
		}
	}
	if pod == nil {
		return // the Job controller has not made it yet
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			n.Problem = "its pod cannot be scheduled: " + c.Message
			return
		}
	}
	for _, s := range pod.Status.ContainerStatuses {
		if w := s.State.Waiting; w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff" || w.Reason == "InvalidImageName") {
			n.Problem = fmt.Sprintf("its pod cannot pull the image %s (%s): push it to a registry the nodes can pull from (--image)", o.Image, w.Reason)
			return
		}
	}
	if pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
		return
	}
	logs, err := o.Logs(ctx, o.Namespace, pod.Name)
	if err != nil {
		n.Problem = "its pod's log could not be read: " + err.Error()
		return
	}
	rep, err := ReadFrame(bytes.NewReader(logs))
	if err != nil {
		n.Problem = fmt.Sprintf("its pod (%s) left no report in its log: %v", pod.Status.Phase, err)
		return
	}
	n.Report = rep
}

// ReadFrame finds the framed report in a log.
func ReadFrame(r io.Reader) (*report.Report, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), report.MaxFrame+len(report.FramePrefix)+1)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, report.FramePrefix) {
			return report.Read(strings.NewReader(line[len(report.FramePrefix):]))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the log: %v", err)
	}
	return nil, errors.New("no line starts with " + strings.TrimSpace(report.FramePrefix))
}

// cleanup deletes the run's Jobs and their pods, with a context of its own: the run's may be
// cancelled (Ctrl-C) and the objects must still go.
func cleanup(cs API, o Options) {
	// Deleting is a few requests: a few seconds, not a second deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sel := LabelRun + "=" + o.RunID
	cs.DeleteJobs(ctx, o.Namespace, sel)
	if jobs, err := cs.ListJobs(ctx, o.Namespace, sel); err == nil {
		for _, j := range jobs {
			cs.DeleteJob(ctx, o.Namespace, j.Name)
		}
	}
	if pods, err := cs.ListPods(ctx, o.Namespace, sel); err == nil {
		var g errgroup.Group
		g.SetLimit(apiConcurrency)
		for _, p := range pods {
			g.Go(func() error { cs.DeletePod(ctx, o.Namespace, p.Name); return nil })
		}
		g.Wait()
	}
}

func apiError(what string, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("the API server does not let you %s (fwcheck nodes --rbac prints what to ask for): %v", what, err)
	}
	return fmt.Errorf("cannot %s: %v", what, err)
}

// apiConcurrency is how many requests about single nodes (a Job, a log, a pod to delete) are
// in flight at once; the lists that watch the run are one request each, however many nodes.
const apiConcurrency = 16

// Refused is the API server refusing a request that comes before any pod runs (listing the
// nodes, the namespace, creating the Jobs). One rule for all of them: the check could not
// run, exit 2 with no report, as for bad input. Once the Jobs exist, what goes wrong on a
// node is that node's finding instead (exit 1).
type Refused struct{ Err error }

func (r *Refused) Error() string { return r.Err.Error() }
func (r *Refused) Unwrap() error { return r.Err }

// Findings are the nodes that could not run, as node findings: not verdicts on any path.
func Findings(nodes []*Node) []report.Finding {
	var out []report.Finding
	for _, n := range nodes {
		if n.Problem != "" {
			out = append(out, report.Finding{Kind: report.FindingNode, Summary: "node " + n.Name + " could not be checked: " + n.Problem,
				Detail: n.Problem, Targets: []string{n.Name}})
		}
	}
	return out
}
