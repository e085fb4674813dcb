package report

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
)

// maxSweepSamples is how many addresses a swept range's entry names per state.
const maxSweepSamples = 3

// Tally folds the results of one swept range on one port as they come: counts per state and
// a few sample results, never the results themselves, so a sweep's memory does not grow with
// its range. It is safe for concurrent use.
type Tally struct {
	Range netip.Prefix
	Port  uint16

	mu      sync.Mutex
	total   int
	counts  map[probe.State]int
	samples map[probe.State][]probe.Result
}

// Tallies are the tallies of a plan's sweeps by opening index, in sweep then port order.
type Tallies map[int][]*Tally

// NewTallies makes one tally per range and port of every sweep of every opening.
func NewTallies(plan *endpoints.Plan) Tallies {
	out := Tallies{}
	for i, o := range plan.All() {
		for _, s := range o.Sweeps {
			for _, port := range s.Ports {
				out[i] = append(out[i], &Tally{Range: s.Range, Port: port})
			}
		}
	}
	return out
}

// Add counts one address's results.
func (t *Tally) Add(rs ...probe.Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts, t.samples = map[probe.State]int{}, map[probe.State][]probe.Result{}
	}
	for _, r := range rs {
		t.total++
		t.counts[r.State]++
		if s := t.samples[r.State]; len(s) < maxSweepSamples {
			t.samples[r.State] = append(s, r)
		}
	}
}

// fold sums the range up as one result: a completed handshake to any address proves the path open; resets
// alone prove nothing (a firewall that rejects sends them too); otherwise the commonest
// failure speaks for the range.
func (t *Tally) fold() (probe.Result, *SweepStats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	target := probe.Target{Host: t.Range.String(), Port: t.Port, Check: probe.CheckTCP, Range: t.Range}
	sum := probe.Result{Target: target, Via: probe.Direct}
	stats := &SweepStats{Addresses: t.total, States: map[string]int{}, Samples: []string{}}
	for s, n := range t.counts {
		stats.States[string(s)] = n
	}
	pick := func(s probe.State) {
		for _, r := range t.samples[s] {
			if r.Address.IsValid() {
				stats.Samples = append(stats.Samples, r.Address.String())
			}
			sum.Elapsed = max(sum.Elapsed, r.Elapsed)
		}
		if first := t.samples[s]; len(first) > 0 {
			sum.Source, sum.Via = first[0].Source, first[0].Via
		}
	}
	switch {
	case t.total == 0:
		sum.State, sum.Reason = probe.LocalError, "local-error:no-result"
		sum.Detail = fmt.Sprintf("no address of %s was dialed on port %d (a bug in fwcheck: please report it)", t.Range, t.Port)
	case t.counts[probe.Open] > 0:
		pick(probe.Open)
		sum.State, sum.Reason = probe.Open, "open:sweep"
		sum.Detail = fmt.Sprintf("%d of %d addresses completed a TCP handshake on port %d (first %s): the path to the range is open",
			t.counts[probe.Open], t.total, t.Port, stats.Samples[0])
	case t.counts[probe.Refused] > 0:
		pick(probe.Refused)
		sum.State, sum.Reason = probe.Unverified, "unverified:resets-only"
		sum.Detail = fmt.Sprintf("no address of %d completed a TCP handshake on port %d; %d answered with a reset, which a firewall that rejects (reject with tcp reset) sends too: not proof that the path is open",
			t.total, t.Port, t.counts[probe.Refused])
	default:
		states := make([]probe.State, 0, len(t.counts))
		for s := range t.counts {
			states = append(states, s)
		}
		slices.SortFunc(states, func(a, b probe.State) int {
			if d := t.counts[b] - t.counts[a]; d != 0 {
				return d
			}
			return slices.Index(probe.States, a) - slices.Index(probe.States, b)
		})
		worst := states[0]
		pick(worst)
		first := t.samples[worst][0]
		sum.State, sum.Reason = worst, first.Reason
		sum.Detail = fmt.Sprintf("none of %d addresses answered on port %d (%d %s: %s)", t.total, t.Port, t.counts[worst], worst, first.Detail)
	}
	return sum, stats
}

// plannedSweeps shows a planned sweep as one line per range and port.
func plannedSweeps(o endpoints.Opening, via func(probe.Target) string) []Probe {
	var out []Probe
	for _, s := range o.Sweeps {
		for _, port := range s.Ports {
			t := probe.Target{Host: s.Range.String(), Port: port, Check: probe.CheckTCP, Range: s.Range}
			p := plannedProbe(t)
			p.Detail = fmt.Sprintf("sweep: %d addresses", s.Addresses())
			p.Sweep = &SweepStats{Addresses: s.Addresses(), States: map[string]int{}, Samples: []string{}}
			if via != nil {
				p.Via = via(t)
			}
			out = append(out, p)
		}
	}
	return out
}
