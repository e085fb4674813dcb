package lab

// The benchmark harness (issue: fwcheck against nmap in the lab). It runs only when asked:
//
//	sudo FWCHECK_BENCH=1 go test -run TestLabBenchmark -v -timeout 30m .
//
// 1,000 lab addresses × 10 ports: two ports listening on every address, eight answering with
// a reset, 10 % of the addresses dropped by nftables in the router. fwcheck and nmap run in the
// client namespace under /usr/bin/time -v; every state is compared with the truth.

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var benchPorts = []int{443, 8443, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}

const benchListening = 2 // the first two ports listen on every address

type benchTruth struct {
	addrs   []string
	dropped map[string]bool
}

func newBenchTruth(n int) benchTruth {
	t := benchTruth{dropped: map[string]bool{}}
	a := netip.MustParseAddr("198.18.192.0")
	for i := 0; i < n; i++ {
		s := a.String()
		t.addrs = append(t.addrs, s)
		if i%10 == 5 {
			t.dropped[s] = true
		}
		a = a.Next()
	}
	return t
}

// want is the true state of addr:port in fwcheck's words.
func (b benchTruth) want(addr string, portIndex int) string {
	switch {
	case b.dropped[addr]:
		return "filtered"
	case portIndex < benchListening:
		return "open"
	default:
		return "refused"
	}
}

type benchRun struct {
	name  string
	wall  time.Duration
	rssKB int
	right int
	total int
}

var (
	wallRe = regexp.MustCompile(`Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):(\d+\.\d+)`)
	rssRe  = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
)

// timed runs a command in the client namespace under /usr/bin/time -v.
func timed(t *testing.T, stdout string, args ...string) (time.Duration, int) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", nsClient, "/usr/bin/time", "-v"}, args...)...)
	out, err := os.Create(stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var errb strings.Builder
	cmd.Stdout, cmd.Stderr = out, &errb
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FWCHECK_CPUPROFILE=" + os.Getenv("FWCHECK_CPUPROFILE")}
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
	}
	m := wallRe.FindStringSubmatch(errb.String())
	r := rssRe.FindStringSubmatch(errb.String())
	if m == nil || r == nil {
		t.Fatalf("no timing from /usr/bin/time:\n%s", errb.String())
	}
	h, _ := strconv.Atoi(m[1])
	min, _ := strconv.Atoi(m[2])
	sec, _ := strconv.ParseFloat(m[3], 64)
	rss, _ := strconv.Atoi(r[1])
	return time.Duration((float64(h*3600+min*60) + sec) * float64(time.Second)), rss
}

func (l *lab) benchFwcheck(t *testing.T, truth benchTruth, name string, extra ...string) benchRun {
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.txt")
	var b strings.Builder
	for _, a := range truth.addrs {
		for _, p := range benchPorts {
			fmt.Fprintf(&b, "%s:%d\n", a, p)
		}
	}
	os.WriteFile(targets, []byte(b.String()), 0o644)
	out := filepath.Join(dir, "report.json")
	args := append([]string{l.bin, "probe", "-o", "json", "--targets-file", targets}, extra...)
	wall, rss := timed(t, out, args...)
	data, _ := os.ReadFile(out)
	var rep labReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	run := benchRun{name: name, wall: wall, rssKB: rss, total: len(truth.addrs) * len(benchPorts)}
	portIndex := map[int]int{}
	for i, p := range benchPorts {
		portIndex[p] = i
	}
	for _, o := range rep.Openings {
		for _, p := range o.Probes {
			if p.State == truth.want(p.Address, portIndex[p.Port]) {
				run.right++
			}
		}
	}
	return run
}

type nmapRun struct {
	Hosts []struct {
		Address struct {
			Addr string `xml:"addr,attr"`
		} `xml:"address"`
		Ports []struct {
			ID    int `xml:"portid,attr"`
			State struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
		} `xml:"ports>port"`
		ExtraPorts []struct {
			State string `xml:"state,attr"`
			Count int    `xml:"count,attr"`
		} `xml:"ports>extraports"`
	} `xml:"host"`
}

