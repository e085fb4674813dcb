package endpoints

import (
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/probe"
)

func TestParseProbeTarget(t *testing.T) {
	cases := []struct {
		in    string
		want  string // HostPort and check, or the error's words
		check probe.Check
	}{
		{"169.46.7.238:443", "169.46.7.238:443", probe.CheckTCP},
		{"[::1]:8080", "[::1]:8080", probe.CheckTCP},
		{"containers.bluemix.net:443", "containers.bluemix.net:443", probe.CheckTCP},
		{"https://containers.bluemix.net/v1/", "containers.bluemix.net:443", probe.CheckHTTPS},
		{"http://[2001:db8::1]/", "[2001:db8::1]:80", probe.CheckHTTP},
		{"tls://registry.bluemix.net", "registry.bluemix.net:443", probe.CheckTLS},
		{"udp://169.46.7.238:30000", "169.46.7.238:30000", probe.CheckUDP},
		{"169.46.7.238", "not HOST:PORT", ""},
		{"host:0", "not a number from 1 to 65535", ""},
		{"host:99999", "not a number from 1 to 65535", ""},
		{"udp://host", "needs a port", ""},
		{"ftp://host:21", `scheme "ftp"`, ""},
		{"bad_host!:80", "not an IP address or host name", ""},
		{"https://u:p@host/", "credentials", ""},
		{"[fe80::1%eth0]:22", "zoned", ""},
	}
	for _, tc := range cases {
		got, err := ParseProbeTarget(tc.in)
		if tc.check == "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseProbeTarget(%q) error = %v; want %q", tc.in, err, tc.want)
			}
			continue
		}
		if err != nil || got.HostPort() != tc.want || got.Check != tc.check {
			t.Errorf("ParseProbeTarget(%q) = %s %s, %v; want %s %s", tc.in, got.HostPort(), got.Check, err, tc.want, tc.check)
		}
	}
}

func TestParseResolve(t *testing.T) {
	for in, want := range map[string]string{
		"containers.bluemix.net:443:127.0.0.1": "containers.bluemix.net:443:127.0.0.1",
		"Example.COM:80:[::1]":                 "example.com:80:[::1]",
		"example.com:80:::1":                   "example.com:80:[::1]",
	} {
		r, err := ParseResolve(in)
		if err != nil || r.String() != want {
			t.Errorf("ParseResolve(%q) = %v, %v; want %s", in, r, err, want)
		}
	}
	for _, bad := range []string{"example.com:443", "example.com:x:1.2.3.4", "example.com:443:nope", ":443:1.2.3.4"} {
		if _, err := ParseResolve(bad); err == nil {
			t.Errorf("ParseResolve(%q) accepted", bad)
		}
	}
}

func TestParseMasterAndEtcd(t *testing.T) {
	m, err := ParseMasterURL("https://169.46.7.238:31142")
	if err != nil || m.Port != 31142 || m.Addr.String() != "169.46.7.238" {
		t.Errorf("ParseMasterURL = %+v, %v", m, err)
	}
	for _, bad := range []string{"http://169.46.7.238:31142", "169.46.7.238:31142", "https://:31142", "https://h:70000"} {
		if _, err := ParseMasterURL(bad); err == nil {
			t.Errorf("ParseMasterURL(%q) accepted", bad)
		}
	}
	eps, err := ParseEtcdEndpoints("https://169.46.7.238:31234, 169.46.7.239:31235")
	if err != nil || len(eps) != 2 || eps[1].Port != 31235 {
		t.Errorf("ParseEtcdEndpoints = %+v, %v", eps, err)
	}
	if _, err := ParseEtcdEndpoints("https://169.46.7.238"); err == nil {
		t.Error("an etcd endpoint without a port was accepted")
	}
}

func FuzzParseProbeTarget(f *testing.F) {
	for _, s := range []string{"169.46.7.238:443", "[::1]:8080", "https://containers.bluemix.net/v1/", "udp://h:1", "tls://[2001:db8::1]:443", ":", "[", "http://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseProbeTarget(s)
		if err != nil {
			return
		}
		if tg.Port == 0 {
			t.Fatalf("%q: port 0 accepted", s)
		}
		// A parsed HOST:PORT formats back to itself.
		if tg.Check == probe.CheckTCP && !strings.Contains(s, "://") {
			again, err := ParseProbeTarget(tg.HostPort())
			if err != nil || again.HostPort() != tg.HostPort() {
				t.Fatalf("%q -> %q -> %q, %v", s, tg.HostPort(), again.HostPort(), err)
			}
		}
	})
}

func FuzzParseResolve(f *testing.F) {
	for _, s := range []string{"containers.bluemix.net:443:127.0.0.1", "h:80:[::1]", "h:80:::1", "::", "a:1:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResolve(s)
		if err != nil {
			return
		}
		again, err := ParseResolve(r.String())
		if err != nil || again != r {
			t.Fatalf("%q -> %v -> %v, %v", s, r, again, err)
		}
	})
}

func FuzzParseCatalog(f *testing.F) {
	f.Add(string(embeddedCatalog))
	f.Add("edition: x\ngroups: [{name: api}]\n")
	f.Add("regions:\n  - name: us-south\n    locations: [{name: dal10, master: [1.2.3.4]}]\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse("fuzz.yaml", []byte(s))
		if err == nil {
			// A valid catalog plans every region without error.
			for _, r := range c.Regions {
				if _, err := c.BuildPlan(Facts{Profile: Worker, Region: r.Name.V, Private: true, PVC: true}); err != nil {
					t.Fatalf("valid catalog, region %s: %v", r.Name.V, err)
				}
			}
		}
	})
}

// TestParsePortDigitsOnly: a port is digits: "+80" (which strconv takes) and the like are bad
// input wherever a port is read.
func TestParsePortDigitsOnly(t *testing.T) {
	for _, s := range []string{"+80", "-80", "0x50", "8_0", "80 ", " 80"} {
		_, err := ParsePort(s)
		if want := strings.TrimSpace(s) == "80"; (err == nil) != want {
			t.Errorf("ParsePort(%q): %v", s, err)
		}
	}
	for _, s := range []string{"127.0.0.1:+80", "tcp://127.0.0.1:+443", "https://h:+443/"} {
		if _, err := ParseProbeTarget(s); err == nil {
			t.Errorf("ParseProbeTarget(%q) accepted a signed port", s)
		}
	}
	if _, _, err := ParsePorts("+80,443"); err == nil {
		t.Error(`ParsePorts("+80,443") accepted a signed port`)
	}
}
