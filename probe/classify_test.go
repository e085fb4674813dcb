package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func opErr(errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: errno}}
}

// winErr is a Windows socket error as Go's net package returns it there: the Winsock code in
// a syscall error in an OpError.
func winErr(call string, code syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError(call, code)}
}

// TestClassify drives the classifier from constructed errors, one per state it can name.
func TestClassify(t *testing.T) {
	cases := []struct {
		err    error
		phase  Phase
		state  State
		reason string
	}{
		{opErr(syscall.ECONNREFUSED), PhaseConnect, Refused, "refused"},
		{opErr(syscall.ECONNRESET), PhaseConnect, Refused, "reset"},
		{opErr(syscall.EHOSTUNREACH), PhaseConnect, Unreachable, "unreachable:host"},
		{opErr(syscall.ENETUNREACH), PhaseConnect, Unreachable, "unreachable:net"},
		{opErr(syscall.EPERM), PhaseUDP, Unreachable, "unreachable:local-policy"},
		{opErr(syscall.EACCES), PhaseConnect, Unreachable, "unreachable:local-policy"},
		{opErr(syscall.EMFILE), PhaseConnect, LocalError, "local-error"},
		{opErr(syscall.EADDRNOTAVAIL), PhaseConnect, LocalError, "local-error"},
		{opErr(syscall.ETIMEDOUT), PhaseConnect, Filtered, "filtered-timeout"},
		{&net.OpError{Op: "dial", Err: context.DeadlineExceeded}, PhaseConnect, Filtered, "filtered-timeout"},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), PhaseTLS, TLSError, "tls-stall"},
		{os.ErrDeadlineExceeded, PhaseHTTP, Stalled, "app-timeout"},
		{os.ErrDeadlineExceeded, PhaseProxy, ProxyError, "proxy-timeout"},
		{os.ErrDeadlineExceeded, PhaseUDP, Unverified, "open|filtered"},
		{opErr(syscall.ECONNREFUSED), PhaseUDP, Refused, "closed"},
		{context.Canceled, PhaseConnect, Skipped, ReasonInterrupted},
		{&net.DNSError{Name: "x", IsNotFound: true}, PhaseResolve, DNSError, "dns-nxdomain"},
		{&net.DNSError{Name: "x", IsTimeout: true}, PhaseResolve, DNSError, "dns-timeout"},
		{&net.DNSError{Name: "x", Err: "server misbehaving"}, PhaseResolve, DNSError, "dns-error"},
		{x509.UnknownAuthorityError{}, PhaseTLS, TLSIntercepted, "tls-intercepted"},
		{x509.HostnameError{Certificate: &x509.Certificate{}, Host: "h"}, PhaseTLS, TLSError, "tls-name-mismatch"},
		{&ProxyFailure{Reason: "proxy-denied:policy"}, PhaseProxy, ProxyDenied, "proxy-denied:policy"},
		{&ProxyFailure{Reason: "proxy-upstream-failure"}, PhaseProxy, ProxyError, "proxy-upstream-failure"},
		{&panicError{"boom"}, PhaseConnect, LocalError, "local-error:panic"},
		{errors.New("something new"), PhaseConnect, LocalError, "local-error:unclassified"},

		// Windows: its socket calls return Winsock codes, as Go wraps them (connectex, wsarecv).
		{winErr("connectex", 10061), PhaseConnect, Refused, "refused"},
		{winErr("connectex", 10054), PhaseConnect, Refused, "reset"},
		{winErr("connectex", 10065), PhaseConnect, Unreachable, "unreachable:host"},
		{winErr("connectex", 10051), PhaseConnect, Unreachable, "unreachable:net"},
		{winErr("connectex", 10013), PhaseConnect, Unreachable, "unreachable:local-policy"},
		{winErr("socket", 10024), PhaseConnect, LocalError, "local-error"},
		{winErr("connectex", 10055), PhaseConnect, LocalError, "local-error"},
		{winErr("bind", 10049), PhaseConnect, LocalError, "local-error"},
		{winErr("connectex", 10060), PhaseConnect, Filtered, "filtered-timeout"},
		{winErr("wsarecv", 10054), PhaseTLS, TLSError, "tls-reset"},
		{winErr("wsarecv", 10054), PhaseHTTP, UnexpectedResponse, "unexpected-response:reset"},
		{winErr("wsarecv", 10054), PhaseUDP, Refused, "closed"}, // ICMP port unreachable, on Windows
	}
	for _, tc := range cases {
		v := classify(tc.err, tc.phase, Target{Host: "h"})
		if v.state != tc.state || v.reason != tc.reason {
			t.Errorf("classify(%v, %s) = %s %s; want %s %s", tc.err, tc.phase, v.state, v.reason, tc.state, tc.reason)
		}
	}
}

// FuzzClassify: the classifier is total, whatever the error.
func FuzzClassify(f *testing.F) {
	f.Add(uint8(0), int(syscall.ECONNREFUSED), "x", true)
	f.Fuzz(func(t *testing.T, phase uint8, errno int, msg string, wrap bool) {
		phases := []Phase{PhaseResolve, PhaseProxy, PhaseConnect, PhaseTLS, PhaseHTTP, PhaseUDP}
		var err error = syscall.Errno(errno & 0xfff)
		if wrap {
			err = &net.OpError{Op: msg, Err: &os.SyscallError{Syscall: msg, Err: err}}
		}
		v := classify(err, phases[int(phase)%len(phases)], Target{})
		if v.state == "" || v.reason == "" {
			t.Fatalf("classify(%v) gave no state", err)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	errs := []error{opErr(syscall.ECONNREFUSED), &net.OpError{Op: "dial", Err: context.DeadlineExceeded}, opErr(syscall.EHOSTUNREACH), &net.DNSError{IsNotFound: true}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		classify(errs[i%len(errs)], PhaseConnect, Target{})
	}
}
