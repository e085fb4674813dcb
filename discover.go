package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
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
	eps, err := p.CalicoEtcdEndpoints(ctx, kc.REST)
	if err != nil {
		f.EtcdNote = err.Error()
		return nil
	}
	parsed, err := endpoints.ParseEtcdEndpoints(eps)
	if err != nil {
		f.EtcdNote = fmt.Sprintf("calico-config's etcd_endpoints %q does not parse (%v)", eps, err)
		return nil
	}
	f.Etcd = parsed
	f.Notes = append(f.Notes, fmt.Sprintf("etcd endpoints %s from kube-system/calico-config", eps))
	return nil
}
