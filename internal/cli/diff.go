package cli

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/report"
)

// diffCommand compares two -o json reports: the run before a firewall change and the run
// after, or yesterday's and today's.
func diffCommand(ses session) *cli.Command {
	stdout, stderr := ses.stdout, ses.stderr
	return &cli.Command{
		Name:      "diff",
		Usage:     "what changed between two -o json reports (before and after a firewall change)",
		UsageText: "fwcheck diff [FLAGS] OLD.json NEW.json",
		Description: "Compares two reports of one command and region, opening by opening (and vantage by vantage for " +
			"merged reports): newly missing, newly verified, changed state or reason, appeared, gone. Both reports are " +
			"judged again from their probes, as merge does. Exit 1 when a required opening became missing, 0 otherwise, " +
			"2 for bad input.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Category: catOutput, EnvVars: envs("output"),
				DefaultText: "text", Usage: "a report `FORMAT[=FILE]` (repeatable; FILE - is stdout): " + strings.Join(report.DiffFormats, ", ")},
			&cli.StringFlag{Name: "catalog", Category: catCheck, Usage: "the catalog `FILE` the reports were made with; by default the embedded edition they name"},
		},
		Action: func(c *cli.Context) error {
			return runDiff(diffOptions{files: c.Args().Slice(), catalog: c.String("catalog"), outputs: c.StringSlice("output")}, stdout, stderr)
		},
	}
}

// diffOptions are diff's flags and arguments: the two reports, the catalog they were made with,
// and the -o specs (text when none).
type diffOptions struct {
	files   []string
	catalog string
	outputs []string
}

// runDiff judges both reports again, compares them and writes the diff; exit 1 when a required
// opening became missing.
func runDiff(o diffOptions, stdout, stderr io.Writer) error {
	if len(o.files) != 2 {
		return badInput("diff needs two reports made with -o json: OLD.json NEW.json (got %d)", len(o.files))
	}
	files := o.files
	var reps [2]*report.Report
	for i, file := range files {
		data, err := readCapped(file, maxReportBytes)
		if err != nil {
			return badInput("diff: %v", err)
		}
		if reps[i], err = report.Read(bytes.NewReader(data)); err != nil {
			return badInput("diff: %s: %v", quoteValue(file), err)
		}
	}
	if reps[0].Tool.Catalog != reps[1].Tool.Catalog && o.catalog == "" {
		return badInput("diff: %s is of catalog edition %s and %s of %s: diff reports of one edition",
			quoteValue(files[0]), quoteValue(reps[0].Tool.Catalog), quoteValue(files[1]), quoteValue(reps[1].Tool.Catalog))
	}
	cat, err := mergeCatalog(o.catalog, reps[1].Tool.Catalog, files[1])
	if err != nil {
		return err
	}
	d, err := report.NewDiff(reps[0], reps[1], files[0], files[1], cat)
	if err != nil {
		return badInput("diff: %v", err)
	}
	specs := o.outputs
	if len(specs) == 0 {
		specs = []string{"text"}
	}
	seen := map[string]bool{}
	type out struct{ format, file string }
	var outs []out
	for _, s := range specs {
		format, file, _ := strings.Cut(s, "=")
		format = strings.ToLower(strings.TrimSpace(format))
		if !slices.Contains(report.DiffFormats, format) {
			return badInput("-o %s: unknown format %s for diff (valid: %s)", quoteValue(s), quoteValue(format), strings.Join(report.DiffFormats, ", "))
		}
		dest := file
		if dest == "" {
			dest = "-"
		}
		if seen[dest] {
			return badInput("-o %s: two outputs to %s", quoteValue(s), quoteValue(dest))
		}
		seen[dest] = true
		outs = append(outs, out{format, file})
	}
	for _, o := range outs {
		var b bytes.Buffer
		if err := report.WriteDiff(&b, o.format, d); err != nil {
			return err
		}
		if o.file == "" || o.file == "-" {
			stdout.Write(b.Bytes())
		} else if err := writeFileAtomic(o.file, b.Bytes()); err != nil {
			fmt.Fprintf(stderr, "fwcheck: writing the %s diff to %s: %v\n", o.format, o.file, err)
			return exited(ExitBadInput)
		}
	}
	return exited(d.ExitCode())
}
