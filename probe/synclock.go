package probe

import (
	"context"
	"strings"
	"syscall"
)

// A direct TCP attempt re-sends its SYN on the prober's own clock, as new connects
// (dialDirect). Where the system would also re-send each one and report a reset only once its
// own retries are spent, it is told not to, for those connects only: Windows answers a reset with
// WSAECONNREFUSED after about 2 s of retries, later than the 1 s after which an unanswered probe
// is filtered, so every rejected port would read as dropped. Linux and macOS report a reset at
// once and keep their own SYN retries, which cost nothing here.

type ownSYNClockKey struct{}

// withOwnSYNClock marks the dials of ctx as one SYN each, the prober re-sending them itself.
func withOwnSYNClock(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownSYNClockKey{}, true)
}

// dialControl is the prober's dialers' hook between making a socket and connecting it: where
// the system can (Windows: p.synOff), a socket of an attempt on the prober's own SYN clock
// sends one SYN and reports its answer, a reset included, as it comes.
func (p *Prober) dialControl(ctx context.Context, network, _ string, c syscall.RawConn) error {
	if p.synOff == nil || !strings.HasPrefix(network, "tcp") || ctx.Value(ownSYNClockKey{}) == nil {
		return nil
	}
	p.synOff(c)
	return nil
}
