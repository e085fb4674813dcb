package report

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
)

// DiffSchema names the JSON form of `fwcheck diff`.
const DiffSchema = "fwcheck.diff/v1"

// Kinds of change between two reports, per opening (and vantage, for merged reports).
const (
	NewlyMissing  = "newly-missing"
	NewlyVerified = "newly-verified"
	Changed       = "changed"
	Appeared      = "appeared"
	Gone          = "gone"
)

// Diff is what changed between two reports of one command and region: the run before a
// firewall change and the run after, yesterday's and today's.
type Diff struct {
	Schema  string      `json:"schema"`
	Profile string      `json:"profile"`
	Region  string      `json:"region"`
	Old     DiffSide    `json:"old"`
	New     DiffSide    `json:"new"`
	Summary DiffSummary `json:"summary"`
	Changes []Change    `json:"changes"`
}

// DiffSide names one of the two reports.
type DiffSide struct {
	File    string    `json:"file"`
	Started time.Time `json:"started"`
	Catalog string    `json:"catalog"`
}

// DiffSummary counts the changes by kind; RequiredMissing counts the required openings that
// became missing (the exit code's).
type DiffSummary struct {
	NewlyMissing    int `json:"newly_missing"`
	NewlyVerified   int `json:"newly_verified"`
	Changed         int `json:"changed"`
	Appeared        int `json:"appeared"`
	Gone            int `json:"gone"`
	RequiredMissing int `json:"required_missing"`
}

// Change is one opening (at one vantage) whose status or reason changed.
type Change struct {
	ID       string `json:"id"`
	Vantage  string `json:"vantage,omitempty"`
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
	Before   string `json:"before,omitempty"` // status, empty when it appeared
	After    string `json:"after,omitempty"`  // status, empty when it is gone
	// Why is the failed probes' state:reason before and after.
	WhyBefore string `json:"why_before,omitempty"`
	WhyAfter  string `json:"why_after,omitempty"`
}

// ExitCode is 1 when a required opening became missing (a CI gate against regressions), else 0.
func (d *Diff) ExitCode() int {
	if d.Summary.RequiredMissing > 0 {
		return 1
	}
	return 0
}

// cell is one opening at one vantage, judged again from its probes.
type cell struct {
	status, why string
	required    bool
}

// cellsOf judges every opening of r again from its probes (per vantage in a merged report),
// with required from cat: what a report says of its own verdicts is not believed.
func cellsOf(r *Report, cat *endpoints.Catalog) (map[[2]string]cell, []string, error) {
	cells := map[[2]string]cell{}
	var order []string
	err := r.Each(func(o Opening) error {
		byVantage := map[string][]Probe{}
		var vantages []string
		for _, p := range o.Probes {
			if _, ok := byVantage[p.Vantage]; !ok {
				vantages = append(vantages, p.Vantage)
			}
			byVantage[p.Vantage] = append(byVantage[p.Vantage], p)
		}
		if len(vantages) == 0 {
			vantages = []string{""}
		}
		for _, v := range vantages {
			one := o
			one.Probes = byVantage[v]
			if err := rejudge(&one, cat, "<this host>"); err != nil {
				return fmt.Errorf("opening %s: %w", o.ID, err)
			}
			k := [2]string{o.ID, v}
			if _, dup := cells[k]; dup {
				return fmt.Errorf("opening %s is in the report twice", o.ID)
			}
			cells[k] = cell{one.Status, whyOf(one), one.Required}
			order = append(order, o.ID+"\x00"+v)
		}
		return nil
	})
	return cells, order, err
}

// whyOf is what failed in an opening: its failed probes' state:reason, distinct, sorted.
func whyOf(o Opening) string {
	var out []string
	for _, p := range o.Probes {
		if s := severityOf(p); s == probe.Fail || s == probe.Warn {
			out = appendNew(out, p.State+":"+p.Reason)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// NewDiff compares two reports of one profile and region, judging both again (cat gives
// which openings are required). Reports of another profile or region are bad input.
func NewDiff(old, new *Report, oldFile, newFile string, cat *endpoints.Catalog) (*Diff, error) {
	if old.Profile != new.Profile || old.Region != new.Region {
		return nil, fmt.Errorf("%s is a %s report for region %q and %s a %s report for region %q: diff reports of one command and region",
			oldFile, old.Profile, old.Region, newFile, new.Profile, new.Region)
	}
	before, oldOrder, err := cellsOf(old, cat)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", oldFile, err)
	}
	after, newOrder, err := cellsOf(new, cat)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", newFile, err)
	}
	d := &Diff{Schema: DiffSchema, Profile: new.Profile, Region: new.Region, Changes: []Change{},
		Old: DiffSide{oldFile, old.Started, old.Tool.Catalog}, New: DiffSide{newFile, new.Started, new.Tool.Catalog}}
	seen := map[string]bool{}
	for _, key := range append(newOrder, oldOrder...) {
		if seen[key] {
			continue
		}
		seen[key] = true
		id, v, _ := strings.Cut(key, "\x00")
		k := [2]string{id, v}
		b, hadB := before[k]
		a, hasA := after[k]
		c := Change{ID: id, Vantage: v, Before: b.status, After: a.status, WhyBefore: b.why, WhyAfter: a.why, Required: a.required || !hasA && b.required}
		switch {
		case !hadB:
			c.Kind = Appeared
			d.Summary.Appeared++
		case !hasA:
			c.Kind = Gone
			d.Summary.Gone++
		case a.status == Missing && b.status != Missing:
			c.Kind = NewlyMissing
			d.Summary.NewlyMissing++
		case a.status == Verified && b.status != Verified:
			c.Kind = NewlyVerified
			d.Summary.NewlyVerified++
		case a.status != b.status || a.why != b.why:
			c.Kind = Changed
			d.Summary.Changed++
		default:
			continue
		}
		if c.Required && a.status == Missing && b.status != Missing {
			d.Summary.RequiredMissing++
		}
		d.Changes = append(d.Changes, c)
	}
	slices.SortStableFunc(d.Changes, func(x, y Change) int { return cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)) })
	return d, nil
}

