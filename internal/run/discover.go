package run

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// loadKubeconfig fills in, from the kubeconfig, the cluster facts the user did not give: the
// master URL and its CA. Explicit facts always win. It reads files only; a kubeconfig named
// but unreadable or malformed is bad input. It returns the kubeconfig when the etcd
// endpoints are still to be read through its API server.
func loadKubeconfig(in *Input) (*endpoints.Kubeconfig, error) {
	f := &in.Facts
	if f.Profile != endpoints.Workstation && f.Profile != endpoints.Worker {
		return nil, nil
	}
	kc, err := endpoints.LoadKubeconfig(in.Kubeconfig, in.KubeContext, in.Getenv)
	switch {
	case errors.Is(err, endpoints.ErrNoKubeconfig) && in.KubeContext != "":
		return nil, &endpoints.FieldError{Field: "context", Err: errors.New("no kubeconfig file was found (KUBECONFIG or ~/.kube/config) to take the context from: name one")}
	case errors.Is(err, endpoints.ErrNoKubeconfig):
		// A workstation's check is about the cluster: say where no kubeconfig was found. (A
		// worker's master opening says to pass --master-url already.)
		if f.Profile == endpoints.Workstation && f.Master.Host == "" {
			looked := "KUBECONFIG and ~/.kube/config"
			var nk *endpoints.NoKubeconfigError
			if errors.As(err, &nk) && len(nk.Looked) > 0 {
				looked = strings.Join(nk.Looked, ", ")
			}
			env := "KUBECONFIG is unset"
			if in.Getenv("KUBECONFIG") != "" {
				env = "KUBECONFIG names no file that exists"
			}
			f.Notes = append(f.Notes, fmt.Sprintf("no kubeconfig (looked for %s; %s): pass --kubeconfig FILE, or --master-url URL and --etcd-endpoint HOST:PORT", looked, env))
		}
		return nil, nil
	case err != nil:
		return nil, err
	}
	from := fmt.Sprintf("kubeconfig %s, context %s", strings.Join(kc.Files, ", "), kc.Context)
	if f.Master.Host == "" {
		f.Master = kc.Master
		f.Notes = append(f.Notes, fmt.Sprintf("master URL https://%s from %s", kc.Master, from))
	}
	if f.Master == kc.Master && kc.PrivateMaster.Host != "" && f.PrivateMaster.Host == "" {
		f.PrivateMaster, f.PrivateMasterCA = kc.PrivateMaster, kc.PrivateCA
		f.Notes = append(f.Notes, fmt.Sprintf("private service endpoint https://%s from %s", kc.PrivateMaster, from))
	}
	switch {
	case f.Master != kc.Master:
	case len(kc.CA) > 0:
		f.MasterCA = kc.CA
		f.Notes = append(f.Notes, "the master's certificate is verified against the cluster's CA from the kubeconfig")
	default:
		f.Notes = append(f.Notes, fmt.Sprintf("the kubeconfig names no CA for cluster %s: the master's certificate is not verified (checked as the page's `curl --insecure`)", kc.Cluster))
	}
	if len(f.Etcd) > 0 || f.Profile != endpoints.Workstation || f.Master != kc.Master {
		return nil, nil
	}
	if in.DryRun {
		f.EtcdNote = "dry run: the etcd endpoint would be read through the API (calico-config for edition 2018-04-18, cluster-info since)"
	}
	return kc, nil
}

// etcdAPI is the API server the etcd endpoint is read through: the kubeconfig's, or the pod's
// own with its service account.
type etcdAPI struct {
	rest   *rest.Config
	server string // HOST:PORT, for the finding's target
	// plugin: the kubeconfig's exec credential plugin runs first, within the timeout.
	plugin bool
}

// podAPI is the API server a worker check reads the etcd endpoint through when it runs in a pod
// with a service account token (the DaemonSet of `serve --manifest` has one, limited to the two
// ConfigMaps; the Jobs of `fwcheck nodes` have none). Outside a pod it is nil; a token or CA
// that cannot be used is a discovery finding, not bad input: the rest of the check runs.
func podAPI(in *Input) (*etcdAPI, []report.Finding) {
	f := &in.Facts
	if f.Profile != endpoints.Worker || len(f.Etcd) > 0 {
		return nil, nil
	}
	cfg, ok, err := inClusterConfig(in.Getenv, cmp.Or(in.ServiceAccountDir, ServiceAccountDir))
	switch {
	case !ok:
		return nil, nil
	case err != nil:
		f.EtcdNote = "the etcd port is unknown: " + err.Error()
		return nil, []report.Finding{{Kind: report.FindingDiscovery,
			Summary: "the etcd endpoint could not be read with the pod's service account: its port is unverified; pass --etcd-endpoint",
			Detail:  err.Error()}}
	case in.DryRun:
		f.EtcdNote = "dry run: the etcd endpoint would be read through the API with the pod's service account"
		return nil, nil
	}
	return &etcdAPI{rest: cfg, server: strings.TrimPrefix(cfg.Host, "https://")}, nil
}

// discoverEtcd reads the etcd endpoints from calico-config (cluster-info since the 2021 pages)
// through the API server. Only this look-up needs the credentials; it is bounded by the run's
// timeout, a credential plugin included, and its failure is a discovery finding: etcd is
// unverified, the master is still checked.
func discoverEtcd(ctx context.Context, in *Input, api *etcdAPI, edition string) []report.Finding {
	cm := calicoConfig
	if edition != endpoints.DefaultEdition {
		cm = clusterInfo // since the 2021 pages: cluster-info's etcd_host
	}
	f := &in.Facts
	timeout := in.Probe.Timeout
	if timeout <= 0 {
		timeout = probe.DefaultTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	eps, err := func() (string, error) {
		if api.plugin {
			if err := RunCredentialPlugin(dctx, api.rest); err != nil {
				return "", err
			}
		}
		return readConfigMapKey(dctx, api.rest, in.Probe.Proxy, cm)
	}()
	var parsed []endpoints.HostPort
	if err == nil {
		if parsed, err = cm.parse(eps); err != nil {
			err = fmt.Errorf("%s's %s %s does not parse (%v)", cm.name, cm.key, quote.Value(eps), err)
		}
	}
	if err != nil {
		f.EtcdNote = err.Error()
		return []report.Finding{{Kind: report.FindingDiscovery,
			Summary: fmt.Sprintf("the etcd endpoint could not be read from kube-system/%s: etcd is unverified; pass --etcd-endpoint", cm.name),
			Detail:  err.Error(),
			Targets: []string{"https://" + api.server + cm.path()}}}
	}
	f.Etcd = parsed
	f.Notes = append(f.Notes, fmt.Sprintf("etcd endpoint %s from kube-system/%s %s", eps, cm.name, cm.key))
	return nil
}
