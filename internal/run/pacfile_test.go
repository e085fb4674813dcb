package run

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/probe"
)

// TestProxyIsAStepOfTheRun: the PAC file is read by the run, not when the Input is made: two
// runs of one Input at once (serve's rounds and /probe's requests share one) each read it,
// write nothing the other reads (-race), and report the PAC file as the way their probes went.
// A PAC URL nothing answers is bad input for a run that dials, and nothing for a dry run.
func TestProxyIsAStepOfTheRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "proxy.pac")
	os.WriteFile(file, []byte(`function FindProxyForURL(url, host) { return "DIRECT"; }`), 0o644)
	open := testnet.Accepting(t, "tcp", "127.0.0.1:0").Addr().String()
	in := Input{
		Facts:  endpoints.Facts{Profile: endpoints.Adhoc, Probes: []string{open}},
		Probe:  probe.Config{Timeout: 2 * time.Second, Proxy: &probe.ProxyConfig{}},
		Getenv: func(string) string { return "" },
		PAC:    file,
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := Run(t.Context(), in)
			if err != nil {
				t.Error(err)
				return
			}
			defer out.Report.Close()
			if out.Report.Via != "pac "+file || out.Report.Summary.Verified != 1 {
				t.Errorf("via %q, %+v; want the PAC file and one verified", out.Report.Via, out.Report.Summary)
			}
		}()
	}
	wg.Wait()
	if in.Probe.Proxy.PAC != nil || in.Probe.Proxy.Source != "" {
		t.Errorf("the run wrote to its caller's proxy settings: %+v", in.Probe.Proxy)
	}

	in.PAC = "http://" + testnet.Closed(t, "127.0.0.1") + "/proxy.pac"
	if _, err := Run(t.Context(), in); err == nil {
		t.Error("a PAC URL nothing answers: no error")
	}
	in.DryRun = true
	if out, err := Run(t.Context(), in); err != nil {
		t.Errorf("a dry run fetched the PAC URL: %v", err)
	} else {
		out.Report.Close()
	}
}
