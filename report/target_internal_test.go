package report

import "testing"

// TestProbeTarget: how a probe's target is named in the text report and in JUnit.
func TestProbeTarget(t *testing.T) {
	for _, tc := range []struct {
		p    Probe
		want string
	}{
		{Probe{Host: "198.51.100.7", Address: "198.51.100.7", Port: 443, Dialed: true}, "198.51.100.7:443"},
		{Probe{Host: "::1", Address: "::1", Port: 443, Dialed: true}, "[::1]:443"},
		{Probe{Host: "2001:db8::7", Port: 8443, Dialed: true}, "[2001:db8::7]:8443"},
		{Probe{Host: "registry.example", Address: "2001:db8::7", Port: 443, Dialed: true}, "registry.example (2001:db8::7):443"},
		{Probe{Host: "registry.example", Port: 443, Dialed: true}, "registry.example:443"}, // a proxy resolved it
		{Probe{Host: "198.51.100.0/24"}, "198.51.100.0/24"},
		{Probe{}, "(not dialed)"},
		{Probe{Vantage: "node-1", Host: "::1", Address: "::1", Port: 80, Dialed: true}, "node-1: [::1]:80"},
	} {
		if got := probeTarget(tc.p); got != tc.want {
			t.Errorf("probeTarget(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
