package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// writeMarkdown writes a report for a ticket or a pull-request comment: the rules to request
// in a code block, then a table of every opening.
func writeMarkdown(w io.Writer, r *Report) error {
	b := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(b, "## fwcheck %s", mdCell(r.Profile))
	if r.Region != "" {
		fmt.Fprintf(b, " · %s", mdCell(r.Region))
	}
	fmt.Fprintf(b, "\n\n%s. Via %s; catalog %s.\n", SummaryLine(r), mdCell(r.Via), mdCell(r.Tool.Catalog))
	if len(r.Source.Addresses) > 0 {
		fmt.Fprintf(b, "Probes left from %s.\n", mdCell(strings.Join(r.Source.Addresses, ", ")))
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n### Findings (not the firewall)\n\n")
		for _, f := range r.Findings {
			fmt.Fprintf(b, "- **%s**: %s", mdCell(f.Kind), mdCell(f.Summary))
			if f.Detail != "" {
				fmt.Fprintf(b, " (%s)", mdCell(f.Detail))
			}
			b.WriteString("\n")
		}
	}
	rules := 0
	err := r.eachStatus(Missing, func(o Opening) error {
		if o.Rule == "" {
			return nil
		}
		if rules == 0 {
			b.WriteString("\n### Rules to request\n\n```\n")
		}
		rules++
		_, err := b.WriteString(strings.ReplaceAll(terminalSafe(o.Rule+"  # "+o.ID), "```", "'''") + "\n")
		return err
	})
	if err != nil {
		return err
	}
	if rules > 0 {
		b.WriteString("```\n")
	}
	b.WriteString("\n| status | opening | section | destinations | ports | finding |\n|---|---|---|---|---|---|\n")
	err = r.Each(func(o Opening) error {
		_, err := fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdCell(o.Status), mdCell(o.ID), mdCell(o.Section),
			mdCell(strings.Join(o.Destinations, ", ")), mdCell(o.Protocol+" "+o.Ports), mdCell(finding(o)))
		return err
	})
	if err != nil {
		return err
	}
	return b.Flush()
}

// finding is the one-line reason behind an opening's status.
func finding(o Opening) string {
	if o.Status == Skipped {
		return o.Note
	}
	var parts []string
	if len(o.Findings) > 0 && o.Status != Verified {
		parts = append(parts, "finding: "+strings.Join(o.Findings, ", "))
	}
	for _, p := range o.Probes {
		if p.OK && p.Warning == "" && o.Status != Verified {
			continue
		}
		s := fmt.Sprintf("%s %s", probeTarget(p), p.State)
		if p.Warning != "" {
			s += " (drift: " + p.Address + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// mdEscaper escapes what Markdown would read as table structure, markup or an escape: a
// backslash first (else "\\|" from another program would undo the pipe's escape), entities,
// strikethrough and links too.
var mdEscaper = strings.NewReplacer("\\", "\\\\", "|", "\\|", "`", "\\`", "*", "\\*", "_", "\\_", "~", "\\~", "<", "&lt;", ">", "&gt;", "&", "&amp;",
	"[", "\\[", "]", "\\]")

// mdCell escapes text for a Markdown table cell: pipes, backticks, markup and line breaks.
func mdCell(s string) string { return mdEscaper.Replace(terminalSafe(s)) }
