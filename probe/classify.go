package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
)

// Phase is the step of an attempt that was under way when it ended.
type Phase string

const (
	PhaseResolve Phase = "resolve"
	PhaseProxy   Phase = "proxy"
	PhaseConnect Phase = "connect"
	PhaseTLS     Phase = "tls"
	PhaseHTTP    Phase = "http"
	PhaseUDP     Phase = "udp"
)

// outcome is what classify makes of a probe: a state with its finer reason and the sentence
// behind it. (A verdict is the report's word, for an opening.)
type outcome struct {
	state  State
	reason string
	detail string
	// proxyUnusable: the proxy itself could not be used (unreachable, silent, its TLS failed),
	// so a PAC failover list moves on to its next entry.
	proxyUnusable bool
}

func (v outcome) result(r *Result) {
	r.State, r.Reason, r.Detail, r.proxyUnusable = v.state, v.reason, v.detail, v.proxyUnusable
}

// isLocalResource reports whether err is this machine running out of something (file
// descriptors, ports, buffers, a usable source address): never a verdict on the path.
func isLocalResource(err error) bool {
	return hasErrno(err, syscall.EMFILE) || hasErrno(err, syscall.ENFILE) ||
		hasErrno(err, syscall.EADDRNOTAVAIL) || hasErrno(err, syscall.ENOBUFS) ||
		hasErrno(err, syscall.ENOMEM)
}

// isRefused reports whether the connection was refused: a reset to the SYN, or an ICMP
// port-unreachable (which Linux reports the same way).
func isRefused(err error) bool { return hasErrno(err, syscall.ECONNREFUSED) }

// isReset reports whether an established connection was reset.
func isReset(err error) bool {
	return hasErrno(err, syscall.ECONNRESET) || hasErrno(err, syscall.EPIPE)
}

// isHostUnreachable reports an ICMP host-unreachable or admin-prohibited answer.
func isHostUnreachable(err error) bool { return hasErrno(err, syscall.EHOSTUNREACH) }

// isNetUnreachable reports an ICMP net-unreachable answer, or no route at all.
func isNetUnreachable(err error) bool { return hasErrno(err, syscall.ENETUNREACH) }

// isLocalPolicy reports a refusal by this machine's own firewall (EPERM/EACCES).
func isLocalPolicy(err error) bool {
	return errors.Is(err, os.ErrPermission) || hasErrno(err, syscall.EACCES)
}

// winsock maps the error codes of Windows' sockets to the POSIX errno of the same meaning.
// Windows' socket calls return these codes; there, Go's constants named ECONNREFUSED and the
// like are placeholders that no call returns, so errors.Is(err, syscall.ECONNREFUSED) never
// holds. The codes lie far above any POSIX errno, so the table can be read, and tested, on
// every system.
var winsock = map[syscall.Errno]struct {
	errno syscall.Errno
	name  string
}{
	10013: {syscall.EACCES, "WSAEACCES"},
	10024: {syscall.EMFILE, "WSAEMFILE"},
	10049: {syscall.EADDRNOTAVAIL, "WSAEADDRNOTAVAIL"},
	10051: {syscall.ENETUNREACH, "WSAENETUNREACH"},
	10054: {syscall.ECONNRESET, "WSAECONNRESET"},
	10055: {syscall.ENOBUFS, "WSAENOBUFS"},
	10060: {syscall.ETIMEDOUT, "WSAETIMEDOUT"},
	10061: {syscall.ECONNREFUSED, "WSAECONNREFUSED"},
	10065: {syscall.EHOSTUNREACH, "WSAEHOSTUNREACH"},
}

// hasErrno reports whether err wraps errno, as itself or as its Winsock code.
func hasErrno(err error, errno syscall.Errno) bool {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return false
	}
	if w, ok := winsock[e]; ok {
		e = w.errno
	}
	return e == errno
}

// isTimeout reports whether err is a deadline: ours (context or conn deadline) or the kernel's.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		hasErrno(err, syscall.ETIMEDOUT) || (errors.As(err, &ne) && ne.Timeout())
}

