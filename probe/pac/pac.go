// Package pac evaluates proxy auto-config (PAC) files: JavaScript in a real engine (goja), with
// the standard functions implemented in Go from their published definitions (Netscape's set and
// Microsoft's IPv6 extensions). Name look-ups go through an injected resolver, so that a PAC
// file asks the same resolver the probes do, bounded by the caller's context.
package pac

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"

	"github.com/fwcheck/fwcheck/internal/quote"
)

func init() {
	// goja runs backtracking regular expressions on regexp2, which its interrupt does not
	// stop; this bound does (a match past it fails, and the call's own timer has fired by
	// then). Set once at start-up: nothing else in fwcheck uses regexp2.
	regexp2.DefaultMatchTimeout = maxEval
}

// Resolver looks a name up, both families.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// Env is what the standard functions see of the machine.
type Env struct {
	// Resolve looks names up (dnsResolve, isResolvable, isInNet, ...). If nil, nothing resolves.
	Resolve Resolver
	// MyIPs are this machine's addresses, the first IPv4 one for myIpAddress. If empty,
	// myIpAddress answers 127.0.0.1.
	MyIPs []netip.Addr
	// Now is the clock of weekdayRange, dateRange and timeRange. If nil, time.Now.
	Now func() time.Time
	// Alert receives alert() messages. If nil, they are dropped.
	Alert func(string)
}

// maxEval bounds one FindProxyForURL call: a PAC file that loops must not hold a probe.
const maxEval = 2 * time.Second

// Script is a compiled PAC file. It is safe for concurrent use.
type Script struct {
	Name string
	prog *goja.Program
	env  Env
}

// runtime is one JavaScript engine with the script loaded; cc carries the context of the
// call in progress to the functions that resolve names.
type runtime struct {
	vm *goja.Runtime
	cc *callCtx
}

// Parse compiles a PAC file and checks that it defines FindProxyForURL (or FindProxyForURLEx).
// Its errors name the file and the line.
func Parse(name string, src []byte, env Env) (*Script, error) {
	prog, err := goja.Compile(name, string(src), false)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s", strings.TrimPrefix(se.Error(), "SyntaxError: "))
		}
		return nil, err
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	s := &Script{Name: name, prog: prog, env: env}
	rt, err := s.newRuntime(context.Background())
	if err != nil {
		return nil, err
	}
	if entry(rt.vm) == nil {
		return nil, fmt.Errorf("%s defines no FindProxyForURL function", name)
	}
	return s, nil
}

// WithResolver is the script resolving names with r (the prober's own resolver, with its
// pins): a copy, so that provers made at once from one script share nothing they write.
func (s *Script) WithResolver(r Resolver) *Script {
	c := *s
	c.env.Resolve = r
	return &c
}

func entry(vm *goja.Runtime) goja.Callable {
	for _, name := range []string{"FindProxyForURLEx", "FindProxyForURL"} {
		if f, ok := goja.AssertFunction(vm.Get(name)); ok {
			return f
		}
	}
	return nil
}

// callCtx holds the context of the call in progress for the resolver-backed functions.
type callCtx struct{ ctx context.Context }

func (s *Script) newRuntime(ctx context.Context) (*runtime, error) {
	rt := &runtime{vm: goja.New(), cc: &callCtx{ctx: ctx}}
	s.bind(rt.vm, rt.cc)
	timer := time.AfterFunc(maxEval, func() { rt.vm.Interrupt("the PAC file did not finish loading within " + maxEval.String()) })
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() { rt.vm.Interrupt("the run was interrupted") })
	defer stop()
	defer watchHeap(rt.vm)()
	if _, err := rt.vm.RunProgram(s.prog); err != nil {
		return nil, fmt.Errorf("%s: %v", s.Name, jsError(err))
	}
	return rt, nil
}

// Find calls FindProxyForURL(url, host) and parses its answer into the choices, in order.
// The call is bounded in time (maxEval or ctx's deadline, regular expressions included), in
// memory (maxHeapGrowth; each call gets a runtime of its own, so no call inherits what
// another built), and by ctx (an interrupt stops it); its answer must be a string of at most
// maxAnswer bytes, read without running any of the script's code.
func (s *Script) Find(ctx context.Context, url, host string) ([]Choice, error) {
	rt, err := s.newRuntime(ctx)
	if err != nil {
		return nil, err
	}
	vm := rt.vm
	deadline := maxEval
	if dl, ok := ctx.Deadline(); ok {
		deadline = min(deadline, time.Until(dl))
	}
	timer := time.AfterFunc(max(deadline, time.Millisecond), func() {
		vm.Interrupt("FindProxyForURL did not return within the time allowed")
	})
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() { vm.Interrupt("the run was interrupted") })
	defer stop()
	defer watchHeap(vm)()
	v, err := entry(vm)(goja.Undefined(), vm.ToValue(url), vm.ToValue(host))
	if err != nil {
		return nil, fmt.Errorf("FindProxyForURL(%q, %q) threw: %v", url, host, jsError(err))
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, fmt.Errorf("FindProxyForURL(%q, %q) returned nothing", url, host)
	}
	// Export reads a primitive as it is and never calls an object's toString, which the
	// script controls (and may make loop).
	answer, ok := v.Export().(string)
	if !ok {
		return nil, fmt.Errorf("FindProxyForURL(%q, %q) returned a %s, not a string", url, host, v.ExportType())
	}
	if len(answer) > maxAnswer {
		return nil, fmt.Errorf("FindProxyForURL(%q, %q) returned %d bytes; a PAC answer is a short list of proxies (at most %d)", url, host, len(answer), maxAnswer)
	}
	return ParseResult(answer)
}