func kindRank(k string) int {
	return slices.Index([]string{NewlyMissing, Appeared, Changed, Gone, NewlyVerified}, k)
}

// DiffFormats are the formats `fwcheck diff` writes.
var DiffFormats = []string{"github", "json", "markdown", "text"}

// WriteDiff writes d in one of DiffFormats.
func WriteDiff(w io.Writer, format string, d *Diff) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	case "text":
		return guarded(func(w io.Writer, _ *Report) error { return writeDiffText(w, d) })(w, nil)
	case "markdown":
		return guarded(func(w io.Writer, _ *Report) error { return writeDiffMarkdown(w, d) })(w, nil)
	case "github":
		return writeDiffGitHub(w, d)
	}
	return fmt.Errorf("unknown output format %q (valid: %s)", format, strings.Join(DiffFormats, ", "))
}

func (d *Diff) line() string {
	s := d.Summary
	return fmt.Sprintf("%d newly missing (%d required), %d newly verified, %d changed, %d appeared, %d gone",
		s.NewlyMissing, s.RequiredMissing, s.NewlyVerified, s.Changed, s.Appeared, s.Gone)
}

func (c Change) where() string {
	if c.Vantage == "" {
		return c.ID
	}
	return c.ID + " @ " + c.Vantage
}

func (c Change) transition() string {
	t := cmp.Or(c.Before, "(absent)") + " -> " + cmp.Or(c.After, "(absent)")
	if c.WhyBefore != c.WhyAfter {
		t += " (" + cmp.Or(c.WhyBefore, "-") + " -> " + cmp.Or(c.WhyAfter, "-") + ")"
	}
	return t
}

func writeDiffText(w io.Writer, d *Diff) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "fwcheck diff %s · %s: %s -> %s\n", terminalSafe(d.Profile), terminalSafe(d.Region), terminalSafe(d.Old.File), terminalSafe(d.New.File))
	for _, c := range d.Changes {
		req := ""
		if !c.Required {
			req = " (optional)"
		}
		fmt.Fprintf(b, "  %-15s %s%s: %s\n", c.Kind, terminalSafe(c.where()), req, terminalSafe(c.transition()))
	}
	if len(d.Changes) == 0 {
		b.WriteString("  no change\n")
	}
	fmt.Fprintf(b, "\n%s\n", d.line())
	return b.Flush()
}

func writeDiffMarkdown(w io.Writer, d *Diff) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "## fwcheck diff %s · %s\n\n%s.\n\n", mdCell(d.Profile), mdCell(d.Region), d.line())
	if len(d.Changes) > 0 {
		b.WriteString("| change | opening | vantage | required | before | after |\n|---|---|---|---|---|---|\n")
		for _, c := range d.Changes {
			fmt.Fprintf(b, "| %s | %s | %s | %t | %s | %s |\n", c.Kind, mdCell(c.ID), mdCell(c.Vantage), c.Required,
				mdCell(strings.TrimSpace(c.Before+" "+c.WhyBefore)), mdCell(strings.TrimSpace(c.After+" "+c.WhyAfter)))
		}
	}
	return b.Flush()
}

func writeDiffGitHub(w io.Writer, d *Diff) error {
	var errs, notes annotations
	for _, c := range d.Changes {
		msg := c.transition()
		switch {
		case c.Kind == NewlyMissing && c.Required:
			errs.add(annotation("error", "fwcheck: "+c.where()+" became missing", msg))
		default:
			notes.add(annotation("notice", "fwcheck: "+c.where()+" "+c.Kind, msg))
		}
	}
	errs.total, notes.total = d.Summary.RequiredMissing, len(d.Changes)-d.Summary.RequiredMissing
	var b strings.Builder
	errs.write(&b, "errors")
	notes.write(&b, "notices")
	b.WriteString(annotation("notice", "fwcheck diff", d.line()))
	_, err := io.WriteString(w, b.String())
	return err
}
