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
func writeGitHub(w io.Writer, r *Report) error {
	var errs, warns []string
	findings := map[string]string{}
	for _, f := range r.Findings {
		findings[f.Kind] = f.Summary
		warns = append(warns, annotation("warning", "fwcheck finding: "+f.Kind, f.Summary))
	}
	for _, o := range r.Openings {
		msg := o.Rule
		if msg == "" && len(o.Findings) > 0 {
			var parts []string
			for _, k := range o.Findings {
				parts = append(parts, k+": "+findings[k])
			}
			msg = "no firewall rule; " + strings.Join(parts, "; ")
		}
		switch o.Status {
		case Missing:
			errs = append(errs, annotation("error", "fwcheck: "+o.ID+" missing", msg))
		case Warning:
			warns = append(warns, annotation("warning", "fwcheck: "+o.ID+" warning", msg))
		}
	}
	var b strings.Builder
	for _, list := range []struct {
		what  string
		lines []string
	}{{"errors", errs}, {"warnings", warns}} {
		for i, line := range list.lines {
			if i == maxAnnotations {
				b.WriteString(annotation("notice", "fwcheck", fmt.Sprintf("%d more %s: see the full report", len(list.lines)-maxAnnotations, list.what)))
				break
			}
			b.WriteString(line)
		}
	}
	b.WriteString(annotation("notice", "fwcheck "+r.Profile, SummaryLine(r)))
	_, err := io.WriteString(w, b.String())
	return err
}

var (
	ghData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// annotation is one workflow command line, escaped as the runner reads it.
func annotation(level, title, message string) string {
	return "::" + level + " title=" + ghProperty.Replace(title) + "::" + ghData.Replace(message) + "\n"
}
