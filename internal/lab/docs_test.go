package lab

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// timings are the numbers of a report that change from run to run.
var timings = regexp.MustCompile(`\d+(\.\d+)?( ?ms|s\b)`)

// sameText is a report as a doc must match it: timings aside, and the wrapping they move.
func sameText(s string) string {
	return strings.Join(strings.Fields(timings.ReplaceAllString(s, "T")), " ")
}

// TestLabReadmeSample: the report the README shows near its top is what fwcheck prints for its
// command in the lab (dal10's master IPs dropped in the router), timings aside: the README
// cannot drift from the tool.
func TestLabReadmeSample(t *testing.T) {
	l := needLab(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- sample:[^>]*-->\n```\n\\$ (fwcheck [^\n]*)\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README has no sample block (<!-- sample: ... --> then ``` and $ fwcheck ...)")
	}
	command, shown := strings.Fields(string(m[1])), string(m[2])
	nft(t, nsRouter, "readme", `chain forward_filter { type filter hook forward priority 0; policy accept;
		ip saddr `+clientAddr+` ip daddr { `+l.addr(t, "169.47.234.18")+`, `+l.addr(t, "169.46.7.238")+` } tcp dport 443 drop
	}`)
	args := append([]string{"netns", "exec", nsClient, l.bin}, command[1:]...)
	cmd := exec.Command("ip", append(args, "--catalog", l.catalog)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=" + l.ca}
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("%s: %v; want exit 1 (the README says so)\n%s", m[1], err, out)
	}
	if got, want := sameText(string(out)), sameText(shown); got != want {
		t.Errorf("the README's sample differs from what `%s` prints in the lab; paste this in:\n%s\ngot  %s\nwant %s", m[1], out, got, want)
	}
}
