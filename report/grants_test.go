package report

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/probe"
)

// failedReport is a report whose single missing opening failed at these address:port pairs
// (and passed at the others it lists).
func failedReport(failed, passed map[string]bool) *Report {
	o := Opening{ID: "probe-1", Status: Missing, Protocol: "tcp", Required: true}
	add := func(set map[string]bool, state probe.State) {
		for ap := range set {
			a := netip.MustParseAddrPort(ap)
			o.Probes = append(o.Probes, Probe{Address: a.Addr().String(), Host: a.Addr().String(), Port: int(a.Port()), Protocol: "tcp",
				Dialed: true, State: string(state), Via: probe.Direct})
		}
	}
	add(failed, probe.Refused)
	add(passed, probe.Open)
	return &Report{Source: Source{Addresses: []string{"192.0.2.10"}}, openings: []Opening{o}}
}

// expand lists every address:port a set of grants allows, within the test's small space.
func expand(t *testing.T, gs []Grant) map[string]bool {
	out := map[string]bool{}
	for _, g := range gs {
		if g.AnyPort || len(g.Sources) != 1 || g.Sources[0].String() != "192.0.2.10/32" {
			t.Fatalf("grant %+v: any port or a source other than this host's", g)
		}
		for _, d := range g.Dests {
			if d.Bits() < 16 {
				t.Fatalf("grant %+v: a prefix wider than the test's space", g)
			}
			for a := d.Addr(); d.Contains(a); a = a.Next() {
				for _, r := range g.Ports {
					for p := int(r.Lo); p <= int(r.Hi); p++ {
						out[netip.AddrPortFrom(a, uint16(p)).String()] = true
					}
				}
			}
		}
	}
	return out
}

// TestGrantsAreExact: the grants, expanded back, are exactly the pairs that failed, for
// random sets (dense and sparse, ports in runs and alone), never one pair more.
func TestGrantsAreExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		failed, passed := map[string]bool{}, map[string]bool{}
		hosts, ports := 1+rng.IntN(64), 1+rng.IntN(40)
		density := rng.Float64()
		for h := range hosts {
			a := netip.AddrFrom4([4]byte{198, 51, 100, byte(h)})
			for p := range ports {
				ap := netip.AddrPortFrom(a, uint16(30000+p)).String()
				if rng.Float64() < density {
					failed[ap] = true
				} else {
					passed[ap] = true
				}
			}
		}
		if len(failed) == 0 {
			continue
		}
		gs, unplaced, err := GrantsOf(failedReport(failed, passed))
		if err != nil || len(unplaced) > 0 {
			t.Fatalf("round %d: %v %v", round, err, unplaced)
		}
		got := expand(t, gs)
		for ap := range failed {
			if !got[ap] {
				t.Fatalf("round %d: %s failed and no grant allows it", round, ap)
			}
		}
		for ap := range got {
			if !failed[ap] {
				t.Fatalf("round %d: a grant allows %s, which did not fail (wider than what failed)", round, ap)
			}
		}
	}
}

// TestRulesTextIsExact: `-o rules`, read back as a person (or a firewall team's script) reads
// it, allows exactly the pairs that failed, for random sets; 2,000 closed ports are one line.
func TestRulesTextIsExact(t *testing.T) {
	line := regexp.MustCompile(`^allow tcp from 192\.0\.2\.10 to (.+) port (\S+)  # probe-1$`)
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 100 {
		failed, passed := map[string]bool{}, map[string]bool{}
		for h := range 1 + rng.IntN(40) {
			for p := range 1 + rng.IntN(30) {
				ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(h)}), uint16(30000+p)).String()
				if rng.IntN(3) > 0 {
					failed[ap] = true
				} else {
					passed[ap] = true
				}
			}
		}
		var b strings.Builder
		if err := writeRules(&b, failedReport(failed, passed)); err != nil {
			t.Fatal(err)
		}
		var gs []Grant
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("round %d: a line that is no rule of this host's: %q", round, l)
			}
			g := Grant{Sources: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/32")}}
			for _, d := range strings.Split(m[1], ", ") {
				p, ok := prefixOf(d)
				if !ok {
					t.Fatalf("round %d: %q is no address or CIDR", round, d)
				}
				g.Dests = append(g.Dests, p)
			}
			var err error
			if g.Ports, _, err = endpoints.ParsePorts(m[2]); err != nil {
				t.Fatal(err)
			}
			gs = append(gs, g)
		}
		got := expand(t, gs)
		if len(got) != len(failed) {
			t.Fatalf("round %d: the rules allow %d pairs; %d failed", round, len(got), len(failed))
		}
		for ap := range failed {
			if !got[ap] {
				t.Fatalf("round %d: %s failed and no rule allows it", round, ap)
			}
		}
	}
	ports := map[string]bool{}
	for p := 20001; p <= 22000; p++ {
		ports[fmt.Sprintf("127.0.0.1:%d", p)] = true
	}
	var b strings.Builder
	writeRules(&b, failedReport(ports, nil))
	if want := "allow tcp from 192.0.2.10 to 127.0.0.1 port 20001-22000  # probe-1\n"; b.String() != want {
		t.Errorf("2,000 closed ports:\n%s\nwant %s", b.String(), want)
	}
}

