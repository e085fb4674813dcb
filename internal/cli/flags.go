package cli

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// Flag categories, as help lists them.
const (
	catCheck   = "What to check"
	catNetwork = "The network"
	catOutput  = "Output"
	catBehave  = "Behaviour"
)

// The check commands.
const (
	cmdWorkstation = "workstation"
	cmdWorker      = "worker"
	cmdInbound     = "inbound"
	cmdProbe       = "probe"
)

var allChecks = []string{cmdWorkstation, cmdWorker, cmdInbound, cmdProbe}

// flagDef is one flag and the commands it has an effect on. Every check command accepts every
// flag, so that FWCHECK_* variables exported for a whole CI job never break a step; a flag
// with no effect on a command is hidden from its help, and typed there draws a warning.
type flagDef struct {
	name string
	on   []string
	make func(hidden bool) cli.Flag
}

// envVar is the environment variable that also sets a flag.
func envVar(name string) string {
	return "FWCHECK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func envs(name string) []string { return []string{envVar(name)} }

// Usage strings put the value's placeholder in backquotes: help shows --region REGION.
var flagDefs = []flagDef{
	{"region", []string{cmdWorkstation, cmdWorker}, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "region", Category: catCheck, Hidden: h, EnvVars: envs("region"),
			Usage: "the cluster's `REGION` (" + strings.Join(regionNames(), ", ") + "); inferred from the master URL"}
	}},
	{"location", []string{cmdWorkstation, cmdWorker}, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "location", Category: catCheck, Hidden: h, EnvVars: envs("location"),
			Usage: "only this `LOCATION` of the region (repeatable), such as dal10"}
	}},
	{"master-url", []string{cmdWorkstation, cmdWorker}, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "master-url", Category: catCheck, Hidden: h, EnvVars: envs("master-url"),
			Usage: "the cluster's master `URL` (https://IP:PORT); read from the kubeconfig if not given"}
	}},
	{"etcd-endpoint", []string{cmdWorkstation, cmdWorker}, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "etcd-endpoint", Category: catCheck, Hidden: h, EnvVars: envs("etcd-endpoint"),
			Usage: "the etcd `HOST:PORT` (calico-config's etcd_endpoints); read through the API if not given (a worker: in a pod with a service account)"}
	}},
	{"kubeconfig", []string{cmdWorkstation, cmdWorker}, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "kubeconfig", Category: catCheck, Hidden: h, EnvVars: envs("kubeconfig"),
			Usage: "the kubeconfig `FILE` (default: KUBECONFIG, then ~/.kube/config)"}
	}},
	{"context", []string{cmdWorkstation, cmdWorker}, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "context", Category: catCheck, Hidden: h, EnvVars: envs("context"),
			Usage: "the kubeconfig `CONTEXT` (default: its current context)"}
	}},
	{"private", []string{cmdWorker}, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "private", Category: catCheck, Hidden: h, EnvVars: envs("private"),
			Usage: "also the private network: the locations' ranges, dal01, 161.26.0.0/16 (80, 443)"}
	}},
	{"pvc", []string{cmdWorker}, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "pvc", Category: catCheck, Hidden: h, EnvVars: envs("pvc"),
			Usage: "also the storage ranges for persistent volume claims"}
	}},
	{"sweep", []string{cmdWorker}, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "sweep", Category: catCheck, Hidden: h, EnvVars: envs("sweep"),
			Usage: "dial every address of a range (a handshake proves it) instead of leaving it unverified; it costs: " +
				"--private --pvc --sweep plans about 467,000 probes, up to 8 minutes where a firewall drops them (a dry run says the size)"}
	}},
	{"node-ip", []string{cmdInbound}, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "node-ip", Category: catCheck, Hidden: h, EnvVars: envs("node-ip"),
			Usage: "a worker node's public `IP` (repeatable)"}
	}},
	{"nodeport", []string{cmdInbound}, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "nodeport", Category: catCheck, Hidden: h, EnvVars: envs("nodeport"),
			Usage: "a NodePort `PORT` to check on every --node-ip (repeatable)"}
	}},
	{"lb", []string{cmdInbound}, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "lb", Category: catCheck, Hidden: h, EnvVars: envs("lb"),
			Usage: "a LoadBalancer service's `IP:PORT` (repeatable)"}
	}},
	{"ingress", []string{cmdInbound}, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "ingress", Category: catCheck, Hidden: h, EnvVars: envs("ingress"),
			Usage: "an Ingress ALB's `IP`, checked on 80 and 443 (repeatable)"}
	}},
	{"targets-file", []string{cmdProbe}, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "targets-file", Category: catCheck, Hidden: h, EnvVars: envs("targets-file"),
			Usage: "more targets from `FILE` (- for standard input), one a line, # comments (as nmap -iL; at most 64 MiB)"}
	}},
	{"skip", []string{cmdWorkstation, cmdWorker, cmdInbound}, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "skip", Category: catCheck, Hidden: h, EnvVars: envs("skip"),
			Usage: "leave out a `GROUP` (repeatable): " + strings.Join(endpoints.GroupNames, ", ")}
	}},
	{"edition", []string{cmdWorkstation, cmdWorker, cmdInbound}, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "edition", Category: catCheck, Hidden: h, EnvVars: envs("edition"),
			DefaultText: endpoints.DefaultEdition + ", or " + endpoints.CurrentEdition + " for a master URL of its form",
			Usage:       "the firewall page's `EDITION`: " + strings.Join(endpoints.Editions(), ", ") + " or current"}
	}},
	{"catalog", []string{cmdWorkstation, cmdWorker, cmdInbound}, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "catalog", Category: catCheck, Hidden: h, EnvVars: envs("catalog"),
			Usage: "a catalog `FILE` instead of the embedded one (see catalog export; at most 16 MiB)"}
	}},
	{"timeout", allChecks, func(h bool) cli.Flag {
		return &cli.DurationFlag{Name: "timeout", Category: catNetwork, Hidden: h, EnvVars: envs("timeout"), Value: probe.DefaultTimeout,
			Usage: "budget of one attempt of a probe, every phase included (`DURATION`, at least 10ms)"}
	}},
	{"retries", allChecks, func(h bool) cli.Flag {
		return &cli.IntFlag{Name: "retries", Category: catNetwork, Hidden: h, EnvVars: envs("retries"),
			Usage: "`N` more attempts for a probe that got no answer"}
	}},
	{"concurrency", allChecks, func(h bool) cli.Flag {
		return &cli.IntFlag{Name: "concurrency", Category: catNetwork, Hidden: h, EnvVars: envs("concurrency"),
			DefaultText: "what the fd limit allows, at most 1024", Usage: "`N` probes in flight"}
	}},
	{"proxy", allChecks, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "proxy", Category: catNetwork, Hidden: h, EnvVars: envs("proxy"),
			DefaultText: "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY",
			Usage:       "go through this proxy `URL` (http, https, socks5, socks5h)"}
	}},
	{"pac", allChecks, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "pac", Category: catNetwork, Hidden: h, EnvVars: envs("pac"),
			Usage: "pick proxies with this proxy auto-config file (`FILE|URL`), as browsers do"}
	}},
	{"no-proxy", allChecks, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "no-proxy", Category: catNetwork, Hidden: h, EnvVars: envs("no-proxy"),
			Usage: "dial everything directly, whatever the environment says"}
	}},
	{"resolve", allChecks, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "resolve", Category: catNetwork, Hidden: h, EnvVars: envs("resolve"),
			Usage: "send a name to an address, as curl's --resolve (`HOST:PORT:ADDR`, repeatable)"}
	}},
	{"source-ip", allChecks, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "source-ip", Category: catNetwork, Hidden: h, EnvVars: envs("source-ip"),
			Usage: "leave from this local `IP` (a worker's public or private interface)"}
	}},
	{"ca-file", allChecks, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "ca-file", Category: catNetwork, Hidden: h, EnvVars: envs("ca-file"),
			Usage: "PEM `FILE` of extra trusted roots (a TLS-inspecting proxy's CA)"}
	}},
	{"locate", allChecks, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "locate", Category: catNetwork, Hidden: h, EnvVars: envs("locate"),
			Usage: "name the last hop a dropped SYN passed (Linux; a few seconds more)"}
	}},
	{"output", allChecks, func(h bool) cli.Flag {
		return &cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Category: catOutput, Hidden: h, EnvVars: envs("output"),
			DefaultText: "text", Usage: "a report `FORMAT[=FILE]` (repeatable; FILE - is stdout): " + strings.Join(report.Formats(), ", ")}
	}},
	{"rules-chain", allChecks, func(h bool) cli.Flag { return rulesChainFlag(h) }},
	{"policy-namespace", allChecks, func(h bool) cli.Flag { return policyFlags(h)[0] }},
	{"calico-selector", allChecks, func(h bool) cli.Flag { return policyFlags(h)[1] }},
	{"calico-order", allChecks, func(h bool) cli.Flag { return policyFlags(h)[2] }},
	{"export-ca", allChecks, func(h bool) cli.Flag {
		return &cli.StringFlag{Name: "export-ca", Category: catOutput, Hidden: h, EnvVars: envs("export-ca"),
			Usage: "write an intercepting proxy's certificates to this PEM `FILE`"}
	}},
	{"no-color", allChecks, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "no-color", Category: catOutput, Hidden: h, EnvVars: envs("no-color"),
			Usage: "no colour (NO_COLOR, TERM=dumb and a pipe turn it off too)"}
	}},
	{"quiet", allChecks, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Category: catOutput, Hidden: h, EnvVars: envs("quiet"),
			Usage: "only what is missing, and the summary"}
	}},
	{"verbose", allChecks, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Category: catOutput, Hidden: h, EnvVars: envs("verbose"),
			Usage: "every probe and every opening, passing ones too (text lists 100 verified openings without it)"}
	}},
	{"strict", allChecks, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "strict", Category: catBehave, Hidden: h, EnvVars: envs("strict"),
			Usage: "warnings fail the run too"}
	}},
	{"wait", allChecks, func(h bool) cli.Flag {
		return &cli.DurationFlag{Name: "wait", Category: catBehave, Hidden: h, EnvVars: envs("wait"),
			Usage: "check again until every required opening is verified, for at most `DURATION` (a firewall change taking effect); the last run's report is written"}
	}},
	{"dry-run", allChecks, func(h bool) cli.Flag {
		return &cli.BoolFlag{Name: "dry-run", Category: catBehave, Hidden: h, EnvVars: envs("dry-run"),
			Usage: "print the openings, targets and rules; dial nothing"}
	}},
}

