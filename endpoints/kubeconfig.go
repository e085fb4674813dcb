package endpoints

import (
	"errors"
	"os"
	"path/filepath"

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
	return &Kubeconfig{Files: existing, Context: ctxName, Master: m, CA: ca, REST: rc}, nil
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
