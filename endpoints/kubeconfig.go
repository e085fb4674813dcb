package endpoints

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	// Auth providers (oidc) as kubectl has them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/fwcheck/fwcheck/internal/boundedfile"
	"github.com/fwcheck/fwcheck/internal/quote"
)

// Kubeconfig is what a kubeconfig says about the cluster of one context.
type Kubeconfig struct {
	// Files are the kubeconfig files read (KUBECONFIG may name several, merged).
	Files   []string
	Context string
	// Cluster is the name of the context's cluster entry.
	Cluster string
	// Master is the context's cluster server.
	Master HostPort
	// PrivateMaster is the private service endpoint of the same cluster when another cluster
	// entry of the kubeconfig names one (`ibmcloud ks cluster config --endpoint private` adds
	// it); empty when there is none or when Master is itself the private endpoint.
	PrivateMaster HostPort
	// PrivateCA is the CA (PEM, at least one certificate) of the private endpoint's cluster
	// entry, from its data or its file; nil when the entry names none.
	PrivateCA []byte
	// CA is the cluster's CA (PEM, at least one certificate), from certificate-authority-data
	// or the certificate-authority file; nil only when the kubeconfig names none.
	CA []byte
	// REST is the client configuration kubectl would use: credentials, exec plugins and all.
	// It is never printed.
	REST *rest.Config
}

// MaxKubeconfigBytes caps each kubeconfig file fwcheck reads, and each CA file it names.
const MaxKubeconfigBytes = 16 << 20

// maxCredentialFileBytes caps a token file, client certificate or key a kubeconfig names:
// real ones are a few KiB.
const maxCredentialFileBytes = 1 << 20

// ErrNoKubeconfig means no kubeconfig was named and none exists at the default places (the
// error is a *NoKubeconfigError that says which).
var ErrNoKubeconfig = errors.New("no kubeconfig")

// NoKubeconfigError is ErrNoKubeconfig with the places looked at, for a message that says
// where.
type NoKubeconfigError struct{ Looked []string }

func (e *NoKubeconfigError) Error() string {
	return "no kubeconfig: none of " + strings.Join(e.Looked, ", ") + " exists"
}

func (e *NoKubeconfigError) Is(target error) bool { return target == ErrNoKubeconfig }

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
		if errors.Is(err, fs.ErrNotExist) {
			continue // kubectl skips a KUBECONFIG entry that does not exist, and so do we
		}
		if err != nil {
			// A symlink loop or a directory we may not read is not "no kubeconfig".
			return nil, quote.Errorf("kubeconfig %s: %v", f, boundedfile.PathError(err))
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
		return nil, &NoKubeconfigError{Looked: files}
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
	where := fmt.Sprintf("kubeconfig %s, context %s", joinFiles(existing), quote.Value(ctxName))
	// client-go opens and reads the files a kubeconfig names as it builds the client: check
	// them first, so that a FIFO cannot hold it and /dev/zero cannot fill memory.
	if err := checkNamedFiles(raw, ctxName, where); err != nil {
		return nil, err
	}
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, quote.Errorf("kubeconfig %s, context %q: %v", joinFiles(existing), ctxName, err)
	}
	m, err := ParseMasterURL(rc.Host)
	if err != nil {
		return nil, quote.Errorf("kubeconfig %s, context %q: the cluster server %q is not an https://HOST:PORT URL", joinFiles(existing), ctxName, quote.Userinfo(rc.Host))
	}
	clusterName := ""
	if c := raw.Contexts[ctxName]; c != nil {
		clusterName = c.Cluster
	}
	ca, err := clusterCA(rc.CAData, rc.CAFile, where+", cluster "+quote.Value(clusterName))
	if err != nil {
		return nil, err
	}
	k := &Kubeconfig{Files: existing, Context: ctxName, Cluster: clusterName, Master: m, CA: ca, REST: rc}
	for _, name := range slices.Sorted(maps.Keys(raw.Clusters)) {
		c := raw.Clusters[name]
		if pm, err := ParseMasterURL(c.Server); err == nil && PrivateEndpointOf(m.Host, pm.Host) {
			pca, err := clusterCA(c.CertificateAuthorityData, c.CertificateAuthority, fmt.Sprintf("kubeconfig %s, cluster %s", joinFiles(existing), quote.Value(name)))
			if err != nil {
				return nil, err
			}
			k.PrivateMaster, k.PrivateCA = pm, pca
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

// clusterCA is a cluster entry's CA: its inline data, else the file it names, which must hold
// at least one PEM certificate. Bad CA material is bad input, never a reason to check the
// master as `curl --insecure`: only an entry that names no CA at all gives nil.
func clusterCA(data []byte, file, where string) ([]byte, error) {
	field := "certificate-authority-data"
	if len(data) == 0 && file != "" {
		field = "certificate-authority " + file
		var err error
		if data, err = boundedfile.Read(file, MaxKubeconfigBytes); err != nil {
			return nil, fmt.Errorf("%s: certificate-authority: %v", where, err)
		}
	}
	if len(data) == 0 {
		return nil, nil
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate (%s): fix the kubeconfig, or fetch it again (ibmcloud ks cluster config)", where, quote.Value(field), pemWhat(data))
	}
	return data, nil
}

// pemWhat says what CA material holds instead of a certificate.
func pemWhat(data []byte) string {
	block, _ := pem.Decode(data)
	if block == nil {
		return "it is not PEM"
	}
	return "its PEM block is " + quote.Value(block.Type) + ", not a CERTIFICATE that parses"
}

// checkNamedFiles checks every file the context's cluster and user entries name: a regular
// file within its cap, or bad input naming the kubeconfig, the entry and the field.
func checkNamedFiles(raw clientcmdapi.Config, ctxName, where string) error {
	c := raw.Contexts[ctxName]
	if c == nil {
		return nil // client-go says the context does not exist
	}
	type named struct {
		entry, field, file string
		limit              int64
	}
	var files []named
	if cl := raw.Clusters[c.Cluster]; cl != nil {
		files = append(files, named{"cluster " + quote.Value(c.Cluster), "certificate-authority", cl.CertificateAuthority, MaxKubeconfigBytes})
	}
	if u := raw.AuthInfos[c.AuthInfo]; u != nil {
		user := "user " + quote.Value(c.AuthInfo)
		files = append(files,
			named{user, "client-certificate", u.ClientCertificate, maxCredentialFileBytes},
			named{user, "client-key", u.ClientKey, maxCredentialFileBytes},
			named{user, "tokenFile", u.TokenFile, maxCredentialFileBytes})
	}
	for _, f := range files {
		if f.file == "" {
			continue
		}
		if err := boundedfile.Check(f.file, f.limit); err != nil {
			return fmt.Errorf("%s, %s: %s: %v", where, f.entry, f.field, err)
		}
	}
	return nil
}