// TestGrantsAggregate: 2,000 closed ports on one host are one grant with one range; 256
// hosts closed on one port are one grant with one /24.
func TestGrantsAggregate(t *testing.T) {
	ports := map[string]bool{}
	for p := 20001; p <= 22000; p++ {
		ports[fmt.Sprintf("127.0.0.1:%d", p)] = true
	}
	gs, _, _ := GrantsOf(failedReport(ports, nil))
	if len(gs) != 1 || len(gs[0].Dests) != 1 || len(gs[0].Ports) != 1 || gs[0].Ports[0].Lo != 20001 || gs[0].Ports[0].Hi != 22000 {
		t.Errorf("2,000 ports: %+v", gs)
	}
	hosts := map[string]bool{}
	for h := range 256 {
		hosts[fmt.Sprintf("198.51.100.%d:443", h)] = true
	}
	gs, _, _ = GrantsOf(failedReport(hosts, nil))
	if len(gs) != 1 || len(gs[0].Dests) != 1 || gs[0].Dests[0].String() != "198.51.100.0/24" {
		t.Errorf("256 hosts: %+v", gs)
	}
}

// TestMarkdownFitsAStepSummary: 8,000 missing openings (1.17 MB of Markdown once) stay under
// GitHub's 1 MiB job-summary limit, with a line that says what was left out.
func TestMarkdownFitsAStepSummary(t *testing.T) {
	r := &Report{Summary: Summary{Openings: 8000, Missing: 8000}}
	for i := range 8000 {
		a := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		r.openings = append(r.openings, Opening{ID: fmt.Sprintf("probe-%d", i+1), Status: Missing, Protocol: "tcp", Ports: "443", Section: "adhoc",
			Destinations: []string{a.String()}, Rule: fmt.Sprintf("allow tcp from 198.51.100.5 to %s port 443", a),
			Probes: []Probe{{Address: a.String(), Host: a.String(), Port: 443, Protocol: "tcp", Dialed: true, State: "filtered", Detail: strings.Repeat("no answer ", 8)}}})
	}
	var b strings.Builder
	if err := writeMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 1<<20 || !strings.Contains(b.String(), "left out") {
		t.Errorf("%d bytes (limit %d); the left-out line: %v", b.Len(), 1<<20, strings.Contains(b.String(), "left out"))
	}
}

// TestRulesNameTheProxy: a connection refused through a proxy left from the proxy: -o rules
// says "from the proxy HOST:PORT", for an address and for a name the proxy resolved, as the
// opening's own rule does (it once said "from <this host>").
func TestRulesNameTheProxy(t *testing.T) {
	via := "http://proxy.corp.example:3128"
	o := Opening{ID: "probe-1", Status: Missing, Protocol: "tcp", Required: true, Probes: []Probe{
		{Host: "198.51.100.7", Address: "198.51.100.7", Port: 443, Protocol: "tcp", Dialed: true, Via: via, State: string(probe.Refused)},
		{Host: "registry.example", Port: 443, Protocol: "tcp", Dialed: true, Via: via, State: string(probe.Refused)},
	}}
	var b strings.Builder
	if err := writeRules(&b, &Report{Source: Source{Addresses: []string{"192.0.2.10"}}, openings: []Opening{o}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"allow tcp from the proxy proxy.corp.example:3128 to 198.51.100.7 port 443",
		"allow tcp from the proxy proxy.corp.example:3128 to registry.example port 443"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

// TestRulesNameTheProbesSource: on a machine with two addresses, a failed probe that says which
// one it left from is granted from that one only, as its opening's rule says; one that does not
// say (an old report's) is granted from the run's addresses.
func TestRulesNameTheProbesSource(t *testing.T) {
	failed := func(id, dest, source string) Opening {
		return Opening{ID: id, Status: Missing, Protocol: "tcp", Required: true, Probes: []Probe{
			{Host: dest, Address: dest, Port: 443, Protocol: "tcp", Dialed: true, Via: probe.Direct, State: string(probe.Filtered), Source: source}}}
	}
	r := &Report{Source: Source{Addresses: []string{"192.0.2.10", "192.0.2.11"}},
		openings: []Opening{failed("probe-1", "198.51.100.7", "192.0.2.11"), failed("probe-2", "198.51.100.8", "")}}
	var b strings.Builder
	if err := writeRules(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"allow tcp from 192.0.2.11 to 198.51.100.7 port 443  # probe-1", "allow tcp from 192.0.2.10, 192.0.2.11 to 198.51.100.8 port 443  # probe-2"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}
