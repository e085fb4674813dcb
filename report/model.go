// Package report turns a plan and its probe results into what they mean (which openings are
// verified, missing or in doubt, and the firewall rules to request) and writes that as text,
// JSON, JUnit, Markdown or bare rules.
//
// The package is cut in four: the schema (model.go: plain data, the JSON form), the judging
// (judge.go: a probe's severity and finding, an opening's status and rule, the one place a
// live run, merge and diff call), the keeping of judged openings (builder.go, spool.go: in
// memory or in a temporary file) and the writers (writer.go and one file a format).
package report

import (
	"encoding/json"
	"time"

	"github.com/fwcheck/fwcheck/probe"
)

// Schema names the JSON report format; it changes only with an incompatible change.
const Schema = "fwcheck.report/v1"

// Opening statuses.
const (
	Verified = "verified"
	Missing  = "missing"
	Warning  = "warning"
	Skipped  = "skipped"
)

// Report is the whole result of a run; its JSON form is schema fwcheck.report/v1.
type Report struct {
	Schema    string    `json:"schema"`
	Tool      Tool      `json:"tool"`
	Profile   string    `json:"profile"`
	Region    string    `json:"region"`
	Started   time.Time `json:"started"`
	ElapsedMS int64     `json:"elapsed_ms"`
	Via       string    `json:"via"`
	Source    Source    `json:"source"`
	DryRun    bool      `json:"dry_run,omitempty"`
	Notes     []string  `json:"notes,omitempty"`
	Summary   Summary   `json:"summary"`
	// Findings are the causes that are not the firewall (DNS, the proxy, this machine, an
	// interrupted run, discovery): read them before the rules.
	Findings []Finding `json:"findings"`
	// AllowFrom are allowances from outside that no probe can make (the Ingress health
	// checks' sources): requests of their own, never warnings.
	AllowFrom []Allowance `json:"allow_from,omitempty"`
	// Vantages are the machines a merged report was made from (fwcheck merge, nodes).
	Vantages []Vantage `json:"vantages,omitempty"`
	// openings are the judged openings, in plan order: in memory, or in a spool (a temporary
	// file) for runs of many thousand. Each reads both; the JSON form lists them last, as
	// "openings".
	openings []Opening
	spool    *spool
}

// Allowance is a list of sources a firewall must let in to some destinations.
type Allowance struct {
	Name         string   `json:"name"`
	Reason       string   `json:"reason"`
	Rule         string   `json:"rule"`
	Sources      []string `json:"sources"`
	Destinations []string `json:"destinations"`
	Ports        string   `json:"ports"`
}

// Tool names the fwcheck build and catalog edition that made the report.
type Tool struct {
	Version string `json:"version"`
	Catalog string `json:"catalog"`
}

// Source is where the probes left from.
type Source struct {
	Hostname  string   `json:"hostname"`
	Addresses []string `json:"addresses"`
}

// Summary counts openings by status, computed once when the report is built.
type Summary struct {
	Openings int `json:"openings"`
	Verified int `json:"verified"`
	Missing  int `json:"missing"`
	Warnings int `json:"warnings"`
	Skipped  int `json:"skipped"`
	Probes   int `json:"probes"`
}

// Opening is one opening of the plan with its verdict.
type Opening struct {
	ID           string   `json:"id"`
	Group        string   `json:"group"`
	Section      string   `json:"section"`
	Title        string   `json:"title"`
	Reason       string   `json:"reason,omitempty"`
	Direction    string   `json:"direction"`
	Protocol     string   `json:"protocol"`
	Ports        string   `json:"ports"`
	Destinations []string `json:"destinations"`
	Required     bool     `json:"required"`
	Status       string   `json:"status"`
	// Rule is the firewall rule to request: only what failed, from the source this machine
	// used. Empty for a verified opening.
	Rule string `json:"rule"`
	// Findings names the kinds of the report's findings behind this opening's failures; an
	// opening that failed only through them has no rule.
	Findings []string `json:"findings,omitempty"`
	Note     string   `json:"note,omitempty"`
	// Cells is a merged opening's status from each vantage (by vantage name).
	Cells  map[string]string `json:"vantage_status,omitempty"`
	Probes []Probe           `json:"probes"`
}

