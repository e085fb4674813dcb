package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/internal/wrap"
)

// examples are the two or three commands people run, shown under each command's help.
var examples = map[string]string{
	"": `fwcheck workstation --kubeconfig ~/.kube/config
fwcheck worker --region us-south -o junit=fwcheck.xml -o text
fwcheck probe 169.46.7.238:443 https://containers.bluemix.net/v1/ -o json`,
	cmdWorkstation: `fwcheck workstation --kubeconfig ~/.kube/config
fwcheck workstation --master-url https://169.46.7.238:31142 --etcd-endpoint 169.46.7.238:31234
fwcheck workstation --proxy http://proxy.example.com:3128 -o markdown=fwcheck.md`,
	cmdWorker: `fwcheck worker --region us-south -o junit=fwcheck.xml -o text
fwcheck worker --region us-south --location dal10 --private --pvc
fwcheck worker --master-url https://169.46.7.238:31142 --dry-run`,
	cmdInbound: `fwcheck inbound --node-ip 169.47.70.20 --nodeport 30080 --lb 169.46.7.240:443
fwcheck inbound --ingress 169.46.7.241 -o rules`,
	"nodes": `fwcheck nodes --image registry.example.com/fwcheck:v1 -o junit=nodes.xml
fwcheck nodes --image registry.example.com/fwcheck:v1 --dry-run
fwcheck nodes --rbac --rbac-user alice@example.com`,
	cmdProbe: `fwcheck probe 169.46.7.238:443 https://containers.bluemix.net/v1/ -o json
fwcheck probe --targets-file targets.txt --timeout 2s -o junit=probe.xml
fwcheck probe udp://169.46.7.238:30000 tls://[2001:db8::1]:443`,
}

const appHelp = `NAME:
   fwcheck - prove which firewall openings an IBM Cloud Kubernetes Service cluster needs are open

USAGE:
   fwcheck COMMAND [FLAGS] [ARGS]      (flags go before or after the arguments)

COMMANDS:
{{range .VisibleCommands}}   {{printf "%-13s" .Name}}{{.Usage}}
{{end}}
DESCRIPTION:
   fwcheck dials every endpoint the firewall page lists, in parallel, says precisely what
   happened to each (open, refused, filtered, unreachable, dns-error, proxy-denied, ...) and
   prints the missing openings as the firewall rules to request. Every flag also reads an
   environment variable: --region from FWCHECK_REGION, --dry-run from FWCHECK_DRY_RUN.

   Exit codes: 0 every required opening verified; 1 one missing (or a warning with --strict);
   2 bad input (nothing dialed); 130 and 143 interrupted (the partial report is written).

EXAMPLES:
` + "{{indentExamples \"\"}}" + `

Run 'fwcheck help COMMAND' (or 'fwcheck COMMAND --help') for a command's flags.
`

func commandHelp(name string) string {
	return `NAME:
   fwcheck {{.Name}} - {{.Usage}}

USAGE:
   {{.UsageText}}{{if .Description}}

DESCRIPTION:
{{wrapText .Description}}{{end}}
{{range flagGroups .VisibleFlags}}
{{upper .Name}}:
{{range .Flags}}{{.}}
{{end}}{{end}}
EXAMPLES:
` + fmt.Sprintf("{{indentExamples %q}}", name) + `
`
}

// subcommandHelp is the help of the catalog subcommands.
const subcommandHelp = `NAME:
   {{.HelpName}} - {{.Usage}}

USAGE:
   {{.UsageText}}
{{if .VisibleCommands}}
COMMANDS:
{{range .VisibleCommands}}   {{printf "%-10s" .Name}}{{.Usage}}
{{end}}{{end}}{{if .VisibleFlags}}
FLAGS:
{{range .VisibleFlags}}{{.}}
{{end}}{{end}}`

// urfavePrinter is the library's own template printer, which helpPrinter feeds.
var urfavePrinter = cli.HelpPrinterCustom

