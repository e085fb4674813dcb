package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// Writer writes a report in one format. It returns write errors; it never prints elsewhere.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// WriterFunc adapts a function to a Writer.
type WriterFunc func(w io.Writer, r *Report) error

func (f WriterFunc) Write(w io.Writer, r *Report) error { return f(w, r) }

// Options shape the human formats.
type Options struct {
	// Color turns on ANSI colour in the text format; decide it once per destination.
	Color bool
	// Verbose lists every probe of every opening, passing ones too.
	Verbose bool
	// Quiet prints only the missing openings and the summary.
	Quiet bool
	// Width is the line width the text format wraps details at (0: 80).
	Width int
	// Strict is --strict: a warning fails the run, and is a failure in every format.
	Strict bool
	// RulesChain is the chain the firewall formats' rules join, in the format's own syntax
	// (--rules-chain; "" for the format's default).
	RulesChain string
	// PolicyNamespace is the namespace of -o networkpolicy; CalicoSelector and CalicoOrder
	// are -o calico's ("" and 0: the defaults).
	PolicyNamespace string
	CalicoSelector  string
	CalicoOrder     int
}

// The formats of lines a CI log may show go through a commandGuard; json and frame hold no
// line another program's text could start, and github means its workflow commands.
var formats = map[string]func(Options) Writer{
	"text": func(o Options) Writer { t := &textWriter{opts: o}; return WriterFunc(guarded(t.Write)) },
	"json": func(Options) Writer { return WriterFunc(writeJSON) },
	"junit": func(o Options) Writer {
		return WriterFunc(guarded(func(w io.Writer, r *Report) error { return writeJUnit(w, r, o.Strict) }))
	},
	"markdown": func(Options) Writer { return WriterFunc(guarded(writeMarkdown)) },
	"rules":    func(Options) Writer { return WriterFunc(guarded(writeRules)) },
	"github": func(o Options) Writer {
		return WriterFunc(func(w io.Writer, r *Report) error { return writeGitHub(w, r, o.Strict) })
	},
	"nftables": func(o Options) Writer {
		return WriterFunc(guarded(func(w io.Writer, r *Report) error { return writeNftables(w, r, o.RulesChain) }))
	},
	"iptables": func(o Options) Writer {
		return WriterFunc(guarded(func(w io.Writer, r *Report) error { return writeIptables(w, r, o.RulesChain, false) }))
	},
	"ip6tables": func(o Options) Writer {
		return WriterFunc(guarded(func(w io.Writer, r *Report) error { return writeIptables(w, r, o.RulesChain, true) }))
	},
	"csv": func(Options) Writer { return WriterFunc(guarded(writeCSV)) },
	"networkpolicy": func(o Options) Writer {
		return WriterFunc(guarded(func(w io.Writer, r *Report) error { return writeNetworkPolicy(w, r, o.PolicyNamespace) }))
	},
	"calico": func(o Options) Writer {
		return WriterFunc(guarded(func(w io.Writer, r *Report) error { return writeCalico(w, r, o.CalicoSelector, o.CalicoOrder) }))
	},
	"frame": func(Options) Writer { return WriterFunc(writeFrame) },
}

// Formats lists the format names, sorted, for help text and errors.
func Formats() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// New returns the writer for a format name. A firewall format checks its chain here, before
// anything runs.
func New(format string, o Options) (Writer, error) {
	f, ok := formats[format]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q (valid: %s)", format, strings.Join(Formats(), ", "))
	}
	var err error
	switch format {
	case "nftables":
		_, _, _, err = nftChain(o.RulesChain)
	case "iptables", "ip6tables":
		_, _, err = iptChain(o.RulesChain)
	}
	if err != nil {
		return nil, err
	}
	return f(o), nil
}

// terminalSafe strips what could drive a terminal (escape sequences, control characters) from
// untrusted text: server bodies, proxy pages, error strings.
func terminalSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			return '?'
		}
		return r
	}, s)
}

// statusOrder is the order reports list openings in: missing, warnings, verified, skipped.
var statusOrder = []string{Missing, Warning, Verified, Skipped}

// SummaryLine is the one-line verdict every human format ends with.
func SummaryLine(r *Report) string {
	s := r.Summary
	line := fmt.Sprintf("%s: %s verified, %s missing, %s, %s skipped; %s",
		plural(s.Openings, "opening"), Thousands(s.Verified), Thousands(s.Missing), plural(s.Warnings, "warning"), Thousands(s.Skipped), plural(s.Probes, "probe"))
	if r.DryRun {
		return line + " planned (dry run: nothing dialed)"
	}
	return line + fmt.Sprintf(" in %.1fs", float64(r.ElapsedMS)/1000)
}
