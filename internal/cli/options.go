package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/net/http/httpproxy"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/boundedfile"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// options is the command line as plain values, parsed and checked before anything is dialed.
type options struct {
	facts       endpoints.Facts
	catalogFile string
	exportCA    string
	kubeconfig  string
	kubeContext string
	probe       probe.Config
	proxy       *probe.ProxyConfig
	dryRun      bool
	wait        time.Duration // --wait: check again until verified, at most this long
	edition     string
	pac         string // --pac: the PAC file the run reads or fetches
	machine     machine
	// findings are what the settings themselves showed wrong (a system PAC file that cannot
	// be fetched), reported with the run's own.
	findings []report.Finding
	// typed are the flags given on the command line (the rest came from FWCHECK_*).
	typed map[string]bool
	outputOptions
}

// outputOptions are how a finished report is written: the formats and where (text on stdout
// when none), colour, verbosity, --strict, and the firewall formats' shape. A check command
// has them in its options; merge and nodes, which write a report they did not run, have only
// these.
type outputOptions struct {
	outputs    []outputSpec
	noColor    bool
	quiet      bool
	verbose    bool
	strict     bool
	rulesChain string         // --rules-chain, for the firewall formats
	policy     report.Options // --policy-namespace, --calico-selector, --calico-order
	getenv     func(string) string
}

type outputSpec struct {
	format string
	file   string // empty: stdout
}

// optionsFrom reads the flags into options and rejects bad input (exit 2) naming the flag.
func optionsFrom(c *cli.Context, p endpoints.Profile, ses session) (*options, error) {
	getenv := ses.getenv
	o := &options{typed: *ses.typed, machine: ses.machine, edition: c.String("edition"), catalogFile: c.String("catalog"), exportCA: c.String("export-ca"), kubeconfig: c.String("kubeconfig"), kubeContext: c.String("context"), dryRun: c.Bool("dry-run"),
		outputOptions: outputOptions{getenv: getenv, strict: c.Bool("strict"), noColor: c.Bool("no-color"), quiet: c.Bool("quiet"), verbose: c.Bool("verbose"), rulesChain: c.String("rules-chain"), policy: policyOptions(c)}}
	f := &o.facts
	f.Profile = p
	f.Region = c.String("region")
	f.Locations = c.StringSlice("location")
	f.Skip = c.StringSlice("skip")
	f.Sweep = c.Bool("sweep")
	f.Private, f.PVC = c.Bool("private"), c.Bool("pvc")

	if s := c.String("master-url"); s != "" {
		m, err := endpoints.ParseMasterURL(s)
		if err != nil {
			return nil, o.inputError(err)
		}
		f.Master = m
	}
	for _, s := range c.StringSlice("etcd-endpoint") {
		eps, err := endpoints.ParseEtcdEndpoints(s)
		if err != nil {
			return nil, o.inputError(err)
		}
		f.Etcd = append(f.Etcd, eps...)
	}
	for _, s := range c.StringSlice("node-ip") {
		hp, err := o.parseIP("node-ip", s)
		if err != nil {
			return nil, err
		}
		f.NodeIPs = append(f.NodeIPs, hp)
	}
	for _, s := range c.StringSlice("nodeport") {
		port, err := endpoints.ParsePort(s)
		if err != nil {
			return nil, o.bad("nodeport", "%v", err)
		}
		f.NodePorts = append(f.NodePorts, port)
	}
	for _, s := range c.StringSlice("lb") {
		hp, err := endpoints.ParseHostPort(s)
		if err != nil {
			return nil, o.bad("lb", "%v", err)
		}
		f.LoadBalancers = append(f.LoadBalancers, hp)
	}
	for _, s := range c.StringSlice("ingress") {
		hp, err := o.parseIP("ingress", s)
		if err != nil {
			return nil, err
		}
		f.Ingress = append(f.Ingress, hp)
	}
	if p == endpoints.Adhoc {
		for _, a := range c.Args().Slice() {
			if _, err := endpoints.ParseProbeTarget(a); err != nil {
				return nil, usageError{err}
			}
			f.Probes = append(f.Probes, a)
		}
		if file := c.String("targets-file"); file != "" {
			more, err := readTargetsFile(file, ses.machine.stdin)
			if err != nil {
				return nil, err
			}
			f.Probes = append(f.Probes, more...)
		}
	} else if c.Args().Present() {
		return nil, badInput("%s takes no arguments, got %s (flags go before or after, as --name value)", p, quoteValue(c.Args().First()))
	}

	cfg := &o.probe
	cfg.Timeout = c.Duration("timeout")
	if cfg.Timeout < minTimeout {
		// Below this, a listening TLS port reads as filtered: the budget, not the path, ends it.
		return nil, o.bad("timeout", "%s is too short to prove anything: give at least %s", cfg.Timeout, minTimeout)
	}
	if o.wait = c.Duration("wait"); o.wait < 0 {
		return nil, o.bad("wait", "%s must be zero or more", o.wait)
	}
	cfg.Locate = c.Bool("locate")
	cfg.Retries = c.Int("retries")
	if cfg.Retries < 0 {
		return nil, o.bad("retries", "%d must be zero or more", cfg.Retries)
	}
	if c.IsSet("concurrency") {
		cfg.Concurrency = c.Int("concurrency")
		if cfg.Concurrency < 1 {
			return nil, o.bad("concurrency", "%d must be at least 1", cfg.Concurrency)
		}
		cfg.Concurrency = probe.SafeConcurrency(cfg.Concurrency)
	}
	for _, s := range c.StringSlice("resolve") {
		r, err := endpoints.ParseResolve(s)
		if err != nil {
			return nil, o.inputError(err)
		}
		cfg.Pins = append(cfg.Pins, probe.Pin{Host: r.Host, Port: r.Port, Addr: r.Addr})
	}
	if s := c.String("source-ip"); s != "" {
		src, err := o.sourceIP(s)
		if err != nil {
			return nil, err
		}
		cfg.SourceIP = src
	}
	if path := c.String("ca-file"); path != "" {
		data, err := readCapped(path, maxCAFileBytes)
		if err != nil {
			return nil, o.bad("ca-file", "%v", err)
		}
		certs, err := probe.ParseCertificates(data)
		if err != nil {
			return nil, o.bad("ca-file", "%s: %v", quoteValue(path), err)
		}
		cfg.ExtraRoots = certs
	}
	// Go's x509 reads SSL_CERT_FILE whole when the system roots are first needed: a FIFO
	// there would hold every TLS probe, /dev/zero fill memory.
	if f := getenv("SSL_CERT_FILE"); f != "" {
		if err := boundedfile.Check(f, maxCAFileBytes); err != nil {
			return nil, badInput("SSL_CERT_FILE: %v", err)
		}
	}
	px, err := o.proxyConfig(c, getenv)
	if err != nil {
		return nil, err
	}
	o.proxy, cfg.Proxy = px, px
	if o.outputs, err = outputFlags(c); err != nil {
		return nil, err
	}
	return o, nil
}

