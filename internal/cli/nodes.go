package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/kube"
	"github.com/fwcheck/fwcheck/internal/run"
	"github.com/fwcheck/fwcheck/report"
)

// passthrough are the worker flags `fwcheck nodes` hands on to every pod.
var passthrough = []string{"region", "location", "edition", "private", "pvc", "sweep", "skip", "timeout", "retries"}

func nodesCommand(ses session) *cli.Command {
	stdout, stderr, getenv := ses.stdout, ses.stderr, ses.getenv
	flags := []cli.Flag{
		&cli.StringFlag{Name: "namespace", Value: "fwcheck", Category: catCheck, EnvVars: envs("namespace"), Usage: "run the Jobs in `NAMESPACE` (created, labeled privileged, if missing)"},
		proxySecretFlag(),
		&cli.StringFlag{Name: "selector", Category: catCheck, EnvVars: envs("selector"), Usage: "only the nodes matching this label `SELECTOR`"},
		&cli.StringSliceFlag{Name: "node", Category: catCheck, EnvVars: envs("node"), Usage: "only this `NODE` (repeatable)"},
		&cli.StringFlag{Name: "image", Category: catCheck, EnvVars: envs("image"), Usage: "the fwcheck container `IMAGE` the nodes pull"},
		&cli.DurationFlag{Name: "deadline", Value: 5 * time.Minute, Category: catBehave, EnvVars: envs("deadline"), Usage: "how long the run waits for the nodes' pods, and their Jobs' deadline (`DURATION`)"},
		&cli.BoolFlag{Name: "rbac", Category: catOutput, Usage: "print the ClusterRole and Role (with bindings) a user of this command needs"},
		&cli.StringFlag{Name: "rbac-user", Value: "fwcheck-operator", Category: catOutput, Usage: "the `USER` the --rbac bindings name"},
	}
	for _, d := range flagDefs {
		if slices.Contains(passthrough, d.name) || slices.Contains([]string{"kubeconfig", "context", "output", "no-color", "quiet", "verbose", "strict", "dry-run"}, d.name) {
			flags = append(flags, d.make(false))
		}
	}
	return &cli.Command{
		Name:      "nodes",
		Usage:     "run the worker check on every node, as a pod, and merge the results",
		UsageText: "fwcheck nodes --image IMAGE [--selector S] [--node N]... [worker flags] [--dry-run | --rbac]",
		Description: "With the kubeconfig, makes one hardened hostNetwork Job per node (pinned by nodeName, the node's own " +
			"resolver), each running `fwcheck worker` with the region and master of the kubeconfig, reads each pod's framed " +
			"report from its log and merges them: openings × nodes, grouped by zone. Nodes that could not run are node " +
			"findings. The Jobs and their pods are deleted at the end, on error and on Ctrl-C.",
		Flags:              flags,
		CustomHelpTemplate: commandHelp("nodes"),
		Action: func(c *cli.Context) error {
			o := nodesOptions{rbac: c.Bool("rbac"), rbacUser: c.String("rbac-user"), namespace: c.String("namespace"), image: c.String("image"),
				kubeconfig: c.String("kubeconfig"), context: c.String("context"), selector: c.String("selector"), names: c.StringSlice("node"),
				deadline: c.Duration("deadline"), proxySecret: c.String("proxy-secret"), dryRun: c.Bool("dry-run")}
			for _, name := range passthrough {
				if c.IsSet(name) {
					for _, v := range flagValues(c, name) {
						o.workerArgs = append(o.workerArgs, "--"+name+"="+v)
					}
				}
			}
			if !o.rbac {
				out, err := reportOptions(c, getenv)
				if err != nil {
					return err
				}
				o.outputOptions = *out
			}
			return runNodes(c.Context, o, stdout, stderr, getenv, ses.machine)
		},
	}
}

// nodesOptions are the flags of nodes: what to print instead of running (--rbac, --dry-run),
// where and how to run the Jobs, the worker flags passed on to the pods, and how to write the
// merged report.
type nodesOptions struct {
	rbac, dryRun               bool
	rbacUser, namespace, image string
	kubeconfig, context        string
	selector                   string
	names                      []string
	deadline                   time.Duration
	proxySecret                string
	workerArgs                 []string // --region=us-south and the rest, as the pods take them
	outputOptions
}

