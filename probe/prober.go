// Package probe dials targets and says precisely what happened: open, refused, dropped,
// unreachable, a DNS failure, a proxy's refusal, an intercepted or failed TLS handshake, a
// service that stalls or answers wrongly. Failures are results, never errors.
package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// UserAgent is sent on every HTTP request and CONNECT.
var UserAgent = "fwcheck"

// DialFunc dials a network address, bounded by ctx.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// DefaultTimeout is the per-attempt budget: long enough for the kernel's SYN retransmits at
// 1 s and 3 s to get an answer through a lossy path, short enough that a dropped port costs
// seconds, not the kernel's two minutes.
const DefaultTimeout = 5 * time.Second

// Config holds what a Prober needs. The zero value of each field is documented.
type Config struct {
	// Timeout bounds one attempt, every phase included. If zero, DefaultTimeout is used.
	Timeout time.Duration
	// Retries is how many more attempts a target that got no answer gets.
	Retries int
	// Concurrency is how many targets are probed at once. If zero, DefaultConcurrency().
	Concurrency int
	// SourceIP, if valid, is the local address every probe leaves from.
	SourceIP netip.Addr
	// Pins send named targets to fixed addresses (--resolve).
	Pins []Pin
	// Proxy, if non-nil, picks a proxy per target.
	Proxy *ProxyConfig
	// Roots are the trusted roots. If nil, the system's pool is used (which SSL_CERT_FILE and
	// SSL_CERT_DIR already change).
	Roots *x509.CertPool
	// ExtraRoots are roots the user added (--ca-file): a chain to one of them is accepted,
	// and said to be inspected by its issuer.
	ExtraRoots []*x509.Certificate
	// Lookup resolves names. If nil, Go's own resolver is used.
	Lookup LookupFunc
	// DNSServer, if non-empty (host:port), is where Go's own resolver sends its queries
	// instead of the system's servers. Unused when Lookup is set.
	DNSServer string
	// Dial makes direct connections. If nil, a net.Dialer bound to SourceIP is used.
	Dial DialFunc
	// OnTargetDone, if non-nil, is called with each target's results as it finishes (for a
	// progress display). It is called from many goroutines at once.
	OnTargetDone func([]Result)
	// Locate sweeps the TTL of a dropped direct TCP probe to name the last hop its SYN passed
	// (Linux). It costs up to a few seconds more for each filtered probe.
	Locate bool
}

// Prober runs targets. It is safe for concurrent use.
type Prober struct {
	cfg    Config
	lookup LookupFunc
	dial   DialFunc
	roots  func() (*x509.CertPool, error)
	extra  *x509.CertPool

	// rtt is the run's clock for direct TCP connects: round trips measured from the answers.
	rtt *rttEstimator

	// sources caches the local address the kernel picks towards each destination, so that a
	// sweep of failures costs one route look-up per address, not one per probe.
	sources sync.Map // netip.Addr -> netip.Addr

	// synOff turns the system's SYN retransmissions off on a socket, where it can (Windows;
	// nil elsewhere). launchHook, if set, is called as the connect engine launches each probe.
	// Both are the platform's or, in tests, a fake: fields, so that tests run in parallel.
	synOff     func(syscall.RawConn)
	launchHook func(Target)
}

// New returns a Prober for cfg.
func New(cfg Config) *Prober {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency()
	}
	p := &Prober{cfg: cfg, lookup: cfg.Lookup, dial: cfg.Dial, extra: poolOf(cfg.ExtraRoots), rtt: newRTTEstimator(),
		synOff: systemSYNRetransmissionsOff}
	if p.dial == nil {
		p.dial = sourceDialer(cfg.SourceIP, p.dialControl)
	} else {
		p.dial = bounded(p.dial)
	}
	if p.lookup == nil {
		var plain net.Dialer
		dial := plain.DialContext
		if server := cfg.DNSServer; server != "" {
			dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
				return plain.DialContext(ctx, network, server)
			}
		}
		p.lookup = defaultLookup(dial)
	}
	if px := cfg.Proxy; px != nil && px.PAC != nil {
		// A PAC file's dnsResolve and isInNet ask what the probes ask. The config is the
		// caller's and may serve other probers at once (serve's /probe): this one gets copies.
		own := *px
		own.PAC = px.PAC.WithResolver(func(ctx context.Context, host string) ([]netip.Addr, error) {
			return p.resolve(ctx, Target{Host: host})
		})
		p.cfg.Proxy = &own
	}
	if cfg.Roots != nil {
		p.roots = func() (*x509.CertPool, error) { return cfg.Roots, nil }
	} else {
		p.roots = sync.OnceValues(x509.SystemCertPool)
	}
	return p
}