// outputFlags are the -o specs, text when there is none.
func outputFlags(c *cli.Context) ([]outputSpec, error) {
	var out []outputSpec
	for _, s := range c.StringSlice("output") {
		spec, err := parseOutput(s)
		if err != nil {
			return nil, err
		}
		out = append(out, spec)
	}
	if len(out) == 0 {
		out = []outputSpec{{format: "text"}}
	}
	return out, nil
}

// minTimeout is the shortest --timeout that can still see a handshake complete.
const minTimeout = 10 * time.Millisecond

// sourceIP checks --source-ip before anything is dialed: an address of this machine, of the
// family of every IP literal the user typed (a name resolving to both families dials only
// the source's family; the others are reported skipped).
func (o *options) sourceIP(s string) (netip.Addr, error) {
	f := &o.facts
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]"))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, o.bad("source-ip", "%s is not an IP address", quoteValue(s))
	}
	a = a.Unmap()
	local, err := probe.IsLocalAddr(a)
	if err != nil {
		return netip.Addr{}, o.bad("source-ip", "%s: cannot list this machine's addresses: %v", a, err)
	}
	if !local {
		return netip.Addr{}, o.bad("source-ip", "%s is not an address of this machine (see `ip addr`)", a)
	}
	var literals []endpoints.HostPort
	literals = append(literals, f.Master)
	literals = append(literals, f.Etcd...)
	literals = append(literals, f.NodeIPs...)
	literals = append(literals, f.LoadBalancers...)
	literals = append(literals, f.Ingress...)
	for _, s := range f.Probes {
		if t, err := endpoints.ParseProbeTarget(s); err == nil {
			literals = append(literals, endpoints.HostPort{Host: t.Host, Addr: t.Addr, Port: t.Port})
		}
	}
	for _, hp := range literals {
		if hp.Addr.IsValid() && hp.Addr.Is4() != a.Is4() {
			return netip.Addr{}, o.bad("source-ip", "%s cannot reach %s: one is IPv4, the other IPv6", a, hp.Addr)
		}
	}
	return a, nil
}

