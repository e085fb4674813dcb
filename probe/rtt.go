package probe

import (
	"net/netip"
	"sync"
	"time"
)

// The prober's own clock for direct TCP connects, as TCP's (RFC 6298) and nmap's: the round
// trip is measured from the answers that come back, a silent SYN is sent again after one
// retransmission timeout (RTO), then after two more, doubling, and a target is filtered once
// maxSYNs SYNs went unanswered over at least max(4 × RTO, minFilteredWait).
const (
	initialRTO      = 250 * time.Millisecond // before the run has any sample
	minRTO          = 100 * time.Millisecond
	minFilteredWait = time.Second
	maxSYNs         = 3
)

// srtt is one smoothed round-trip estimate (RFC 6298 section 2).
type srtt struct {
	srtt, rttvar time.Duration
	samples      int
}

func (s *srtt) add(r time.Duration) {
	if s.samples == 0 {
		s.srtt, s.rttvar = r, r/2
	} else {
		// RTTVAR ← ¾·RTTVAR + ¼·|SRTT − R|, then SRTT ← ⅞·SRTT + ⅛·R.
		d := s.srtt - r
		if d < 0 {
			d = -d
		}
		s.rttvar = (3*s.rttvar + d) / 4
		s.srtt = (7*s.srtt + r) / 8
	}
	s.samples++
}

func (s *srtt) rto() time.Duration {
	if s.samples == 0 {
		return initialRTO
	}
	return max(minRTO, s.srtt+4*s.rttvar)
}

// rttEstimator keeps a round-trip estimate for the run and one per destination /24 (/64 for
// IPv6): a network's own answers speak for it once it has any, the run's before that.
// It is safe for concurrent use.
type rttEstimator struct {
	mu   sync.Mutex
	run  srtt
	nets map[netip.Prefix]*srtt
}

func newRTTEstimator() *rttEstimator { return &rttEstimator{nets: map[netip.Prefix]*srtt{}} }

func netOf(a netip.Addr) netip.Prefix {
	bits := 24
	if !a.Unmap().Is4() {
		bits = 64
	}
	p, _ := a.Unmap().Prefix(bits)
	return p
}

// sample records the round trip of a SYN that drew a SYN-ACK or a reset.
func (e *rttEstimator) sample(dst netip.Addr, r time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.run.add(r)
	n := netOf(dst)
	s := e.nets[n]
	if s == nil {
		s = &srtt{}
		e.nets[n] = s
	}
	s.add(r)
}

// rto is the retransmission timeout towards dst.
func (e *rttEstimator) rto(dst netip.Addr) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.nets[netOf(dst)]; s != nil && s.samples > 0 {
		return s.rto()
	}
	return e.run.rto()
}

// synSchedule is one connect attempt's clock: when its SYNs go out and when it gives up.
type synSchedule struct {
	first    time.Time // the first SYN
	last     time.Time // the latest SYN
	sent     int
	deadline time.Time // the attempt's budget (--timeout): never waited past
}

func newSYNSchedule(now time.Time, budget time.Duration) synSchedule {
	return synSchedule{first: now, last: now, sent: 1, deadline: now.Add(budget)}
}

// nextSYN is when the next SYN is due under rto: one RTO after the first, then twice the
// previous gap (RTO, 2·RTO, 4·RTO...); zero when no more are sent.
func (s *synSchedule) nextSYN(rto time.Duration) time.Time {
	if s.sent >= maxSYNs {
		return time.Time{}
	}
	return s.last.Add(rto << (s.sent - 1))
}

// filteredAt is when the attempt gives up on a silent target under rto: maxSYNs sent and
// max(4·RTO, minFilteredWait) since the first, or the budget, whichever comes first.
func (s *synSchedule) filteredAt(rto time.Duration) time.Time {
	at := s.first.Add(max(4*rto, minFilteredWait))
	if s.sent < maxSYNs {
		// Not before the last SYN is out: the schedule sends it first.
		var t time.Time
		for c := *s; c.sent < maxSYNs; c.sent++ {
			t = c.nextSYN(rto)
			c.last = t
		}
		if t.After(at) {
			at = t
		}
	}
	if at.After(s.deadline) {
		return s.deadline
	}
	return at
}

// sendSYN records a SYN sent at now.
func (s *synSchedule) sendSYN(now time.Time) {
	s.sent++
	s.last = now
}

// next is the earliest time anything is due: a SYN or giving up.
func (s *synSchedule) next(rto time.Duration) time.Time {
	f := s.filteredAt(rto)
	if n := s.nextSYN(rto); !n.IsZero() && n.Before(f) {
		return n
	}
	return f
}
