package run

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/report"
)

// TestRunConcurrently: run.Run keeps nothing between calls, so two at once (serve's round and
// a /probe request) each get their own verdict, under -race: one proves an open port, the
// other a closed one, in memory and spooled.
func TestRunConcurrently(t *testing.T) {
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0").Addr().String()
	closed := testnet.Closed(t, "127.0.0.1")
	cases := []struct {
		target, status string
		spool          int
	}{
		{open, report.Verified, 0},
		{closed, report.Missing, 0},
		{open, report.Verified, -1},
		{closed, report.Missing, -1},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cases))
	for i, tc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := Input{Facts: endpoints.Facts{Profile: endpoints.Adhoc, Probes: []string{tc.target}}, SpoolAbove: tc.spool,
				Getenv: func(string) string { return "" }}
			in.Probe.Timeout = 2 * time.Second
			out, err := Run(t.Context(), in)
			if err != nil {
				errs[i] = err
				return
			}
			defer out.Report.Close()
			errs[i] = out.Report.Each(func(o report.Opening) error {
				if o.Status != tc.status {
					return fmt.Errorf("%s is %s; want %s", tc.target, o.Status, tc.status)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
}
