package sysproxy

import (
	"encoding/binary"
	"os"
	"reflect"
	"testing"
)

func TestParseScutil(t *testing.T) {
	for file, want := range map[string]Settings{
		"testdata/scutil-pac.txt": {From: "scutil --proxy", PACURL: "http://wpad.corp.example/proxy.pac",
			HTTPS: "http://secure-proxy.corp.example:8080", HTTP: "http://proxy.corp.example:3128",
			Bypass: []string{"*.local", "169.254/16", "*.corp.example"}},
		"testdata/scutil-none.txt": {From: "scutil --proxy", AutoDetect: true},
		// An IPv6 proxy gets its brackets; a SOCKS proxy with no port, 1080.
		"testdata/scutil-ipv6.txt": {From: "scutil --proxy", HTTP: "http://[2001:db8::3]:3128", SOCKS: "socks5://[2001:db8::5]:1080"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := ParseScutil(string(b)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", file, got, want)
		}
	}
	s := ParseScutil("garbage\n")
	if !s.Empty() {
		t.Errorf("garbage gave %+v", s)
	}
}

// connections is a DefaultConnectionSettings blob with the given flags.
func connections(flags uint32) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b, 0x46)
	binary.LittleEndian.PutUint32(b[8:], flags)
	return b
}

func TestParseWindows(t *testing.T) {
	cases := []struct {
		name string
		in   Windows
		want Settings
	}{
		{"one proxy for all, exceptions", Windows{ProxyEnable: 1, ProxyServer: "proxy.corp.example:8080", ProxyOverride: "*.corp.example;<local>;10.*"},
			Settings{From: "Internet Settings", HTTPS: "http://proxy.corp.example:8080", HTTP: "http://proxy.corp.example:8080", Bypass: []string{"*.corp.example", "<local>", "10.*"}}},
		{"per protocol", Windows{ProxyEnable: 1, ProxyServer: "http=p1:3128;https=p2:3129;socks=s:1080"},
			Settings{From: "Internet Settings", HTTPS: "http://p2:3129", HTTP: "http://p1:3128", SOCKS: "socks5://s:1080"}},
		{"proxy set but disabled", Windows{ProxyEnable: 0, ProxyServer: "proxy:8080"}, Settings{From: "Internet Settings"}},
		{"PAC and auto-detect", Windows{AutoConfigURL: "http://pac.corp.example/corp.pac", ConnectionsBinary: connections(0x1 | 0x4 | 0x8)},
			Settings{From: "Internet Settings", PACURL: "http://pac.corp.example/corp.pac", AutoDetect: true}},
	}
	for _, tc := range cases {
		if got := ParseWindows(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
	if got := (Settings{Bypass: []string{"*.corp.example", "<local>", "10.0.0.0/8"}}).NoProxy(); got != ".corp.example,10.0.0.0/8" {
		t.Errorf("NoProxy = %q", got)
	}
}

func TestParseWinHTTP(t *testing.T) {
	blob := func(flags uint32, server, bypass string) []byte {
		b := make([]byte, 12)
		binary.LittleEndian.PutUint32(b, 0x18)
		binary.LittleEndian.PutUint32(b[8:], flags)
		for _, s := range []string{server, bypass} {
			n := make([]byte, 4)
			binary.LittleEndian.PutUint32(n, uint32(len(s)))
			b = append(append(b, n...), s...)
		}
		return b
	}
	got, err := ParseWinHTTP(blob(0x3, "proxy.corp.example:8080", "<local>;*.corp.example"))
	want := Settings{From: "WinHTTP", HTTPS: "http://proxy.corp.example:8080", HTTP: "http://proxy.corp.example:8080", Bypass: []string{"<local>", "*.corp.example"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	if got, _ := ParseWinHTTP(blob(0x1, "", "")); !got.Empty() {
		t.Errorf("direct: %+v", got)
	}
	for _, bad := range [][]byte{nil, make([]byte, 11), append(make([]byte, 12), 0xff, 0xff, 0, 0)} {
		if _, err := ParseWinHTTP(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
}
