package cli

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/report"
)

// maxReportBytes caps a JSON report fwcheck merge reads.
const maxReportBytes = 64 << 20

func mergeCommand(ses session) *cli.Command {
	stdout, stderr, getenv := ses.stdout, ses.stderr, ses.getenv
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge -o json reports from several machines into one (a node × opening matrix)",
		UsageText: "fwcheck merge [FLAGS] REPORT.json... (each as FILE or FILE=NAME[@ZONE])",
		Description: "Reads reports made with -o json (CI runners, workstations, nodes), keeps each probe's vantage " +
			"(the machine it was made from: the report's hostname, or NAME), and writes one report: an opening is as " +
			"bad as it is from its worst vantage. Exit codes as every check command.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Category: catOutput, EnvVars: envs("output"),
				DefaultText: "text", Usage: "a report `FORMAT[=FILE]` (repeatable): " + strings.Join(report.Formats(), ", ")},
			&cli.BoolFlag{Name: "no-color", Category: catOutput, EnvVars: envs("no-color"), Usage: "no colour"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Category: catOutput, EnvVars: envs("quiet"), Usage: "only what is missing, and the summary"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Category: catOutput, EnvVars: envs("verbose"), Usage: "every probe, passing ones too"},
			&cli.BoolFlag{Name: "strict", Category: catBehave, EnvVars: envs("strict"), Usage: "warnings fail the run too"},
			rulesChainFlag(false), policyFlags(false)[0], policyFlags(false)[1], policyFlags(false)[2],
			&cli.StringFlag{Name: "catalog", Category: catCheck, Usage: "the catalog `FILE` the reports were made with (--catalog of the runs); " +
				"by default the embedded edition the reports name: which openings are required comes from it, not from the reports"},
		},
		Action: func(c *cli.Context) error {
			out, err := reportOptions(c, getenv)
			if err != nil {
				return err
			}
			return runMerge(mergeOptions{reports: c.Args().Slice(), catalog: c.String("catalog"), outputOptions: *out}, stdout, stderr)
		},
	}
}

// mergeOptions are merge's flags and arguments: the reports (FILE or FILE=NAME[@ZONE]), the
// catalog they were made with, and how to write the merged report.
type mergeOptions struct {
	reports []string
	catalog string
	outputOptions
}

// runMerge judges each report again into one, a report at a time (each into the merger's
// temporary file), and writes it; the exit code is a check command's.
func runMerge(o mergeOptions, stdout, stderr io.Writer) error {
	if len(o.reports) == 0 {
		return badInput("merge needs at least one REPORT.json (made with -o json)")
	}
	var m *report.Merger
	defer func() {
		if m != nil {
			m.Close()
		}
	}()
	seen := map[string]int{}
	for _, arg := range o.reports {
		file, name, _ := strings.Cut(arg, "=")
		name, zone, _ := strings.Cut(name, "@")
		data, err := readCapped(file, maxReportBytes)
		if err != nil {
			return badInput("merge: %v", err)
		}
		rep, err := report.Read(bytes.NewReader(data))
		data = nil
		if err != nil {
			return badInput("merge: %s: %v", quoteValue(file), err)
		}
		if m == nil {
			cat, err := mergeCatalog(o.catalog, rep.Tool.Catalog, file)
			if err != nil {
				return err
			}
			m = report.NewMerger(cat, true)
		}
		if name == "" {
			name = rep.Source.Hostname
		}
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		}
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s#%d", name, seen[name])
		}
		if err := m.Add(rep, report.Vantage{Name: name, Zone: zone, Addresses: rep.Source.Addresses}); err != nil {
			return badInput("merge: %s: %v", quoteValue(file), err)
		}
	}
	merged, err := m.Report()
	if err != nil {
		return badInput("merge: %v", err)
	}
	defer merged.Close()
	for _, w := range m.Warnings() {
		fmt.Fprintf(stderr, "fwcheck: warning: %s\n", w)
	}
	code, err := writeReport(&o.outputOptions, merged, stdout, stderr)
	if err != nil {
		return err
	}
	return exited(code)
}

// writeReport writes a finished report to the outputs and gives the exit code.
func writeReport(o *outputOptions, rep *report.Report, stdout, stderr io.Writer) (int, error) {
	sinks, err := openOutputs(o, stdout)
	if err != nil {
		return ExitBadInput, err
	}
	defer discard(sinks)
	for _, s := range sinks {
		if err := s.write(stdout, rep); err != nil {
			fmt.Fprintf(stderr, "fwcheck: writing the %s report to %s: %v\n", s.format, s.name, err)
			return ExitBadInput, nil
		}
	}
	return rep.ExitCode(o.strict), nil
}

// reportOptions are the output flags of a command that writes a report it did not run itself
// (merge, nodes): the formats (text when none), colour, verbosity and --strict.
func reportOptions(c *cli.Context, getenv func(string) string) (*outputOptions, error) {
	o := &outputOptions{getenv: getenv, noColor: c.Bool("no-color"), quiet: c.Bool("quiet"), verbose: c.Bool("verbose"), strict: c.Bool("strict"),
		rulesChain: c.String("rules-chain"), policy: policyOptions(c)}
	var err error
	o.outputs, err = outputFlags(c)
	return o, err
}

// mergeCatalog is the catalog merged openings are judged by: the file given, or the embedded
// edition the first report (file) names. A report of an edition fwcheck does not embed (a
// run with --catalog) needs that catalog.
func mergeCatalog(catalogFile, edition, file string) (*endpoints.Catalog, error) {
	if catalogFile != "" {
		cat, err := loadCatalog(catalogFile, "")
		if err == nil && cat.Edition != edition {
			return nil, badInput("merge: %s was made with catalog edition %s; --catalog %s is edition %s", quoteValue(file), quoteValue(edition), quoteValue(catalogFile), quoteValue(cat.Edition))
		}
		return cat, err
	}
	if !slices.Contains(endpoints.Editions(), edition) {
		return nil, badInput("merge: %s: tool.catalog %s is not an edition fwcheck embeds (%s): pass the catalog the runs used with --catalog FILE",
			quoteValue(file), quoteValue(edition), strings.Join(endpoints.Editions(), ", "))
	}
	return endpoints.EmbeddedEdition(edition)
}
