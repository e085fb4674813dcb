package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/internal/testtier"
)

// labLoop is the loop a network team runs: a check finds the required openings missing at a
// firewall that drops by its policy, the firewall loads fwcheck's rules in its own syntax, and
// the same check finds them verified; nothing wider was opened.
type labLoop struct {
	format, chain string
	// block sets the client's egress to drop by policy, accepting what is established and DNS.
	block func(t *testing.T)
	// load applies the rules file in the client's namespace.
	load func(t *testing.T, file string)
}

// TestLabRulesLoop: -o nftables and -o iptables, loaded as printed (nft -f, iptables-restore
// --noflush) into the chain that drops, open exactly the required openings that failed; an
// unlisted port on the same destination and an address outside the plan stay dropped.
func TestLabRulesLoop(t *testing.T) {
	l := needLab(t)
	dns := func(proto string) string { return fmt.Sprintf("ip daddr %s %s dport 53 accept", cloudAddr, proto) }
	loops := []labLoop{
		{format: "nftables", chain: "inet fwloop output",
			block: func(t *testing.T) {
				nft(t, nsClient, "fwloop", `chain output { type filter hook output priority 0; policy drop;
					ct state established,related accept
					oif lo accept
					`+dns("udp")+`
					`+dns("tcp")+`
				}`)
			},
			load: func(t *testing.T, file string) {
				if out, err := inNS(nsClient, "nft", "-f", file); err != nil {
					t.Fatalf("nft -f: %v %s", err, out)
				}
			}},
		{format: "iptables", chain: "OUTPUT",
			block: func(t *testing.T) {
				if _, err := inNS(nsClient, "iptables", "-L"); err != nil {
					testtier.Skip(t, "iptables", fmt.Sprintf("no iptables here (apt-get install iptables): %v", err))
				}
				for _, args := range [][]string{
					{"-A", "OUTPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"},
					{"-A", "OUTPUT", "-o", "lo", "-j", "ACCEPT"},
					{"-A", "OUTPUT", "-d", cloudAddr, "-p", "udp", "--dport", "53", "-j", "ACCEPT"},
					{"-A", "OUTPUT", "-d", cloudAddr, "-p", "tcp", "--dport", "53", "-j", "ACCEPT"},
					{"-P", "OUTPUT", "DROP"},
				} {
					if out, err := inNS(nsClient, append([]string{"iptables"}, args...)...); err != nil {
						t.Fatalf("iptables %v: %v %s", args, err, out)
					}
				}
				t.Cleanup(func() {
					inNS(nsClient, "iptables", "-P", "OUTPUT", "ACCEPT")
					inNS(nsClient, "iptables", "-F", "OUTPUT")
				})
			},
			load: func(t *testing.T, file string) {
				if out, err := inNS(nsClient, "iptables-restore", "--test", "--noflush", file); err != nil {
					t.Fatalf("iptables-restore --test: %v %s", err, out)
				}
				if out, err := inNS(nsClient, "iptables-restore", "--noflush", file); err != nil {
					t.Fatalf("iptables-restore: %v %s", err, out)
				}
			}},
	}
	for _, lp := range loops {
		t.Run(lp.format, func(t *testing.T) {
			lp.block(t)
			// The dry run's plan (every opening, names and placeholders as comments) loads as
			// printed too: checked by the real tool, without loading.
			plan := filepath.Join(t.TempDir(), "plan."+lp.format)
			if code, _, _, stderr := l.run(t, nsClient, nil, "worker", "--region", "us-south", "--private", "--pvc", "--dry-run",
				"-o", lp.format+"="+plan, "--rules-chain", lp.chain); code != 0 {
				t.Fatalf("dry run: exit %d %s", code, stderr)
			}
			checkCmd := []string{"nft", "-c", "-f", plan}
			if lp.format == "iptables" {
				checkCmd = []string{"iptables-restore", "--test", "--noflush", plan}
			}
			if out, err := inNS(nsClient, checkCmd...); err != nil {
				b, _ := os.ReadFile(plan)
				t.Fatalf("%v: %v %s\n%s", checkCmd, err, out, b)
			}
			rules := filepath.Join(t.TempDir(), "allow."+lp.format)
			check := []string{"worker", "--region", "us-south", "--catalog", l.catalog, "--timeout", labTimeout.String()}
			start := time.Now()
			beforeJSON, afterJSON := filepath.Join(t.TempDir(), "before.json"), filepath.Join(t.TempDir(), "after.json")
			code, before, _, stderr := l.run(t, nsClient, nil, append(check, "-o", lp.format+"="+rules, "--rules-chain", lp.chain, "-o", "json="+beforeJSON)...)
			if code != 1 {
				t.Fatalf("before: exit %d (%s); want 1, the required openings missing", code, stderr)
			}
			failed := before.missing()
			if len(failed) < 3 {
				t.Fatalf("before: missing %v; want every required opening", failed)
			}
			data, _ := os.ReadFile(rules)
			lp.load(t, rules)
			code, after, _, stderr := l.run(t, nsClient, nil, append(check, "-o", "json="+afterJSON)...)
			loop := time.Since(start)
			// And the diff a user runs last: every opening the rules opened is newly verified.
			if code, out, _ := fwcheck(t, nil, "diff", beforeJSON, afterJSON); code != 0 || strings.Count(out, "newly-verified") != len(failed) {
				t.Errorf("diff: exit %d; want %d newly verified:\n%s", code, len(failed), out)
			}
			if code != 0 || len(after.missing()) != 0 {
				t.Errorf("after loading the rules: exit %d, missing %v (%s)\n%s", code, after.missing(), stderr, data)
			}
			status := func(r labReport) map[string]string {
				m := map[string]string{}
				for _, o := range r.Openings {
					m[o.ID] = o.Status
				}
				return m
			}
			b, a := status(before), status(after)
			for id, s := range b {
				switch {
				case s == "missing" && a[id] != "verified":
					t.Errorf("%s was missing and is %s after the rules", id, a[id])
				case s != "missing" && a[id] != s:
					t.Errorf("%s was %s and is %s: the rules opened what they did not name", id, s, a[id])
				}
			}
			// Nothing wider: another port of a destination the rules opened, and an address
			// outside the plan, are still dropped.
			dest := ""
			for _, o := range after.Openings {
				if slices.Contains(failed, o.ID) && len(o.Probes) > 0 && o.Probes[0].Address != "" {
					dest = o.Probes[0].Address
					break
				}
			}
			code, probe, _, _ := l.run(t, nsClient, nil, "probe", "--timeout", "1s", "tcp://"+dest+":444", "tcp://198.18.129.99:443")
			for _, o := range probe.Openings {
				if st := o.Probes[0].State; st == "open" || st == "refused" {
					t.Errorf("%s %s:%d is %s after the rules: something wider was opened", o.ID, o.Probes[0].Address, o.Probes[0].Port, st)
				}
			}
			if code != 1 {
				t.Errorf("the probes outside the rules: exit %d; want 1", code)
			}
			rulesN := strings.Count(string(data), "add rule") + strings.Count(string(data), "\n-A ")
			t.Logf("%s: %d required openings missing, %d rules, the loop (check, load, check) in %s", lp.format, len(failed), rulesN, loop.Round(time.Millisecond))
			if lp.format == "nftables" {
				// What the other formats need for the same failures (the note's figures).
				for _, f := range []string{"iptables", "networkpolicy", "calico", "csv", "rules"} {
					_, out, _ := fwcheck(t, nil, "merge", "-o", f, beforeJSON)
					n := map[string]int{"iptables": strings.Count(out, "\n-A "), "networkpolicy": strings.Count(out, "  - ports:") + strings.Count(out, "  - to:"),
						"calico": strings.Count(out, "- action: Allow"), "csv": strings.Count(out, "\n") - 1, "rules": strings.Count(out, "allow ") - strings.Count(out, "# warning")}[f]
					t.Logf("  %s: %d rules", f, n)
				}
			}
		})
	}
}

