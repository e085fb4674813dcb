package report

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/fwcheck/fwcheck/probe"
)

type sweepKey struct {
	r    netip.Prefix
	port uint16
}

// aggregateSweeps folds the per-address results of a --sweep into one result per range and
// port: one answer proves the range; otherwise the commonest failure speaks for it.
func aggregateSweeps(rs []probe.Result) []probe.Result {
	swept := false
	for _, r := range rs {
		swept = swept || r.Target.Range.IsValid() && r.Target.Check != probe.CheckNone
	}
	if !swept {
		return rs
	}
	var out []probe.Result
	groups := map[sweepKey][]probe.Result{}
	var order []sweepKey
	for _, r := range rs {
		t := r.Target
		if !t.Range.IsValid() || t.Check == probe.CheckNone {
			out = append(out, r)
			continue
		}
		k := sweepKey{t.Range, t.Port}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
			out = append(out, probe.Result{}) // placeholder, filled below
		}
		groups[k] = append(groups[k], r)
	}
	i := 0
	for j := range out {
		if out[j].State != "" {
			continue
		}
		out[j] = summarizeSweep(order[i], groups[order[i]])
		i++
	}
	return out
}

func summarizeSweep(k sweepKey, rs []probe.Result) probe.Result {
	sum := rs[0]
	sum.Target.Host, sum.Target.Addr, sum.Address = k.r.String(), netip.Addr{}, netip.Addr{}
	counts := map[probe.State]int{}
	answered := 0
	var first netip.Addr
	for _, r := range rs {
		counts[r.State]++
		if r.OK() {
			if answered == 0 {
				first = r.Address
				sum.Source = r.Source
			}
			answered++
		}
		sum.Elapsed = max(sum.Elapsed, r.Elapsed)
	}
	if answered > 0 {
		sum.State, sum.Reason = probe.Open, "open:sweep"
		sum.Detail = fmt.Sprintf("%d of %d addresses answered on port %d (first %s): the path to the range is open", answered, len(rs), k.port, first)
		return sum
	}
	states := make([]probe.State, 0, len(counts))
	for s := range counts {
		states = append(states, s)
	}
	slices.SortFunc(states, func(a, b probe.State) int { return counts[b] - counts[a] })
	sum.State, sum.Reason = states[0], string(states[0])+":sweep"
	sum.Detail = fmt.Sprintf("none of %d addresses answered on port %d (%d %s)", len(rs), k.port, counts[states[0]], states[0])
	for _, r := range rs {
		if r.State == states[0] {
			sum.Source = r.Source
			break
		}
	}
	return sum
}

// collapsePlannedSweeps shows a planned sweep as one line per range and port, not one per address.
func collapsePlannedSweeps(ps []Probe, ts []probe.Target) []Probe {
	var out []Probe
	seen := map[sweepKey]int{}
	for i, p := range ps {
		t := ts[i]
		if !t.Range.IsValid() || t.Check == probe.CheckNone {
			out = append(out, p)
			continue
		}
		k := sweepKey{t.Range, t.Port}
		if j, ok := seen[k]; ok {
			out[j].Detail = fmt.Sprintf("sweep: %d addresses", countSweep(ts, k))
			continue
		}
		seen[k] = len(out)
		p.Host, p.Address = t.Range.String(), ""
		out = append(out, p)
	}
	return out
}

func countSweep(ts []probe.Target, k sweepKey) int {
	n := 0
	for _, t := range ts {
		if t.Range == k.r && t.Port == k.port && t.Check != probe.CheckNone {
			n++
		}
	}
	return n
}
