package cli

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/internal/run"
	"github.com/fwcheck/fwcheck/report"
)

// Bounds of /probe: requests dialing at once (each is one target, so memory stays small), and
// the longest timeout a request may ask for.
const (
	maxProbeRequests = 8
	maxProbeTimeout  = time.Minute
	// scrapeSlack is kept from Prometheus's scrape timeout, as blackbox_exporter does, so that
	// the answer arrives before the scrape gives up.
	scrapeSlack = 500 * time.Millisecond
)

var (
	descProbeSuccess = prometheus.NewDesc("probe_success", "1 when the target's opening is verified (as blackbox_exporter's).", nil, nil)
	descProbeSeconds = prometheus.NewDesc("probe_duration_seconds", "How long the probe of the target took.", nil, nil)
	descProbeState   = prometheus.NewDesc("fwcheck_probe_state", "1 for the state each address of the target ended in.", []string{"address", "state", "reason"}, nil)
	descProbeTimeout = prometheus.NewDesc("fwcheck_probe_timeout_seconds", "The timeout the probe ran with.", nil, nil)
)

// probeHandler is blackbox_exporter's /probe: GET /probe?target=HOST:PORT|URL[&timeout=D]
// dials the target now, the way serve's own check dials (check: its proxy, CA file, source
// address, DNS server and pins, the environment), as `fwcheck probe TARGET` with those flags
// would, and answers with its series. It is off unless --probe-endpoint is given: whoever
// reaches the port can make the node dial anywhere.
func probeHandler(check run.Input) http.Handler {
	template := probeTemplate(check)
	slots := make(chan struct{}, maxProbeRequests)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		target := q.Get("target")
		switch {
		case target == "":
			http.Error(rw, "the target parameter is missing: /probe?target=HOST:PORT or a URL", http.StatusBadRequest)
			return
		case strings.HasPrefix(target, "-"):
			http.Error(rw, "target "+quote.Value(target)+" is not HOST:PORT or a URL", http.StatusBadRequest)
			return
		}
		timeout, err := probeTimeout(q.Get("timeout"), r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-r.Context().Done():
			return
		}
		if _, err := endpoints.ParseProbeTarget(target); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		in := template
		in.Facts.Probes = []string{target}
		in.Probe.Timeout = timeout
		start := time.Now()
		out, err := run.Run(r.Context(), in)
		elapsed := time.Since(start)
		if err != nil {
			http.Error(rw, errorLine(plainError(err.Error())), http.StatusBadRequest)
			return
		}
		defer out.Report.Close()
		var opening report.Opening
		if out.Report.Len() != 1 || out.Report.Each(func(o report.Opening) error { opening = o; return nil }) != nil {
			http.Error(rw, "the probe left no report", http.StatusInternalServerError)
			return
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(probeCollector{opening, elapsed, timeout})
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rw, r)
	})
}

// probeTemplate is a check's run with what chooses its targets taken out: what a /probe
// request fills in (one ad-hoc target, its timeout) on the check's way of dialing.
func probeTemplate(check run.Input) run.Input {
	in := check
	in.Facts = endpoints.Facts{Profile: endpoints.Adhoc}
	in.Catalog, in.Edition = nil, ""
	in.Kubeconfig, in.KubeContext, in.ServiceAccountDir = "", "", ""
	in.Findings, in.OnStart, in.SpoolAbove = nil, nil, 0
	in.Probe.OnTargetDone = nil
	return in
}

// probeTimeout is the request's timeout: its own parameter, else Prometheus's scrape timeout
// less a margin, else the check's default; between 10ms and a minute.
func probeTimeout(param, scrapeHeader string) (time.Duration, error) {
	d := 5 * time.Second
	switch {
	case param != "":
		v, err := time.ParseDuration(param)
		if err != nil {
			return 0, quote.Errorf("timeout %q is not a duration such as 2s", param)
		}
		d = v
	case scrapeHeader != "":
		if s, err := strconv.ParseFloat(scrapeHeader, 64); err == nil && s > 0 {
			d = min(time.Duration(s*float64(time.Second))-scrapeSlack, d)
		}
	}
	if d < 10*time.Millisecond || d > maxProbeTimeout {
		return 0, quote.Errorf("timeout %s is out of range: give 10ms to %s", d, maxProbeTimeout)
	}
	return d, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// probeCollector is one /probe answer.
type probeCollector struct {
	opening report.Opening
	elapsed time.Duration
	timeout time.Duration
}

func (c probeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descProbeSuccess, descProbeSeconds, descProbeState, descProbeTimeout} {
		ch <- d
	}
}

func (c probeCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descProbeSuccess, prometheus.GaugeValue, boolFloat(c.opening.Status == report.Verified))
	ch <- prometheus.MustNewConstMetric(descProbeSeconds, prometheus.GaugeValue, c.elapsed.Seconds())
	ch <- prometheus.MustNewConstMetric(descProbeTimeout, prometheus.GaugeValue, c.timeout.Seconds())
	seen := map[string]bool{}
	for _, p := range c.opening.Probes {
		addr := p.Address
		if addr == "" {
			addr = p.Host // resolved by a proxy, or never resolved
		}
		if seen[addr+" "+p.State] {
			continue
		}
		seen[addr+" "+p.State] = true
		ch <- prometheus.MustNewConstMetric(descProbeState, prometheus.GaugeValue, 1, addr, p.State, p.Reason)
	}
}
