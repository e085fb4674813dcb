package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/internal/sysproxy"
)

// TestSystemProxySettings: with nothing on the command line or in the environment, the
// system's settings (recorded here) pick the proxy: their PAC file, their proxy, or, for a
// PAC file that cannot be fetched, a pac finding and DIRECT.
func TestSystemProxySettings(t *testing.T) {
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		defer ln.Close()
		return ln.Addr().String()
	}
	target := closed()
	pac := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `function FindProxyForURL(url, host) { return "DIRECT"; }`)
	}))
	t.Cleanup(pac.Close) // the subtests run in parallel, after this function returns
	deadProxy := closed()
	cases := []struct {
		name     string
		settings sysproxy.Settings
		state    string
		via      string
		source   string
		finding  string
	}{
		{"a PAC file", sysproxy.Settings{From: "scutil --proxy", PACURL: pac.URL + "/proxy.pac"}, "refused", "direct", "system", ""},
		{"a PAC file that cannot be fetched", sysproxy.Settings{From: "Internet Settings", PACURL: "http://" + closed() + "/proxy.pac"}, "refused", "direct", "", "pac"},
		{"a proxy", sysproxy.Settings{From: "Internet Settings", HTTPS: "http://" + deadProxy}, "proxy-error", "http://" + deadProxy, "system", "proxy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := machine{proxySettings: func() (sysproxy.Settings, error) { return tc.settings, nil }}
			// Loopback is never proxied from the environment's settings; a name is.
			args := []string{"probe", "-o", "json", "--timeout", "1s", target}
			if tc.settings.HTTPS != "" {
				args = []string{"probe", "-o", "json", "--timeout", "1s", "tcp://name.fwcheck.test:443"}
			}
			code, stdout, stderr := fwcheckOn(t, m, nil, args...)
			if code != 1 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r struct {
				Findings []struct{ Kind string }
				Openings []struct {
					Probes []struct {
						State, Via  string
						ProxySource string `json:"proxy_source"`
					}
				}
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			p := r.Openings[0].Probes[0]
			var kinds []string
			for _, f := range r.Findings {
				kinds = append(kinds, f.Kind)
			}
			if p.State != tc.state || p.Via != tc.via || p.ProxySource != tc.source || tc.finding != "" && !strings.Contains(strings.Join(kinds, ","), tc.finding) {
				t.Errorf("probe %+v, findings %v; want %s via %s from %q, finding %q", p, kinds, tc.state, tc.via, tc.source, tc.finding)
			}
		})
	}
	// The command line wins over the system.
	m := machine{proxySettings: func() (sysproxy.Settings, error) { return sysproxy.Settings{HTTPS: "http://" + deadProxy}, nil }}
	code, stdout, _ := fwcheckOn(t, m, nil, "probe", "--no-proxy", "-o", "json", "--timeout", "1s", "tcp://127.0.0.1:"+strings.Split(target, ":")[1])
	if code != 1 || strings.Contains(stdout, deadProxy) {
		t.Errorf("--no-proxy: exit %d; the system's proxy was used", code)
	}
}
