package probe

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzConnectResponse feeds arbitrary bytes as a proxy's answer to CONNECT: no panic, and
// the outcome is a tunnel or a classified proxy failure, never an unnamed error.
func FuzzConnectResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 204 No Content\r\nX: y\r\n\r\ntunnel bytes"))
	f.Add([]byte("HTTP/1.1 403\r\n\r\n"))
	f.Add([]byte("\x00\xff garbage"))
	proxyURL, _ := url.Parse("http://proxy.example:3128")
	f.Fuzz(func(t *testing.T, answer []byte) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			server.SetDeadline(time.Now().Add(time.Second))
			bufio.NewReader(server).ReadString('\n')
			server.Write(answer)
		}()
		dial := func(context.Context, string, string) (net.Conn, error) { return client, nil }
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := dialViaProxy(ctx, dial, proxyURL, "example.com:443", nil, nil)
		if err == nil {
			conn.Close()
			return
		}
		client.Close()
		var pf *ProxyFailure
		if !errors.As(err, &pf) || pf.Reason == "" {
			t.Fatalf("answer %q: error %v is not a classified proxy failure", answer, err)
		}
	})
}

// FuzzParseProxyURL: a proxy URL parses to a supported scheme with a host, or is an error;
// redaction never shows a password.
func FuzzParseProxyURL(f *testing.F) {
	for _, s := range []string{"http://proxy:3128", "proxy:3128", "socks5h://u:p@s", "https://[::1]:443", "ftp://x", "http://[::1", "u:p@h:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseProxyURL(s)
		if err != nil || u == nil {
			return
		}
		if u.Host == "" {
			t.Fatalf("%q parsed without a host", s)
		}
		if pw, ok := u.User.Password(); ok && pw != "" && len(pw) > 3 {
			if red := RedactURL(u); strings.Contains(red, ":"+pw+"@") {
				t.Fatalf("%q: redacted %q shows the password", s, red)
			}
		}
	})
}
