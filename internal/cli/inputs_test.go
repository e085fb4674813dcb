package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTargetsFromStdin: `--targets-file -` reads standard input, as nmap's -iL -, with the
// file's rules (comments, blank lines, a bad line named by its number).
func TestTargetsFromStdin(t *testing.T) {
	m := theMachine
	m.stdin = strings.NewReader("# from a pipe\n127.0.0.1:443\n\nudp://127.0.0.1:53\n")
	code, out, errOut := fwcheckOn(t, m, nil, "probe", "--targets-file", "-", "--dry-run", "-o", "json")
	var rep struct{ Openings []struct{ Title string } }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || len(rep.Openings) != 2 ||
		rep.Openings[0].Title != "tcp connect 127.0.0.1:443" || rep.Openings[1].Title != "udp datagram 127.0.0.1:53" {
		t.Fatalf("exit %d (%s), openings %+v (%v); want the two targets of stdin", code, errOut, rep.Openings, err)
	}

	m.stdin = strings.NewReader("127.0.0.1:443\nnot a target\n")
	code, _, errOut = fwcheckOn(t, m, nil, "probe", "--targets-file", "-", "--dry-run")
	if code != ExitBadInput || !strings.Contains(errOut, "--targets-file (stdin):2:") {
		t.Errorf("exit %d, %q; want 2 naming (stdin):2", code, errOut)
	}
}