// flagsFor is a check command's flags: its own shown, the rest hidden.
func flagsFor(command string) []cli.Flag {
	out := make([]cli.Flag, 0, len(flagDefs))
	for _, d := range flagDefs {
		out = append(out, d.make(!slices.Contains(d.on, command)))
	}
	return out
}

// ineffective names the flags that have no effect on command.
func ineffective(command string) map[string]bool {
	m := map[string]bool{}
	for _, d := range flagDefs {
		if !slices.Contains(d.on, command) {
			m[d.name] = true
		}
	}
	return m
}

// regionNames lists the regions of every embedded edition, each name once.
func regionNames() []string {
	var names []string
	for _, ed := range endpoints.Editions() {
		if c, err := endpoints.EmbeddedEdition(ed); err == nil {
			for _, n := range c.RegionNames() {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	return names
}

// rulesChainFlag names the chain the firewall formats' rules join.
func rulesChainFlag(hidden bool) cli.Flag {
	return &cli.StringFlag{Name: "rules-chain", Category: catOutput, Hidden: hidden, EnvVars: envs("rules-chain"),
		Usage: "the `CHAIN` -o nftables and -o iptables/ip6tables rules join, in the format's own words: " +
			"'FAMILY TABLE CHAIN' for nftables (default '" + report.DefaultNftChain + "'), CHAIN or 'TABLE CHAIN' for iptables (default " +
			report.DefaultIptChain + " of table filter); OUTPUT for this machine's own firewall"}
}

// policyFlags shape -o networkpolicy and -o calico.
func policyFlags(hidden bool) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "policy-namespace", Category: catOutput, Hidden: hidden, EnvVars: envs("policy-namespace"), Value: report.DefaultPolicyNamespace,
			Usage: "the `NAMESPACE` of -o networkpolicy: its pods get the egress"},
		&cli.StringFlag{Name: "calico-selector", Category: catOutput, Hidden: hidden, EnvVars: envs("calico-selector"), Value: report.DefaultCalicoSelector,
			Usage: "the host endpoints -o calico's policy applies to (a Calico `SELECTOR`; the default is IBM's sample policies' for the workers' public interface)"},
		&cli.IntFlag{Name: "calico-order", Category: catOutput, Hidden: hidden, EnvVars: envs("calico-order"), Value: report.DefaultCalicoOrder,
			Usage: "the `ORDER` of -o calico's policy (IBM's allow-public-services sample uses 1800)"},
	}
}
