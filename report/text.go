package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fatih/color"

	"github.com/fwcheck/fwcheck/internal/wrap"
	"github.com/fwcheck/fwcheck/probe"
)

// textWriter writes the report for a person: the missing openings first, each as the rule to
// request, then warnings, then what passed, then a one-line summary.
type textWriter struct {
	opts                          Options
	red, yellow, green, faint, hd *color.Color
	col                           int // the target column's width
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

// maxListed is how many verified (or, in a run cut short, skipped) openings the text report
// names one by one without -v; the rest are counted, as nmap counts the ports it does not
// show. Failures and warnings are always listed in full.
const maxListed = 100

func (t *textWriter) Write(w io.Writer, r *Report) error {
	t.init()
	lay, err := t.layout(r)
	if err != nil {
		return err
	}
	t.col = lay.column
	b := bufio.NewWriterSize(w, 64<<10)
	head := fmt.Sprintf("fwcheck %s", terminalSafe(r.Profile))
	if r.Region != "" {
		head += " · region " + terminalSafe(r.Region)
	}
	head += " · via " + terminalSafe(r.Via) + lay.ways.text()
	if len(r.Source.Addresses) > 0 {
		head += " · from " + terminalSafe(strings.Join(r.Source.Addresses, ", "))
	}
	head += " · catalog " + terminalSafe(r.Tool.Catalog)
	b.WriteString(t.hd.Sprint(head) + "\n")
	for _, n := range r.Notes {
		b.WriteString(t.faint.Sprint("note: "+terminalSafe(n)) + "\n")
	}
	if len(r.Vantages) > 0 {
		if err := t.matrix(b, r); err != nil {
			return err
		}
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n" + t.yellow.Sprintf("FINDINGS (%d): causes that are not the firewall, no rule to request", len(r.Findings)) + "\n")
		for _, f := range r.Findings {
			t.finding(b, f)
		}
	}
	counts := map[string]int{Missing: r.Summary.Missing, Warning: r.Summary.Warnings, Verified: r.Summary.Verified, Skipped: r.Summary.Skipped}
	for _, status := range statusOrder {
		n := counts[status]
		if n == 0 || t.opts.Quiet && status != Missing {
			continue
		}
		b.WriteString("\n" + t.heading(status, n, r.DryRun) + "\n")
		limit := n
		if !t.opts.Verbose && (status == Verified || status == Skipped && !r.DryRun) {
			limit = min(n, maxListed)
		}
		groups := lay.groups[status]
		listed := 0
		err := r.eachStatus(status, func(o Opening) error {
			if listed == limit {
				return errListed
			}
			if g := groups[failureKey(o)]; g != nil && g.count >= minGroup {
				listed++
				if !g.printed {
					g.printed = true
					t.group(b, g)
				}
				return nil
			}
			listed++
			t.opening(b, o, r.DryRun)
			return nil
		})
		if err != nil && err != errListed {
			return err
		}
		if n > listed {
			fmt.Fprintf(b, "  %s\n", t.faint.Sprintf("... and %d more %s (-v lists every one; -o json has them all)", n-listed, strings.ToLower(status)))
		}
	}
	if len(r.AllowFrom) > 0 {
		b.WriteString("\n" + t.hd.Sprintf("ALLOW FROM THESE SOURCES (%d): inbound allowances no probe can make", len(r.AllowFrom)) + "\n")
		for _, a := range r.AllowFrom {
			b.WriteString(wrapAt("  - ", 6, terminalSafe(a.Name+": "+a.Reason), t.width()))
			b.WriteString(wrapAt("      ", 8, terminalSafe(a.Rule), t.width()))
		}
	}
	b.WriteString("\n" + t.summary(r) + "\n")
	return b.Flush()
}

// ways counts the dialed probes by the way they went, for the header: "via X (of N dialed
// probes, M direct)" when some went another way than the run's (a loopback target goes direct
// past --proxy, as NO_PROXY's rule says): the header must not claim a path a probe did not take.
type ways struct {
	dialed int
	others map[string]int
	order  []string
}

func (w *ways) add(r *Report, o Opening) {
	for _, p := range o.Probes {
		if !p.Dialed || p.Via == "" || p.State == string(probe.Skipped) {
			continue
		}
		w.dialed++
		if p.Via != r.Via && !strings.HasPrefix(r.Via, "pac ") {
			if w.others == nil {
				w.others = map[string]int{}
			}
			if w.others[p.Via] == 0 {
				w.order = append(w.order, p.Via)
			}
			w.others[p.Via]++
		}
	}
}

// text is the header's note on the other ways ("" when every probe went the run's way).
func (w *ways) text() string {
	if len(w.order) == 0 {
		return ""
	}
	var parts []string
	for _, via := range w.order[:min(len(w.order), 2)] {
		if via == probe.Direct {
			parts = append(parts, fmt.Sprintf("%d direct", w.others[via]))
		} else {
			parts = append(parts, fmt.Sprintf("%d via %s", w.others[via], terminalSafe(via)))
		}
	}
	if len(w.order) > 2 {
		parts = append(parts, "others")
	}
	return fmt.Sprintf(" (of %d dialed probe%s, %s)", w.dialed, pluralS(w.dialed), strings.Join(parts, ", "))
}

// errListed ends a listing that reached its limit.
var errListed = errors.New("listed enough")

func (t *textWriter) heading(status string, n int, dryRun bool) string {
	switch status {
	case Missing:
		return t.red.Sprintf("MISSING (%s): request these rules", Thousands(n))
	case Warning:
		return t.yellow.Sprintf("WARNINGS (%s)", Thousands(n))
	case Verified:
		return t.green.Sprintf("VERIFIED (%s)", Thousands(n))
	default:
		if dryRun {
			return t.hd.Sprintf("PLAN (%s, nothing dialed)", plural(n, "opening"))
		}
		return t.faint.Sprintf("SKIPPED (%s)", Thousands(n))
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

func (t *textWriter) opening(b *bufio.Writer, o Opening, dryRun bool) {
	req := ""
	if !o.Required {
		req = " (optional)"
	}
	b.WriteString(wrapAt(fmt.Sprintf("  %s %s  ", t.mark(o.Status), terminalSafe(o.ID)), 6, fmt.Sprintf("%s%s  [%s]", terminalSafe(o.Title), req, terminalSafe(o.Section)), t.width()))
	if o.Rule != "" && o.Status != Skipped || dryRun && o.Rule != "" {
		b.WriteString(wrapAt("      ", 8, terminalSafe(o.Rule), t.width()))
	}
	if len(o.Findings) > 0 && o.Status != Verified {
		what := "also see"
		if o.Rule == "" {
			what = "no rule: see"
		}
		fmt.Fprintf(b, "      %s the %s finding%s above\n", what, terminalSafe(strings.Join(o.Findings, ", ")), pluralS(len(o.Findings)))
	}
	if o.Status == Verified && restsOnProxy(o) {
		b.WriteString(wrapAt("      ", 6, t.faint.Sprint("on the proxy's word: it reported the tunnel open and nothing beyond it spoke (a TCP-only check)"), t.width()))
	}
	if o.Status == Skipped && (!dryRun || !planned(&o)) {
		fmt.Fprintf(b, "      %s\n", t.faint.Sprint(terminalSafe(o.Note)))
		return
	}
	for _, p := range o.Probes {
		if !t.shown(o, p, dryRun) {
			continue
		}
		state := p.State
		if dryRun {
			state = "planned"
		}
		tail := terminalSafe(p.Detail)
		switch {
		case !dryRun && p.Dialed:
			tail += fmt.Sprintf(" (%s, %s, %.0f ms)", p.Check, viaText(p), p.ElapsedMS)
		case dryRun && p.Dialed && p.Detail != "":
			tail += fmt.Sprintf(" (%s via %s)", p.Check, terminalSafe(p.Via))
		case dryRun && p.Dialed:
			tail = fmt.Sprintf("%s via %s", p.Check, terminalSafe(p.Via))
		}
		t.probeLine(b, p, state, tail)
		if p.Warning != "" {
			b.WriteString(wrapAt("      ", 6, t.yellow.Sprint("drift: "+terminalSafe(p.Warning)), t.width()))
		}
	}
}

// probeLine is a probe's target and state, then its detail on the lines below: one layout
// for every command, however wide the target.
func (t *textWriter) probeLine(b *bufio.Writer, p Probe, state, detail string) {
	head := fmt.Sprintf("      %-*s  %s", t.col, terminalSafe(probeTarget(p)), t.stateWord(p, state))
	b.WriteString(strings.TrimRight(head, " ") + "\n")
	if detail = strings.TrimSpace(detail); detail != "" {
		b.WriteString(wrapAt("        ", 8, detail, t.width()))
	}
}

// minGroup is how many openings that failed the same way the text report shows as one entry.
const minGroup = 5

// failureGroup is the openings of one status that failed the same way: the same section,
// group and requirement, and the same states and details on their failed probes.
type failureGroup struct {
	count   int
	ids     []string   // the first maxRuleIDs
	grants  aggregator // what the members' rules allow, aggregated as they are read
	rules   []string   // the first members' rules, where no grant can be made (warnings)
	first   Opening
	printed bool
}

// failureKey says how an opening failed, without where: openings with one key are one group.
func failureKey(o Opening) string {
	var parts []string
	for _, p := range o.Probes {
		if failedOrWarned(p) {
			parts = append(parts, strings.Join([]string{p.State, p.Reason, p.Detail, p.Check, p.Via, p.Warning}, "\x00"))
		}
	}
	slices.Sort(parts)
	parts = slices.Compact(parts)
	return strings.Join(append([]string{o.Status, o.Section, o.Group, fmt.Sprint(o.Required), strings.Join(o.Findings, ",")}, parts...), "\x01")
}

// addToGroup puts o in the group of its failureKey.
func addToGroup(groups map[string]*failureGroup, r *Report, o Opening) {
	k := failureKey(o)
	g := groups[k]
	if g == nil {
		g = &failureGroup{first: o}
		groups[k] = g
	}
	g.count++
	if len(g.ids) < maxRuleIDs {
		g.ids = append(g.ids, o.ID)
	}
	t, _ := rulesOf(r, o)
	g.grants.add(t...)
	if len(t) == 0 && o.Rule != "" && len(g.rules) < maxRuleIDs {
		g.rules = append(g.rules, o.Rule)
	}
}

// group writes a group of openings as one entry: how many and how they failed, the first ids,
// the rules that cover exactly what failed, and the failed probes of the first one.
func (t *textWriter) group(b *bufio.Writer, g *failureGroup) {
	o := g.first
	var states []string
	for _, p := range o.Probes {
		if failedOrWarned(p) {
			states = appendNew(states, p.State)
		}
	}
	req := ""
	if !o.Required {
		req = " (optional)"
	}
	b.WriteString(wrapAt(fmt.Sprintf("  %s ", t.mark(o.Status)), 4, fmt.Sprintf("%s openings %s%s  [%s]", Thousands(g.count),
		terminalSafe(strings.Join(states, ", ")), req, terminalSafe(o.Section)), t.width()))
	ids := make([]string, len(g.ids))
	for i, id := range g.ids {
		ids[i] = terminalSafe(id)
	}
	b.WriteString(wrapAt("      ", 6, fmt.Sprintf("%s and %d more (-v lists each)", strings.Join(ids, ", "), g.count-len(ids)), t.width()))
	for _, gr := range g.grants.grants() {
		b.WriteString(wrapAt("      ", 8, grantText(gr), t.width()))
	}
	for _, rule := range g.rules {
		b.WriteString(wrapAt("      ", 8, terminalSafe(rule), t.width()))
	}
	if n := g.count - len(g.rules); len(g.rules) > 0 && n > 0 {
		fmt.Fprintf(b, "      %s\n", t.faint.Sprintf("... and the rules of %d more (-v, or -o rules)", n))
	}
	if len(o.Findings) > 0 {
		fmt.Fprintf(b, "      see the %s finding%s above\n", terminalSafe(strings.Join(o.Findings, ", ")), pluralS(len(o.Findings)))
	}
	// Every member failed the same ways (failureKey): each way once, as the first member shows it.
	shown := map[string]bool{}
	for _, p := range o.Probes {
		tail := terminalSafe(p.Detail)
		if p.Dialed {
			tail += fmt.Sprintf(" (%s, %s)", p.Check, viaText(p))
		}
		if !failedOrWarned(p) || shown[p.State+"\x00"+tail] {
			continue
		}
		shown[p.State+"\x00"+tail] = true
		b.WriteString(wrapAt("      ", 6, t.stateColor(p, terminalSafe(p.State)+":")+" "+tail, t.width()))
	}
}

// shown reports whether a probe gets a line: failures always, passing ones with -v, every
// planned one in a dry run.
func (t *textWriter) shown(o Opening, p Probe, dryRun bool) bool {
	return t.opts.Verbose || dryRun || o.Status != Verified && failedOrWarned(p)
}

// failedOrWarned reports whether a probe gets its line without -v (in an opening not verified).
func failedOrWarned(p Probe) bool { return !p.OK || p.Warning != "" }

// stateWord is the state padded to its column and coloured by what it counts as.
func (t *textWriter) stateWord(p Probe, state string) string {
	if state == "planned" {
		return fmt.Sprintf("%-19s", state)
	}
	return t.stateColor(p, fmt.Sprintf("%-19s", state))
}

// stateColor colours text by what the probe counts as.
func (t *textWriter) stateColor(p Probe, text string) string {
	switch severityOf(p) {
	case probe.Fail:
		return t.red.Sprint(text)
	case probe.Warn:
		return t.yellow.Sprint(text)
	case probe.Pass:
		return t.green.Sprint(text)
	}
	return t.faint.Sprint(text)
}

// width is the line width details wrap at: the terminal's, or 80.
func (t *textWriter) width() int {
	if t.opts.Width > 0 {
		return t.opts.Width
	}
	return 80
}

// textLayout is what the text report must know before it prints a line: the width of its
// target column, (without -v) the groups of openings that failed the same way, and the ways
// the probes went.
type textLayout struct {
	column int
	groups map[string]map[string]*failureGroup // by status, then failureKey
	ways   ways
}

// layout reads the report once, before the first line: for the widest target label that will
// be printed (within bounds), the failure groups of missing openings and warnings without -v
// (so that 2,000 closed ports are a few lines, as nmap's "Not shown: 1999 closed ports"), and
// the ways the probes went. A spooled report is read twice in all: here, and to print.
func (t *textWriter) layout(r *Report) (textLayout, error) {
	lay := textLayout{column: 20, groups: map[string]map[string]*failureGroup{}}
	grouped := func(status string) bool { return !t.opts.Verbose && (status == Missing || status == Warning) }
	// Verified openings get probe lines only with -v, skipped ones only in a dry run (else
	// their note).
	lines := func(status string) bool {
		return !(status == Verified && !t.opts.Verbose && !r.DryRun || status == Skipped && !r.DryRun)
	}
	err := r.Each(func(o Opening) error {
		if !r.DryRun {
			lay.ways.add(r, o)
		}
		if grouped(o.Status) {
			if lay.groups[o.Status] == nil {
				lay.groups[o.Status] = map[string]*failureGroup{}
			}
			addToGroup(lay.groups[o.Status], r, o)
		}
		if !lines(o.Status) || o.Status == Skipped && !planned(&o) {
			return nil
		}
		for _, p := range o.Probes {
			if t.shown(o, p, r.DryRun) {
				lay.column = max(lay.column, targetWidth(p))
			}
		}
		return nil
	})
	lay.column = min(lay.column, maxTargetColumn)
	return lay, err
}

// maxTargetColumn bounds the text report's target column; a longer target pushes its line.
const maxTargetColumn = 48

// targetWidth is how wide a probe's target is in the text report.
func targetWidth(p Probe) int { return len([]rune(terminalSafe(probeTarget(p)))) }

// wrapAt writes head, then text wrapped at width with continuation lines indented to indent;
// when that leaves too little room, the text starts on the next line, indented by 8.
func wrapAt(head string, indent int, text string, width int) string {
	var b strings.Builder
	if width-indent < 30 && text != "" {
		b.WriteString(strings.TrimRight(head, " ") + "\n")
		indent = 8
		head = strings.Repeat(" ", indent)
	}
	b.WriteString(head)
	wrap.Words(&b, text, wrap.Width(head), indent, width)
	return strings.TrimRight(b.String(), " ") + "\n"
}

// maxFindingTargetsShown bounds the targets the text report lists under a finding.
const maxFindingTargetsShown = 5

func (t *textWriter) finding(b *bufio.Writer, f Finding) {
	kind := terminalSafe(f.Kind)
	b.WriteString(wrapAt("  "+t.yellow.Sprint("!")+" "+kind+": ", 4+len(kind)+2, terminalSafe(f.Summary), t.width()))
	if f.Detail != "" {
		b.WriteString(wrapAt("      ", 6, terminalSafe(f.Detail), t.width()))
	}
	if n := len(f.Targets); n > 0 {
		shown := f.Targets[:min(n, maxFindingTargetsShown)]
		line := strings.Join(shown, ", ")
		if n > len(shown) {
			line += fmt.Sprintf(" and %d more", n-len(shown))
		}
		b.WriteString(wrapAt("      ", 6, t.faint.Sprint(terminalSafe(line)), t.width()))
	}
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (t *textWriter) summary(r *Report) string {
	line := SummaryLine(r)
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

// viaText is the way a probe went: the proxy, how it authenticated, where it came from, and the
// proxies of a failover list that failed first.
func viaText(p Probe) string {
	s := terminalSafe(p.Via)
	if p.ProxyAuth != "" {
		s += " with " + p.ProxyAuth
	}
	if p.ProxySource == "pac" {
		s += " by the PAC file"
	}
	for _, a := range p.Attempts {
		s += fmt.Sprintf("; %s first: %s", terminalSafe(a.Via), a.Reason)
	}
	return s
}

// maxMatrixColumns is how many vantages the matrix draws one by one without -v; past it, the
// vantages with the same results share a column, so that the node that differs stands out.
const maxMatrixColumns = 8

// vantageGroup is vantages whose every cell is the same, in the order of their first member.
type vantageGroup struct {
	cells    []string // the members' status for each opening, in report order
	members  []Vantage
	problem  bool
	zoneList []string
}

// groupVantages reads the report once and groups its vantages by their column of results.
func groupVantages(r *Report) ([]*vantageGroup, error) {
	cols := make([][]string, len(r.Vantages))
	err := r.Each(func(o Opening) error {
		for i, v := range r.Vantages {
			cols[i] = append(cols[i], o.Cells[v.Name]) // "" where the vantage has no cell
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var groups []*vantageGroup
	byKey := map[string]*vantageGroup{}
	for i, v := range r.Vantages {
		key := strings.Join(cols[i], "\x00") + "\x01" + fmt.Sprint(v.Problem != "")
		g := byKey[key]
		if g == nil {
			g = &vantageGroup{cells: cols[i], problem: v.Problem != ""}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, v)
		if !slices.Contains(g.zoneList, v.Zone) && v.Zone != "" {
			g.zoneList = append(g.zoneList, v.Zone)
		}
	}
	return groups, nil
}

// groupedMatrix is the matrix of many vantages: one column per distinct column of results,
// its vantages named below.
func (t *textWriter) groupedMatrix(b *bufio.Writer, r *Report, legend string) error {
	groups, err := groupVantages(r)
	if err != nil {
		return err
	}
	idw := len("opening")
	var ids []string
	err = r.Each(func(o Opening) error {
		ids = append(ids, terminalSafe(o.ID))
		idw = max(idw, len([]rune(terminalSafe(o.ID))))
		return nil
	})
	if err != nil {
		return err
	}
	b.WriteString("\n" + t.hd.Sprintf("MATRIX (%d openings × %d vantages, in %d groups of the same results; -v draws each): %s",
		len(ids), len(r.Vantages), len(groups), legend) + "\n")
	line := fmt.Sprintf("  %-*s", idw, "opening")
	for i := range groups {
		line += fmt.Sprintf("  %-4s", fmt.Sprintf("[%d]", i+1))
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
	for row, id := range ids {
		line := fmt.Sprintf("  %-*s", idw, id)
		for _, g := range groups {
			mark := " "
			switch st := g.cells[row]; {
			case g.problem, st == NotRun:
				mark = t.yellow.Sprint("?")
			case st != "":
				mark = t.mark(st)
			}
			line += "  " + mark + "   "
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	for i, g := range groups {
		names := make([]string, 0, maxRuleIDs)
		for _, v := range g.members[:min(len(g.members), maxRuleIDs)] {
			names = append(names, terminalSafe(v.Name))
		}
		who := strings.Join(names, ", ")
		if n := len(g.members) - len(names); n > 0 {
			who += fmt.Sprintf(" and %d more", n)
		}
		zones := ""
		if len(g.zoneList) > 0 {
			zones = fmt.Sprintf(" (zone%s %s)", pluralS(len(g.zoneList)), terminalSafe(strings.Join(g.zoneList, ", ")))
		}
		b.WriteString(wrapAt(fmt.Sprintf("  [%d] ", i+1), 6, fmt.Sprintf("%d vantage%s: %s%s", len(g.members), pluralS(len(g.members)), who, zones), t.width()))
	}
	return nil
}

// matrix is a merged report's openings × vantages, the vantages grouped by zone: which node
// misses which opening, at a glance.
func (t *textWriter) matrix(b *bufio.Writer, r *Report) error {
	zones := zonesOf(r.Vantages)
	idw := len("opening")
	notRun := slices.ContainsFunc(r.Vantages, func(v Vantage) bool { return v.Problem != "" })
	err := r.Each(func(o Opening) error {
		idw = max(idw, len([]rune(terminalSafe(o.ID))))
		for _, st := range o.Cells {
			notRun = notRun || st == NotRun
		}
		return nil
	})
	if err != nil {
		return err
	}
	colw := func(v Vantage) int { return max(len(v.Name), 2) + 2 }
	legend := "✓ verified, ✗ missing, ! warning, - skipped"
	if notRun {
		legend += ", ? could not run (see its node finding)"
	}
	if !t.opts.Verbose && len(r.Vantages) > maxMatrixColumns {
		return t.groupedMatrix(b, r, legend)
	}
	b.WriteString("\n" + t.hd.Sprintf("MATRIX (%d openings × %d vantages): %s", r.Len(), len(r.Vantages), legend) + "\n")
	line := fmt.Sprintf("  %-*s", idw, "")
	for _, z := range zones {
		w := 0
		for _, v := range z {
			w += colw(v)
		}
		name := "zone " + terminalSafe(z[0].Zone)
		if z[0].Zone == "" {
			name = "(no zone)"
		}
		line += fmt.Sprintf("  %-*s", w, name)
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
	line = fmt.Sprintf("  %-*s", idw, "opening")
	for _, z := range zones {
		line += "  "
		for _, v := range z {
			line += fmt.Sprintf("%-*s", colw(v), terminalSafe(v.Name))
		}
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
	return r.Each(func(o Opening) error {
		line := fmt.Sprintf("  %-*s", idw, terminalSafe(o.ID))
		for _, z := range zones {
			line += "  "
			for _, v := range z {
				st, ok := o.Cells[v.Name]
				mark := " "
				switch {
				case v.Problem != "", st == NotRun:
					mark = t.yellow.Sprint("?")
				case ok:
					mark = t.mark(st)
				}
				line += mark + strings.Repeat(" ", colw(v)-1)
			}
		}
		_, err := b.WriteString(strings.TrimRight(line, " ") + "\n")
		return err
	})
}

// restsOnProxy reports whether a passing probe of o rests on a proxy's word alone.
func restsOnProxy(o Opening) bool {
	return slices.ContainsFunc(o.Probes, func(p Probe) bool { return p.OK && p.Proof == probe.ProofProxy })
}
