package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testnet"
)

// tunnelProxy is a CONNECT proxy without authentication that tunnels every request to backend.
type tunnelProxy struct{ backend string }

func (p tunnelProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up, err := net.Dial("tcp", p.backend)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	c, brw, _ := http.NewResponseController(w).Hijack()
	go func() { io.Copy(up, brw); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// TestPAC: a PAC file served over HTTP picks the proxies: a failover list whose first proxy is
// dead is followed to the live one (every attempt reported), DIRECT is DIRECT, and a script
// that throws for a target makes it proxy-error with a pac finding, never a silent DIRECT.
func TestPAC(t *testing.T) {
	backend := testnet.Holding(t, "tcp", "127.0.0.1:0")
	live := httptest.NewServer(tunnelProxy{backend: backend.Addr().String()})
	t.Cleanup(live.Close)
	dead := testnet.Closed(t, "127.0.0.1")
	closed := testnet.Closed(t, "127.0.0.1")
	script := fmt.Sprintf(`function FindProxyForURL(url, host) {
		if (url != "https://" + host + "/" && url.indexOf("https://127.0.0.1:") != 0) return "PROXY 127.0.0.1:9; DIRECT";
		if (dnsDomainIs(host, ".through.test")) return "PROXY %s; PROXY %s; DIRECT";
		if (host == "boom.fwcheck.test") throw "no rule for " + host;
		return "DIRECT";
	}`, dead, strings.TrimPrefix(live.URL, "http://"))
	pacSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/proxy.pac" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-ns-proxy-autoconfig")
		fmt.Fprint(w, script)
	}))
	t.Cleanup(pacSrv.Close)

	code, stdout, stderr := fwcheck(t, nil, "probe", "--pac", pacSrv.URL+"/proxy.pac", "-o", "json", "--timeout", "2s",
		"tcp://api.through.test:443", "tcp://boom.fwcheck.test:443", closed)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Findings []struct{ Kind string }
		Openings []struct {
			ID       string
			Rule     string
			Findings []string
			Probes   []struct {
				State, Reason, Via string
				ProxySource        string `json:"proxy_source"`
				Attempts           []struct{ Via, State, Reason string }
			}
		}
	}
	if err := jsonUnmarshal(stdout, &r); err != nil {
		t.Fatal(err)
	}
	p := r.Openings[0].Probes[0]
	if p.State != "open" || p.Via != live.URL || p.ProxySource != "pac" || len(p.Attempts) != 1 ||
		p.Attempts[0].Via != "http://"+dead || !strings.HasPrefix(p.Attempts[0].Reason, "proxy-unreachable") {
		t.Errorf("failover: %+v; want open through the live proxy after the dead one", p)
	}
	p = r.Openings[1].Probes[0]
	if p.State != "proxy-error" || p.Reason != "proxy-error:pac" || r.Openings[1].Rule != "" || len(r.Openings[1].Findings) != 1 || r.Openings[1].Findings[0] != "pac" {
		t.Errorf("a throwing script: %+v, opening %+v; want proxy-error:pac with a pac finding and no rule", p, r.Openings[1])
	}
	p = r.Openings[2].Probes[0]
	if p.State != "refused" || p.Via != "direct" || p.ProxySource != "pac" {
		t.Errorf("DIRECT: %+v; want refused, direct, said to come from the PAC file", p)
	}

	// A PAC file that cannot be read or does not parse is bad input, naming the line.
	bad := filepath.Join(t.TempDir(), "bad.pac")
	os.WriteFile(bad, []byte("function FindProxyForURL(url, host) {\n  return 'DIRECT'\n}\nfunction ("), 0o644)
	// A file is read in a dry run too; a URL is fetched only by a run that dials.
	for _, tc := range []struct {
		where, want string
		dryRun      bool
	}{
		{bad, "Line 4", true}, {pacSrv.URL + "/missing.pac", "404", false}, {"/nonexistent/proxy.pac", "no such file", true},
	} {
		args := []string{"probe", "--pac", tc.where, closed}
		if tc.dryRun {
			args = append(args, "--dry-run")
		}
		code, stdout, stderr := fwcheck(t, nil, args...)
		if code != ExitBadInput || stdout != "" || !strings.Contains(stderr, "--pac") || !strings.Contains(stderr, tc.want) {
			t.Errorf("--pac %s: exit %d, stderr %q; want 2 naming %q", tc.where, code, stderr, tc.want)
		}
	}
	// A dry run dials nothing, a PAC file's server included: a URL nothing answers is no error.
	unanswered := "http://" + testnet.Closed(t, "127.0.0.1") + "/proxy.pac"
	code, stdout, stderr = fwcheck(t, nil, "probe", "--pac", unanswered, "--dry-run", closed)
	if code != 0 || !strings.Contains(stdout, "a dry run fetches nothing") {
		t.Errorf("--pac %s --dry-run: exit %d, stderr %q; want 0, the PAC file not fetched:\n%s", unanswered, code, stderr, stdout)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// TestPACSecrets: a PAC file fetched from a URL with credentials, whose script throws or
// answers with credentials, leaves them in no output (its name is in every stack trace).
func TestPACSecrets(t *testing.T) {
	const secret = "PW-SECRET-pacurl"
	script := `function FindProxyForURL(url, host) {
		if (host == "throws.fwcheck.test") throw new Error("no rule for " + host);
		if (host == "stack.fwcheck.test") throw new Error("where").stack;
		return "PROXY alice:` + secret + `@proxy.example:3128 extra";
	}`
	pacSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, script) }))
	t.Cleanup(pacSrv.Close)
	where := strings.Replace(pacSrv.URL, "http://", "http://user:"+secret+"@", 1) + "/proxy.pac"
	code, all := inEveryFormat(t, nil, t.TempDir(), "probe", "--pac", where, "--timeout", "1s", "-v",
		"tcp://throws.fwcheck.test:443", "tcp://stack.fwcheck.test:443", "tcp://answers.fwcheck.test:443")
	if code != 1 || !strings.Contains(all, "proxy-error:pac") {
		t.Fatalf("exit %d; want 1 with proxy-error:pac\n%s", code, all)
	}
	if strings.Contains(all, secret) {
		i := strings.Index(all, secret)
		t.Errorf("the PAC URL's or answer's password appears: …%s…", all[max(0, i-100):min(len(all), i+30)])
	}
}
