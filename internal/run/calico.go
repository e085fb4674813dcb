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

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
)

// maxConfigMapBytes bounds what is read of the ConfigMap.
const maxConfigMapBytes = 1 << 20

// configMapKey is where a page says the etcd endpoint is: a key of a kube-system ConfigMap.
type configMapKey struct {
	name, key string
	parse     func(string) ([]endpoints.HostPort, error)
}

func (c configMapKey) path() string { return "/api/v1/namespaces/kube-system/configmaps/" + c.name }

var (
	// The 2018 page: calico-config's etcd_endpoints, a list of URLs.
	calicoConfig = configMapKey{"calico-config", "etcd_endpoints", endpoints.ParseEtcdEndpoints}
	// The current page: cluster-info's etcd_host. Its form is unsure (FACTS.md 3.10): a host,
	// host:port or a URL are all accepted; a bare host names no port.
	clusterInfo = configMapKey{"cluster-info", "etcd_host", parseEtcdHost}
)

func parseEtcdHost(s string) ([]endpoints.HostPort, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") && !strings.Contains(s, ":") {
		return nil, fmt.Errorf("%s names no port", quote.Value(s))
	}
	return endpoints.ParseEtcdEndpoints(s)
}

// readConfigMapKey reads a key of a kube-system ConfigMap through the API server, with the
// kubeconfig's credentials, through the same proxy as every target, within ctx. Its errors
// say what failed in words a user can act on.
func readConfigMapKey(ctx context.Context, cfg *rest.Config, px *probe.ProxyConfig, cm configMapKey) (string, error) {
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
	u := strings.TrimSuffix(c.Host, "/") + cm.path()
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
		return "", fmt.Errorf("the ConfigMap kube-system/%s does not exist on %s", cm.name, host)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("the API server %s refused to read kube-system/%s (%s): check the kubeconfig's credentials", host, cm.name, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("the API server %s answered %s for kube-system/%s", host, resp.Status, cm.name)
	}
	var doc struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("the answer for kube-system/%s is not a ConfigMap: %v", cm.name, err)
	}
	eps := strings.TrimSpace(doc.Data[cm.key])
	if eps == "" {
		return "", fmt.Errorf("the ConfigMap kube-system/%s has no %s", cm.name, cm.key)
	}
	return eps, nil
}
