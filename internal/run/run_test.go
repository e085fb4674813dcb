package run

import (
	"net/netip"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// TestProbePlanPlacesEveryResult: probes finish in any order, and each opening is judged as its
// last one does; every result still lands in its own opening and target, a sweep's in its
// tally, a skipped opening is not dialed and one with nothing to dial is never verified, in
// memory and spooled alike.
func TestProbePlanPlacesEveryResult(t *testing.T) {
	open := netip.MustParseAddrPort(testnet.Accepting(t, "tcp", "127.0.0.5:0").Addr().String())
	closed := netip.MustParseAddrPort(testnet.Closed(t, "127.0.0.1"))
	tcp := func(ap netip.AddrPort) probe.Target {
		return probe.Target{Host: ap.Addr().String(), Addr: ap.Addr(), Port: ap.Port(), Check: probe.CheckTCP}
	}
	opening := func(id string, targets ...probe.Target) endpoints.Opening {
		return endpoints.Opening{ID: id, Required: true, Protocol: "tcp", Ports: "any", Targets: targets}
	}
	skipped := opening("skipped", tcp(open))
	skipped.Skip = "left out"
	sweep := opening("sweep")
	sweep.Sweeps = []endpoints.Sweep{{Range: netip.MustParsePrefix("127.0.0.4/30"), Ports: []uint16{open.Port(), closed.Port()}}}
	plan := endpoints.NewPlan(endpoints.Adhoc,
		opening("mixed", tcp(open), tcp(closed), tcp(open)),
		skipped,
		opening("nothing"),
		sweep,
		opening("open", tcp(open)),
	)
	want := []struct {
		status string
		states []string
	}{
		{report.Missing, []string{"open", "refused", "open"}},
		{report.Skipped, []string{"skipped"}},
		{report.Missing, []string{"local-error"}},
		// 127.0.0.5 answers on the open port, so the range is proven there; on the closed
		// port every address resets: unverified, never a pass.
		{report.Warning, []string{"open", "unverified"}},
		{report.Verified, []string{"open"}},
	}
	for _, spool := range []bool{false, true} {
		tallies := report.NewTallies(plan)
		b, err := report.NewBuilder(plan, report.Meta{Sweeps: tallies, Spool: spool})
		if err != nil {
			t.Fatal(err)
		}
		p := probe.New(probe.Config{Timeout: 2 * time.Second, Concurrency: 4})
		if got := probePlan(t.Context(), plan, p, tallies, b); got != nil {
			t.Errorf("an intercepted result from plain TCP probes: %+v", got)
		}
		r, err := b.Report(time.Second)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		err = r.Each(func(o report.Opening) error {
			w := want[i]
			i++
			var states []string
			for _, p := range o.Probes {
				states = append(states, p.State)
			}
			if o.Status != w.status || len(states) != len(w.states) {
				t.Errorf("spool %v: %s is %s with %v; want %s with %v", spool, o.ID, o.Status, states, w.status, w.states)
				return nil
			}
			for k := range states {
				if states[k] != w.states[k] {
					t.Errorf("spool %v: %s probe %d is %s; want %s", spool, o.ID, k, states[k], w.states[k])
				}
			}
			return nil
		})
		if err != nil || i != len(want) {
			t.Errorf("spool %v: read %d openings (%v); want %d", spool, i, err, len(want))
		}
		r.Close()
	}
}
