package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
)

// textWriter writes the report for a person: the missing openings first, each as the rule to
// request, then warnings, then what passed, then a one-line summary.
type textWriter struct {
	opts                          Options
	red, yellow, green, faint, hd *color.Color
}

func (t *textWriter) init() {
	t.red = color.New(color.FgRed, color.Bold)
	t.yellow = color.New(color.FgYellow)
	t.green = color.New(color.FgGreen)
	t.faint = color.New(color.Faint)
	t.hd = color.New(color.Bold)
	for _, c := range []*color.Color{t.red, t.yellow, t.green, t.faint, t.hd} {
		// Per writer, never the package-wide color.NoColor.
		if t.opts.Color {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
}

func (t *textWriter) Write(w io.Writer, r *Report) error {
	t.init()
	var b strings.Builder
	head := fmt.Sprintf("fwcheck %s", r.Profile)
	if r.Region != "" {
		head += " · region " + r.Region
	}
	head += " · via " + terminalSafe(r.Via)
	if len(r.Source.Addresses) > 0 {
		head += " · from " + strings.Join(r.Source.Addresses, ", ")
	}
	head += " · catalog " + terminalSafe(r.Tool.Catalog)
	b.WriteString(t.hd.Sprint(head) + "\n")
	for _, n := range r.Notes {
		b.WriteString(t.faint.Sprint("note: "+terminalSafe(n)) + "\n")
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n" + t.yellow.Sprintf("FINDINGS (%d): causes that are not the firewall, no rule to request", len(r.Findings)) + "\n")
		for _, f := range r.Findings {
			t.finding(&b, f)
		}
	}
	groups := groupByStatus(r)
	for _, status := range statusOrder {
		list := groups[status]
		if len(list) == 0 || t.opts.Quiet && status != Missing {
			continue
		}
		b.WriteString("\n" + t.heading(status, len(list), r.DryRun) + "\n")
		for _, o := range list {
			t.opening(&b, o, r.DryRun)
		}
	}
	b.WriteString("\n" + t.summary(r) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *textWriter) heading(status string, n int, dryRun bool) string {
	switch status {
	case Missing:
		return t.red.Sprintf("MISSING (%d): request these rules", n)
	case Warning:
		return t.yellow.Sprintf("WARNINGS (%d)", n)
	case Verified:
		return t.green.Sprintf("VERIFIED (%d)", n)
	default:
		if dryRun {
			return t.hd.Sprintf("PLAN (%d openings, nothing dialed)", n)
		}
		return t.faint.Sprintf("SKIPPED (%d)", n)
	}
}

func (t *textWriter) mark(status string) string {
	switch status {
	case Missing:
		return t.red.Sprint("✗")
	case Warning:
		return t.yellow.Sprint("!")
	case Verified:
		return t.green.Sprint("✓")
	default:
		return t.faint.Sprint("-")
	}
}

func (t *textWriter) opening(b *strings.Builder, o Opening, dryRun bool) {
	req := ""
	if !o.Required {
		req = " (optional)"
	}
	fmt.Fprintf(b, "  %s %s  %s%s  [%s]\n", t.mark(o.Status), o.ID, terminalSafe(o.Title), req, o.Section)
	if o.Rule != "" && o.Status != Skipped || dryRun && o.Rule != "" {
		fmt.Fprintf(b, "      %s\n", terminalSafe(o.Rule))
	}
	if len(o.Findings) > 0 && o.Status != Verified {
		what := "also see"
		if o.Rule == "" {
			what = "no rule: see"
		}
		fmt.Fprintf(b, "      %s the %s finding%s above\n", what, strings.Join(o.Findings, ", "), pluralS(len(o.Findings)))
	}
	if o.Status == Skipped && (!dryRun || !o.planned) {
		fmt.Fprintf(b, "      %s\n", t.faint.Sprint(terminalSafe(o.Note)))
		return
	}
	for _, p := range o.Probes {
		if o.Status == Verified && !t.opts.Verbose || p.OK && p.Warning == "" && o.Status != Verified && !t.opts.Verbose && !dryRun {
			continue
		}
		state := p.State
		if dryRun {
			state = "planned"
		}
		line := fmt.Sprintf("%-34s %-19s %s", terminalSafe(probeTarget(p)), state, terminalSafe(p.Detail))
		if dryRun && p.Detail == "" {
			line = fmt.Sprintf("%-34s %-19s ", terminalSafe(probeTarget(p)), state)
		}
		if !dryRun && p.Check != "none" {
			line += fmt.Sprintf(" (%s, %s, %.0f ms)", p.Check, terminalSafe(p.Via), p.ElapsedMS)
		} else if dryRun && p.Check != "none" && p.Detail != "" {
			line += fmt.Sprintf(" (%s via %s)", p.Check, terminalSafe(p.Via))
		} else if dryRun && p.Check != "none" {
			line += fmt.Sprintf("%s via %s", p.Check, terminalSafe(p.Via))
		}
		fmt.Fprintf(b, "      %s\n", strings.TrimRight(line, " "))
		if p.Warning != "" {
			fmt.Fprintf(b, "      %s\n", t.yellow.Sprint("drift: "+terminalSafe(p.Warning)))
		}
	}
}

// maxFindingTargetsShown bounds the targets the text report lists under a finding.
const maxFindingTargetsShown = 5

func (t *textWriter) finding(b *strings.Builder, f Finding) {
	fmt.Fprintf(b, "  %s %s: %s\n", t.yellow.Sprint("!"), f.Kind, terminalSafe(f.Summary))
	if f.Detail != "" {
		fmt.Fprintf(b, "      %s\n", terminalSafe(f.Detail))
	}
	if n := len(f.Targets); n > 0 {
		shown := f.Targets[:min(n, maxFindingTargetsShown)]
		line := strings.Join(shown, ", ")
		if n > len(shown) {
			line += fmt.Sprintf(" and %d more", n-len(shown))
		}
		fmt.Fprintf(b, "      %s\n", t.faint.Sprint(terminalSafe(line)))
	}
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (t *textWriter) summary(r *Report) string {
	line := summaryLine(r)
	switch {
	case r.Summary.Missing > 0:
		return t.red.Sprint(line)
	case r.Summary.Warnings > 0:
		return t.yellow.Sprint(line)
	case r.DryRun:
		return t.hd.Sprint(line)
	default:
		return t.green.Sprint(line)
	}
}
