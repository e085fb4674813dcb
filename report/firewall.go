package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strings"

	"github.com/fwcheck/fwcheck/endpoints"
)

// The firewall formats write a report's grants in a firewall's own syntax, loadable as
// printed: findings and what is not an address yet become comments, never rules.

// Chains the rules join unless --rules-chain names another: a network team's firewall
// forwards the traffic of the machines behind it.
const (
	DefaultNftChain = "inet filter forward"
	DefaultIptChain = "FORWARD"
)

var (
	nftName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]{0,63}$`)
	iptName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,28}$`)
)

// nftChain reads --rules-chain for nftables: FAMILY TABLE CHAIN.
func nftChain(s string) (family, table, chain string, err error) {
	f := strings.Fields(orDefault(s, DefaultNftChain))
	if len(f) != 3 || (f[0] != "ip" && f[0] != "ip6" && f[0] != "inet") || !nftName.MatchString(f[1]) || !nftName.MatchString(f[2]) {
		return "", "", "", fmt.Errorf("--rules-chain %q is not an nftables chain: give FAMILY TABLE CHAIN, such as 'inet filter forward' (family ip, ip6 or inet)", s)
	}
	return f[0], f[1], f[2], nil
}

// iptChain reads --rules-chain for iptables: CHAIN, or TABLE CHAIN.
func iptChain(s string) (table, chain string, err error) {
	f := strings.Fields(orDefault(s, DefaultIptChain))
	if len(f) == 1 {
		f = []string{"filter", f[0]}
	}
	if len(f) != 2 || (f[0] != "filter" && f[0] != "mangle" && f[0] != "raw" && f[0] != "security") || !iptName.MatchString(f[1]) {
		return "", "", fmt.Errorf("--rules-chain %q is not an iptables chain: give CHAIN (FORWARD, OUTPUT, a chain of yours) or TABLE CHAIN (filter FORWARD)", s)
	}
	return f[0], f[1], nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// ruleComment names the openings a rule serves, in the characters every firewall takes, cut
// to max bytes.
func ruleComment(ids []string, max int) string {
	s := "fwcheck: " + strings.Join(ids, ", ")
	s = strings.Map(func(r rune) rune {
		if r < 0x80 && (r == ' ' || r == ',' || r == ':' || r == '.' || r == '-' || r == '_' || r == '/' ||
			r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
	if len(s) > max {
		s = s[:max-3] + "..."
	}
	return s
}

// commentLines writes what is not a rule: the findings and the destinations that are not
// addresses yet, as comment lines.
func commentLines(b *bufio.Writer, r *Report, unplaced []Unplaced) {
	for _, f := range r.Findings {
		fmt.Fprintf(b, "# finding %s (no rule): %s\n", terminalSafe(f.Kind), terminalSafe(f.Summary))
	}
	for _, u := range unplaced {
		fmt.Fprintf(b, "# not a rule: %s %s %s port %s: %s\n", terminalSafe(u.Opening), terminalSafe(u.Protocol),
			terminalSafe(u.Destination), terminalSafe(u.Ports), terminalSafe(u.Why))
	}
}

func what(r *Report) string {
	if r.DryRun {
		return "every opening the plan lists (dry run)"
	}
	return "the openings this run found missing"
}

// writeNftables writes an `nft -f` script that appends an accept rule per grant to the chain.
func writeNftables(w io.Writer, r *Report, chainSpec string) error {
	family, table, chain, err := nftChain(chainSpec)
	if err != nil {
		return err
	}
	grants, unplaced, err := GrantsOf(r)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "#!/usr/sbin/nft -f\n# fwcheck: %s, as %d accept rules appended to %s %s %s.\n", what(r), len(grants), family, table, chain)
	fmt.Fprintf(b, "# Load: nft -f FILE (the chain must exist; nft -c -f FILE checks without loading).\n")
	commentLines(b, r, unplaced)
	for _, g := range grants {
		ip := "ip"
		if g.IPv6() {
			ip = "ip6"
		}
		if family == "ip" && g.IPv6() || family == "ip6" && !g.IPv6() {
			fmt.Fprintf(b, "# not for a %s table: %s to %s\n", family, g.Protocol, prefixesText(g.Dests, ", "))
			continue
		}
		line := "add rule " + family + " " + table + " " + chain
		if len(g.Sources) > 0 {
			line += " " + ip + " saddr { " + prefixesText(g.Sources, ", ") + " }"
		}
		line += " " + ip + " daddr { " + prefixesText(g.Dests, ", ") + " }"
		if g.AnyPort {
			line += " meta l4proto " + g.Protocol
		} else {
			line += " " + g.Protocol + " dport { " + strings.ReplaceAll(rangesText(g.Ports, false), ",", ", ") + " }"
		}
		line += fmt.Sprintf(" accept comment %q", ruleComment(g.Openings, 127))
		fmt.Fprintln(b, line)
	}
	return b.Flush()
}

// writeIptables writes `iptables-restore --noflush` input (IPv4) or, with six,
// `ip6tables-restore --noflush` input: an appended ACCEPT per grant and port chunk.
func writeIptables(w io.Writer, r *Report, chainSpec string, six bool) error {
	table, chain, err := iptChain(chainSpec)
	if err != nil {
		return err
	}
	grants, unplaced, err := GrantsOf(r)
	if err != nil {
		return err
	}
	tool, other := "iptables", "ip6tables"
	if six {
		tool, other = other, tool
	}
	b := bufio.NewWriter(w)
	n, elsewhere := 0, 0
	var lines []string
	for _, g := range grants {
		if g.IPv6() != six {
			elsewhere++
			continue
		}
		for _, ports := range multiportChunks(g.Ports) {
			line := "-A " + chain
			if len(g.Sources) > 0 {
				line += " -s " + prefixesText(g.Sources, ",")
			}
			line += " -d " + prefixesText(g.Dests, ",") + " -p " + g.Protocol
			switch {
			case g.AnyPort:
			case len(ports) == 1 && ports[0].Lo == ports[0].Hi:
				line += fmt.Sprintf(" -m %s --dport %d", g.Protocol, ports[0].Lo)
			default:
				line += " -m multiport --dports " + strings.ReplaceAll(rangesText(ports, false), "-", ":")
			}
			line += fmt.Sprintf(" -m comment --comment %q -j ACCEPT", ruleComment(g.Openings, 255))
			lines = append(lines, line)
			n++
			if g.AnyPort {
				break
			}
		}
	}
	fmt.Fprintf(b, "# fwcheck: %s, as %d ACCEPT rules appended to the %s chain of the %s table.\n", what(r), n, chain, table)
	fmt.Fprintf(b, "# Load: %s-restore --noflush FILE (%s-restore --test --noflush FILE checks it).\n", tool, tool)
	if elsewhere > 0 {
		fmt.Fprintf(b, "# %d more grants are for %s: -o %s.\n", elsewhere, other, other)
	}
	commentLines(b, r, unplaced)
	fmt.Fprintf(b, "*%s\n", table)
	for _, l := range lines {
		fmt.Fprintln(b, l)
	}
	fmt.Fprintln(b, "COMMIT")
	return b.Flush()
}

// multiportChunks splits port ranges into the lists iptables' multiport match takes: at most
// 15 ports, a range counting as two.
func multiportChunks(rs []endpoints.PortRange) [][]endpoints.PortRange {
	var out [][]endpoints.PortRange
	var cur []endpoints.PortRange
	used := 0
	for _, r := range rs {
		cost := 1
		if r.Lo != r.Hi {
			cost = 2
		}
		if used+cost > 15 {
			out, cur, used = append(out, cur), nil, 0
		}
		cur, used = append(cur, r), used+cost
	}
	if len(cur) > 0 || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// writeCSV writes one row per missing opening and destination group, for a ticket system.
func writeCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "section", "protocol", "source", "destinations", "ports", "reason", "finding"})
	err := r.Each(func(o Opening) error {
		if !wantsRule(r, o) {
			return nil
		}
		grants, unplaced := GrantsOfOpening(r, o)
		reason, finding := failureReasons(r, o), strings.Join(o.Findings, " ")
		row := func(cells ...string) error {
			for i := range cells {
				cells[i] = cellSafe(cells[i])
			}
			return cw.Write(cells)
		}
		for _, g := range grants {
			if err := row(o.ID, o.Section, g.Protocol, prefixesText(g.Sources, " "), prefixesText(g.Dests, " "), rangesText(g.Ports, g.AnyPort), reason, finding); err != nil {
				return err
			}
		}
		for _, u := range unplaced {
			if err := row(o.ID, o.Section, u.Protocol, "", u.Destination, u.Ports, u.Why, finding); err != nil {
				return err
			}
		}
		if len(grants) == 0 && len(unplaced) == 0 {
			// Failed only through findings: a row that names them, with no destination to open.
			return row(o.ID, o.Section, o.Protocol, "", "", o.Ports, reason, finding)
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// failureReasons are the distinct reasons of an opening's probes that did not pass.
func failureReasons(r *Report, o Opening) string {
	if r.DryRun {
		return "planned (dry run)"
	}
	var rs []string
	for _, p := range o.Probes {
		if !p.OK && p.Reason != "" {
			rs = appendNew(rs, p.Reason)
		}
	}
	return strings.Join(rs, " ")
}

// cellSafe keeps a spreadsheet from reading a cell as a formula (another program's text may
// start with =, +, - or @), and a terminal from reading it as a control sequence.
func cellSafe(s string) string {
	s = terminalSafe(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

func prefixesText(ps []netip.Prefix, sep string) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = prefixString(p)
	}
	return strings.Join(s, sep)
}

// prefixString writes a single address without its /32 or /128.
func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}
