package probe

import (
	"net/netip"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// TestRTTEstimator: RFC 6298's smoothing, the 100 ms floor, 250 ms before any sample, and a
// network's own estimate before the run's.
func TestRTTEstimator(t *testing.T) {
	e := newRTTEstimator()
	a := netip.MustParseAddr("198.18.1.7")
	b := netip.MustParseAddr("198.18.9.7")
	if got := e.rto(a); got != ms(250) {
		t.Errorf("no sample: RTO %s; want 250ms", got)
	}
	e.sample(a, ms(300)) // SRTT 300, RTTVAR 150: RTO 900
	if got := e.rto(a); got != ms(900) {
		t.Errorf("one 300 ms sample: RTO %s; want 900ms", got)
	}
	if got := e.rto(b); got != ms(900) {
		t.Errorf("another /24 with no sample of its own: RTO %s; want the run's 900ms", got)
	}
	for range 50 {
		e.sample(a, ms(300))
	}
	if got := e.rto(a); got < ms(300) || got > ms(320) {
		t.Errorf("steady 300 ms: RTO %s; want about 300ms (SRTT 300, RTTVAR near 0)", got)
	}
	e.sample(b, ms(1))
	if got := e.rto(b); got != minRTO {
		t.Errorf("1 ms network: RTO %s; want the 100ms floor", got)
	}
	v6 := netip.MustParseAddr("2001:db8::1")
	e.sample(v6, ms(40))
	if got := e.rto(netip.MustParseAddr("2001:db8::ffff")); got != ms(120) {
		t.Errorf("same /64: RTO %s; want 120ms (40 + 4 × 20)", got)
	}
}

// TestSYNSchedule: SYNs at 0, RTO and 3·RTO; filtered at max(4·RTO, 1 s) once three are out;
// never past the budget.
func TestSYNSchedule(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cases := []struct {
		name     string
		rto      time.Duration
		budget   time.Duration
		syns     []time.Duration
		filtered time.Duration
	}{
		{"no sample yet (250 ms)", ms(250), 5 * time.Second, []time.Duration{ms(250), ms(750)}, time.Second},
		{"a fast network (100 ms)", ms(100), 5 * time.Second, []time.Duration{ms(100), ms(300)}, time.Second},
		{"a 300 ms round trip (RTO 900 ms)", ms(900), 5 * time.Second, []time.Duration{ms(900), ms(2700)}, ms(3600)},
		{"a short budget wins", ms(900), time.Second, []time.Duration{ms(900)}, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSYNSchedule(t0, tc.budget)
			now := t0
			var sent []time.Duration
			for {
				next := s.next(tc.rto)
				if !next.After(now) {
					t.Fatalf("the schedule does not advance at %s", now.Sub(t0))
				}
				now = next
				if !now.Before(s.filteredAt(tc.rto)) {
					break
				}
				s.sendSYN(now)
				sent = append(sent, now.Sub(t0))
			}
			if got := now.Sub(t0); got != tc.filtered {
				t.Errorf("filtered at %s; want %s", got, tc.filtered)
			}
			if len(sent) != len(tc.syns) {
				t.Fatalf("re-sent SYNs at %v; want %v", sent, tc.syns)
			}
			for i := range sent {
				if sent[i] != tc.syns[i] {
					t.Errorf("SYN %d at %s; want %s", i+2, sent[i], tc.syns[i])
				}
			}
		})
	}
	// A first answer after 900 ms, before any sample: three SYNs are out by then (0, 250,
	// 750 ms) but the 1 s floor has not passed, so the answer is in time.
	s := newSYNSchedule(t0, 5*time.Second)
	s.sendSYN(t0.Add(ms(250)))
	s.sendSYN(t0.Add(ms(750)))
	if at := s.filteredAt(initialRTO); !at.After(t0.Add(ms(900))) {
		t.Errorf("filtered at %s: an answer at 900 ms would be lost", at.Sub(t0))
	}
}
