package report

import (
	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
)

// Build judges every opening of plan from results, where results[i][j] holds the results of
// target j of opening i (nil for an opening not run), holding the report in memory.
func Build(plan *endpoints.Plan, results [][][]probe.Result, m Meta) *Report {
	m.Spool = false
	b, _ := NewBuilder(plan, m) // a builder in memory cannot fail
	for i := range plan.Len() {
		var res [][]probe.Result
		if i < len(results) {
			res = results[i]
		}
		b.Add(i, res)
	}
	r, _ := b.Report(m.Elapsed)
	return r
}