// urfave/cli keeps these in package variables: they are set once, here, and never again, so
// that apps built at once (concurrent /probe requests) share nothing they write.
func init() {
	cli.HelpPrinterCustom = helpPrinter
	cli.VersionPrinter = func(c *cli.Context) { printVersion(c.App.Writer) }
	cli.FlagStringer = flagString
	cli.VersionFlag = &sharedBool{cli.BoolFlag{Name: "version", Usage: "print the version, commit and catalog edition"}}
	cli.HelpFlag = &sharedBool{cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help", DisableDefaultText: true}}
}

// sharedBool is a BoolFlag that urfave's package variables (HelpFlag, VersionFlag) can hold
// while many apps run at once: BoolFlag.Apply writes to its flag, so each Apply uses a copy.
type sharedBool struct{ cli.BoolFlag }

func (f *sharedBool) Apply(set *flag.FlagSet) error {
	own := f.BoolFlag
	return own.Apply(set)
}

// helpPrinter renders help with the functions the templates above use.
func helpPrinter(w io.Writer, tmpl string, data any, fns map[string]any) {
	if fns == nil {
		fns = map[string]any{}
	}
	fns["upper"] = strings.ToUpper
	fns["flagGroups"] = flagGroups
	fns["wrapText"] = func(text string) string { return wrapHelp("", text, helpIndent) }
	fns["indentExamples"] = func(name string) string {
		return "   " + strings.ReplaceAll(examples[name], "\n", "\n   ")
	}
	urfavePrinter(w, tmpl, data, fns)
}

// Help lines: the flag in a column, then its usage wrapped under 100 columns.
const (
	helpIndent = 3
	helpColumn = 34
	helpWidth  = 98
)

// flagString is one flag's help: names with the value's placeholder, usage, one default.
func flagString(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return fmt.Sprint(f)
	}
	placeholder, usage := unquoteUsage(df.GetUsage())
	var names []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			names = append(names, "-"+n)
		} else {
			names = append(names, "--"+n)
		}
	}
	// Long name first, as people type it: --output, -o.
	if len(names) > 1 && len(names[0]) == 2 {
		names = append(names[1:], names[0])
	}
	head := strings.Join(names, ", ")
	if df.TakesValue() && placeholder != "" {
		head = names[0] + " " + placeholder
		if len(names) > 1 {
			head += ", " + strings.Join(names[1:], ", ")
		}
	}
	if d := df.GetDefaultText(); df.TakesValue() && d != "" && d != `""` && d != "0" && d != "[]" {
		usage += " (default: " + d + ")"
	}
	return wrapHelp(strings.Repeat(" ", helpIndent)+head, usage, helpColumn)
}

// unquoteUsage finds the `PLACEHOLDER` in a usage string and takes its backquotes off.
func unquoteUsage(usage string) (placeholder, text string) {
	i := strings.IndexByte(usage, '`')
	if i < 0 {
		return "", usage
	}
	j := strings.IndexByte(usage[i+1:], '`')
	if j < 0 {
		return "", usage
	}
	placeholder = usage[i+1 : i+1+j]
	return placeholder, usage[:i] + placeholder + usage[i+2+j:]
}

// flagGroup is one category of flags, for help.
type flagGroup struct {
	Name  string
	Flags []cli.Flag
}

// flagGroups puts flags in their categories, in the order a reader needs them.
func flagGroups(flags []cli.Flag) []flagGroup {
	var out []flagGroup
	for _, cat := range []string{catCheck, catNetwork, catOutput, catBehave, ""} {
		g := flagGroup{Name: cat}
		for _, f := range flags {
			if cf, ok := f.(cli.CategorizableFlag); ok && cf.GetCategory() == cat {
				g.Flags = append(g.Flags, f)
			}
		}
		if len(g.Flags) > 0 {
			if g.Name == "" {
				g.Name = "Other"
			}
			out = append(out, g)
		}
	}
	return out
}

// wrapHelp puts text beside head at column, wrapped at helpWidth.
func wrapHelp(head, text string, column int) string {
	var b strings.Builder
	b.WriteString(head)
	if n := wrap.Width(head); n >= column-1 && head != "" {
		b.WriteString("\n" + strings.Repeat(" ", column))
	} else {
		b.WriteString(strings.Repeat(" ", column-n))
	}
	wrap.Words(&b, text, column, column, helpWidth)
	return b.String()
}

