package endpoints

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	// Auth providers (oidc) as kubectl has them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// Kubeconfig is what a kubeconfig says about the cluster of one context.
type Kubeconfig struct {
	// Files are the kubeconfig files read (KUBECONFIG may name several, merged).
	Files   []string
	Context string
	// Master is the context's cluster server.
	Master HostPort
	// PrivateMaster is the private service endpoint of the same cluster when another cluster
	// entry of the kubeconfig names one (`ibmcloud ks cluster config --endpoint private` adds
	// it); empty when there is none or when Master is itself the private endpoint.
	PrivateMaster HostPort
	// PrivateCA is the certificate-authority data of the private endpoint's cluster entry.
	PrivateCA []byte
	// CA is the cluster's certificate-authority data (PEM), nil when the kubeconfig has none.
	CA []byte
	// REST is the client configuration kubectl would use: credentials, exec plugins and all.
	// It is never printed.
	REST *rest.Config
}

// MaxKubeconfigBytes caps each kubeconfig file fwcheck reads.
const MaxKubeconfigBytes = 16 << 20

// ErrNoKubeconfig means no kubeconfig was named and none exists at the default places.
var ErrNoKubeconfig = errors.New("no kubeconfig")

// LoadKubeconfig reads the kubeconfig the way kubectl does: path if given, else KUBECONFIG
// (several files merged), else ~/.kube/config; context if given, else the current one.
// Without an explicit path, finding no file at all is ErrNoKubeconfig.
func LoadKubeconfig(path, context string, getenv func(string) string) (*Kubeconfig, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kc := getenv("KUBECONFIG"); kc != "" {
		rules.Precedence = filepathList(kc)
	}
	if path != "" {
		rules.ExplicitPath = path
	}
	files := rules.GetLoadingPrecedence()
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fieldError("kubeconfig", "%q: %v", path, errors.Unwrap(err))
		}
		files = []string{path}
	}
	var existing []string
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			continue
		}
		if fi.Mode().IsRegular() && fi.Size() > MaxKubeconfigBytes || fi.IsDir() {
			return nil, quote.Errorf("kubeconfig %s is a directory or larger than %d MiB, the most fwcheck reads", f, MaxKubeconfigBytes>>20)
		}
		if !fi.Mode().IsRegular() {
			return nil, quote.Errorf("kubeconfig %s is not a regular file (a pipe or device): save it to a file first", f)
		}
		existing = append(existing, f)
	}
	if path == "" && len(existing) == 0 {
		return nil, ErrNoKubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, quote.Errorf("kubeconfig %s: %v", joinFiles(existing), err)
	}
	ctxName := raw.CurrentContext
	if context != "" {
		ctxName = context
	}
	if ctxName == "" {
		return nil, fieldError("context", "kubeconfig %s has no current context: name one", joinFiles(existing))
	}
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, quote.Errorf("kubeconfig %s, context %q: %v", joinFiles(existing), ctxName, err)
	}
	m, err := ParseMasterURL(rc.Host)
	if err != nil {
		return nil, quote.Errorf("kubeconfig %s, context %q: the cluster server %q is not an https://HOST:PORT URL", joinFiles(existing), ctxName, quote.Userinfo(rc.Host))
	}
	ca := rc.CAData
	if len(ca) == 0 && rc.CAFile != "" {
		if fi, serr := os.Stat(rc.CAFile); serr == nil && fi.Size() > MaxKubeconfigBytes {
			return nil, quote.Errorf("kubeconfig %s, context %q: certificate-authority %s is larger than %d MiB", joinFiles(existing), ctxName, rc.CAFile, MaxKubeconfigBytes>>20)
		}
		if ca, err = os.ReadFile(rc.CAFile); err != nil {
			return nil, quote.Errorf("kubeconfig %s, context %q: certificate-authority: %v", joinFiles(existing), ctxName, err)
		}
	}
	k := &Kubeconfig{Files: existing, Context: ctxName, Master: m, CA: ca, REST: rc}
	for _, name := range slices.Sorted(maps.Keys(raw.Clusters)) {
		if pm, err := ParseMasterURL(raw.Clusters[name].Server); err == nil && PrivateEndpointOf(m.Host, pm.Host) {
			k.PrivateMaster, k.PrivateCA = pm, raw.Clusters[name].CertificateAuthorityData
			break
		}
	}
	return k, nil
}

// PrivateEndpointOf says whether private is the private service endpoint of the cluster whose
// public service endpoint is public: c<N>[-e].<region> and c<N>.private.<region> or
// c<N>-private.<region> (FACTS.md 3.10), the same N and region.
func PrivateEndpointOf(public, private string) bool {
	pub := masterHostParts.FindStringSubmatch(strings.ToLower(strings.TrimSuffix(public, ".")))
	priv := masterHostParts.FindStringSubmatch(strings.ToLower(strings.TrimSuffix(private, ".")))
	return pub != nil && priv != nil && pub[2] == "" && priv[2] != "" && pub[1] == priv[1] && pub[3] == priv[3]
}

func filepathList(s string) []string {
	var out []string
	for _, f := range filepath.SplitList(s) {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func joinFiles(fs []string) string {
	if len(fs) == 0 {
		return "(none)"
	}
	s := fs[0]
	for _, f := range fs[1:] {
		s += ", " + f
	}
	return s
}