// RunEach probes n targets in parallel, making target i with target(i) only when it is about
// to be dialed, and hands each target's results to done as they come (from many goroutines
// at once, exactly once per target, a cancelled run included). Memory is bounded by the
// probes in flight, not by n: a sweep of a /16 costs what a sweep of a /24 does.
func (p *Prober) RunEach(ctx context.Context, n int, target func(int) Target, done func(int, []Result)) {
	report := func(i int, rs []Result) {
		done(i, rs)
		if p.cfg.OnTargetDone != nil {
			// A display hook must not take the run down with it.
			defer func() { _ = recover() }()
			p.cfg.OnTargetDone(rs)
		}
	}
	slots := newSlotPool(p.cfg.Concurrency)
	// The engine runs one loop a core: connect() does the kernel's packet work inline, so
	// launching is CPU-bound and spreads over cores. Jobs are dealt round-robin.
	workers := 0
	if burstSupported {
		workers = min(runtime.NumCPU(), maxBurstWorkers)
	}
	queues := make([]chan *burstJob, workers)
	var burst sync.WaitGroup
	for w := range queues {
		queues[w] = make(chan *burstJob, burstBacklog)
		burst.Add(1)
		go func(in chan *burstJob) {
			defer burst.Done()
			p.runBurstSafely(ctx, in, slots, func(j *burstJob, r Result) { report(j.index, []Result{r}) })
		}(queues[w])
	}
	var g errgroup.Group
	g.SetLimit(p.cfg.Concurrency)
	dealt := 0
	for i := 0; i < n; i++ {
		t := target(i)
		if ctx.Err() != nil {
			report(i, []Result{interrupted(t, "started")})
			continue
		}
		if a, ok := p.burstable(t); ok && workers > 0 {
			queues[dealt%workers] <- &burstJob{index: i, target: t, addr: a}
			dealt++
			continue
		}
		g.Go(func() error {
			var rs []Result
			defer func() { report(i, rs) }()
			defer recoverInto(&rs, t)
			if !slots.acquire(ctx) {
				rs = []Result{interrupted(t, "started")}
				return nil
			}
			defer slots.release()
			rs = p.probeTarget(ctx, t)
			if len(rs) == 0 {
				// Never expected, but an absence must never read as a pass.
				rs = []Result{{Target: t, Via: Direct, State: LocalError, Reason: "local-error:no-result",
					Detail: "the probe ended without a result (a bug in fwcheck: please report it)"}}
			}
			return nil // a failed probe is a result, never an errgroup error
		})
	}
	for _, q := range queues {
		close(q)
	}
	_ = g.Wait()
	burst.Wait()
}

// burstBacklog bounds the jobs dealt to one engine loop and not yet launched.
const burstBacklog = 256

func interrupted(t Target, when string) Result {
	return Result{Target: t, Via: Direct, State: Skipped, Reason: ReasonInterrupted,
		Detail: "the run was interrupted before this probe " + when}
}

