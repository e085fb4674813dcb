package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/run"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// checkCommand is one of the check commands (workstation, worker, inbound, probe): its flags
// read into options, then the run, or, for serve, the options handed to ses.capture.
func checkCommand(ses session, name string, p endpoints.Profile, usage, usageText, desc string) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, UsageText: usageText, Description: desc,
		Flags: flagsFor(name), CustomHelpTemplate: commandHelp(name),
		Action: func(c *cli.Context) error {
			for n := range *ses.typed {
				if ineffective(name)[n] {
					fmt.Fprintf(ses.stderr, "fwcheck: warning: --%s has no effect on %s; ignored\n", n, name)
				}
			}
			opts, err := optionsFrom(c, p, ses)
			if err != nil {
				return err
			}
			if ses.capture != nil {
				return ses.capture(opts)
			}
			code, err := check(c.Context, opts, ses.stdout, ses.stderr)
			if err != nil {
				return err
			}
			return exited(code)
		},
	}
}

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
	in, err := o.input()
	if err != nil {
		return ExitBadInput, err
	}
	sinks, err := openOutputs(&o.outputOptions, stdout)
	if err != nil {
		return ExitBadInput, err
	}
	defer discard(sinks)
	waiting := o.wait > 0 && !o.dryRun
	if !waiting {
		// The run owns the targets now: a --targets-file of 100,000 must not be held twice.
		o.facts.Probes = nil
	}
	out, pausedOut, err := runUntilVerified(ctx, o, in, stderr, waiting)
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
		if pausedOut {
			fmt.Fprintf(stderr, "fwcheck: interrupted (%s) while waiting to check again; the report is the last run's, whole\n", interruptedBy(ctx))
		} else {
			fmt.Fprintf(stderr, "fwcheck: interrupted (%s); the report is partial: the probes that did not finish are skipped (interrupted)\n", interruptedBy(ctx))
		}
		return code, nil
	}
	return rep.ExitCode(o.strict), nil
}

// input is the run the options describe: everything run.Run needs.
func (o *options) input() (run.Input, error) {
	var cat *endpoints.Catalog // nil: the run picks the embedded edition
	if o.catalogFile != "" || o.edition != "" {
		var err error
		if cat, err = loadCatalog(o.catalogFile, o.edition); err != nil {
			return run.Input{}, o.inputError(err)
		}
	}
	v, _ := versionString()
	return run.Input{
		Catalog: cat, Edition: o.edition, Facts: o.facts, Probe: o.probe, Kubeconfig: o.kubeconfig, KubeContext: o.kubeContext,
		Getenv: o.getenv, DryRun: o.dryRun, Version: v, PAC: o.pac, SystemProxy: o.machine.proxySettings, Findings: o.findings,
	}, nil
}

// runUntilVerified runs the check once or, with waiting (--wait), again after each pause until
// every required opening is verified or the wait is over, as goss's --retry-timeout does; a
// line on stderr tells each failed round. It returns the last run's outcome; paused says the
// run was interrupted between two runs (the outcome is then whole, not partial).
func runUntilVerified(ctx context.Context, o *options, in run.Input, stderr io.Writer, waiting bool) (out *run.Outcome, paused bool, err error) {
	if !waiting {
		// in is not held past the call: the run drops the targets it was given as it plans.
		out, err = runOnceWithProgress(ctx, o, in, stderr)
		return out, false, err
	}
	started := time.Now()
	for {
		if out, err = runOnceWithProgress(ctx, o, in, stderr); err != nil {
			return nil, false, err
		}
		left := o.wait - time.Since(started)
		if ctx.Err() != nil || out.Report.ExitCode(o.strict) == ExitOK || left <= 0 {
			return out, false, nil
		}
		pause := min(o.machine.waitPause, left) // less when the wait ends sooner
		fmt.Fprintf(stderr, "fwcheck: %s; checking again in %s (--wait %s, %s left)\n",
			report.SummaryLine(out.Report), roundForPeople(pause), o.wait, roundForPeople(left))
		select {
		case <-ctx.Done():
			return out, true, nil
		case <-time.After(pause):
		}
		out.Report.Close()
	}
}

// runOnceWithProgress is one run, with its progress on a terminal's stderr.
func runOnceWithProgress(ctx context.Context, o *options, in run.Input, stderr io.Writer) (*run.Outcome, error) {
	concurrency := cmp.Or(o.probe.Concurrency, probe.DefaultConcurrency())
	if !o.dryRun {
		bar := newProgress(stderr, o.quiet)
		in.OnStart = func(total int) {
			// A long run says its size before it starts, terminal or not.
			if total >= bigRun && !o.quiet {
				fmt.Fprintf(stderr, "fwcheck: %s\n", sizeLine(total, concurrency))
			}
			if bar != nil {
				bar.start(total)
			}
		}
		if bar != nil {
			in.Probe.OnTargetDone = bar.observe
			defer bar.finish()
		}
	}
	out, err := run.Run(ctx, in)
	if err == nil && o.dryRun && out.Report.Summary.Probes >= bigRun && !o.quiet {
		fmt.Fprintf(stderr, "fwcheck: dialing this plan: %s\n", sizeLine(out.Report.Summary.Probes, concurrency))
	}
	return out, err
}

// allowsColor decides colour once for a destination: a terminal, no NO_COLOR, not TERM=dumb,
// and no --no-color.
func allowsColor(w io.Writer, noColor bool, getenv func(string) string) bool {
	if noColor || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	_, ok := terminal(w)
	return ok
}
