package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// loadCatalog reads --catalog, or the embedded catalog. Any problem is bad input.
func loadCatalog(file string) (*endpoints.Catalog, error) {
	if file == "" {
		c, err := endpoints.Embedded()
		if err != nil {
			return nil, usageError{err}
		}
		return c, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, badInput("--catalog: %v", err)
	}
	c, err := endpoints.Parse(file, data)
	if err != nil {
		return nil, usageError{fmt.Errorf("--catalog: %w", err)}
	}
	return c, nil
}

// check runs one check command: plan, probe, report. Flags → endpoints → probe → report → exit.
func check(ctx context.Context, o *options, stdout, stderr io.Writer) (int, error) {
	cat, err := loadCatalog(o.catalogFile)
	if err != nil {
		return exitBadRun, err
	}
	var bar *progress
	if !o.dryRun {
		if bar = newProgress(stderr, o.quiet); bar != nil {
			o.probe.OnTargetDone = bar.observe
			defer bar.finish()
		}
	}
	prober := probe.New(o.probe)
	if err := discover(ctx, o, prober); err != nil {
		return exitBadRun, err
	}
	plan, err := cat.BuildPlan(o.facts)
	if err != nil {
		return exitBadRun, usageError{err}
	}
	o.facts.Probes = nil // the plan holds them now; a sweep of 100,000 need not be held twice
	sinks, err := openOutputs(o, stdout)
	if err != nil {
		return exitBadRun, err
	}
	defer closeAll(sinks)

	started := time.Now()
	var results [][][]probe.Result
	if !o.dryRun {
		if bar != nil {
			bar.start(plan.Targets())
		}
		results = runPlan(ctx, plan, prober)
		if bar != nil {
			bar.finish()
		}
	}
	host, _ := os.Hostname()
	v, _ := versionString()
	rep := report.Build(plan, results, report.Meta{
		Version: v, Started: started, Elapsed: time.Since(started), Via: o.via(),
		Hostname: host, DryRun: o.dryRun, ViaFor: o.viaFor,
	})
	for _, s := range sinks {
		if err := s.writer.Write(s.w, rep); err != nil {
			fmt.Fprintf(stderr, "fwcheck: writing the %s report to %s: %v\n", s.format, s.name, err)
			return exitBadRun, nil
		}
	}
	if o.exportCA != "" && !o.dryRun {
		msg, err := exportCA(o.exportCA, results)
		if err != nil {
			fmt.Fprintf(stderr, "fwcheck: %v\n", err)
			return exitBadRun, nil
		}
		fmt.Fprintf(stderr, "fwcheck: %s\n", msg)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "fwcheck: interrupted; the report shows the probes that were cut short as local-error (aborted)")
		return exitBadRun, nil
	}
	return rep.ExitCode(o.strict), nil
}

// runPlan probes every target of every opening not skipped, all in one parallel run, and
// hands the results back per opening and target.
func runPlan(ctx context.Context, plan *endpoints.Plan, p *probe.Prober) [][][]probe.Result {
	n := plan.Targets()
	targets := make([]probe.Target, 0, n)
	type ref struct{ opening, target int }
	refs := make([]ref, 0, n)
	for i, op := range plan.Openings {
		if op.Skip != "" {
			continue
		}
		for j, t := range op.Targets {
			targets = append(targets, t)
			refs = append(refs, ref{i, j})
		}
	}
	flat := p.Run(ctx, targets)
	out := make([][][]probe.Result, len(plan.Openings))
	for i, op := range plan.Openings {
		if op.Skip == "" {
			out[i] = make([][]probe.Result, len(op.Targets))
		}
	}
	for k, r := range refs {
		out[r.opening][r.target] = flat[k]
	}
	return out
}

type sink struct {
	format, name string
	w            io.Writer
	writer       report.Writer
	close        func() error
}

// openOutputs opens every -o destination before anything is dialed, so a bad path fails fast.
func openOutputs(o *options, stdout io.Writer) ([]sink, error) {
	var sinks []sink
	for _, spec := range o.outputs {
		s := sink{format: spec.format, name: "stdout", w: stdout, close: func() error { return nil }}
		color := false
		if spec.file != "" {
			f, err := os.Create(spec.file)
			if err != nil {
				closeAll(sinks)
				return nil, badInput("-o %s=%s: %v", spec.format, spec.file, err)
			}
			s.name, s.w, s.close = spec.file, f, f.Close
		} else {
			color = allowsColor(stdout, o.noColor, o.getenv)
		}
		w, err := report.New(spec.format, report.Options{Color: color, Verbose: o.verbose, Quiet: o.quiet})
		if err != nil {
			closeAll(sinks)
			return nil, usageError{err}
		}
		s.writer = w
		sinks = append(sinks, s)
	}
	return sinks, nil
}

func closeAll(sinks []sink) {
	for _, s := range sinks {
		s.close()
	}
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