// runBurstSafely runs the engine; a panic in it becomes a local-error for every job the loop
// held or is still dealt, the slots it held go back, and the run goes on.
func (p *Prober) runBurstSafely(ctx context.Context, in chan *burstJob, slots *slotPool, done func(*burstJob, Result)) {
	owned := map[*burstJob]bool{}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		for j := range owned {
			releaseJob(j, slots)
			done(j, panicResult(j.target, j.addr, v))
		}
		for j := range in {
			done(j, panicResult(j.target, j.addr, v))
		}
	}()
	p.runBurst(ctx, in, slots, func(j *burstJob) { owned[j] = true }, func(j *burstJob, r Result) {
		delete(owned, j)
		done(j, r)
	})
}

// LocatesDrops reports whether LocateDrops does anything (Config.Locate).
func (p *Prober) LocatesDrops() bool { return p.cfg.Locate }

// LocateDrops adds, to every filtered direct TCP result, where along the path its SYN is lost,
// when the prober was configured to (Config.Locate).
func (p *Prober) LocateDrops(ctx context.Context, results [][]Result) {
	if !p.cfg.Locate {
		return
	}
	var g errgroup.Group
	g.SetLimit(p.cfg.Concurrency)
	for i := range results {
		for j := range results[i] {
			r := &results[i][j]
			if r.State != Filtered || r.Via != Direct || !r.Address.IsValid() || r.Target.Check == CheckUDP {
				continue
			}
			g.Go(func() error {
				defer func() {
					if v := recover(); v != nil {
						r.Detail += "; locating the drop failed: " + (&panicError{v}).Error()
					}
				}()
				r.Detail += locateDrop(ctx, p.cfg.SourceIP, r.Address, r.Target.Port)
				return nil
			})
		}
	}
	_ = g.Wait()
}

// recoverInto turns a panic in one probe into that target's local-error; the run goes on.
func recoverInto(dst *[]Result, t Target) {
	if r := recover(); r != nil {
		*dst = []Result{panicResult(t, netip.Addr{}, r)}
	}
}

func panicResult(t Target, a netip.Addr, v any) Result {
	return Result{Target: t, Address: a, Via: Direct, State: LocalError, Reason: "local-error:panic",
		Detail: (&panicError{v}).Error()}
}

// probeTarget probes t the ways the proxy settings give, in order: a PAC file's failover list
// moves on while a proxy cannot be used, and every way tried is reported.
func (p *Prober) probeTarget(ctx context.Context, t Target) []Result {
	if t.Check == CheckNone {
		return []Result{{Target: t, Via: Direct, State: Unverified, Reason: "unverified", Detail: t.Note}}
	}
	choices, err := p.cfg.Proxy.Choices(ctx, t)
	var pe *pacError
	switch {
	case errors.As(err, &pe) && isCanceled(ctx.Err()):
		return []Result{interrupted(t, "chose its proxy (the PAC file was still running)")}
	case errors.As(err, &pe):
		return []Result{{Target: t, Via: Direct, ProxySource: "pac", State: ProxyError, Reason: ReasonPAC, Detail: pe.Error()}}
	case err != nil:
		return []Result{{Target: t, Via: Direct, State: LocalError, Reason: "local-error:proxy-config", Detail: err.Error()}}
	}
	source := ""
	if p.cfg.Proxy != nil {
		source = p.cfg.Proxy.Source
	}
	var tried []ProxyAttempt
	for i, u := range choices {
		rs := p.probeVia(ctx, t, u)
		for k := range rs {
			if u != nil || p.cfg.Proxy != nil && p.cfg.Proxy.PAC != nil {
				rs[k].ProxySource = source
			}
			rs[k].Tried = tried
		}
		if i == len(choices)-1 || len(rs) != 1 || !failsOver(rs[0]) {
			return rs
		}
		tried = append(tried, ProxyAttempt{Via: rs[0].Via, State: rs[0].State, Reason: rs[0].Reason})
	}
	return nil // not reached: the last choice returns
}