// isCanceled reports whether the run itself was canceled.
func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// classify maps an error in a phase to an outcome. It is total: every error gets a state.
func classify(err error, phase Phase, t Target) outcome {
	var (
		dnsErr    *net.DNSError
		proxyErr  *ProxyFailure
		recErr    tls.RecordHeaderError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
		alertErr  tls.AlertError
		panicked  *panicError
		sinkErr   *SinkholeError
	)
	switch {
	case err == nil:
		return outcome{Open, "open", "", false}
	case errors.As(err, &panicked):
		return outcome{LocalError, "local-error:panic", panicked.Error(), false}
	case errors.As(err, &proxyErr):
		return proxyErr.outcome()
	case isLocalResource(err):
		return outcome{LocalError, "local-error", fmt.Sprintf("this machine could not make the probe: %v", errnoText(err)), false}
	case isCanceled(err):
		return outcome{Skipped, ReasonInterrupted, "the run was interrupted before this probe finished", false}
	case errors.As(err, &sinkErr):
		return outcome{DNSError, "dns-sinkholed", sinkErr.Error(), false}
	case errors.As(err, &dnsErr):
		return classifyDNS(dnsErr)
	case phase == PhaseResolve && isTimeout(err):
		return outcome{DNSError, "dns-timeout", "no DNS answer within the timeout", false}
	case isTimeout(err):
		return timeoutVerdict(phase)
	case (isRefused(err) || isReset(err)) && phase == PhaseUDP:
		// Linux reports an ICMP port unreachable on a UDP socket as ECONNREFUSED, Windows as
		// WSAECONNRESET.
		return outcome{Refused, "closed", "ICMP port unreachable: the datagram reached the host and nothing listens on the port", false}
	case isRefused(err) && phase == PhaseConnect:
		return outcome{Refused, "refused", "connection refused (TCP reset or ICMP port unreachable): nothing listens, or a firewall rejects with a reset", false}
	case isReset(err) && phase == PhaseConnect:
		return outcome{Refused, "reset", "the connection was reset as it opened: something answered, then refused it", false}
	case isHostUnreachable(err):
		return outcome{Unreachable, "unreachable:host", "host unreachable (ICMP host unreachable or administratively prohibited): a firewall or router rejects the path", false}
	case isNetUnreachable(err):
		return outcome{Unreachable, "unreachable:net", "network unreachable: no route to the destination, or a router rejects it with ICMP net unreachable", false}
	case isLocalPolicy(err):
		return outcome{Unreachable, "unreachable:local-policy", fmt.Sprintf("this machine's own firewall refused the packet (%v)", errnoText(err)), false}
	case errors.As(err, &recErr) && phase == PhaseTLS:
		return outcome{UnexpectedResponse, "unexpected-response:not-tls", "the port answered, but not with TLS (a plain-text service, or a proxy block page)", false}
	case errors.As(err, &unknownCA):
		return outcome{TLSIntercepted, "tls-intercepted", fmt.Sprintf("certificate issued by %q, which no trusted root vouches for", issuerName(unknownCA.Cert)), false}
	case errors.As(err, &hostErr):
		return outcome{TLSError, "tls-name-mismatch", fmt.Sprintf("the certificate is not for %s: %v", t.Name(), hostErr), false}
	case errors.As(err, &certErr):
		return outcome{TLSError, "tls-bad-certificate", fmt.Sprintf("certificate rejected: %v", certErr), false}
	case errors.As(err, &alertErr):
		return outcome{TLSError, "tls-alert", fmt.Sprintf("the server aborted the TLS handshake: %v", alertErr), false}
	case (isReset(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && phase == PhaseTLS:
		return outcome{TLSError, "tls-reset", fmt.Sprintf("the connection closed during the TLS handshake (%v)", errnoText(err)), false}
	case isReset(err) && phase == PhaseHTTP:
		return outcome{UnexpectedResponse, "unexpected-response:reset", "the connection was reset before an answer came", false}
	case phase == PhaseTLS:
		return outcome{TLSError, "tls-error", fmt.Sprintf("TLS handshake failed: %v", err), false}
	default:
		return outcome{LocalError, "local-error:unclassified", fmt.Sprintf("unclassified error in the %s phase: %v", phase, err), false}
	}
}

// timeoutVerdict names what a deadline means in each phase.
func timeoutVerdict(phase Phase) outcome {
	switch phase {
	case PhaseResolve:
		return outcome{DNSError, "dns-timeout", "no DNS answer within the timeout", false}
	case PhaseProxy:
		return outcome{ProxyError, "proxy-timeout", "the proxy did not answer within the timeout", true}
	case PhaseTLS:
		return outcome{TLSError, "tls-stall", "connected, but the TLS handshake did not finish within the timeout", false}
	case PhaseHTTP:
		return outcome{Stalled, "app-timeout", "connected, but the service sent no complete answer within the timeout", false}
	case PhaseUDP:
		return outcome{Unverified, "open|filtered", "no reply and no ICMP error: the port is open and silent, or a firewall drops the datagram", false}
	default:
		d := "no answer to the connection attempt within the timeout: a firewall drops the packets"
		if runtime.GOOS == "windows" {
			d += " (Windows ignores ICMP errors while connecting, so a reject looks like a drop here)"
		}
		return outcome{Filtered, "filtered-timeout", d, false}
	}
}

func classifyDNS(e *net.DNSError) outcome {
	switch {
	case e.IsNotFound:
		return outcome{DNSError, "dns-nxdomain", fmt.Sprintf("%s does not resolve (no such host)", e.Name), false}
	case e.IsTimeout:
		return outcome{DNSError, "dns-timeout", fmt.Sprintf("no DNS answer for %s within the timeout", e.Name), false}
	default:
		return outcome{DNSError, "dns-error", fmt.Sprintf("DNS lookup of %s failed: %s", e.Name, e.Err), false}
	}
}

// errnoText names the errno behind err, if any, for details ("ECONNREFUSED: connection refused").
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := errnoName(errno); name != "" {
			return name + ": " + errno.Error()
		}
		return errno.Error()
	}
	return err.Error()
}

func errnoName(e syscall.Errno) string {
	if w, ok := winsock[e]; ok {
		return w.name
	}
	switch e {
	case syscall.ECONNREFUSED:
		return "ECONNREFUSED"
	case syscall.ECONNRESET:
		return "ECONNRESET"
	case syscall.EHOSTUNREACH:
		return "EHOSTUNREACH"
	case syscall.ENETUNREACH:
		return "ENETUNREACH"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EACCES:
		return "EACCES"
	case syscall.EMFILE:
		return "EMFILE"
	case syscall.ENFILE:
		return "ENFILE"
	case syscall.EADDRNOTAVAIL:
		return "EADDRNOTAVAIL"
	case syscall.ENOBUFS:
		return "ENOBUFS"
	case syscall.ETIMEDOUT:
		return "ETIMEDOUT"
	}
	return ""
}

func issuerName(c *x509.Certificate) string {
	if c == nil {
		return "an unknown issuer"
	}
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

// Describe names the state and the detail a connection error would give a probe, for callers
// that dial on their own (the API server look-up) and report in the same words.
func Describe(err error) (State, string) {
	v := classify(err, PhaseConnect, Target{})
	return v.state, v.detail
}
