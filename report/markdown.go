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
	cw := &countingWriter{w: w}
	b := bufio.NewWriterSize(cw, 64<<10)
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
	// GitHub's job summary takes at most 1 MiB: past the budget, a line says what was left out.
	budget := maxMarkdown - int(cw.n) - b.Buffered()
	rules, rulesLeft := 0, 0
	err := r.eachStatus(Missing, func(o Opening) error {
		if o.Rule == "" {
			return nil
		}
		line := strings.ReplaceAll(terminalSafe(o.Rule+"  # "+o.ID), "```", "'''") + "\n"
		if budget-len(line) < markdownReserve {
			rulesLeft++
			return nil
		}
		if rules == 0 {
			b.WriteString("\n### Rules to request\n\n```\n")
		}
		rules++
		budget -= len(line)
		_, err := b.WriteString(line)
		return err
	})
	if err != nil {
		return err
	}
	if rules > 0 {
		b.WriteString("```\n")
	}
	if rulesLeft > 0 {
		fmt.Fprintf(b, "\n%d more rules left out: GitHub's job summary takes at most 1 MiB; -o rules and -o json have them all.\n", rulesLeft)
	}
	b.WriteString("\n| status | opening | section | destinations | ports | finding |\n|---|---|---|---|---|---|\n")
	rowsLeft := 0
	err = r.Each(func(o Opening) error {
		row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", mdCell(o.Status), mdCell(o.ID), mdCell(o.Section),
			mdCell(strings.Join(o.Destinations, ", ")), mdCell(o.Protocol+" "+o.Ports), mdCell(finding(o)))
		if budget-len(row) < markdownReserve {
			rowsLeft++
			return nil
		}
		budget -= len(row)
		_, err := b.WriteString(row)
		return err
	})
	if err != nil {
		return err
	}
	if rowsLeft > 0 {
		fmt.Fprintf(b, "\n%d more openings left out of the table: GitHub's job summary takes at most 1 MiB; -o json has them all.\n", rowsLeft)
	}
	return b.Flush()
}

// maxMarkdown is GitHub's limit on a step's job summary; markdownReserve keeps room for the
// lines that say what was left out.
const (
	maxMarkdown     = 1 << 20
	markdownReserve = 8 << 10
)

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

// countingWriter counts what went through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
