package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// discover fills in, from the kubeconfig, the cluster facts the user did not give: the master
// URL and its CA, and the etcd endpoints read from calico-config through the API. Explicit
// flags always win. A kubeconfig named but unreadable or malformed is bad input.
func discover(ctx context.Context, o *options, p *probe.Prober) error {
	f := &o.facts
	if f.Profile != endpoints.Workstation && f.Profile != endpoints.Worker {
		return nil
	}
	kc, err := endpoints.LoadKubeconfig(o.kubeconfig, o.kubeContext, o.getenv)
	switch {
	case errors.Is(err, endpoints.ErrNoKubeconfig):
		return nil
	case err != nil:
		return usageError{err}
	}
	from := fmt.Sprintf("kubeconfig %s, context %s", strings.Join(kc.Files, ", "), kc.Context)
	if f.Master.Host == "" {
		f.Master = kc.Master
		f.Notes = append(f.Notes, fmt.Sprintf("master URL https://%s from %s", kc.Master, from))
	}
	if f.Master == kc.Master && len(kc.CA) > 0 {
		f.MasterCA = kc.CA
		f.Notes = append(f.Notes, "the master's certificate is verified against the cluster's CA from the kubeconfig")
	}
	if len(f.Etcd) > 0 || f.Profile != endpoints.Workstation || f.Master != kc.Master {
		return nil
	}
	if o.dryRun {
		f.EtcdNote = "dry run: the etcd endpoints would be read from kube-system/calico-config through the API"
		return nil
	}
	// Only this look-up needs the credentials; it is bounded by the run's timeout, a
	// credential plugin included, and its failure is a finding: the master is still checked.
	dctx, cancel := context.WithTimeout(ctx, o.probe.Timeout)
	defer cancel()
	failed := func(err error) error {
		f.EtcdNote = err.Error()
		o.findings = append(o.findings, report.Finding{Kind: report.FindingDiscovery,
			Summary: "the etcd endpoints could not be read from kube-system/calico-config: etcd is unverified; pass --etcd-endpoint",
			Detail:  err.Error(), Targets: []string{"https://" + kc.Master.String() + "/api/v1/namespaces/kube-system/configmaps/calico-config"}})
		return nil
	}
	if err := runCredentialPlugin(dctx, kc.REST); err != nil {
		return failed(err)
	}
	eps, err := p.CalicoEtcdEndpoints(dctx, kc.REST)
	if err != nil {
		return failed(err)
	}
	parsed, err := endpoints.ParseEtcdEndpoints(eps)
	if err != nil {
		return failed(fmt.Errorf("calico-config's etcd_endpoints %s does not parse (%v)", quoteValue(eps), err))
	}
	f.Etcd = parsed
	f.Notes = append(f.Notes, fmt.Sprintf("etcd endpoints %s from kube-system/calico-config", eps))
	return nil
}
