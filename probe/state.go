package probe

// State is what one probe found, in the words of the report schema. The set is closed: every
// result carries exactly one of the constants below, and scripts depend on the words.
type State string

const (
	Open               State = "open"
	Refused            State = "refused"
	Filtered           State = "filtered"
	Unreachable        State = "unreachable"
	DNSError           State = "dns-error"
	ProxyDenied        State = "proxy-denied"
	ProxyError         State = "proxy-error"
	TLSError           State = "tls-error"
	TLSIntercepted     State = "tls-intercepted"
	Stalled            State = "stalled"
	UnexpectedResponse State = "unexpected-response"
	Unverified         State = "unverified"
	LocalError         State = "local-error"
	Skipped            State = "skipped"
)

// States lists every state in the order the README's table gives them.
var States = []State{Open, Refused, Filtered, Unreachable, DNSError, ProxyDenied, ProxyError,
	TLSError, TLSIntercepted, Stalled, UnexpectedResponse, Unverified, LocalError, Skipped}

// Severity is what a state counts as for the opening it proves.
type Severity int

const (
	Pass Severity = iota
	Warn
	Fail
	NotRun
)

func (s Severity) String() string {
	switch s {
	case Pass:
		return "pass"
	case Warn:
		return "warn"
	case Fail:
		return "fail"
	default:
		return "not-run"
	}
}

// Severity reports what the state counts as. A reset never passes: it may come from a
// firewall that rejects (`reject with tcp reset`) as well as from the host.
func (s State) Severity() Severity {
	switch s {
	case Open:
		return Pass
	case TLSIntercepted, Unverified:
		return Warn
	case Skipped:
		return NotRun
	default:
		return Fail
	}
}

// ReasonInterrupted is the reason of a probe the run's cancellation (SIGINT, SIGTERM) cut
// short or never started: not a verdict on the path.
const ReasonInterrupted = "interrupted"

// ReasonSourceFamily is the reason of an address not dialed because the bound source address
// (--source-ip) is of the other family.
const ReasonSourceFamily = "source-family"

// NoAnswer reports whether the state means nothing answered at all, the only case in which
// another attempt can change the verdict.
func (s State) NoAnswer() bool {
	return s == Filtered
}