func (l *lab) benchNmap(t *testing.T, truth benchTruth, name string, extra ...string) benchRun {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts.txt")
	os.WriteFile(hosts, []byte(strings.Join(truth.addrs, "\n")+"\n"), 0o644)
	xmlOut := filepath.Join(dir, "nmap.xml")
	var ports []string
	for _, p := range benchPorts {
		ports = append(ports, strconv.Itoa(p))
	}
	args := append([]string{"nmap", "-sT", "-Pn", "-n", "-p", strings.Join(ports, ","), "-iL", hosts, "-oX", xmlOut, "--reason"}, extra...)
	wall, rss := timed(t, filepath.Join(dir, "stdout"), args...)
	data, _ := os.ReadFile(xmlOut)
	var res nmapRun
	if err := xml.Unmarshal(data, &res); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	run := benchRun{name: name, wall: wall, rssKB: rss, total: len(truth.addrs) * len(benchPorts)}
	words := map[string]string{"open": "open", "closed": "refused", "filtered": "filtered"}
	portIndex := map[int]int{}
	for i, p := range benchPorts {
		portIndex[p] = i
	}
	for _, h := range res.Hosts {
		seen := 0
		for _, p := range h.Ports {
			seen++
			if words[p.State.State] == truth.want(h.Address.Addr, portIndex[p.ID]) {
				run.right++
			}
		}
		// nmap folds a run of like ports into "extraports": all ten the same state.
		for _, e := range h.ExtraPorts {
			if seen == 0 && e.Count == len(benchPorts) && words[e.State] == "filtered" && truth.dropped[h.Address.Addr] {
				run.right += e.Count
			}
		}
	}
	return run
}

// needBenchLab is the lab, with the tools a harness compares against (it skips without them).
func needBenchLab(t *testing.T) *lab {
	for _, tool := range []string{"nmap", "/usr/bin/time"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the harness needs %s (apt-get install nmap time)", tool)
		}
	}
	return needLab(t)
}

