package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/urfave/cli/v2"

	kruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/boundedfile"
	"github.com/fwcheck/fwcheck/internal/kube"
	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/internal/run"
	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// The watch mode's defaults.
const (
	defaultListen   = ":9310"
	defaultInterval = 60 * time.Second
)

func serveCommand(ses session) *cli.Command {
	stdout, stderr, getenv := ses.stdout, ses.stderr, ses.getenv
	return &cli.Command{
		Name:      "serve",
		Usage:     "re-run a check every interval and serve its results to Prometheus",
		UsageText: "fwcheck serve [--listen ADDR] [--interval DURATION] COMMAND [ARGS]  (flags before COMMAND)",
		Description: "Runs `fwcheck COMMAND ARGS` (workstation, worker, inbound or probe) every interval, one run at a time, " +
			"and serves /metrics (Prometheus), /healthz and the latest report at /report.json. Everything after COMMAND " +
			"is passed on untouched. SIGTERM ends it with exit 0. With --manifest it prints the DaemonSet that runs it on " +
			"every node instead.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: defaultListen, Category: catBehave, Usage: "serve on `ADDR` (the DaemonSet of --manifest listens on the node's own address)"},
			&cli.StringFlag{Name: "web-config", Category: catBehave, EnvVars: envs("web-config"),
				Usage: "TLS and basic authentication from this `FILE`, in Prometheus' web-config format (tls_server_config, basic_auth_users)"},
			&cli.DurationFlag{Name: "interval", Value: defaultInterval, Category: catBehave, Usage: "re-run every `DURATION`"},
			&cli.BoolFlag{Name: "manifest", Category: catOutput, Usage: "print the DaemonSet (YAML) that runs this on every node"},
			&cli.StringFlag{Name: "image", Category: catOutput, EnvVars: envs("image"), Usage: "the fwcheck container `IMAGE` of the DaemonSet"},
			&cli.StringFlag{Name: "namespace", Value: "fwcheck", Category: catOutput, Usage: "the DaemonSet's `NAMESPACE`"},
			proxySecretFlag(),
			&cli.BoolFlag{Name: "probe-endpoint", Category: catBehave, Usage: "also serve /probe?target=HOST:PORT|URL[&timeout=D], " +
				"one target dialed on request, as blackbox_exporter's (off by default: whoever reaches the port could make this machine dial anywhere)"},
		},
		Action: func(c *cli.Context) error {
			return runServe(c.Context, serveOptions{check: c.Args().Slice(), listen: c.String("listen"), webConfig: c.String("web-config"),
				interval: c.Duration("interval"), probeEndpoint: c.Bool("probe-endpoint"), manifest: c.Bool("manifest"), image: c.String("image"),
				namespace: c.String("namespace"), proxySecret: c.String("proxy-secret")}, stdout, stderr, getenv, ses.machine)
		},
	}
}

// serveOptions are serve's flags, and the check it re-runs (COMMAND ARGS, passed on untouched).
type serveOptions struct {
	check                         []string
	listen, webConfig             string
	interval                      time.Duration
	probeEndpoint                 bool
	manifest                      bool // print the DaemonSet instead of serving
	image, namespace, proxySecret string
}

// runServe serves the check's results until ctx ends, or prints the DaemonSet that does so on
// every node.
func runServe(ctx context.Context, o serveOptions, stdout, stderr io.Writer, getenv func(string) string, m machine) error {
	args := o.check
	if len(args) == 0 || !slices.Contains(allChecks, args[0]) {
		return badInput("serve needs a check to re-run: one of %s, then its arguments", strings.Join(allChecks, ", "))
	}
	if o.interval < time.Second {
		return badInput("--interval %s is too short: give at least 1s", o.interval)
	}
	if !o.manifest {
		return serve(ctx, o.listen, o.webConfig, o.interval, o.probeEndpoint, args, stderr, getenv, m)
	}
	image, err := imageFor(o.image)
	if err != nil {
		return err
	}
	args, readsEtcd, err := withClusterFacts(ctx, args, getenv, stderr, m)
	if err != nil {
		return err
	}
	clean, _, err := kube.ScrubArgs(args)
	if err != nil {
		return badInput("serve --manifest: %v", err)
	}
	objs := []kruntime.Object{kube.Namespace(o.namespace)}
	account := ""
	if readsEtcd {
		objs = append(objs, kube.EtcdReader(o.namespace)...)
		account = kube.EtcdReaderAccount
	}
	objs = append(objs, kube.DaemonSet(o.namespace, image, o.listen, o.interval, clean, o.proxySecret, account))
	_, err = io.WriteString(stdout, kube.YAML(objs...))
	return err
}

