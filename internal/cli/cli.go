package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/report"
)

// Set by the release build: -ldflags "-X main.version=v1.2.3 -X main.commit=abc123".
var (
	version = ""
	commit  = ""
)

// Exit codes: the contract scripts depend on.
const (
	ExitOK       = 0
	ExitMissing  = 1
	ExitBadInput = 2
)

// usageError is bad input: exit 2 with one line naming the input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// Run is the whole program behind main, with its I/O and environment passed in.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	code := ExitOK
	app := newApp(stdout, stderr, getenv, &code)
	if err := app.RunContext(ctx, args); err != nil {
		fmt.Fprintf(stderr, "fwcheck: %s\n", errorLine(err.Error()))
		return ExitBadInput
	}
	return code
}

// MaxErrorLine bounds the one line bad input gets: whatever was typed, it fits a terminal
// or two, and no URL's credentials survive in it.
const MaxErrorLine = 400

func errorLine(s string) string {
	s = quote.Userinfo(oneLine(s))
	if len(s) > MaxErrorLine {
		cut := MaxErrorLine
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func versionString() (v, c string) {
	v, c = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

func newApp(stdout, stderr io.Writer, getenv func(string) string, code *int) *cli.App {
	env := func(name string) []string {
		return []string{"FWCHECK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
	}
	app := &cli.App{
		Name:  "fwcheck",
		Usage: "prove which firewall openings an IBM Cloud Kubernetes Service cluster needs are in place",
		Description: "fwcheck dials every endpoint the IBM Cloud Kubernetes Service firewall page lists, in parallel,\n" +
			"says precisely what happened to each (open, refused, filtered, unreachable, dns-error, proxy-denied,\n" +
			"tls-intercepted, ...) and prints the missing openings as the firewall rules to request.\n\n" +
			"Exit codes: 0 every required opening verified; 1 at least one missing (or a warning with --strict);\n" +
			"2 the check could not run (bad flag, catalog, URL or region).",
		Writer:                 stdout,
		ErrWriter:              stderr,
		HideHelpCommand:        true,
		UseShortOptionHandling: false,
		ExitErrHandler:         func(*cli.Context, error) {}, // run decides the exit code
		OnUsageError: func(c *cli.Context, err error, isSub bool) error {
			return usageError{err}
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(stderr, "fwcheck: unknown command %q (run fwcheck --help)\n", name)
			*code = ExitBadInput
		},
	}
	check := func(p endpoints.Profile) cli.ActionFunc {
		return func(c *cli.Context) error {
			opts, err := optionsFrom(c, p, getenv)
			if err != nil {
				return err
			}
			*code, err = check(c.Context, opts, stdout, stderr)
			return err
		}
	}
	common := commonFlags(env)
	defer func() {
		// Bad flags are bad input on every command: one line on stderr, no help dump.
		var walk func([]*cli.Command)
		walk = func(cmds []*cli.Command) {
			for _, c := range cmds {
				c.OnUsageError = app.OnUsageError
				walk(c.Subcommands)
			}
		}
		walk(app.Commands)
	}()
	app.Commands = []*cli.Command{
		{
			Name:  "workstation",
			Usage: "check the openings bx, kubectl and calicoctl need from this machine",
			UsageText: "fwcheck workstation --master-url https://169.46.7.238:31142 --etcd-endpoint 169.46.7.238:31234\n" +
				"   fwcheck workstation --region us-south --proxy http://proxy.example.com:3128 -o junit=fwcheck.xml",
			Description: "Checks containers.bluemix.net:443 (GET /v1/ must show the ships banner), the master URL\n" +
				"(GET /version must answer JSON with gitVersion) and the etcd port on the master IP; with\n" +
				"--region, also TCP 443 to every master IP of the region.",
			Flags:  common,
			Action: check(endpoints.Workstation),
		},
		{
			Name:      "worker",
			Usage:     "check the outbound openings a worker node needs",
			UsageText: "fwcheck worker --region us-south [--location dal10] [--master-url URL] [--private] [--pvc]",
			Description: "Checks TCP 443 to every master IP of every location of the region, the master port on the\n" +
				"master IP, the global and regional registry, monitoring (443, 9095) and logging (443, 9091);\n" +
				"with --private the private network ranges on 80 and 443, with --pvc the storage ranges.",
			Flags: append(common,
				&cli.BoolFlag{Name: "private", Usage: "check the private-network ranges of the locations, dal01 and 161.26.0.0/16 (ports 80, 443)", EnvVars: env("private")},
				&cli.BoolFlag{Name: "pvc", Usage: "check the front-end and back-end storage ranges of the location and dal01 for PVCs", EnvVars: env("pvc")},
			),
			Action: check(endpoints.Worker),
		},
		{
			Name:      "inbound",
			Usage:     "check NodePort, LoadBalancer and Ingress from outside the cluster",
			UsageText: "fwcheck inbound --node-ip 169.47.70.20 --node-ip 169.47.70.21 --nodeport 30080 --lb 169.46.7.240:443 --ingress 169.46.7.241",
			Flags: append(common,
				&cli.StringSliceFlag{Name: "node-ip", Usage: "a worker node's public IP (repeatable)", EnvVars: env("node-ip")},
				&cli.StringSliceFlag{Name: "nodeport", Usage: "a NodePort to check on every --node-ip (repeatable)", EnvVars: env("nodeport")},
				&cli.StringSliceFlag{Name: "lb", Usage: "a LoadBalancer service as IP:PORT (repeatable)", EnvVars: env("lb")},
				&cli.StringSliceFlag{Name: "ingress", Usage: "an Ingress ALB IP, checked on 80 and 443 (repeatable)", EnvVars: env("ingress")},
			),
			Action: check(endpoints.Inbound),
		},
		{
			Name:      "probe",
			Usage:     "probe ad-hoc targets through the same engine and reports",
			ArgsUsage: "HOST:PORT|URL...",
			UsageText: "fwcheck probe 169.46.7.238:443 https://containers.bluemix.net/v1/ udp://169.46.7.238:30000 [::1]:8080",
			Description: "HOST:PORT is a TCP connect; a URL's scheme names the check: tcp://, udp://, tls://,\n" +
				"http:// and https:// (a GET: 2xx or 401 passes; a redirect or an error status fails).",
			Flags: append(common,
				&cli.StringFlag{Name: "targets-file", Usage: "read more targets from FILE, one a line (# starts a comment), as nmap -iL", EnvVars: env("targets-file")},
			),
			Action: check(endpoints.Adhoc),
		},
		catalogCommand(stdout, code),
		{
			Name:  "version",
			Usage: "print the version, commit and catalog edition",
			Action: func(c *cli.Context) error {
				v, cm := versionString()
				ed := "invalid"
				if cat, err := endpoints.Embedded(); err == nil {
					ed = cat.Edition
				}
				_, err := fmt.Fprintf(stdout, "fwcheck %s (commit %s), catalog edition %s\n", v, cm, ed)
				return err
			},
		},
	}
	return app
}

// isUsage reports whether err is bad input rather than a failed write.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// Outputs are listed in help from the registry, so help cannot drift from the code.
func outputUsage() string {
	return fmt.Sprintf("report FORMAT[=FILE], repeatable; formats: %s (default text to stdout)", strings.Join(report.Formats(), ", "))
}

// quoteValue quotes at most quote.Max characters of a value typed or read.
func quoteValue(s string) string { return quote.Value(s) }
