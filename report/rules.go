package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"strings"
)

// maxRuleIDs is how many opening ids a rule's comment names before it counts the rest.
const maxRuleIDs = 3

// writeRules prints the rules to request, in words: the grants of the missing openings (in a
// dry run, of every planned one), aggregated exactly, so that 2,000 closed ports on one host are
// one rule; then what cannot be a rule yet, the warnings' rules and the inbound allowances, as
// comments or lines of their own.
func writeRules(w io.Writer, r *Report) error {
	grants, unplaced, err := GrantsOf(r)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	// Findings are no rules, but whoever forwards this list must see them.
	for _, f := range r.Findings {
		fmt.Fprintf(b, "# finding %s: %s\n", terminalSafe(f.Kind), terminalSafe(f.Summary))
	}
	planned := ""
	if r.DryRun {
		planned = " (planned)"
	}
	for _, g := range grants {
		fmt.Fprintf(b, "%s  # %s%s\n", grantText(g), idList(g.Openings), planned)
	}
	for _, u := range unplaced {
		fmt.Fprintf(b, "allow %s from %s to %s port %s  # %s%s: %s\n", terminalSafe(u.Protocol), terminalSafe(cmp.Or(u.Source, "<this host>")),
			terminalSafe(u.Destination), terminalSafe(u.Ports), terminalSafe(u.Opening), planned, terminalSafe(u.Why))
	}
	err = r.eachStatus(Warning, func(o Opening) error {
		if o.Rule != "" {
			fmt.Fprintf(b, "# warning: %s  # %s %s\n", terminalSafe(o.Rule), terminalSafe(o.ID), terminalSafe(o.Section))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range r.AllowFrom {
		fmt.Fprintf(b, "%s  # %s (inbound allowance)\n", terminalSafe(a.Rule), terminalSafe(a.Name))
	}
	return b.Flush()
}

// grantText is a grant in words: "allow tcp from SOURCES to DESTS port PORTS".
func grantText(g Grant) string {
	src := "<this host>"
	switch {
	case g.Proxy != "":
		src = "the proxy " + g.Proxy // the failed connections left from it
	case len(g.Sources) > 0:
		src = prefixesText(g.Sources, ", ")
	}
	line := fmt.Sprintf("allow %s from %s to %s", g.Protocol, src, prefixesText(g.Dests, ", "))
	if !g.AnyPort {
		line += " port " + rangesText(g.Ports, false)
	}
	return line
}

// idList names the openings a rule serves: all of a few, else the first ones and a count.
func idList(ids []string) string {
	safe := make([]string, 0, maxRuleIDs)
	for _, id := range ids[:min(len(ids), maxRuleIDs)] {
		safe = append(safe, terminalSafe(id))
	}
	s := strings.Join(safe, ", ")
	if n := len(ids) - len(safe); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}