// Probe is one probe's outcome.
type Probe struct {
	Host     string `json:"host"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Via      string `json:"via"`
	Check    string `json:"check"`
	// Dialed is false for a target that cannot be dialed from this side (a port range with no
	// listener, a range without --sweep): it stands for an unproven part of the opening.
	Dialed    bool    `json:"dialed"`
	State     string  `json:"state"`
	OK        bool    `json:"ok"`
	Reason    string  `json:"reason,omitempty"`
	Detail    string  `json:"detail"`
	Warning   string  `json:"warning,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
	// SYNs and WaitedMS say, for a filtered probe, how many SYNs went unanswered and how long
	// fwcheck waited for an answer.
	SYNs     int     `json:"syns,omitempty"`
	WaitedMS float64 `json:"waited_ms,omitempty"`
	// ProxySource says where the proxy (or a PAC file's DIRECT) came from: flag, pac, env or
	// system; Attempts lists the entries of a PAC failover list tried before Via.
	ProxySource string               `json:"proxy_source,omitempty"`
	Attempts    []probe.ProxyAttempt `json:"attempts,omitempty"`
	// ProxyAuth names the scheme that authenticated to the proxy: Negotiate, NTLM or Basic.
	ProxyAuth string `json:"proxy_auth,omitempty"`
	// Vantage names the machine the probe was made from, in a merged report.
	Vantage string `json:"vantage,omitempty"`
	// Proof is "proxy" when an open TCP-only probe rests on the proxy's word alone: the
	// proxy reported the tunnel open and nothing beyond it spoke.
	Proof string `json:"proof,omitempty"`
	// Sweep, for a swept range, counts its addresses by state; Host is the range.
	Sweep *SweepStats `json:"sweep,omitempty"`
	// Source is the address the probe's connection left from, when the system said.
	Source string `json:"source,omitempty"`
}

// Vantage is a machine a report was made from: a node, a CI runner, a workstation.
type Vantage struct {
	Name      string   `json:"name"`
	Zone      string   `json:"zone,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
	// Problem says why a vantage that should have reported did not (a node whose pod never
	// ran): it has no results, and the openings it should have proven are unproven.
	Problem string `json:"problem,omitempty"`
}

// Finding is a root cause the network team's firewall cannot fix: a resolver, a proxy, this
// machine, an interrupted run.
type Finding struct {
	Kind    string   `json:"kind"`
	Summary string   `json:"summary"`
	Detail  string   `json:"detail"`
	Targets []string `json:"targets"`
}

// SweepStats is a swept range's entry in the report: how many addresses were dialed on the
// port, how many ended in each state, and a few of them.
type SweepStats struct {
	Addresses int            `json:"addresses"`
	States    map[string]int `json:"states"`
	Samples   []string       `json:"samples"`
}

// Notes of skipped openings that say why nothing proved them.
const (
	// DryRunNote is the note of an opening a dry run planned and did not dial.
	DryRunNote = "dry run: nothing dialed"
	// InterruptedNote is the note of an opening the run ended before proving.
	InterruptedNote = "the run was interrupted before this opening was proven"
)

// NotRun is the cell of an opening a vantage did not report: it did not run there.
const NotRun = "not-run"

// reportHead is the report without its openings: its JSON form is the report's head.
type reportHead Report

// reportJSON is the report's JSON form: the head, then the openings.
type reportJSON struct {
	*reportHead
	Openings []Opening `json:"openings"`
}

// MarshalJSON writes the report as schema fwcheck.report/v1, reading a spooled report's
// openings back into memory: the JSON writer streams them instead.
func (r *Report) MarshalJSON() ([]byte, error) {
	all := r.openings
	if r.spool != nil {
		all = make([]Opening, 0, r.Len())
		if err := r.Each(func(o Opening) error { all = append(all, o); return nil }); err != nil {
			return nil, err
		}
	}
	if all == nil {
		all = []Opening{} // "openings": [], never null
	}
	return json.Marshal(reportJSON{(*reportHead)(r), all})
}

// UnmarshalJSON reads a report of schema fwcheck.report/v1 into memory; Read checks it too.
func (r *Report) UnmarshalJSON(b []byte) error {
	var in reportJSON
	in.reportHead = (*reportHead)(r)
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	r.openings, r.spool = in.Openings, nil
	return nil
}
