package report

import (
	"fmt"
	"io"
)

// writeRules prints one firewall rule per missing opening, ready for a firewall request; the
// rules of warnings follow as comments.
func writeRules(w io.Writer, r *Report) error {
	// Findings are no rules, but whoever forwards this list must see them.
	for _, f := range r.Findings {
		if _, err := fmt.Fprintf(w, "# finding %s: %s\n", terminalSafe(f.Kind), terminalSafe(f.Summary)); err != nil {
			return err
		}
	}
	for _, status := range []string{Missing, Warning} {
		err := r.eachStatus(status, func(o Opening) error {
			if o.Rule == "" {
				return nil
			}
			var err error
			if status == Missing {
				_, err = fmt.Fprintf(w, "%s  # %s %s\n", terminalSafe(o.Rule), terminalSafe(o.ID), terminalSafe(o.Section))
			} else {
				_, err = fmt.Fprintf(w, "# warning: %s  # %s %s\n", terminalSafe(o.Rule), terminalSafe(o.ID), terminalSafe(o.Section))
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	for _, a := range r.AllowFrom {
		if _, err := fmt.Fprintf(w, "%s  # %s (inbound allowance)\n", terminalSafe(a.Rule), terminalSafe(a.Name)); err != nil {
			return err
		}
	}
	if !r.DryRun {
		return nil
	}
	return r.Each(func(o Opening) error {
		if o.Rule == "" {
			return nil
		}
		_, err := fmt.Fprintf(w, "%s  # %s %s (planned)\n", terminalSafe(o.Rule), terminalSafe(o.ID), terminalSafe(o.Section))
		return err
	})
}