// probeVia resolves t (unless the proxy will) and probes each address, all at once.
func (p *Prober) probeVia(ctx context.Context, t Target, proxyURL *url.URL) []Result {
	start := time.Now()
	// The first attempt's budget covers resolution too.
	first, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if proxyURL != nil && proxyResolves(proxyURL) && !t.Addr.IsValid() && !isIPLiteral(t.Host) {
		return []Result{p.attempts(ctx, first, t, netip.Addr{}, proxyURL, start)}
	}
	addrs, err := p.resolve(first, t)
	if err != nil {
		r := Result{Target: t, Via: RedactURL(proxyURL), Elapsed: time.Since(start), Attempts: 1}
		classify(err, PhaseResolve, t).result(&r)
		return []Result{r}
	}
	addrs, other := p.splitFamily(t, addrs, proxyURL)
	if len(addrs) == 1 && len(other) == 0 {
		return []Result{p.attempts(ctx, first, t, addrs[0], proxyURL, start)}
	}
	out := make([]Result, len(addrs), len(addrs)+len(other))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					out[i] = panicResult(t, a, r)
				}
			}()
			out[i] = p.attempts(ctx, first, t, a, proxyURL, start)
		}()
	}
	wg.Wait()
	return append(out, other...)
}

// splitFamily keeps the addresses a bound source address can reach; the others are skipped,
// said so, rather than dialed into a certain local error.
func (p *Prober) splitFamily(t Target, addrs []netip.Addr, proxyURL *url.URL) (same []netip.Addr, other []Result) {
	src := p.cfg.SourceIP
	if !src.IsValid() || proxyURL != nil {
		return addrs, nil
	}
	for _, a := range addrs {
		if a.Unmap().Is4() == src.Is4() {
			same = append(same, a)
			continue
		}
		other = append(other, Result{Target: t, Address: a, Source: src, Via: Direct, State: Skipped, Reason: ReasonSourceFamily,
			Detail: fmt.Sprintf("%s is IPv%s and the source address %s is not: not dialed", a, family(a), src)})
	}
	return same, other
}

func family(a netip.Addr) string {
	if a.Unmap().Is4() {
		return "4"
	}
	return "6"
}

// proxyResolves reports whether names go to the proxy unresolved: HTTP CONNECT and socks5h.
func proxyResolves(u *url.URL) bool { return u.Scheme != "socks5" }

func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// attempts makes the first attempt under the budget already running, then retries a result
// that got no answer, each retry with a fresh budget.
func (p *Prober) attempts(ctx, first context.Context, t Target, addr netip.Addr, proxyURL *url.URL, start time.Time) Result {
	r := p.attempt(first, t, addr, proxyURL)
	n, syns := 1, r.SYNs
	for p.again(ctx, r, n) {
		actx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		r = p.attempt(actx, t, addr, proxyURL)
		cancel()
		n++
		syns += r.SYNs
	}
	r.SYNs = syns
	settle(&r, n, start)
	return r
}

// The retry bookkeeping both paths share: again decides whether a probe gets another attempt
// after its attempts-th; settle records how many it had and how long they took.

// again reports whether a result that got no answer gets another attempt, with a fresh
// budget: only a silence can change with another try, and only while the run is on.
func (p *Prober) again(ctx context.Context, r Result, attempts int) bool {
	return r.State.NoAnswer() && attempts <= p.cfg.Retries && ctx.Err() == nil
}

// settle records the attempts and the time since the probe's start, and says in the detail
// how many SYNs and attempts a probe that never got an answer made.
func settle(r *Result, attempts int, start time.Time) {
	r.Attempts, r.Elapsed = attempts, time.Since(start)
	if !r.State.NoAnswer() {
		return
	}
	var notes []string
	if r.SYNs > 0 {
		notes = append(notes, fmt.Sprintf("%d SYNs over %s", r.SYNs, r.Elapsed.Round(time.Millisecond)))
	}
	if r.Attempts > 1 {
		notes = append(notes, strconv.Itoa(r.Attempts)+" attempts")
	}
	if len(notes) > 0 {
		r.Detail += " (" + strings.Join(notes, ", ") + ")"
	}
}