// TestLabIP6tablesLoads: IPv6 grants go to -o ip6tables, which ip6tables-restore reads as
// printed; -o iptables names them and writes none.
func TestLabIP6tablesLoads(t *testing.T) {
	l := needLab(t)
	if _, err := inNS(nsClient, "ip6tables", "-L"); err != nil {
		testtier.Skip(t, "iptables", fmt.Sprintf("no ip6tables here (apt-get install iptables): %v", err))
	}
	dir := t.TempDir()
	six, four := filepath.Join(dir, "allow.ip6"), filepath.Join(dir, "allow.ip4")
	code, _, _, stderr := l.run(t, nsClient, nil, "probe", "--timeout", "1s", "-o", "ip6tables="+six, "-o", "iptables="+four,
		"tcp://[2001:db8::1]:443", "tcp://[2001:db8::2]:443", "tcp://[2001:db8::3]:8443")
	if code != 1 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if out, err := inNS(nsClient, "ip6tables-restore", "--test", "--noflush", six); err != nil {
		b, _ := os.ReadFile(six)
		t.Fatalf("ip6tables-restore --test: %v %s\n%s", err, out, b)
	}
	b6, _ := os.ReadFile(six)
	b4, _ := os.ReadFile(four)
	if !strings.Contains(string(b6), "-d 2001:db8::1,2001:db8::2 ") || strings.Contains(string(b4), "2001:db8") || !strings.Contains(string(b4), "-o ip6tables") {
		t.Errorf("ip6tables:\n%s\niptables:\n%s", b6, b4)
	}
}
