package run

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/fwcheck/fwcheck/internal/boundedfile"
	"github.com/fwcheck/fwcheck/internal/quote"
)

// ServiceAccountDir is where the kubelet mounts a pod's service account token and CA.
const ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// maxTokenBytes bounds the token read; a projected token is about 1 KiB.
const maxTokenBytes = 64 << 10

// inClusterConfig is the API server as a pod sees it: KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT, which the kubelet sets, and the token and CA it mounts in dir. ok is
// false outside a pod and in a pod with no token (the Jobs of `fwcheck nodes` mount none). The
// mounted files are read as any file another program hands fwcheck: regular, bounded.
// client-go's rest.InClusterConfig does the same without the bounds, and from a fixed path.
func inClusterConfig(getenv func(string) string, dir string) (cfg *rest.Config, ok bool, err error) {
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, false, nil
	}
	tokenFile := filepath.Join(dir, "token")
	if _, err := os.Lstat(tokenFile); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	token, err := boundedfile.Read(tokenFile, maxTokenBytes)
	if err != nil {
		return nil, true, fmt.Errorf("the pod's service account token: %v", err)
	}
	if t := strings.TrimSpace(string(token)); t == "" || strings.ContainsFunc(t, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return nil, true, fmt.Errorf("the pod's service account token %s is not a token", tokenFile)
	}
	caFile := filepath.Join(dir, "ca.crt")
	ca, err := boundedfile.Read(caFile, maxConfigMapBytes)
	if err != nil {
		return nil, true, fmt.Errorf("the pod's service account CA: %v", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(ca) {
		return nil, true, fmt.Errorf("the pod's service account CA %s holds no PEM certificate", caFile)
	}
	if strings.ContainsAny(host+port, "/?#@ ") {
		return nil, true, fmt.Errorf("KUBERNETES_SERVICE_HOST and _PORT %s name no address", quote.Value(host+":"+port))
	}
	return &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		BearerToken:     strings.TrimSpace(string(token)),
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
	}, true, nil
}