// watcher runs the check and keeps its latest report, for the handlers.
type watcher struct {
	interval time.Duration
	strict   bool // --strict of the check: a warning fails the run, and its opening is down

	mu      sync.Mutex
	latest  *report.Report // of the last round that succeeded
	raw     []byte
	lastRun time.Time // when the last round ended, whether it succeeded or not
	// lastGood is when the last round that succeeded ended; failed counts the rounds that
	// failed since (a deleted targets file, a broken catalog, a kubeconfig gone bad).
	lastGood time.Time
	failed   int
	runs     int
	errLine  string
	started  time.Time
	// since is when each opening's status last changed (the first round it was seen in, at
	// the latest), for a dashboard's "broken since".
	since map[string]statusSince
}

type statusSince struct {
	status string
	at     time.Time
}

// noteStatuses records when each opening's status changed; an opening gone from the report
// is forgotten.
func (w *watcher) noteStatuses(rep *report.Report, now time.Time) {
	next := map[string]statusSince{}
	_ = rep.Each(func(o report.Opening) error {
		if prev, ok := w.since[o.ID]; ok && prev.status == o.Status {
			next[o.ID] = prev
		} else {
			next[o.ID] = statusSince{o.Status, now}
		}
		return nil
	})
	w.since = next
}

// serve re-runs the check every interval until ctx ends (SIGINT, SIGTERM), serving its results.
func serve(ctx context.Context, listen, webConfig string, interval time.Duration, probeEndpoint bool, args []string, stderr io.Writer, getenv func(string) string, m machine) error {
	check, err := parseCheck(ctx, args, getenv, m)
	if err != nil {
		return usageError{err}
	}
	if webConfig != "" {
		// Read by the exporter toolkit, as Prometheus' own exporters read it: checked first.
		if err := boundedfile.Check(webConfig, 1<<20); err != nil {
			return badInput("--web-config: %v", err)
		}
		if err := web.Validate(webConfig); err != nil {
			return badInput("--web-config %s: %v", quoteValue(webConfig), err)
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return badInput("--listen %s: %v", listen, err)
	}
	w := &watcher{interval: interval, strict: check.opts.strict, started: time.Now()}
	reg := prometheus.NewRegistry()
	reg.MustRegister(w)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", statusPage(w.healthy, "unhealthy"))
	mux.HandleFunc("/livez", statusPage(w.alive, "stuck"))
	mux.HandleFunc("/report.json", func(rw http.ResponseWriter, _ *http.Request) {
		w.mu.Lock()
		raw := w.raw
		w.mu.Unlock()
		if raw == nil {
			http.Error(rw, "no run has finished yet", http.StatusServiceUnavailable)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.Write(raw)
	})
	paths := "/metrics, /healthz, /livez, /report.json"
	if probeEndpoint {
		mux.Handle("/probe", probeHandler(check.input))
		paths += ", /probe"
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go web.Serve(ln, srv, &web.FlagConfig{WebConfigFile: &webConfig}, slog.New(slog.DiscardHandler))
	defer srv.Close()
	fmt.Fprintf(stderr, "fwcheck: serving %s every %s on %s (%s)\n", quote.Userinfo(strings.Join(args, " ")), interval, ln.Addr(), paths)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	defer w.close()
	for first := true; ; first = false {
		if err := w.runOnce(ctx, check, stderr); first && err != nil {
			// The check itself is bad input: say so now, not every interval from now on.
			return usageError{err}
		}
		select {
		case <-ctx.Done():
			return nil // SIGTERM or SIGINT: the watch ends cleanly
		case <-tick.C:
		}
	}
}

// runOnce runs the check in-process, through run.Run as every check command does, and keeps
// its report in memory (the JSON for /report.json, encoded once): nothing is written to disk,
// so serve runs on a read-only root with no /tmp. A report too large for memory is spooled to
// TMPDIR where there is one.
func (w *watcher) runOnce(ctx context.Context, check *parsedCheck, stderr io.Writer) error {
	out, err := run.Run(ctx, check.input)
	var raw []byte
	if err == nil {
		for _, warning := range out.Warnings {
			fmt.Fprintf(stderr, "fwcheck: warning: %s\n", warning)
		}
		var b bytes.Buffer
		jw, _ := report.New("json", report.Options{})
		if err = jw.Write(&b, out.Report); err == nil {
			raw = b.Bytes()
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.runs++
	w.lastRun = time.Now()
	if err != nil {
		if out != nil {
			out.Report.Close()
		}
		w.errLine = errorLine(plainError(err.Error()))
		w.failed++
		last := "no round has succeeded yet"
		if !w.lastGood.IsZero() {
			last = "serving the report of " + w.lastGood.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stderr, "fwcheck: round %d failed (%d in a row): %s; %s\n", w.runs, w.failed, w.errLine, last)
		return err
	}
	if w.latest != nil {
		w.latest.Close()
	}
	w.latest, w.raw, w.errLine = out.Report, raw, ""
	w.lastGood, w.failed = w.lastRun, 0
	w.noteStatuses(out.Report, w.lastRun)
	return nil
}

// Health: a check that keeps failing, or whose last good report is old, is unhealthy (the
// DaemonSet's readiness probe, and an alert); only a loop that has stopped going round is not
// alive (its liveness probe): a configuration error must not become a restart loop.
const (
	unhealthyAfterFailures = 3
	staleAfterIntervals    = 3
)

// roundBudget bounds how long one round may take before the loop counts as stuck: a long
// --sweep runs for minutes.
const roundBudget = 10 * time.Minute

func (w *watcher) healthy(now time.Time) (bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	stale := time.Duration(staleAfterIntervals)*w.interval + roundBudget
	switch {
	case w.lastGood.IsZero() && w.runs == 0:
		return false, "the first round has not finished"
	case w.failed >= unhealthyAfterFailures:
		return false, fmt.Sprintf("the last %d rounds failed: %s", w.failed, w.errLine)
	case w.lastGood.IsZero():
		return false, "no round has succeeded: " + w.errLine
	case now.Sub(w.lastGood) > stale:
		return false, fmt.Sprintf("the last good report is %s old", now.Sub(w.lastGood).Round(time.Second))
	}
	return true, fmt.Sprintf("%d rounds, the last good one ended %s", w.runs, w.lastGood.UTC().Format(time.RFC3339))
}

func (w *watcher) alive(now time.Time) (bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	last := w.lastRun
	if last.IsZero() {
		last = w.started
	}
	if quiet := now.Sub(last); quiet > w.interval+roundBudget {
		return false, fmt.Sprintf("no round has ended for %s", quiet.Round(time.Second))
	}
	return true, fmt.Sprintf("%d rounds", w.runs)
}

// statusPage answers 200 "ok: why" while check holds, else 503 "bad: why".
func statusPage(check func(time.Time) (bool, string), bad string) http.HandlerFunc {
	return func(rw http.ResponseWriter, _ *http.Request) {
		ok, why := check(time.Now())
		if !ok {
			http.Error(rw, bad+": "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(rw, "ok: %s\n", why)
	}
}

// close releases the last report (a spooled one holds a temporary file).
func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.latest != nil {
		w.latest.Close()
	}
}

var (
	openingLabels = []string{"opening", "group", "required"}
	probeLabels   = []string{"opening", "host", "port", "protocol"}
	descOpeningUp = prometheus.NewDesc("fwcheck_opening_up", "0 when the opening fails the run (missing, or a warning under --strict), as the exit code counts it; 1 otherwise. Skipped openings have no series.", openingLabels, nil)
	descStatus    = prometheus.NewDesc("fwcheck_opening_status", "1 for the opening's status (verified, missing, warning, skipped), 0 for the others: every status always present.", []string{"opening", "required", "status"}, nil)
	descState     = prometheus.NewDesc("fwcheck_opening_state", "1 for each probe state of the opening (the taxonomy's words), 0 for the others: every state always present.", []string{"opening", "state"}, nil)
	descSuccess   = prometheus.NewDesc("fwcheck_last_run_success", "1 when the last round ran (whatever it found), 0 when it could not run (bad input: a targets file deleted, a broken catalog).", nil, nil)
	descLastGood  = prometheus.NewDesc("fwcheck_last_success_timestamp_seconds", "When the last round that ran ended (Unix time); the series below describe its report.", nil, nil)
	descFailed    = prometheus.NewDesc("fwcheck_failed_rounds", "Rounds that could not run since the last one that did.", nil, nil)
	descProbeUp   = prometheus.NewDesc("fwcheck_probe_up", "1 when the probe passed, 0 otherwise (a swept range is one series).", probeLabels, nil)
	descProbeDur  = prometheus.NewDesc("fwcheck_probe_duration_seconds", "How long the probe took.", probeLabels, nil)
	descMissing   = prometheus.NewDesc("fwcheck_openings_missing", "Required openings missing in the latest run.", nil, nil)
	descLastRun   = prometheus.NewDesc("fwcheck_last_run_timestamp_seconds", "When the latest round ended, whether it could run or not (Unix time).", nil, nil)
	descBuild     = prometheus.NewDesc("fwcheck_build_info", "The fwcheck build and catalog edition.", []string{"version", "commit", "goversion", "catalog"}, nil)
	descSince     = prometheus.NewDesc("fwcheck_opening_status_since_timestamp_seconds", "When the opening's status last changed, as serve saw it (Unix time): time() minus it is how long it has been broken.", []string{"opening", "status"}, nil)
)

func (w *watcher) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpeningUp, descStatus, descState, descProbeUp, descProbeDur, descMissing, descLastRun, descSuccess, descLastGood, descFailed, descBuild, descSince} {
		ch <- d
	}
}

// Collect reports the latest run: the series follow the report, so an opening that is gone
// has no series left.
func (w *watcher) Collect(ch chan<- prometheus.Metric) {
	w.mu.Lock()
	rep, last, good, failed, runs := w.latest, w.lastRun, w.lastGood, w.failed, w.runs
	since := w.since
	w.mu.Unlock()
	v, c := versionString()
	catalog := ""
	if rep != nil {
		catalog = rep.Tool.Catalog
	}
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, v, c, runtime.Version(), catalog)
	if runs > 0 {
		ch <- prometheus.MustNewConstMetric(descLastRun, prometheus.GaugeValue, float64(last.UnixNano())/1e9)
		ch <- prometheus.MustNewConstMetric(descSuccess, prometheus.GaugeValue, boolFloat(failed == 0))
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.GaugeValue, float64(failed))
	}
	if rep == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descLastGood, prometheus.GaugeValue, float64(good.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(descMissing, prometheus.GaugeValue, float64(rep.Summary.Missing))
	type key struct{ opening, host, port, protocol string }
	up := map[key]float64{}
	dur := map[key]float64{}
	var order []key
	_ = rep.Each(func(o report.Opening) error { // a report in memory: no read can fail
		if o.Status == report.Skipped {
			return nil
		}
		required := strconv.FormatBool(o.Required)
		fails := o.Status == report.Missing || w.strict && o.Status == report.Warning
		ch <- prometheus.MustNewConstMetric(descOpeningUp, prometheus.GaugeValue, boolFloat(!fails), o.ID, o.Group, required)
		for _, st := range []string{report.Verified, report.Missing, report.Warning, report.Skipped} {
			ch <- prometheus.MustNewConstMetric(descStatus, prometheus.GaugeValue, boolFloat(o.Status == st), o.ID, required, st)
		}
		states := map[string]bool{}
		for _, p := range o.Probes {
			states[p.State] = true
		}
		for _, st := range probe.States {
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, boolFloat(states[string(st)]), o.ID, string(st))
		}
		if s, ok := since[o.ID]; ok && s.status == o.Status {
			ch <- prometheus.MustNewConstMetric(descSince, prometheus.GaugeValue, float64(s.at.UnixNano())/1e9, o.ID, o.Status)
		}
		for _, p := range o.Probes {
			if !p.Dialed {
				continue
			}
			k := key{o.ID, p.Host, strconv.Itoa(p.Port), p.Protocol}
			if _, ok := up[k]; !ok {
				order = append(order, k)
				up[k] = 1
			}
			// A name with several addresses is one series: up only if every address is.
			up[k] = min(up[k], boolFloat(p.OK))
			dur[k] = max(dur[k], p.ElapsedMS/1000)
		}
		return nil
	})
	for _, k := range order {
		ch <- prometheus.MustNewConstMetric(descProbeUp, prometheus.GaugeValue, up[k], k.opening, k.host, k.port, k.protocol)
		ch <- prometheus.MustNewConstMetric(descProbeDur, prometheus.GaugeValue, dur[k], k.opening, k.host, k.port, k.protocol)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// defaultImage is stamped by a release build (-ldflags -X .../cli.defaultImage=REGISTRY/fwcheck:TAG).
var defaultImage = ""

func imageFor(image string) (string, error) {
	if image == "" {
		image = defaultImage
	}
	if image == "" {
		return "", badInput("--image IMAGE is needed (this build has no default image): push the image to your registry and name it here")
	}
	return image, nil
}

// proxySecretFlag names the Secret the manifests take proxy credentials from.
func proxySecretFlag() cli.Flag {
	return &cli.StringFlag{Name: "proxy-secret", Value: kube.DefaultProxySecret, Category: catOutput, EnvVars: envs("proxy-secret"),
		Usage: "the Secret `NAME` the pods read proxy credentials from (keys user and password, as FWCHECK_PROXY_USER and " +
			"FWCHECK_PROXY_PASSWORD); a --proxy URL's user:password goes there, never into the manifest"}
}

// withClusterFacts bakes into a worker check the master URL of the kubeconfig it names (or
// KUBECONFIG's), as `fwcheck nodes` does: in a pod there is no kubeconfig to read it from,
// and without it the master's port is never proven. A check that names its master keeps it.
// readsEtcd is whether the pods read the etcd endpoint through the API (a worker check not
// given --etcd-endpoint): they then need the service account of kube.EtcdReader.
func withClusterFacts(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, m machine) (_ []string, readsEtcd bool, _ error) {
	check, err := parseCheck(ctx, args, getenv, m)
	if err != nil {
		return nil, false, usageError{err}
	}
	o := check.opts
	readsEtcd = o.facts.Profile == endpoints.Worker && len(o.facts.Etcd) == 0
	if o.facts.Profile != endpoints.Worker || o.facts.Master.Host != "" {
		return args, readsEtcd, nil
	}
	kc, err := endpoints.LoadKubeconfig(o.kubeconfig, o.kubeContext, getenv)
	switch {
	case errors.Is(err, endpoints.ErrNoKubeconfig):
		return args, readsEtcd, nil // the report's master opening says to pass --master-url
	case err != nil:
		return nil, false, usageError{err}
	}
	fmt.Fprintf(stderr, "fwcheck: the DaemonSet checks the master https://%s of kubeconfig %s, context %s\n", kc.Master, strings.Join(kc.Files, ", "), kc.Context)
	return append([]string{args[0], "--master-url", "https://" + kc.Master.String()}, args[1:]...), readsEtcd, nil
}