// runNodes runs the worker check on every node as a Job, reads each pod's report from its log,
// and writes the merged report.
func runNodes(ctx context.Context, o nodesOptions, stdout, stderr io.Writer, getenv func(string) string, m machine) error {
	if o.rbac {
		ns := o.namespace
		subject := rbacv1.Subject{Kind: "User", Name: o.rbacUser, APIGroup: "rbac.authorization.k8s.io"}
		_, err := io.WriteString(stdout, kube.YAML(kube.RBAC(ns, subject)...))
		return err
	}
	image, err := imageFor(o.image)
	if err != nil {
		return err
	}
	kc, err := endpoints.LoadKubeconfig(o.kubeconfig, o.context, getenv)
	switch {
	case errors.Is(err, endpoints.ErrNoKubeconfig):
		return badInput("fwcheck nodes needs the cluster's kubeconfig: none in KUBECONFIG or ~/.kube/config: pass --kubeconfig FILE")
	case err != nil:
		return usageError{fmt.Errorf("fwcheck nodes needs a kubeconfig: %v", err)}
	}
	args := append([]string{"worker", "--master-url", "https://" + kc.Master.String(), "-o", "frame", "-q"}, o.workerArgs...)
	args, _, err = kube.ScrubArgs(args)
	if err != nil {
		return badInput("nodes: %v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = run.RunCredentialPlugin(pctx, kc.REST)
	cancel()
	if err != nil {
		return err
	}
	cs, err := kube.NewCluster(kc.REST)
	if err != nil {
		return err
	}
	id := runID()
	opt := kube.Options{Namespace: o.namespace, Selector: o.selector, Names: o.names,
		Image: image, Args: args, Deadline: o.deadline, RunID: id, ProxySecret: o.proxySecret}
	nodes, err := kube.Nodes(ctx, cs, opt)
	if err != nil {
		return err
	}
	if o.dryRun {
		objs := []runtime.Object{kube.Namespace(opt.Namespace)}
		for i, n := range nodes {
			objs = append(objs, kube.Job(opt.Namespace, fmt.Sprintf("fwcheck-%s-%d", id, i), id, n.Name, image, args, opt.Deadline, opt.ProxySecret))
		}
		_, err := io.WriteString(stdout, kube.YAML(objs...))
		return err
	}
	if err := kube.EnsureNamespace(ctx, cs, opt.Namespace); err != nil {
		return err
	}
	if bar := newProgress(stderr, o.quiet); bar != nil {
		opt.Progress = func(done, total int) { fmt.Fprintf(stderr, "\r\x1b[Knodes: %d / %d done", done, total) }
		defer fmt.Fprint(stderr, "\r\x1b[K")
	}
	runErr := kube.Run(ctx, cs, nodes, opt)
	if refused := (*kube.Refused)(nil); errors.As(runErr, &refused) {
		return refused // exit 2: no pod ran, so there is nothing to report
	}
	merged := mergeNodes(nodes, func() *report.Report {
		pc, err := parseCheck(ctx, append(slices.Clone(args), "--dry-run"), getenv, m)
		if err != nil {
			return nil
		}
		out, err := run.Run(ctx, pc.input)
		if err != nil {
			return nil
		}
		return report.UnprovenPlan(out.Report)
	})
	code, err := writeReport(&o.outputOptions, merged, stdout, stderr)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return exited(interruptedCode(ctx))
	} else if runErr != nil {
		fmt.Fprintf(stderr, "fwcheck: %v\n", runErr)
	}
	return exited(code)
}

// flagValues is a flag's value as the pods' command line takes it.
func flagValues(c *cli.Context, name string) []string {
	if v := c.StringSlice(name); len(v) > 0 {
		return v
	}
	if v := c.Value(name); v != nil {
		return []string{fmt.Sprint(v)}
	}
	return nil
}

// mergeNodes merges the nodes' reports. The nodes that could not run are node findings, and
// every opening is unproven on them: the run fails, however well the other nodes did, since an
// absence is never a pass; a run where no node could run is missing everything.
//
// plan, if given, is the pods' own check as a dry run (nothing dialed): when no node reported,
// it gives every opening its row, each unproven on every node.
func mergeNodes(nodes []*kube.Node, plan func() *report.Report) *report.Report {
	var reps []*report.Report
	var vants []report.Vantage
	for _, n := range nodes {
		if n.Report == nil {
			continue
		}
		// A pod's report is judged again like any report merge reads; one that does not hold
		// up (its pod printed something else) is that node's problem, not the run's.
		v := report.Vantage{Name: n.Name, Zone: n.Zone, Addresses: n.Addresses}
		cat, err := endpoints.EmbeddedEdition(n.Report.Tool.Catalog)
		if err == nil {
			_, err = report.Merge([]*report.Report{n.Report}, []report.Vantage{v}, cat)
		}
		if err != nil {
			n.Report, n.Problem = nil, fmt.Sprintf("its report does not hold up: %v", err)
			continue
		}
		reps = append(reps, n.Report)
		vants = append(vants, v)
	}
	findings := kube.Findings(nodes)
	var merged *report.Report
	if len(reps) > 0 {
		cat, err := endpoints.EmbeddedEdition(reps[0].Tool.Catalog)
		if err == nil {
			merged, err = report.Merge(reps, vants, cat)
		}
		if err != nil {
			// The pods ran one command of one binary: reports that do not merge are a bug.
			findings = append(findings, report.Finding{Kind: report.FindingNode, Summary: "the nodes' reports do not merge", Detail: err.Error()})
			merged = nil
		}
	}
	if merged == nil && plan != nil {
		// No node reported: the openings the pods would have checked, none proven anywhere.
		if merged = plan(); merged != nil {
			merged.DryRun, merged.Source = false, report.Source{Hostname: "(merged)", Addresses: []string{}}
			merged.Notes = append(merged.Notes, "no node reported: the openings are those the nodes' check plans (a dry run here)")
		}
	}
	switch {
	case merged == nil:
		merged = &report.Report{Schema: report.Schema, Profile: "worker", Started: time.Now().UTC(), Source: report.Source{Hostname: "(merged)", Addresses: []string{}},
			Findings: []report.Finding{}}
		// Nothing proved, and no opening to say so: the run fails, it does not pass by absence.
		merged.Summary.Missing = 1
		merged.Vantages = problemVantages(nodes)
	case len(findings) > 0:
		report.Unproven(merged, report.FindingNode)
		merged.Vantages = append(merged.Vantages, problemVantages(nodes)...)
	}
	merged.Findings = append(findings, merged.Findings...)
	return merged
}

// problemVantages are the nodes that could not run, each a column of its own.
func problemVantages(nodes []*kube.Node) []report.Vantage {
	var out []report.Vantage
	for _, n := range nodes {
		if n.Report == nil {
			out = append(out, report.Vantage{Name: n.Name, Zone: n.Zone, Addresses: n.Addresses, Problem: n.Problem})
		}
	}
	return out
}

func runID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}
