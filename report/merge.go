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
)

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
	return &rep, nil
}

// Merge joins reports held in memory (the nodes' pods' reports): Merger, one at a time.
func Merge(reports []*Report, vantages []Vantage, cat *endpoints.Catalog) (*Report, error) {
	if len(reports) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	m := NewMerger(cat, false)
	for i, rep := range reports {
		if err := m.Add(rep, vantages[i]); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m.Report()
}

// Merger joins reports made from several vantage points into one, one report at a time. It
// believes nothing a report says of its own verdicts: every opening is judged again from its
// probes, by the judge of a live run, with `required` from the catalog (cat, of the edition
// the reports name), so that a report that marks refused probes verified, or an optional
// opening required, changes nothing. Every probe keeps the vantage it was made from; an
// opening is as bad as it is from its worst vantage; one a vantage did not report did not run
// there and cannot pass. Reports of another profile, region or edition, of no openings, or
// with a state or status fwcheck does not know are bad input.
//
// With spool, each report's openings go to a temporary file as they are judged and the merged
// report is spooled too: memory holds one report and an index, not their sum.
type Merger struct {
	cat      *endpoints.Catalog
	out      *Report
	end      time.Time
	stage    stage
	ids      []string
	byID     map[string]int
	records  [][]staged // per merged opening, in the order the vantages came
	spool    bool
	warnings []string
}

// staged is one vantage's judged opening, kept in the stage.
type staged struct {
	vantage int
	record  int
}

// stage keeps the openings of the reports added so far until the merged report is made.
type stage interface {
	add(o *Opening) (int, error)
	get(i int) (Opening, error)
	close() error
}

// memoryStage is a stage in memory.
type memoryStage []Opening

func (m *memoryStage) add(o *Opening) (int, error) { *m = append(*m, *o); return len(*m) - 1, nil }
func (m *memoryStage) get(i int) (Opening, error)  { return (*m)[i], nil }
func (m *memoryStage) close() error                { *m = nil; return nil }

// NewMerger starts a merge judged by cat; with spool, it keeps the openings in temporary
// files (in memory, with a warning, where none can be made).
func NewMerger(cat *endpoints.Catalog, spool bool) *Merger {
	m := &Merger{cat: cat, byID: map[string]int{}, spool: spool}
	if spool {
		if sp, err := newSpool(0); err == nil {
			m.stage = sp
		} else {
			m.spool = false
			m.warnings = append(m.warnings, fmt.Sprintf("%v; the merge is held in memory instead", err))
		}
	}
	if m.stage == nil {
		m.stage = &memoryStage{}
	}
	return m
}

// Warnings are what went wrong keeping the merge on this machine, without changing a verdict.
func (m *Merger) Warnings() []string { return m.warnings }

// Close releases the stage (Report does once it is done).
func (m *Merger) Close() error { return m.stage.close() }

// Add judges the openings of one more report, made from v, and keeps them for the merge; rep
// is not kept.
func (m *Merger) Add(rep *Report, v Vantage) error {
	if m.out == nil {
		m.out = &Report{Schema: Schema, Tool: rep.Tool, Profile: rep.Profile, Region: rep.Region,
			Started: rep.Started, Via: rep.Via, Source: Source{Hostname: "(merged)", Addresses: []string{}},
			Findings: []Finding{}, DryRun: rep.DryRun}
	} else if err := sameRun(rep, m.out, v.Name, m.out.Vantages[0].Name); err != nil {
		return err
	}
	if rep.Len() == 0 {
		return fmt.Errorf("%s: the report holds no openings (field openings): nothing was checked there", quote.Value(v.Name))
	}
	vi := len(m.out.Vantages)
	m.out.Vantages = append(m.out.Vantages, v)
	if rep.Started.Before(m.out.Started) {
		m.out.Started = rep.Started
	}
	m.end = maxTime(m.end, rep.Started.Add(time.Duration(rep.ElapsedMS)*time.Millisecond))
	m.out.Source.Addresses = appendNew(m.out.Source.Addresses, rep.Source.Addresses...)
	for _, n := range rep.Notes {
		m.out.Notes = appendNew(m.out.Notes, n)
	}
	for _, f := range rep.Findings {
		if !slices.Contains(FindingKinds, f.Kind) {
			return fmt.Errorf("%s: findings: kind %s is not one fwcheck knows (%s)", quote.Value(v.Name), quote.Value(f.Kind), strings.Join(FindingKinds, ", "))
		}
		f.Summary = v.Name + ": " + f.Summary
		m.out.Findings = append(m.out.Findings, f)
	}
	src := cmp.Or(strings.Join(rep.Source.Addresses, ", "), "<this host>")
	err := rep.Each(func(o Opening) error {
		if err := rejudge(&o, m.cat, src); err != nil {
			return fmt.Errorf("opening %s: %w", quote.Value(o.ID), err)
		}
		for k := range o.Probes {
			o.Probes[k].Vantage = v.Name
		}
		if o.Rule != "" {
			o.Rule = v.Name + ": " + o.Rule
		}
		j, seen := m.byID[o.ID]
		if !seen {
			j = len(m.ids)
			m.byID[o.ID] = j
			m.ids = append(m.ids, o.ID)
			m.records = append(m.records, nil)
		}
		for _, r := range m.records[j] {
			if r.vantage == vi {
				return fmt.Errorf("opening %s is in the report twice", quote.Value(o.ID))
			}
		}
		k, err := m.stage.add(&o)
		if err != nil {
			return err
		}
		m.records[j] = append(m.records[j], staged{vi, k})
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", quote.Value(v.Name), err)
	}
	return nil
}

// Report makes the merged report, one opening at a time, and releases the stage. Close the
// report when it is written (a spooled one holds a temporary file).
func (m *Merger) Report() (*Report, error) {
	defer m.stage.close()
	if m.out == nil {
		return nil, fmt.Errorf("nothing to merge")
	}
	out := m.out
	var store openingStore = &memoryStore{openings: make([]Opening, len(m.ids))}
	if m.spool {
		sp, err := newSpool(len(m.ids))
		if err != nil {
			return nil, err
		}
		store = sp
	}
	absentFrom := map[string][]string{} // vantage -> the openings it did not report
	var sum Summary
	sum.Openings = len(m.ids)
	for i := range m.ids {
		var merged Opening
		for n, r := range m.records[i] {
			o, err := m.stage.get(r.record)
			if err != nil {
				store.close()
				return nil, err
			}
			name := out.Vantages[r.vantage].Name
			if n == 0 {
				merged = o
				merged.Cells = map[string]string{name: o.Status}
				continue
			}
			if merged.Group != o.Group {
				store.close()
				return nil, fmt.Errorf("%s: opening %s is of group %s there and %s in %s", quote.Value(name), quote.Value(o.ID), quote.Value(o.Group), quote.Value(merged.Group), quote.Value(out.Vantages[m.records[i][0].vantage].Name))
			}
			merged.Cells[name] = o.Status
			merged.Probes = append(merged.Probes, o.Probes...)
			merged.Findings = appendNew(merged.Findings, o.Findings...)
			if o.Rule != "" {
				merged.Rule = strings.TrimPrefix(merged.Rule+"; "+o.Rule, "; ")
			}
			if statusRank[o.Status] > statusRank[merged.Status] {
				merged.Status, merged.Note = o.Status, o.Note
			}
		}
		for _, name := range notRun(&merged, out.Vantages) {
			absentFrom[name] = append(absentFrom[name], merged.ID)
		}
		sum.add(&merged)
		if err := store.put(i, &merged, false); err != nil {
			store.close()
			return nil, err
		}
	}
	for _, v := range out.Vantages {
		if ids := absentFrom[v.Name]; len(ids) > 0 {
			out.Findings = append(out.Findings, Finding{Kind: FindingNode,
				Summary: fmt.Sprintf("%s did not report %s: they did not run there, and cannot pass", v.Name, plural(len(ids), "opening")),
				Detail:  "its report lacks them: another command line, an older fwcheck, or a report cut short",
				Targets: ids[:min(len(ids), maxFindingTargets)]})
		}
	}
	out.ElapsedMS = m.end.Sub(out.Started).Milliseconds()
	slices.Sort(out.Source.Addresses)
	out.Summary = sum
	if err := store.finish(out, "<this host>"); err != nil {
		store.close()
		return nil, err
	}
	if w := store.warning(); w != "" {
		m.warnings = append(m.warnings, w)
	}
	return out, nil
}

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

// notRun marks in a merged opening the vantages that did not report it: a cell that did not
// run, which keeps the opening from passing (a vantage whose whole run failed is the node
// finding's, and Unproven's). It returns those vantages, for the report's node finding.
func notRun(o *Opening, vantages []Vantage) (absent []string) {
	for _, v := range vantages {
		if _, ok := o.Cells[v.Name]; !ok && v.Problem == "" {
			o.Cells[v.Name] = NotRun
			absent = append(absent, v.Name)
		}
	}
	if len(absent) == 0 || o.Status == Skipped {
		return nil
	}
	o.Note = strings.TrimPrefix(o.Note+"; not run from "+strings.Join(absent, ", ")+": it did not report this opening", "; ")
	o.Findings = appendNew(o.Findings, FindingNode)
	if o.Required {
		o.Status = Missing
	} else if o.Status == Verified {
		o.Status = Warning
	}
	return absent
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

// UnprovenPlan turns a dry run's report into openings nobody proved: each planned one missing
// (Unproven then says why, and makes an optional one a warning), with no rule of its own. A
// plan large enough to be spooled is left as it is: `nodes` plans a worker check, a few dozen
// openings.
func UnprovenPlan(r *Report) *Report {
	for i := range r.openings {
		if o := &r.openings[i]; o.Status == Skipped && o.Note == DryRunNote {
			o.Status, o.Note, o.Rule = Missing, "", ""
		}
	}
	return r
}

// Unproven fails every checked opening of a merged report through a finding of the given kind:
// a vantage that should have proven it did not report (a node whose pod never ran). An
// opening not already failed becomes missing (a warning when optional) with the kind among
// its findings and no rule of its own, as any opening that failed only through findings; one
// skipped everywhere (left out by --skip) stays skipped.
func Unproven(r *Report, kind string) {
	for i := range r.openings {
		o := &r.openings[i]
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
	r.Summary = summarize(r.openings)
	r.Summary.Probes = probes
}
