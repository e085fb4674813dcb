package probe

import (
	"errors"
	"fmt"
	"testing"

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
