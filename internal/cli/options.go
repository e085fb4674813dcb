package cli

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/net/http/httpproxy"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

func commonFlags(env func(string) []string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "region", Usage: "the cluster's region (ap-north, ap-south, eu-central, uk-south, us-east, us-south); inferred from the master IP when not given", EnvVars: env("region")},
		&cli.StringSliceFlag{Name: "location", Usage: "narrow to these locations of the region (repeatable)", EnvVars: env("location")},
		&cli.StringFlag{Name: "master-url", Usage: "the cluster's Master URL (https://IP:PORT, from 'bx cs cluster-get')", EnvVars: env("master-url")},
		&cli.StringFlag{Name: "kubeconfig", Usage: "kubeconfig to read the master URL, its CA and the etcd endpoints from (default KUBECONFIG, then ~/.kube/config)", EnvVars: env("kubeconfig")},
		&cli.StringFlag{Name: "context", Usage: "the kubeconfig context (default: its current context)", EnvVars: env("context")},
		&cli.StringSliceFlag{Name: "etcd-endpoint", Usage: "the etcd endpoint HOST:PORT (etcd_endpoints of the calico-config ConfigMap; repeatable)", EnvVars: env("etcd-endpoint")},
		&cli.StringFlag{Name: "catalog", Usage: "use this catalog file instead of the embedded one (the format of 'fwcheck catalog export')", EnvVars: env("catalog")},
		&cli.DurationFlag{Name: "timeout", Value: probe.DefaultTimeout, Usage: "per-probe budget for one attempt, every phase included (resolve, proxy, connect, TLS, HTTP)", EnvVars: env("timeout")},
		&cli.IntFlag{Name: "retries", Usage: "extra attempts for a probe that got no answer", EnvVars: env("retries")},
		&cli.IntFlag{Name: "concurrency", Usage: "probes in flight (default: as many as the fd limit safely allows, at most 1024)", EnvVars: env("concurrency")},
		&cli.StringFlag{Name: "proxy", Usage: "proxy URL (http://, https://, socks5://, socks5h://); default HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY from the environment", EnvVars: env("proxy")},
		&cli.BoolFlag{Name: "no-proxy", Usage: "dial everything directly, whatever the environment says", EnvVars: env("no-proxy")},
		&cli.StringSliceFlag{Name: "resolve", Usage: "HOST:PORT:ADDR: send HOST:PORT to ADDR, as curl's --resolve (repeatable)", EnvVars: env("resolve")},
		&cli.StringFlag{Name: "source-ip", Usage: "dial from this local address (a worker's public or private interface)", EnvVars: env("source-ip")},
		&cli.StringFlag{Name: "export-ca", Usage: "write the certificates an intercepting proxy presented (tls-intercepted) to this PEM file, to give to bx, kubectl and --ca-file", EnvVars: env("export-ca")},
		&cli.StringFlag{Name: "ca-file", Usage: "PEM file of extra trusted roots (a TLS-inspecting proxy's CA); SSL_CERT_FILE also works", EnvVars: env("ca-file")},
		&cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Usage: outputUsage(), EnvVars: env("output")},
		&cli.StringSliceFlag{Name: "skip", Usage: "leave a group out (repeatable): " + strings.Join(endpoints.GroupNames, ", "), EnvVars: env("skip")},
		&cli.BoolFlag{Name: "locate", Usage: "for each dropped TCP probe, sweep the SYN's TTL to name the last hop that passed it (Linux; a few seconds more)", EnvVars: env("locate")},
		&cli.BoolFlag{Name: "sweep", Usage: "dial every address of a documented range (verified if one answers) instead of reporting it unverified", EnvVars: env("sweep")},
		&cli.BoolFlag{Name: "strict", Usage: "warnings fail the run too", EnvVars: env("strict")},
		&cli.BoolFlag{Name: "dry-run", Usage: "print the openings and probe targets; dial nothing", EnvVars: env("dry-run")},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour (NO_COLOR and a non-terminal stdout also turn it off)", EnvVars: env("no-color")},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the missing openings and the summary", EnvVars: env("quiet")},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every probe, passing ones too", EnvVars: env("verbose")},
	}
}