// attempt runs one attempt of t at addr (or by name through the proxy when addr is invalid).
func (p *Prober) attempt(ctx context.Context, t Target, addr netip.Addr, proxyURL *url.URL) (r Result) {
	r = Result{Target: t, Address: addr, Via: RedactURL(proxyURL)}
	if t.Check == CheckUDP {
		p.checkUDP(ctx, &r)
		return r
	}
	dest := t.HostPort()
	if addr.IsValid() {
		dest = net.JoinHostPort(addr.String(), fmt.Sprint(t.Port))
	}
	phase := PhaseConnect
	var conn net.Conn
	var err error
	if proxyURL != nil {
		phase = PhaseProxy
		conn, r.ProxyAuth, err = dialViaProxyAuth(ctx, p.dialByName, proxyURL, dest, p.proxyTLS(), p.proxyAuth())
	} else if addr.IsValid() {
		conn, err = p.dialDirect(ctx, netip.AddrPortFrom(addr, t.Port), &r)
	} else {
		conn, err = p.dial(ctx, "tcp", dest)
	}
	if err != nil {
		classify(err, phase, t).result(&r)
		if proxyURL == nil && !isLocalResource(err) {
			r.Source = p.routeSource(addr, t.Port)
		}
		return r
	}
	defer conn.Close()
	if la, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		r.Source = la.AddrPort().Addr().Unmap()
	}
	if t.Check == CheckTCP {
		if proxyURL != nil {
			settleTunnel(ctx, conn, &r)
			return r
		}
		r.State, r.Reason, r.Detail = Open, "open", "TCP handshake completed"
		return r
	}
	stop := closeOnDone(ctx, conn)
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	switch t.Check {
	case CheckTLS:
		p.checkTLS(ctx, conn, &r)
	case CheckHTTPS:
		if tc := p.checkTLS(ctx, conn, &r); tc != nil && r.OK() {
			note, reason := r.Detail, r.Reason
			checkHTTP(ctx, tc, &r)
			if r.State == Open {
				r.Detail, r.Reason = note+"; "+r.Detail, reason
			}
		}
	case CheckHTTP:
		checkHTTP(ctx, conn, &r)
	default:
		r.State, r.Reason, r.Detail = LocalError, "local-error:check", fmt.Sprintf("unknown check %q", t.Check)
	}
	return r
}

// closeOnDone closes conn when ctx ends, so that no read or handshake outlives the budget
// even where a deadline is not honoured; stop releases the watch.
func closeOnDone(ctx context.Context, conn net.Conn) (stop func() bool) {
	return context.AfterFunc(ctx, func() { conn.Close() })
}

// routeSource finds the local address the kernel would use towards addr, without sending
// anything (a UDP connect only picks the route), so a rule can name the source even for a
// probe that never connected.
func (p *Prober) routeSource(addr netip.Addr, port uint16) netip.Addr {
	if p.cfg.SourceIP.IsValid() {
		return p.cfg.SourceIP
	}
	if !addr.IsValid() {
		return netip.Addr{}
	}
	if src, ok := p.sources.Load(addr); ok {
		return src.(netip.Addr)
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, max(port, 1))))
	if err != nil {
		return netip.Addr{}
	}
	defer c.Close()
	src := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	p.sources.Store(addr, src)
	return src
}

// sourceDialer dials from src when it is valid, picking the TCP or UDP form of the address.
//
// Keep-alive is off: a probe closes its connection within seconds, and the four setsockopt
// calls per connection it costs are a tenth of a sweep's syscalls.
func sourceDialer(src netip.Addr, control func(context.Context, string, string, syscall.RawConn) error) DialFunc {
	if !src.IsValid() {
		d := &net.Dialer{KeepAlive: -1, ControlContext: control}
		return d.DialContext
	}
	tcp := &net.Dialer{KeepAlive: -1, LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, ControlContext: control}
	udp := &net.Dialer{LocalAddr: &net.UDPAddr{IP: src.AsSlice()}}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if len(network) >= 3 && network[:3] == "udp" {
			return udp.DialContext(ctx, network, address)
		}
		return tcp.DialContext(ctx, network, address)
	}
}

