package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// calicoConfigPath is the ConfigMap the page reads etcd_endpoints from.
const calicoConfigPath = "/api/v1/namespaces/kube-system/configmaps/calico-config"

// CalicoEtcdEndpoints reads etcd_endpoints from the calico-config ConfigMap through the API
// server, with the kubeconfig's credentials, through the same proxy as every target, within
// one timeout. Its errors say what failed in words a user can act on.
func (p *Prober) CalicoEtcdEndpoints(ctx context.Context, cfg *rest.Config) (string, error) {
	c := rest.CopyConfig(cfg)
	c.Timeout = p.cfg.Timeout
	if c.Proxy == nil && p.cfg.Proxy != nil {
		c.Proxy = p.cfg.Proxy.ForRequest
	}
	client, err := rest.HTTPClientFor(c)
	if err != nil {
		return "", fmt.Errorf("cannot build a client for the API server: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	u := strings.TrimSuffix(c.Host, "/") + calicoConfigPath
	host := quote.Userinfo(c.Host) // the server URL may carry user:password
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		v := classify(err, PhaseConnect, Target{Host: req.URL.Hostname()})
		return "", fmt.Errorf("the API server %s could not be reached (%s: %s)", host, v.state, v.detail)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", fmt.Errorf("the ConfigMap kube-system/calico-config does not exist on %s", host)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("the API server %s refused to read kube-system/calico-config (%s): check the kubeconfig's credentials", host, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("the API server %s answered %s for kube-system/calico-config", host, resp.Status)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &cm); err != nil {
		return "", fmt.Errorf("the answer for kube-system/calico-config is not a ConfigMap: %v", err)
	}
	eps := strings.TrimSpace(cm.Data["etcd_endpoints"])
	if eps == "" {
		return "", fmt.Errorf("the ConfigMap kube-system/calico-config has no etcd_endpoints")
	}
	return eps, nil
}

// ForRequest is For as an http.Transport's Proxy function.
func (c *ProxyConfig) ForRequest(req *http.Request) (*url.URL, error) {
	port := req.URL.Port()
	if port == "" {
		port = "443"
	}
	var p uint16
	fmt.Sscan(port, &p)
	return c.For(Target{Host: req.URL.Hostname(), Port: p, Check: CheckHTTPS})
}