// options is the command line as plain values, parsed and checked before anything is dialed.
type options struct {
	facts       endpoints.Facts
	catalogFile string
	exportCA    string
	kubeconfig  string
	kubeContext string
	outputs     []outputSpec
	probe       probe.Config
	proxy       *probe.ProxyConfig
	dryRun      bool
	strict      bool
	noColor     bool
	quiet       bool
	verbose     bool
	getenv      func(string) string
}

type outputSpec struct {
	format string
	file   string // empty: stdout
}

// optionsFrom reads the flags into options and rejects bad input (exit 2) naming the flag.
func optionsFrom(c *cli.Context, p endpoints.Profile, getenv func(string) string) (*options, error) {
	o := &options{getenv: getenv, catalogFile: c.String("catalog"), exportCA: c.String("export-ca"), kubeconfig: c.String("kubeconfig"), kubeContext: c.String("context"), dryRun: c.Bool("dry-run"),
		strict: c.Bool("strict"), noColor: c.Bool("no-color"), quiet: c.Bool("quiet"), verbose: c.Bool("verbose")}
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
			return nil, usageError{err}
		}
		f.Master = m
	}
	for _, s := range c.StringSlice("etcd-endpoint") {
		eps, err := endpoints.ParseEtcdEndpoints(s)
		if err != nil {
			return nil, usageError{err}
		}
		f.Etcd = append(f.Etcd, eps...)
	}
	for _, s := range c.StringSlice("node-ip") {
		hp, err := parseIP("--node-ip", s)
		if err != nil {
			return nil, err
		}
		f.NodeIPs = append(f.NodeIPs, hp)
	}
	for _, s := range c.StringSlice("nodeport") {
		port, err := endpoints.ParsePort(s)
		if err != nil {
			return nil, badInput("--nodeport: %v", err)
		}
		f.NodePorts = append(f.NodePorts, port)
	}
	for _, s := range c.StringSlice("lb") {
		hp, err := endpoints.ParseHostPort(s)
		if err != nil {
			return nil, badInput("--lb: %v", err)
		}
		f.LoadBalancers = append(f.LoadBalancers, hp)
	}
	for _, s := range c.StringSlice("ingress") {
		hp, err := parseIP("--ingress", s)
		if err != nil {
			return nil, err
		}
		f.Ingress = append(f.Ingress, hp)
	}
	if p == endpoints.Adhoc {
		for _, a := range c.Args().Slice() {
			if strings.HasPrefix(a, "-") {
				return nil, badInput("flag %s after the targets: flags go first (fwcheck probe [flags] TARGET...)", a)
			}
			t, err := endpoints.ParseProbeTarget(a)
			if err != nil {
				return nil, usageError{err}
			}
			f.Probes = append(f.Probes, t)
		}
		if file := c.String("targets-file"); file != "" {
			more, err := readTargetsFile(file)
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
		return nil, badInput("--timeout %s is too short to prove anything: give at least %s", cfg.Timeout, minTimeout)
	}
	cfg.Locate = c.Bool("locate")
	cfg.Retries = c.Int("retries")
	if cfg.Retries < 0 {
		return nil, badInput("--retries %d must be zero or more", cfg.Retries)
	}
	if c.IsSet("concurrency") {
		cfg.Concurrency = c.Int("concurrency")
		if cfg.Concurrency < 1 {
			return nil, badInput("--concurrency %d must be at least 1", cfg.Concurrency)
		}
		cfg.Concurrency = probe.SafeConcurrency(cfg.Concurrency)
	}
	for _, s := range c.StringSlice("resolve") {
		r, err := endpoints.ParseResolve(s)
		if err != nil {
			return nil, usageError{err}
		}
		cfg.Pins = append(cfg.Pins, probe.Pin{Host: r.Host, Port: r.Port, Addr: r.Addr})
	}
	if s := c.String("source-ip"); s != "" {
		src, err := sourceIP(s, &o.facts)
		if err != nil {
			return nil, err
		}
		cfg.SourceIP = src
	}
	if path := c.String("ca-file"); path != "" {
		data, err := readCapped(path, maxCAFileBytes)
		if err != nil {
			return nil, badInput("--ca-file: %v", err)
		}
		certs, err := probe.ParseCertificates(data)
		if err != nil {
			return nil, badInput("--ca-file %s: %v", quoteValue(path), err)
		}
		cfg.ExtraRoots = certs
	}
	px, err := proxyConfig(c, getenv)
	if err != nil {
		return nil, err
	}
	o.proxy, cfg.Proxy = px, px
	for _, s := range c.StringSlice("output") {
		spec, err := parseOutput(s)
		if err != nil {
			return nil, err
		}
		o.outputs = append(o.outputs, spec)
	}
	if len(o.outputs) == 0 {
		o.outputs = []outputSpec{{format: "text"}}
	}
	return o, nil
}