// bounded makes an injected dialer honour ctx even if it ignores it: the probe returns at its
// budget, and a connection that arrives later is closed.
func bounded(d DialFunc) DialFunc {
	type dialed struct {
		c   net.Conn
		err error
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		ch := make(chan dialed, 1)
		go func() {
			defer func() {
				if v := recover(); v != nil {
					ch <- dialed{nil, &panicError{v}}
				}
			}()
			c, err := d(ctx, network, address)
			ch <- dialed{c, err}
		}()
		select {
		case r := <-ch:
			return r.c, r.err
		case <-ctx.Done():
			go func() {
				if r := <-ch; r.c != nil {
					r.c.Close()
				}
			}()
			return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
		}
	}
}

// panicError carries a panic out of a goroutine that cannot recover into the result itself.
type panicError struct{ v any }

func (e *panicError) Error() string {
	return fmt.Sprintf("the probe panicked (a bug in fwcheck: please report it): %v", e.v)
}

// dialByName dials host:port, resolving host through the prober (pins, .invalid, the injected
// resolver) and trying each address in turn: used to reach a proxy.
func (p *Prober) dialByName(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var port uint16
	fmt.Sscan(portStr, &port)
	addrs, err := p.resolve(ctx, Target{Host: host, Port: port})
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		c, err := p.dial(ctx, network, netip.AddrPortFrom(a, port).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// dialDirect connects to dest on the prober's own clock, as the connect engine does: a SYN
// that gets no answer is sent again as a new connect after one RTO, then after two more
// (doubling), the earlier ones kept open so that any answer counts; once maxSYNs went
// unanswered over max(4·RTO, 1 s) the attempt is a timeout (filtered), never past ctx. Answers
// (a connection, a reset) feed the run's round-trip estimate.
func (p *Prober) dialDirect(ctx context.Context, dest netip.AddrPort, r *Result) (net.Conn, error) {
	ctx, cancel := context.WithCancel(withOwnSYNClock(ctx))
	type answer struct {
		c    net.Conn
		err  error
		took time.Duration
		k    int
	}
	answers := make(chan answer, maxSYNs)
	pending := 0
	dial := func(k int) {
		pending++
		start := time.Now()
		go func() {
			c, err := p.dial(ctx, "tcp", dest.String())
			answers <- answer{c, err, time.Since(start), k}
		}()
	}
	// Whatever is still dialing when the attempt ends is closed as it comes back.
	defer func() {
		cancel()
		go func(n int) {
			for range n {
				if a := <-answers; a.c != nil {
					a.c.Close()
				}
			}
		}(pending)
	}()
	budget := p.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		budget = time.Until(dl)
	}
	sched := newSYNSchedule(time.Now(), budget)
	dial(0)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		rto := p.rtt.rto(dest.Addr())
		timer.Reset(time.Until(sched.next(rto)))
		select {
		case a := <-answers:
			pending--
			switch {
			case a.err == nil || isRefused(a.err) || isReset(a.err):
				p.rtt.sample(dest.Addr(), a.took)
			case a.k > 0 && isLocalResource(a.err):
				sched.sent = maxSYNs // cannot send more; wait for the ones out
				continue
			case isTimeout(a.err) && ctx.Err() == nil:
				// One connect's own timer (a system that sends a single SYN gives up on it):
				// the schedule, not the system, says when the probe is filtered.
				continue
			}
			r.SYNs = sched.sent
			return a.c, a.err
		case <-timer.C:
			now := time.Now()
			if !now.Before(sched.filteredAt(rto)) {
				r.SYNs = sched.sent
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}
			}
			if next := sched.nextSYN(rto); !next.IsZero() && !now.Before(next) {
				dial(sched.sent)
				sched.sendSYN(now)
			}
		case <-ctx.Done():
			r.SYNs = sched.sent
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
		}
	}
}

// proxyAuth is the configured proxy authentication, if any.
func (p *Prober) proxyAuth() *ProxyAuth {
	if p.cfg.Proxy == nil {
		return nil
	}
	return &p.cfg.Proxy.Auth
}