func (o *options) parseIP(flag, s string) (endpoints.HostPort, error) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]"))
	if err != nil {
		return endpoints.HostPort{}, o.bad(flag, "%s is not an IP address", quoteValue(s))
	}
	return endpoints.HostPort{Host: a.Unmap().String(), Addr: a.Unmap()}, nil
}

func parseOutput(s string) (outputSpec, error) {
	format, file, _ := strings.Cut(s, "=")
	format = strings.ToLower(strings.TrimSpace(format))
	if !slices.Contains(report.Formats(), format) {
		return outputSpec{}, badInput("-o %s: unknown format %s (valid: %s)", quoteValue(s), quoteValue(format), strings.Join(report.Formats(), ", "))
	}
	if strings.Contains(s, "=") && file == "" {
		return outputSpec{}, badInput("-o %s: no file after =", quoteValue(s))
	}
	return outputSpec{format: format, file: file}, nil
}

// proxyConfig reads the proxy the way curl and Go do: --proxy or --no-proxy, else
// HTTPS_PROXY/HTTP_PROXY/NO_PROXY (either case) and ALL_PROXY from the environment.
func (o *options) proxyConfig(c *cli.Context, getenv func(string) string) (*probe.ProxyConfig, error) {
	either := func(name string) string {
		if v := getenv(strings.ToUpper(name)); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	px := &probe.ProxyConfig{Direct: c.Bool("no-proxy")}
	px.HTTP = httpproxy.Config{
		HTTPSProxy: either("https_proxy"),
		HTTPProxy:  either("http_proxy"),
		NoProxy:    either("no_proxy"),
	}
	px.All = either("all_proxy")
	if px.HTTP.HTTPSProxy != "" || px.HTTP.HTTPProxy != "" || px.All != "" {
		px.Source = "env"
	}
	// Where the proxy comes from, first that applies: --proxy or --no-proxy, --pac, the
	// environment (the system's settings are read only on Windows and macOS).
	if s := c.String("proxy"); s != "" {
		if _, err := probe.ParseProxyURL(s); err != nil {
			return nil, o.bad("proxy", "%v", err)
		}
		px.HTTP.HTTPSProxy, px.HTTP.HTTPProxy, px.All = s, s, ""
		px.Source = "flag"
	} else if where := c.String("pac"); where != "" && !px.Direct {
		// Read (or fetched) as a step of the run, not here: parsing does no I/O.
		o.pac = where
	}
	// Proxy authentication after a 407: credentials for proxies whose URL carries none, and the
	// Kerberos ticket cache for Negotiate (gokrb5 reads FILE: caches; MIT's default is one).
	px.Auth = probe.ProxyAuth{User: getenv("FWCHECK_PROXY_USER"), Password: getenv("FWCHECK_PROXY_PASSWORD"),
		Krb5Conf: getenv("KRB5_CONFIG"), CCache: getenv("KRB5CCNAME")}
	if px.Auth.CCache == "" {
		if f := fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid()); fileExists(f) {
			px.Auth.CCache = "FILE:" + f
		}
	}
	if err := px.Validate(); err != nil {
		return nil, badInput("%v (from --proxy or the *_PROXY environment; --no-proxy ignores them)", err)
	}
	return px, nil
}

// src names where a flag's value came from: the flag when it was typed, else its variable.
func (o *options) src(name string) string {
	if o.typed[name] || name == "output" && o.typed["o"] || o.getenv(envVar(name)) == "" {
		return "--" + name
	}
	return envVar(name)
}

// bad is bad input in one flag's value, named as the user gave it.
func (o *options) bad(name, format string, args ...any) error {
	return usageError{fmt.Errorf(o.src(name)+" "+format, args...)}
}

// inputError is bad input found past the flags (endpoints, the run), in the words of the flag
// or variable that gave it.
func (o *options) inputError(err error) error {
	var fe *endpoints.FieldError
	var lr *endpoints.LocationAsRegionError
	switch {
	case errors.As(err, &lr):
		return usageError{fmt.Errorf("%s %s is a location of %s: --region %s --location %s", o.src("region"), lr.Location, lr.Region, lr.Region, lr.Location)}
	case errors.As(err, &fe):
		var names []string
		for _, n := range strings.Split(fe.Field, ",") {
			names = append(names, o.src(n))
		}
		return usageError{fmt.Errorf("%s: %w", strings.Join(names, ", "), fe.Err)}
	}
	return usageError{err}
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// policyOptions are the policy formats' flags.
func policyOptions(c *cli.Context) report.Options {
	return report.Options{PolicyNamespace: c.String("policy-namespace"), CalicoSelector: c.String("calico-selector"), CalicoOrder: c.Int("calico-order")}
}
