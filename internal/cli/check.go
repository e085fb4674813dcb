package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/run"
	"github.com/fwcheck/fwcheck/report"
)

// loadCatalog reads --catalog, or the embedded catalog of an edition ("" for the default).
// Any problem is bad input; --edition and --catalog together are too.
func loadCatalog(file, edition string) (*endpoints.Catalog, error) {
	if file != "" && edition != "" {
		return nil, badInput("--edition and --catalog together: a catalog file has its own edition; give one of them")
	}
	if file == "" {
		c, err := endpoints.EmbeddedEdition(edition)
		if err != nil {
			return nil, usageError{err}
		}
		return c, nil
	}
	data, err := readCapped(file, maxCatalogBytes)
	if err != nil {
		return nil, badInput("--catalog: %v", err)
	}
	c, err := endpoints.Parse(file, data)
	if err != nil {
		return nil, usageError{fmt.Errorf("--catalog: %w", err)}
	}
	return c, nil
}

// check runs one check command: the run package plans, probes and judges; here the flags go
// in and the reports and the exit code come out.
func check(ctx context.Context, o *options, stdout, stderr io.Writer) (int, error) {
	var cat *endpoints.Catalog // nil: the run picks the embedded edition
	if o.catalogFile != "" || o.edition != "" {
		var err error
		if cat, err = loadCatalog(o.catalogFile, o.edition); err != nil {
			return ExitBadInput, o.inputError(err)
		}
	}
	sinks, err := openOutputs(o, stdout)
	if err != nil {
		return ExitBadInput, err
	}
	defer discard(sinks)
	var bar *progress
	if !o.dryRun {
		if bar = newProgress(stderr, o.quiet); bar != nil {
			o.probe.OnTargetDone = bar.observe
			defer bar.finish()
		}
	}
	v, _ := versionString()
	in := run.Input{
		Catalog: cat, Edition: o.edition, Facts: o.facts, Probe: o.probe, Kubeconfig: o.kubeconfig, KubeContext: o.kubeContext,
		Getenv: o.getenv, DryRun: o.dryRun, Version: v, Via: o.via(), ViaFor: o.viaFor, Findings: o.findings,
	}
	// The run owns the targets now: a --targets-file of 100,000 must not be held twice.
	o.facts.Probes = nil
	if bar != nil {
		in.OnStart = bar.start
	}
	out, err := run.Run(ctx, in)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return ExitBadInput, o.inputError(err)
	}
	rep := out.Report
	defer rep.Close()
	for _, w := range out.Warnings {
		fmt.Fprintf(stderr, "fwcheck: warning: %s\n", w)
	}
	for _, s := range sinks {
		if err := s.write(stdout, rep); err != nil {
			fmt.Fprintf(stderr, "fwcheck: writing the %s report to %s: %v\n", s.format, s.name, err)
			return ExitBadInput, nil
		}
	}
	if files := fileOutputs(sinks); len(files) == len(sinks) {
		// No report on stdout: say what happened and where the reports are.
		fmt.Fprintf(stderr, "fwcheck: %s; reports in %s\n", report.SummaryLine(rep), strings.Join(files, ", "))
	}
	if o.exportCA != "" && !o.dryRun {
		data, what := run.InterceptedCA(out.Intercepted)
		if data == nil {
			fmt.Fprintln(stderr, "fwcheck: no intercepted TLS connection: --export-ca wrote nothing")
		} else if err := writeFileAtomic(o.exportCA, data); err != nil {
			fmt.Fprintf(stderr, "fwcheck: --export-ca %s: %v\n", quoteValue(o.exportCA), err)
			return ExitBadInput, nil
		} else {
			fmt.Fprintf(stderr, "fwcheck: wrote %s to %s\n", what, o.exportCA)
		}
	}
	if ctx.Err() != nil {
		code := interruptedCode(ctx)
		fmt.Fprintf(stderr, "fwcheck: interrupted (%s); the report is partial: the probes that did not finish are skipped (interrupted)\n", interruptedBy(ctx))
		return code, nil
	}
	return rep.ExitCode(o.strict), nil
}

// allowsColor decides colour once for a destination: a terminal, no NO_COLOR, not TERM=dumb,
// and no --no-color.
func allowsColor(w io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