// maxAnswer bounds a FindProxyForURL answer: a failover list of a few proxies.
const maxAnswer = 4 << 10

// maxHeapGrowth is how much the heap may grow while one PAC call runs before the call is
// abandoned: a PAC file is a few pages of string matching, not a workload.
const maxHeapGrowth = 256 << 20

// heapSample is how often a running call's heap growth is looked at.
const heapSample = 5 * time.Millisecond

// watchHeap interrupts vm when the process heap grows past maxHeapGrowth while it runs (goja
// has no memory limit of its own); the returned function ends the watch.
func watchHeap(vm *goja.Runtime) func() {
	done := make(chan struct{})
	start := heapBytes()
	go func() {
		t := time.NewTicker(heapSample)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if grew := heapBytes() - start; grew > maxHeapGrowth {
					vm.Interrupt(fmt.Sprintf("the PAC file grew memory by more than %d MiB in one call", maxHeapGrowth>>20))
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// heapBytes is the live heap as the runtime counts it, without stopping the world.
func heapBytes() int64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(sample[0].Value.Uint64())
}

// jsError is what a script's error says, for one line of a report: never by the script's own
// toString or getters (they may loop: such an error is "an exception"), never a URL's
// credentials, never more than a line.
func jsError(err error) (msg string) {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		what := "an exception"
		func() {
			defer func() { recover() }() // a getter the call's interrupt stopped
			if v, ok := ex.Value().Export().(string); ok {
				what = v
			} else if o, ok := ex.Value().(*goja.Object); ok && o.ClassName() == "Error" {
				if m, ok := o.Get("message").Export().(string); ok {
					what = m
				}
			}
		}()
		where := ""
		if st := ex.Stack(); len(st) > 0 {
			where = fmt.Sprintf(" (at %s %s)", st[0].FuncName(), st[0].Position())
		}
		return quote.Value(what) + quote.Userinfo(where)
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return fmt.Sprint(ie.Value())
	}
	return err.Error()
}

// Choice is one entry of a PAC answer: DIRECT, or a proxy.
type Choice struct {
	Direct bool
	// Scheme is http (PROXY), https (HTTPS), socks5 (SOCKS5, SOCKS) or socks4 (SOCKS4).
	Scheme string
	// Host is the proxy's host:port.
	Host string
}

func (c Choice) String() string {
	if c.Direct {
		return "DIRECT"
	}
	return c.Scheme + "://" + c.Host
}

// ParseResult reads a PAC answer: "PROXY a:3128; PROXY b:3128; DIRECT". An empty answer is
// DIRECT, as browsers read it.
func ParseResult(s string) ([]Choice, error) {
	var out []Choice
	for _, part := range strings.Split(s, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		kind := strings.ToUpper(f[0])
		if kind == "DIRECT" && len(f) == 1 {
			out = append(out, Choice{Direct: true})
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("PAC answer %s: %s is not DIRECT or KIND host:port", quote.Value(maskAnswer(s)), quote.Value(maskAnswer(strings.TrimSpace(part))))
		}
		scheme := map[string]string{"PROXY": "http", "HTTP": "http", "HTTPS": "https", "SOCKS": "socks5", "SOCKS5": "socks5", "SOCKS4": "socks4"}[kind]
		if scheme == "" {
			return nil, fmt.Errorf("PAC answer %s: unknown kind %s", quote.Value(maskAnswer(s)), quote.Value(f[0]))
		}
		host := f[1]
		if !strings.Contains(host, ":") || strings.HasSuffix(host, "]") {
			host += ":" + map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks4": "1080"}[scheme]
		}
		out = append(out, Choice{Scheme: scheme, Host: host})
	}
	if len(out) == 0 {
		out = []Choice{{Direct: true}}
	}
	return out, nil
}

// maskAnswer hides the credentials a PAC answer may carry (PROXY user:password@host:3128):
// every word with an @ keeps only what follows its last @.
func maskAnswer(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if at := strings.LastIndex(w, "@"); at >= 0 {
			words[i] = "***" + w[at:]
		}
	}
	return strings.Join(words, " ")
}

// URLFor is the url argument for a target, as Chromium passes it: the scheme and authority
// only, the path stripped (https://HOST/ for 443, https://HOST:PORT/ otherwise).
func URLFor(host string, port uint16) string {
	h := host
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		h = "[" + host + "]"
	}
	if port == 443 {
		return "https://" + h + "/"
	}
	return fmt.Sprintf("https://%s:%d/", h, port)
}
