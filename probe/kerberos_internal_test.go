package probe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// TestClassifyKerberos: the KDC's own errors, as gokrb5 returns them when getting the proxy's
// service ticket, name their class (the lab's KDC and client share one clock, so clock skew
// is produced here from the real error type, wrapped as gokrb5 wraps it).
func TestClassifyKerberos(t *testing.T) {
	sname := types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "HTTP/proxy.lab.test")
	kdc := func(code int32) error {
		return fmt.Errorf("[Root cause: KDC_Error] KDC_Error: TGS Exchange Error: kerberos error response from KDC: %w",
			messages.NewKRBError(sname, "LAB.TEST", code, ""))
	}
	for _, tc := range []struct {
		err    error
		reason string
	}{
		{kdc(errorcode.KRB_AP_ERR_SKEW), reasonClockSkew},
		{kdc(errorcode.KRB_AP_ERR_TKT_EXPIRED), reasonNoTicket},
		{kdc(errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN), reasonAuthFailed},
		{errors.New("dial tcp 198.18.2.2:88: connect: connection refused"), reasonAuthFailed},
	} {
		var ke *kerberosError
		if err := classifyKerberos(tc.err, "FILE:/tmp/cc"); !errors.As(err, &ke) || ke.reason != tc.reason {
			t.Errorf("%v: %v; want %s", tc.err, err, tc.reason)
		}
	}
}

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
