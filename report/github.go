package report

import (
	"fmt"
	"io"
	"strings"
)

// maxAnnotations is how many annotations of one severity GitHub shows for a step (10), less
// one for the notice that says how many more there are.
const maxAnnotations = 9

// writeGitHub writes GitHub Actions workflow commands: an ::error per missing opening carrying
// its rule (or, with no rule, its findings), a ::warning per warning and per finding; past
// maxAnnotations of a severity, one ::notice says how many more the full report has.
func writeGitHub(w io.Writer, r *Report, strict bool) error {
	var errs, warns annotations
	findings := map[string]string{}
	for _, f := range r.Findings {
		findings[f.Kind] = f.Summary
		warns.add(annotation("warning", "fwcheck finding: "+f.Kind, f.Summary))
	}
	// Past the annotations shown, the summary's counts say how many more there are: the
	// openings themselves need not be read.
	for _, status := range []string{Missing, Warning} {
		err := r.eachStatus(status, func(o Opening) error {
			if (status == Missing || strict) && errs.full() || status == Warning && !strict && warns.full() {
				return errListed
			}
			msg := o.Rule
			if msg == "" && len(o.Findings) > 0 {
				var parts []string
				for _, k := range o.Findings {
					parts = append(parts, k+": "+findings[k])
				}
				msg = "no firewall rule; " + strings.Join(parts, "; ")
			}
			switch {
			case status == Missing:
				errs.add(annotation("error", "fwcheck: "+o.ID+" missing", msg))
			case strict: // --strict: the warning fails the run, so it is an error here too
				errs.add(annotation("error", "fwcheck: "+o.ID+" warning (--strict)", msg))
			default:
				warns.add(annotation("warning", "fwcheck: "+o.ID+" warning", msg))
			}
			return nil
		})
		if err != nil && err != errListed {
			return err
		}
	}
	errs.total, warns.total = r.Summary.Missing, len(r.Findings)+r.Summary.Warnings
	if strict {
		errs.total, warns.total = r.Summary.Missing+r.Summary.Warnings, len(r.Findings)
	}
	var b strings.Builder
	errs.write(&b, "errors")
	warns.write(&b, "warnings")
	b.WriteString(annotation("notice", "fwcheck "+r.Profile, SummaryLine(r)))
	_, err := io.WriteString(w, b.String())
	return err
}

// annotations are the first maxAnnotations of one severity, and how many there are in all
// (from the report's summary).
type annotations struct {
	shown []string
	total int
}

func (a *annotations) add(line string) {
	if !a.full() {
		a.shown = append(a.shown, line)
	}
}

func (a *annotations) full() bool { return len(a.shown) == maxAnnotations }

func (a *annotations) write(b *strings.Builder, what string) {
	for _, line := range a.shown {
		b.WriteString(line)
	}
	if more := a.total - len(a.shown); more > 0 {
		b.WriteString(annotation("notice", "fwcheck", fmt.Sprintf("%d more %s: see the full report", more, what)))
	}
}

var (
	ghData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// annotation is one workflow command line, escaped as the runner reads it.
func annotation(level, title, message string) string {
	return "::" + level + " title=" + ghProperty.Replace(terminalSafe(title)) + "::" + ghData.Replace(terminalSafe(message)) + "\n"
}
