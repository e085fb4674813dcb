package run

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
)

// maxConfigMapBytes bounds what is read of the ConfigMap.
const maxConfigMapBytes = 1 << 20

// calicoConfigPath is the ConfigMap the page reads etcd_endpoints from.
const calicoConfigPath = "/api/v1/namespaces/kube-system/configmaps/calico-config"

// calicoEtcdEndpoints reads etcd_endpoints from the calico-config ConfigMap through the API
// server, with the kubeconfig's credentials, through the same proxy as every target, within
// ctx. Its errors say what failed in words a user can act on.
func calicoEtcdEndpoints(ctx context.Context, cfg *rest.Config, px *probe.ProxyConfig) (string, error) {
	c := rest.CopyConfig(cfg)
	if dl, ok := ctx.Deadline(); ok {
		c.Timeout = time.Until(dl)
	}
	if c.Proxy == nil && px != nil {
		c.Proxy = px.ForRequest
	}
	client, err := rest.HTTPClientFor(c)
	if err != nil {
		return "", fmt.Errorf("cannot build a client for the API server: %v", err)
	}
	u := strings.TrimSuffix(c.Host, "/") + calicoConfigPath
	host := quote.Userinfo(c.Host) // the server URL may carry user:password
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		state, detail := probe.Describe(err)
		return "", fmt.Errorf("the API server %s could not be reached (%s: %s)", host, state, detail)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxConfigMapBytes))
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
