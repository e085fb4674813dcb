//go:build !linux

package probe

import (
	"context"
	"net/netip"
)

// burstSupported: the connect engine is Linux-only; elsewhere every probe takes the general path.
const burstSupported = false

type burstJob struct {
	index  int
	target Target
	addr   netip.Addr
}

func (p *Prober) runBurst(context.Context, <-chan *burstJob, *slotPool, func(*burstJob), func(*burstJob, Result)) {
}

func releaseJob(*burstJob, *slotPool) {}
