package quote

import (
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{"https://u:SECRET@host:443/path?q=1", `"https://***@host:443/path?q=1"`},
		{"http://u:p@a/ and socks5://x:y@b:1080", `"http://***@a/ and socks5://***@b:1080"`},
		{"https://u:p%zz@host/", `"https://***@host/"`},
		{"no scheme u:p@host", `"no scheme u:p@host"`},
		{"u:SECRET@host:443", `"***@host:443"`},
		{strings.Repeat("x", 200), `"` + strings.Repeat("x", Max) + `"…`},
		{strings.Repeat("é", 100), `"` + strings.Repeat("é", Max) + `"…`},
		{"\x00\x01", `"\x00\x01"`},
	} {
		if got := Value(tc.in); got != tc.want {
			t.Errorf("Value(%.40q) = %s; want %s", tc.in, got, tc.want)
		}
	}
}