func newApp(ses session, notFound func()) *cli.App {
	stderr := ses.stderr
	v, c := versionString()
	app := &cli.App{
		Name:                  "fwcheck",
		Usage:                 "prove which firewall openings an IBM Cloud Kubernetes Service cluster needs are open",
		Version:               v + " (commit " + c + ")",
		Writer:                ses.stdout,
		ErrWriter:             stderr,
		CustomAppHelpTemplate: appHelp,
		HideHelpCommand:       false,
		ExitErrHandler:        func(*cli.Context, error) {}, // Run decides the exit code
		CommandNotFound: func(c *cli.Context, name string) {
			// A subcommand (catalog's) points to its command's help, as kubectl does.
			names, help, what := commandNames(c.App), "fwcheck help", "command"
			if cmd := c.Command; cmd != nil && len(cmd.Subcommands) > 0 && cmd.Name != "" && cmd.Name != c.App.Name {
				names, help, what = nil, "fwcheck "+cmd.Name+" --help", cmd.Name+" subcommand"
				for _, sub := range cmd.Subcommands {
					names = append(names, sub.Name)
				}
			}
			msg := fmt.Sprintf("unknown %s %s", what, quote.Value(name))
			if s := suggest(name, names); s != "" {
				msg += "; did you mean " + s + "?"
			} else {
				msg += " (run " + help + ")"
			}
			fmt.Fprintf(stderr, "fwcheck: %s\n", msg)
			notFound()
		},
	}
	app.Commands = []*cli.Command{
		checkCommand(ses, cmdWorkstation, endpoints.Workstation,
			"check the openings the IBM Cloud CLI, kubectl and calicoctl need from here",
			"fwcheck workstation [--kubeconfig FILE | --master-url URL --etcd-endpoint HOST:PORT] [FLAGS]",
			"Checks containers.bluemix.net:443 (GET /v1/ must show the ships banner), the master URL "+
				"(GET /version must answer JSON with gitVersion) and the etcd port on the master IP; with "+
				"--region, also TCP 443 to every master IP of the region."),
		checkCommand(ses, cmdWorker, endpoints.Worker,
			"check the outbound openings a worker node needs",
			"fwcheck worker --region REGION [--location LOCATION]... [--private] [--pvc] [FLAGS]",
			"Checks TCP 443 to every master IP of every location of the region, the master port on the "+
				"master IP, the global and regional registry, monitoring (443, 9095) and logging (443, 9091); "+
				"with --private the private network ranges on 80 and 443, with --pvc the storage ranges."),
		checkCommand(ses, cmdInbound, endpoints.Inbound,
			"check NodePort, LoadBalancer and Ingress from outside the cluster",
			"fwcheck inbound [--node-ip IP... --nodeport PORT...] [--lb IP:PORT]... [--ingress IP]... [FLAGS]",
			"Checks every NodePort on every worker IP, each LoadBalancer, and each Ingress ALB on 80 and 443."),
		checkCommand(ses, cmdProbe, endpoints.Adhoc,
			"probe ad-hoc targets through the same engine and reports",
			"fwcheck probe [FLAGS] HOST:PORT|URL... [FLAGS]",
			"HOST:PORT is a TCP connect; a URL's scheme names the check: tcp://, udp://, tls://, "+
				"http:// and https:// (a GET: 2xx or 401 passes; a redirect or an error status fails)."),
		nodesCommand(ses),
		mergeCommand(ses),
		diffCommand(ses),
		serveCommand(ses),
		catalogCommand(ses),
		completionCommand(ses.stdout),
		versionCommand(ses),
	}
	// Bad flags are bad input on every command: one line on stderr, no help dump.
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.OnUsageError = usageErrorFor(c)
			c.HideHelpCommand = true
			if c.CustomHelpTemplate == "" {
				c.CustomHelpTemplate = subcommandHelp
			}
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
	app.OnUsageError = usageErrorFor(nil)
	return app
}

func commandNames(app *cli.App) []string {
	var names []string
	for _, c := range app.Commands {
		names = append(names, c.Name)
	}
	return append(names, "help")
}

var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reBadValue  = regexp.MustCompile(`^invalid value "(.*)" for flag -+([\w-]+): (.*)$`)
	reNoValue   = regexp.MustCompile(`^flag needs an argument: -+([\w-]+)$`)
)

// usageErrorFor translates the flag parser's errors into the user's words, with a suggestion
// for a mistyped flag.
func usageErrorFor(cmd *cli.Command) cli.OnUsageErrorFunc {
	return func(c *cli.Context, err error, _ bool) error {
		msg := err.Error()
		switch m := (struct{ u, b, n []string }{reUndefined.FindStringSubmatch(msg), reBadValue.FindStringSubmatch(msg), reNoValue.FindStringSubmatch(msg)}); {
		case m.u != nil:
			name := m.u[1]
			msg = "unknown flag " + dashes(name)
			if s := suggest(name, flagNames(cmd)); s != "" {
				msg += "; did you mean " + dashes(s) + "?"
			} else if cmd != nil {
				msg += " (run fwcheck " + cmd.Name + " --help for its flags)"
			} else {
				msg += " (run fwcheck --help for its flags)"
			}
		case m.b != nil:
			msg = dashes(m.b[2]) + " " + quote.Value(m.b[1]) + ": " + valueHint(flagKind(cmd, m.b[2]), m.b[1])
		case m.n != nil:
			msg = dashes(m.n[1]) + " needs a value"
		}
		return usageError{errors.New(msg)}
	}
}

func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func flagNames(cmd *cli.Command) []string {
	if cmd == nil {
		return nil
	}
	var out []string
	for _, f := range cmd.Flags {
		out = append(out, f.Names()...)
	}
	return out
}

// flagKind names the kind of value a flag takes, for valueHint.
func flagKind(cmd *cli.Command, name string) string {
	if cmd == nil {
		return ""
	}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			switch f.(type) {
			case *cli.DurationFlag:
				return "duration"
			case *cli.IntFlag:
				return "int"
			case *cli.BoolFlag:
				return "bool"
			}
		}
	}
	return "value"
}