// machineLine heads a harness's output: the machine and the day, for BENCHMARKS.md.
func machineLine() string {
	return fmt.Sprintf("machine: %s, %d cores, %s/%s; %s\n\n", hostDescription(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"))
}

func TestLabBenchmark(t *testing.T) {
	if os.Getenv("FWCHECK_BENCH") == "" {
		t.Skip("the benchmark harness runs with FWCHECK_BENCH=1 (sudo FWCHECK_BENCH=1 go test -run TestLabBenchmark -v -timeout 30m .)")
	}
	l := needBenchLab(t)
	var out strings.Builder
	out.WriteString(machineLine())

	truth := newBenchTruth(1000)
	l.dropBench(t, truth)
	fixed := []string{"--initial-rtt-timeout", "1000ms", "--min-rtt-timeout", "1000ms", "--max-rtt-timeout", "1000ms",
		"--max-retries", "0", "--min-parallelism", "1000", "--min-hostgroup", "1000"}
	if os.Getenv("FWCHECK_BENCH") == "hold" {
		t.Logf("lab up; sleeping")
		time.Sleep(10 * time.Minute)
		return
	}
	if os.Getenv("FWCHECK_BENCH") == "profile" {
		r := l.benchFwcheck(t, truth, "profile", "--timeout", "1s", "--retries", "0", "--concurrency", os.Getenv("FWCHECK_BENCH_C"))
		t.Logf("profiled run: %.2f s, %d KB", r.wall.Seconds(), r.rssKB)
		return
	}
	runs := []benchRun{
		l.benchFwcheck(t, truth, "fwcheck probe --timeout 1s --retries 0", "--timeout", "1s", "--retries", "0"),
		l.benchNmap(t, truth, "nmap -sT -Pn -n, fixed 1000ms timeouts, --max-retries 0, --min-parallelism 1000 --min-hostgroup 1000", fixed...),
		l.benchFwcheck(t, truth, "fwcheck probe (defaults: --timeout 5s --retries 0)"),
		l.benchNmap(t, truth, "nmap -sT -Pn -n -T4", "-T4"),
	}
	fmt.Fprintf(&out, "| run | wall | peak RSS | states right |\n|---|---|---|---|\n")
	for _, r := range runs {
		fmt.Fprintf(&out, "| %s | %.2f s | %.1f MB | %d / %d |\n", r.name, r.wall.Seconds(), float64(r.rssKB)/1024, r.right, r.total)
	}
	fmt.Fprintf(&out, "\nratios: fixed timeout fwcheck/nmap = %.2f; defaults nmap -T4 / fwcheck = %.2f×\n",
		runs[0].wall.Seconds()/runs[1].wall.Seconds(), runs[3].wall.Seconds()/runs[2].wall.Seconds())

	fmt.Fprintf(&out, "\nscale (fwcheck probe --timeout 1s --retries 0, 10 ports an address, 10 %% dropped):\n\n| probes | wall | peak RSS | states right |\n|---|---|---|---|\n")
	for _, n := range []int{100, 1000, 10000} {
		tr := newBenchTruth(n)
		l.dropBench(t, tr)
		r := l.benchFwcheck(t, tr, fmt.Sprint(n*10), "--timeout", "1s", "--retries", "0")
		fmt.Fprintf(&out, "| %d | %.2f s | %.1f MB | %d / %d |\n", r.total, r.wall.Seconds(), float64(r.rssKB)/1024, r.right, r.total)
	}
	t.Log("\n" + out.String())
	if f := os.Getenv("FWCHECK_BENCH_OUT"); f != "" {
		os.WriteFile(f, []byte(out.String()), 0o644)
	}
}

// dropBench drops every tenth address of the truth in the router, for the test's length.
func (l *lab) dropBench(t *testing.T, truth benchTruth) {
	var elems []string
	for a := range truth.dropped {
		elems = append(elems, a)
	}
	if len(elems) == 0 {
		return
	}
	inNS(nsRouter, "nft", "delete", "table", "inet", "bench")
	nft(t, nsRouter, "bench", fmt.Sprintf(`set dropped { type ipv4_addr; elements = { %s } }
	chain forward_filter { type filter hook forward priority 0; policy accept;
		ip daddr @dropped drop
	}`, strings.Join(elems, ", ")))
}

func hostDescription() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

// medianRun is the run of median wall time, named name; the rows of a benchmark table show it.
func medianRun(runs []benchRun, name string) benchRun {
	runs = slices.Clone(runs)
	slices.SortFunc(runs, func(a, b benchRun) int { return cmp.Compare(a.wall, b.wall) })
	m := runs[len(runs)/2]
	m.name = fmt.Sprintf("%s (min %.2f s, max %.2f s)", name, runs[0].wall.Seconds(), runs[len(runs)-1].wall.Seconds())
	return m
}

// TestLabBenchmarkAdaptive is the harness of the adaptive clock (FWCHECK_BENCH=adaptive):
// 1,000 probes (100 addresses × 10 ports, 10 % of the addresses dropped) with 3 % random loss
// of the client's packets, fwcheck at its defaults (ten runs, for the rate of right states) and
// with --timeout 1s against nmap -sT -T5 and -T4; 10,000 probes without loss against nmap -T4;
// the worker scenario with one dropped opening.
func TestLabBenchmarkAdaptive(t *testing.T) {
	if os.Getenv("FWCHECK_BENCH") != "adaptive" {
		t.Skip("runs with FWCHECK_BENCH=adaptive (sudo FWCHECK_BENCH=adaptive go test -run TestLabBenchmarkAdaptive -v -timeout 30m .)")
	}
	l := needBenchLab(t)
	var out strings.Builder
	out.WriteString(machineLine())
	table := func(title string, runs []benchRun) {
		fmt.Fprintf(&out, "%s\n\n| run | wall | peak RSS | states right |\n|---|---|---|---|\n", title)
		for _, r := range runs {
			fmt.Fprintf(&out, "| %s | %.2f s | %.1f MB | %d / %d (%.2f %%) |\n", r.name, r.wall.Seconds(), float64(r.rssKB)/1024, r.right, r.total, 100*float64(r.right)/float64(r.total))
		}
		out.WriteString("\n")
	}

	// 1,000 probes with 3 % loss.
	truth := newBenchTruth(100)
	l.dropBench(t, truth)
	t.Run("loss", func(t *testing.T) {
		nft(t, nsClient, "loss", `chain out { type filter hook output priority 0; policy accept;
			ip daddr 198.18.192.0/24 numgen random mod 100 < 3 drop
		}`)
		var defaults []benchRun
		right, total := 0, 0
		for range 10 {
			r := l.benchFwcheck(t, truth, "fwcheck probe (defaults)")
			defaults = append(defaults, r)
			right, total = right+r.right, total+r.total
		}
		med := medianRun(defaults, "fwcheck probe (defaults), median of 10")
		// nmap's time under loss depends on which packets were lost (it slows down for each,
		// as for congestion): a median of runs, as fwcheck's is, ten against -T5.
		nmapMedian := func(n int, name string, args ...string) benchRun {
			var runs []benchRun
			for range n {
				runs = append(runs, l.benchNmap(t, truth, name, args...))
			}
			return medianRun(runs, fmt.Sprintf("%s, median of %d", name, n))
		}
		runs := []benchRun{
			med,
			l.benchFwcheck(t, truth, "fwcheck probe --timeout 1s", "--timeout", "1s"),
			nmapMedian(10, "nmap -sT -Pn -n -T5", "-T5"),
			nmapMedian(5, "nmap -sT -Pn -n -T4", "-T4"),
		}
		table("1,000 probes, 3 % random loss (10 % of the addresses dropped):", runs)
		fmt.Fprintf(&out, "fwcheck at its defaults over the 10 runs: %d / %d states right (%.3f %%); nmap -T5 / fwcheck = %.2f×\n\n",
			right, total, 100*float64(right)/float64(total), runs[2].wall.Seconds()/med.wall.Seconds())
	})

	t.Run("10k", func(t *testing.T) {
		big := newBenchTruth(1000)
		l.dropBench(t, big)
		runs := []benchRun{
			l.benchFwcheck(t, big, "fwcheck probe (defaults)"),
			l.benchNmap(t, big, "nmap -sT -Pn -n -T4", "-T4"),
		}
		table("10,000 probes, no loss (10 % of the addresses dropped):", runs)
		fmt.Fprintf(&out, "nmap -T4 / fwcheck = %.2f×\n\n", runs[1].wall.Seconds()/runs[0].wall.Seconds())
		if rss := float64(runs[0].rssKB) / 1024; rss > 64 {
			t.Errorf("10,000 probes peaked at %.1f MB; the bound is 64 MB", rss)
		}
	})

	t.Run("100k", func(t *testing.T) {
		huge := newBenchTruth(10000)
		l.dropBench(t, huge)
		dir := t.TempDir()
		runs := []benchRun{
			l.benchFwcheck(t, huge, "fwcheck probe (defaults)"),
			l.benchFwcheck(t, huge, "fwcheck probe -o json -o junit=FILE -o text=FILE", "-o", "junit="+filepath.Join(dir, "r.xml"), "-o", "text="+filepath.Join(dir, "r.txt")),
		}
		table("100,000 probes, no loss (10 % of the addresses dropped):", runs)
		for _, r := range runs {
			if rss := float64(r.rssKB) / 1024; rss > 100 {
				t.Errorf("%s: 100,000 probes peaked at %.1f MB; the bound is 100 MB", r.name, rss)
			}
		}
	})

	t.Run("worker", func(t *testing.T) {
		dal10 := l.addr(t, "169.47.234.18")
		nft(t, nsRouter, "onedrop", fmt.Sprintf(`chain forward_filter { type filter hook forward priority 0; policy accept;
			ip daddr %s tcp dport 443 drop
		}`, dal10))
		var walls []time.Duration
		for range 5 {
			code, _, el, stderr := l.run(t, nsClient, nil, "worker", "--region", "us-south", "--catalog", l.catalog)
			if code != 1 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			walls = append(walls, el)
		}
		slices.Sort(walls)
		fmt.Fprintf(&out, "worker --region us-south at defaults, one opening dropped: median of 5 %.2f s (min %.2f s, max %.2f s)\n",
			walls[2].Seconds(), walls[0].Seconds(), walls[4].Seconds())
	})
	t.Log("\n" + out.String())
	if f := os.Getenv("FWCHECK_BENCH_OUT"); f != "" {
		os.WriteFile(f, []byte(out.String()), 0o644)
	}
}
