package pac

import (
	"context"
	"testing"
)

// BenchmarkFind is one FindProxyForURL call of a small PAC file, in a runtime of its own as
// every call now is: 40 µs here, against 10 µs with the pool of runtimes reused across calls
// it replaced (4 s more CPU for 100,000 targets through a PAC file; no state between calls).
func BenchmarkFind(b *testing.B) {
	s, err := Parse("bench.pac", []byte(`function FindProxyForURL(url, host) {
		if (shExpMatch(host, "*.internal.example")) return "DIRECT";
		if (isPlainHostName(host)) return "DIRECT";
		if (dnsDomainIs(host, ".bluemix.net")) return "PROXY proxy.example:3128; DIRECT";
		return "PROXY proxy.example:8080";
	}`), Env{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Find(context.Background(), "https://registry.bluemix.net/", "registry.bluemix.net"); err != nil {
			b.Fatal(err)
		}
	}
}