// minTimeout is the shortest --timeout that can still see a handshake complete.
const minTimeout = 10 * time.Millisecond

// sourceIP checks --source-ip before anything is dialed: an address of this machine, of the
// family of every IP literal the user typed (a name resolving to both families dials only
// the source's family; the others are reported skipped).
func sourceIP(s string, f *endpoints.Facts) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]"))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, badInput("--source-ip %s is not an IP address", quoteValue(s))
	}
	a = a.Unmap()
	local, err := probe.IsLocalAddr(a)
	if err != nil {
		return netip.Addr{}, badInput("--source-ip %s: cannot list this machine's addresses: %v", a, err)
	}
	if !local {
		return netip.Addr{}, badInput("--source-ip %s is not an address of this machine (see `ip addr`)", a)
	}
	var literals []endpoints.HostPort
	literals = append(literals, f.Master)
	literals = append(literals, f.Etcd...)
	literals = append(literals, f.NodeIPs...)
	literals = append(literals, f.LoadBalancers...)
	literals = append(literals, f.Ingress...)
	for _, t := range f.Probes {
		literals = append(literals, endpoints.HostPort{Host: t.Host, Addr: t.Addr, Port: t.Port})
	}
	for _, hp := range literals {
		if hp.Addr.IsValid() && hp.Addr.Is4() != a.Is4() {
			return netip.Addr{}, badInput("--source-ip %s cannot reach %s: one is IPv4, the other IPv6", a, hp.Addr)
		}
	}
	return a, nil
}

func parseIP(flag, s string) (endpoints.HostPort, error) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]"))
	if err != nil {
		return endpoints.HostPort{}, badInput("%s %s is not an IP address", flag, quoteValue(s))
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
func proxyConfig(c *cli.Context, getenv func(string) string) (*probe.ProxyConfig, error) {
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
	if s := c.String("proxy"); s != "" {
		if _, err := probe.ParseProxyURL(s); err != nil {
			return nil, badInput("--proxy: %v", err)
		}
		px.HTTP.HTTPSProxy, px.HTTP.HTTPProxy, px.All = s, s, ""
	}
	if err := px.Validate(); err != nil {
		return nil, badInput("%v (from --proxy or the *_PROXY environment; --no-proxy ignores them)", err)
	}
	return px, nil
}

// viaFor names the way one target goes: direct or the redacted proxy.
func (o *options) viaFor(t probe.Target) string {
	u, err := o.proxy.For(t)
	if err != nil {
		return probe.Direct
	}
	return probe.RedactURL(u)
}

// via names the proxy most targets go through, for the report header.
func (o *options) via() string {
	if o.proxy == nil || o.proxy.Direct {
		return probe.Direct
	}
	for _, s := range []string{o.proxy.HTTP.HTTPSProxy, o.proxy.All} {
		if s != "" {
			u, err := probe.ParseProxyURL(s)
			if err == nil {
				return probe.RedactURL(u)
			}
		}
	}
	return probe.Direct
}
