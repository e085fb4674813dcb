package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
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

// statusRank orders statuses from best to worst, for the merged verdict of an opening.
var statusRank = map[string]int{Skipped: 0, Verified: 1, Warning: 2, Missing: 3}

// Merge joins reports made from several vantage points into one: every probe keeps the
// vantage it was made from, an opening is as bad as it is from its worst vantage, and the
// findings and rules of every vantage are kept, each naming its vantage.
func Merge(reports []*Report, vantages []Vantage) (*Report, error) {
	if len(reports) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	first := reports[0]
	out := &Report{Schema: Schema, Tool: first.Tool, Profile: first.Profile, Region: first.Region,
		Started: first.Started, Via: first.Via, Source: Source{Hostname: "(merged)", Addresses: []string{}},
		Findings: []Finding{}, Openings: []Opening{}, Vantages: vantages}
	var end time.Time
	byID := map[string]int{}
	for i, rep := range reports {
		v := vantages[i]
		if rep.Profile != out.Profile {
			return nil, fmt.Errorf("%s is a %s report; the first is %s: merge reports of one command", v.Name, rep.Profile, out.Profile)
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
			f.Summary = v.Name + ": " + f.Summary
			out.Findings = append(out.Findings, f)
		}
		err := rep.Each(func(o Opening) error {
			for k := range o.Probes {
				o.Probes[k].Vantage = v.Name
			}
			j, ok := byID[o.ID]
			if !ok {
				byID[o.ID] = len(out.Openings)
				o.Cells = map[string]string{v.Name: o.Status}
				if o.Rule != "" {
					o.Rule = v.Name + ": " + o.Rule
				}
				out.Openings = append(out.Openings, o)
				return nil
			}
			m := &out.Openings[j]
			m.Cells[v.Name] = o.Status
			m.Probes = append(m.Probes, o.Probes...)
			m.Findings = appendNew(m.Findings, o.Findings...)
			if o.Rule != "" {
				m.Rule = strings.TrimPrefix(m.Rule+"; "+v.Name+": "+o.Rule, "; ")
			}
			if statusRank[o.Status] > statusRank[m.Status] {
				m.Status, m.Note = o.Status, o.Note
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, err)
		}
	}
	out.ElapsedMS = end.Sub(out.Started).Milliseconds()
	slices.Sort(out.Source.Addresses)
	out.Summary = summarize(out.Openings)
	out.Summary.Probes = 0
	for _, rep := range reports {
		out.Summary.Probes += rep.Summary.Probes
	}
	return out, nil
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
