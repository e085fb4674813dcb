package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
)

// Vantage is a machine a report was made from: a node, a CI runner, a workstation.
type Vantage struct {
	Name      string   `json:"name"`
	Zone      string   `json:"zone,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
	// Problem says why a vantage that should have reported did not (a node whose pod never
	// ran): it has no results, and the openings it should have proven are unproven.
	Problem string `json:"problem,omitempty"`
}

// Read decodes a JSON report (schema fwcheck.report/v1) and checks its schema.
func Read(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("not a JSON report: %v", err)
	}
	if rep.Schema != Schema {
		return nil, fmt.Errorf("schema %q is not %s", rep.Schema, Schema)
	}
	for i := range rep.Openings {
		rep.Openings[i].planned = rep.Openings[i].Status != Skipped
		restoreSeverities(&rep.Openings[i])
	}
	return &rep, nil
}

// Merge joins reports made from several vantage points into one. It believes nothing a
// report says of its own verdicts: every opening is judged again from its probes, by the
// judge of a live run, with `required` from the catalog (cat, of the edition the reports
// name), so that a report that marks refused probes verified, or an optional opening
// required, changes nothing. Every probe keeps the vantage it was made from; an opening is as
// bad as it is from its worst vantage; one a vantage did not report did not run there and
// cannot pass. Reports of another profile, region or edition, of no openings, or with a
// state or status fwcheck does not know are bad input.
func Merge(reports []*Report, vantages []Vantage, cat *endpoints.Catalog) (*Report, error) {
	if len(reports) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	first := reports[0]
	out := &Report{Schema: Schema, Tool: first.Tool, Profile: first.Profile, Region: first.Region,
		Started: first.Started, Via: first.Via, Source: Source{Hostname: "(merged)", Addresses: []string{}},
		Findings: []Finding{}, Openings: []Opening{}, Vantages: vantages, DryRun: first.DryRun}
	var end time.Time
	byID := map[string]int{}
	for i, rep := range reports {
		v := vantages[i]
		if err := sameRun(rep, first, v.Name, vantages[0].Name); err != nil {
			return nil, err
		}
		if rep.Len() == 0 {
			return nil, fmt.Errorf("%s: the report holds no openings (field openings): nothing was checked there", quote.Value(v.Name))
		}
		if rep.Started.Before(out.Started) {
			out.Started = rep.Started
		}
		end = maxTime(end, rep.Started.Add(time.Duration(rep.ElapsedMS)*time.Millisecond))
		out.Source.Addresses = appendNew(out.Source.Addresses, rep.Source.Addresses...)
		for _, n := range rep.Notes {
			out.Notes = appendNew(out.Notes, n)
		}
		for _, f := range rep.Findings {
			if !slices.Contains(FindingKinds, f.Kind) {
				return nil, fmt.Errorf("%s: findings: kind %s is not one fwcheck knows (%s)", quote.Value(v.Name), quote.Value(f.Kind), strings.Join(FindingKinds, ", "))
			}
			f.Summary = v.Name + ": " + f.Summary
			out.Findings = append(out.Findings, f)
		}
		src := cmp.Or(strings.Join(rep.Source.Addresses, ", "), "<this host>")
		err := rep.Each(func(o Opening) error {
			if err := rejudge(&o, cat, src); err != nil {
				return fmt.Errorf("opening %s: %w", quote.Value(o.ID), err)
			}
			for k := range o.Probes {
				o.Probes[k].Vantage = v.Name
			}
			if o.Rule != "" {
				o.Rule = v.Name + ": " + o.Rule
			}
			j, ok := byID[o.ID]
			if !ok {
				byID[o.ID] = len(out.Openings)
				o.Cells = map[string]string{v.Name: o.Status}
				out.Openings = append(out.Openings, o)
				return nil
			}
			m := &out.Openings[j]
			if _, twice := m.Cells[v.Name]; twice {
				return fmt.Errorf("opening %s is in the report twice", quote.Value(o.ID))
			}
			if m.Group != o.Group {
				return fmt.Errorf("opening %s is of group %s here and %s in %s", quote.Value(o.ID), quote.Value(o.Group), quote.Value(m.Group), quote.Value(vantages[0].Name))
			}
			m.Cells[v.Name] = o.Status
			m.Probes = append(m.Probes, o.Probes...)
			m.Findings = appendNew(m.Findings, o.Findings...)
			if o.Rule != "" {
				m.Rule = strings.TrimPrefix(m.Rule+"; "+o.Rule, "; ")
			}
			if statusRank[o.Status] > statusRank[m.Status] {
				m.Status, m.Note = o.Status, o.Note
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", quote.Value(v.Name), err)
		}
	}
	notRun(out)
	out.ElapsedMS = end.Sub(out.Started).Milliseconds()
	slices.Sort(out.Source.Addresses)
	out.Summary = summarize(out.Openings)
	out.Summary.Probes = 0
	for _, rep := range reports {
		out.Summary.Probes += rep.Summary.Probes
	}
	return out, nil
}

// statusRank orders statuses from best to worst, for the merged verdict of an opening.
var statusRank = map[string]int{Skipped: 0, Verified: 1, Warning: 2, Missing: 3}

// NotRun is the cell of an opening a vantage did not report: it did not run there.
const NotRun = "not-run"

// sameRun says why rep cannot be merged with first: another command, region or catalog.
func sameRun(rep, first *Report, name, firstName string) error {
	for _, f := range []struct{ field, got, want string }{
		{"profile", rep.Profile, first.Profile},
		{"region", rep.Region, first.Region},
		{"tool.catalog", rep.Tool.Catalog, first.Tool.Catalog},
	} {
		if f.got != f.want {
			return fmt.Errorf("%s: %s is %s, and %s in %s: merge reports of one command, region and catalog edition",
				quote.Value(name), f.field, quote.Value(f.got), quote.Value(f.want), quote.Value(firstName))
		}
	}
	if rep.DryRun != first.DryRun {
		return fmt.Errorf("%s: dry_run is %t, and %t in %s: merge runs with runs, plans with plans", quote.Value(name), rep.DryRun, first.DryRun, quote.Value(firstName))
	}
	return nil
}

// rejudge judges a decoded opening again from its probes, as a live run does: its status,
// required flag (the catalog's), findings and rule. src is the vantage's own addresses, for a
// rule's source. What the report said of the opening's verdict is checked and ignored.
func rejudge(o *Opening, cat *endpoints.Catalog, src string) error {
	if _, known := statusRank[o.Status]; !known {
		return fmt.Errorf("status %s is not one of verified, missing, warning, skipped", quote.Value(o.Status))
	}
	required, ok := cat.Required(o.ID, o.Group)
	if !ok {
		return fmt.Errorf("group %s is not in catalog edition %s", quote.Value(o.Group), quote.Value(cat.Edition))
	}
	if len(o.Probes) == 0 {
		return fmt.Errorf("no probes: nothing proves it")
	}
	for k := range o.Probes {
		p := &o.Probes[k]
		if !slices.Contains(probe.States, probe.State(p.State)) {
			return fmt.Errorf("probe %d: state %s is not a state fwcheck knows", k+1, quote.Value(p.State))
		}
		p.OK = probe.State(p.State).Severity() == probe.Pass
		if p.Dialed && p.State != string(probe.Skipped) && p.Via == probe.Direct {
			p.source = src
		}
	}
	restoreSeverities(o)
	o.Required, o.Findings, o.Rule = required, nil, ""
	o.Status = status(*o)
	o.planned = o.Status != Skipped || o.Note == "dry run: nothing dialed"
	for _, p := range o.Probes {
		if p.severity != probe.Pass && p.finding != "" {
			o.Findings = appendNew(o.Findings, p.finding)
		}
	}
	if o.Status == Missing || o.Status == Warning {
		o.Rule = strings.ReplaceAll(failedRule(*o), unknownSource, src)
	}
	return nil
}

// notRun marks, in every merged opening, the vantages that did not report it: a cell that did
// not run, which keeps the opening from passing (a vantage whose whole run failed is the
// node finding's, and Unproven's).
func notRun(r *Report) {
	absentFrom := map[string][]string{} // vantage -> the openings it did not report
	defer func() {
		for _, v := range r.Vantages {
			ids := absentFrom[v.Name]
			if len(ids) == 0 {
				continue
			}
			r.Findings = append(r.Findings, Finding{Kind: FindingNode,
				Summary: fmt.Sprintf("%s did not report %s: they did not run there, and cannot pass", v.Name, plural(len(ids), "opening")),
				Detail:  "its report lacks them: another command line, an older fwcheck, or a report cut short",
				Targets: ids[:min(len(ids), maxFindingTargets)]})
		}
	}()
	for i := range r.Openings {
		o := &r.Openings[i]
		var absent []string
		for _, v := range r.Vantages {
			if _, ok := o.Cells[v.Name]; !ok && v.Problem == "" {
				o.Cells[v.Name] = NotRun
				absent = append(absent, v.Name)
				if o.Status != Skipped {
					absentFrom[v.Name] = append(absentFrom[v.Name], o.ID)
				}
			}
		}
		if len(absent) == 0 || o.Status == Skipped {
			continue
		}
		note := "not run from " + strings.Join(absent, ", ") + ": it did not report this opening"
		o.Note = strings.TrimPrefix(o.Note+"; "+note, "; ")
		o.Findings = appendNew(o.Findings, FindingNode)
		if o.Required {
			o.Status = Missing
		} else if o.Status == Verified {
			o.Status = Warning
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// zonesOf groups vantage names by zone, zones sorted, for the matrix.
func zonesOf(vs []Vantage) [][]Vantage {
	byZone := map[string][]Vantage{}
	var zones []string
	for _, v := range vs {
		if _, ok := byZone[v.Zone]; !ok {
			zones = append(zones, v.Zone)
		}
		byZone[v.Zone] = append(byZone[v.Zone], v)
	}
	slices.SortFunc(zones, func(a, b string) int { return cmp.Compare(a, b) })
	out := make([][]Vantage, len(zones))
	for i, z := range zones {
		out[i] = byZone[z]
	}
	return out
}

// Unproven fails every checked opening of a merged report through a finding of the given kind:
// a vantage that should have proven it did not report (a node whose pod never ran). An
// opening not already failed becomes missing (a warning when optional) with the kind among
// its findings and no rule of its own, as any opening that failed only through findings; one
// skipped everywhere (left out by --skip) stays skipped.
func Unproven(r *Report, kind string) {
	for i := range r.Openings {
		o := &r.Openings[i]
		if o.Status == Skipped {
			continue
		}
		o.Findings = appendNew(o.Findings, kind)
		switch {
		case o.Status == Missing:
		case o.Required:
			o.Status = Missing
		default:
			o.Status = Warning
		}
	}
	probes := r.Summary.Probes
	r.Summary = summarize(r.Openings)
	r.Summary.Probes = probes
}
