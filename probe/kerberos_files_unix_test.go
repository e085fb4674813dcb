//go:build unix

package probe

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKerberosFilesBounded: the ticket cache and krb5.conf are files other programs (kinit, an
// administrator) leave: /dev/zero or a FIFO there is an error at once, never a hang or a
// gigabyte read.
func TestKerberosFilesBounded(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	os.WriteFile(conf, []byte("[libdefaults]\n default_realm = LAB.TEST\n"), 0o644)
	for _, tc := range []struct {
		name string
		auth ProxyAuth
		want string
	}{
		{"a cache that is /dev/zero", ProxyAuth{CCache: "FILE:/dev/zero", Krb5Conf: conf}, "not a regular file"},
		{"a cache that is a FIFO", ProxyAuth{CCache: "FILE:" + fifo, Krb5Conf: conf}, "not a regular file"},
		{"a krb5.conf that is a FIFO", ProxyAuth{CCache: "FILE:" + conf, Krb5Conf: fifo}, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := negotiateToken(&tc.auth, "proxy.lab.test"); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%v; want %q", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("held by the file")
			}
		})
	}
}
