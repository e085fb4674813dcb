//go:build linux

package probe

import (
	"container/heap"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// burstSupported: Linux has the connect engine.
const burstSupported = true

// burstPoll bounds one wait for events, so that cancellation is seen promptly.
const burstPoll = 50 * time.Millisecond

// burstJob is one TCP connect target handled by the engine. An attempt may hold up to maxSYNs
// sockets: a SYN re-sent on the prober's clock is a new connect, the earlier kept open so that
// any answer counts.
type burstJob struct {
	index  int // into the run's targets
	target Target
	addr   netip.Addr
	fds    [maxSYNs]int
	sentAt [maxSYNs]time.Time
	nfds   int
	sched  synSchedule
	due    time.Time // the next SYN or giving up, whichever is first
	start  time.Time // of the whole probe, for Elapsed
	// syns counts the SYNs of every attempt, for the report of a filtered probe.
	syns     int
	attempts int
	heapPos  int
	// holdsSlot is true while the job holds one of the run's in-flight slots.
	holdsSlot bool
}

// deadlines is a min-heap of in-flight jobs by the time something is due.
type deadlines []*burstJob

func (d deadlines) Len() int           { return len(d) }
func (d deadlines) Less(i, j int) bool { return d[i].due.Before(d[j].due) }
func (d deadlines) Swap(i, j int)      { d[i], d[j] = d[j], d[i]; d[i].heapPos = i; d[j].heapPos = j }
func (d *deadlines) Push(x any)        { j := x.(*burstJob); j.heapPos = len(*d); *d = append(*d, j) }
func (d *deadlines) Pop() any {
	old := *d
	j := old[len(old)-1]
	*d = old[:len(old)-1]
	j.heapPos = -1
	return j
}

// runBurst connects to every job it is dealt with non-blocking sockets and one epoll
// instance: no goroutine, stack or poller registration per probe, so a sweep of thousands of
// ports costs little more than the syscalls the kernel needs. Each attempt has its own
// deadline, from its own connect. slots bounds the probes in flight, shared with the general
// path. took is told of each job as the loop takes it from in; done gets each job's result.
// It returns when in is closed and drained and nothing is in flight.
func (p *Prober) runBurst(ctx context.Context, in <-chan *burstJob, slots *slotPool, took func(*burstJob), done func(*burstJob, Result)) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		for j := range in {
			done(j, p.burstResult(j, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("epoll_create1", err)}))
		}
		return
	}
	defer unix.Close(ep)
	inflight := map[int32]*burstJob{}
	var dl deadlines
	var queue []*burstJob // taken from in, or back for another attempt; holding no slot
	open := true
	events := make([]unix.EpollEvent, 512)

	// next takes the next job to launch: a queued one, else one from in (waiting for it when
	// block is set and the run is still on).
	next := func(block bool) *burstJob {
		if len(queue) > 0 {
			j := queue[0]
			queue = queue[1:]
			return j
		}
		if !open {
			return nil
		}
		var j *burstJob
		var ok bool
		if block {
			select {
			case j, ok = <-in:
			case <-ctx.Done():
				return nil
			}
		} else {
			select {
			case j, ok = <-in:
			default:
				return nil
			}
		}
		if !ok {
			open = false
			return nil
		}
		j.nfds, j.heapPos = 0, -1
		took(j)
		return j
	}

	end := func(j *burstJob, r Result) {
		r.SYNs = j.syns
		settle(&r, j.attempts, j.start)
		done(j, r)
	}

	// finish ends j's attempt with err (nil: the socket at k connected), closing its sockets.
	finish := func(j *burstJob, err error, k int) {
		if j.heapPos >= 0 {
			heap.Remove(&dl, j.heapPos)
		}
		for i := range j.nfds {
			delete(inflight, int32(j.fds[i]))
		}
		j.syns += j.nfds
		var r Result
		if err == nil {
			r = Result{Target: j.target, Address: j.addr, Via: Direct, State: Open, Reason: "open", Detail: "TCP handshake completed"}
			if sa, gerr := unix.Getsockname(j.fds[k]); gerr == nil {
				r.Source = sockaddrAddr(sa)
			}
		}
		releaseJob(j, slots)
		if err != nil {
			r = p.burstResult(j, err)
			if p.again(ctx, r, j.attempts) {
				queue = append(queue, j) // another attempt, with a fresh budget
				return
			}
		}
		end(j, r)
	}

	// resend sends j's next SYN as a new connect; a socket this machine cannot open only
	// ends the re-sending.
	resend := func(j *burstJob, now time.Time) {
		fd, err := p.burstConnect(ep, j)
		if err != nil {
			j.sched.sent = maxSYNs
			return
		}
		j.fds[j.nfds], j.sentAt[j.nfds] = fd, now
		j.nfds++
		j.sched.sendSYN(now)
		inflight[int32(fd)] = j
	}

	// launch starts j's attempt on a slot the caller acquired for it: its first SYN.
	launch := func(j *burstJob) {
		j.holdsSlot = true
		if p.launchHook != nil {
			p.launchHook(j.target)
		}
		j.attempts++
		now := time.Now()
		if j.start.IsZero() {
			j.start = now
		}
		j.heapPos, j.nfds = -1, 0
		fd, err := p.burstConnect(ep, j)
		if err != nil {
			releaseJob(j, slots)
			end(j, p.burstResult(j, err))
			return
		}
		j.fds[0], j.sentAt[0], j.nfds = fd, now, 1
		j.sched = newSYNSchedule(now, p.cfg.Timeout)
		j.due = j.sched.next(p.rtt.rto(j.addr))
		inflight[int32(fd)] = j
		heap.Push(&dl, j)
	}

	for {
		if ctx.Err() != nil {
			for _, j := range inflight {
				if j.nfds > 0 {
					finish(j, ctx.Err(), 0)
				}
			}
			for _, j := range queue {
				end(j, interrupted(j.target, "finished"))
			}
			queue = nil
			for j := range in {
				took(j)
				end(j, interrupted(j.target, "started"))
			}
			return
		}
		// Launch as many as the shared slots allow.
		for slots.tryAcquire() {
			j := next(false)
			if j == nil {
				slots.release()
				break
			}
			launch(j)
		}
		if len(inflight) == 0 {
			// Nothing to wait on: wait for a job, then for a slot (the general path may hold
			// them all) rather than spin.
			j := next(true)
			if j == nil {
				if !open && len(queue) == 0 {
					return
				}
				continue
			}
			queue = append([]*burstJob{j}, queue...)
			if slots.acquireWithin(ctx, burstPoll) {
				launch(next(false))
			}
			continue
		}
		wait := burstPoll
		if until := time.Until(dl[0].due); until < wait {
			wait = max(until, 0)
		}
		n, err := unix.EpollWait(ep, events, int(wait.Milliseconds())+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			n = 0
		}
		now := time.Now()
		for _, ev := range events[:max(n, 0)] {
			j := inflight[ev.Fd]
			if j == nil {
				continue
			}
			k := slices.Index(j.fds[:j.nfds], int(ev.Fd))
			soerr, gerr := unix.GetsockoptInt(int(ev.Fd), unix.SOL_SOCKET, unix.SO_ERROR)
			switch {
			case gerr != nil:
				finish(j, opError(gerr), k)
			case soerr != 0:
				if e := unix.Errno(soerr); e == unix.ECONNREFUSED || e == unix.ECONNRESET {
					p.rtt.sample(j.addr, now.Sub(j.sentAt[k])) // a reset is an answer with a round trip
				}
				finish(j, opError(unix.Errno(soerr)), k)
			default:
				p.rtt.sample(j.addr, now.Sub(j.sentAt[k]))
				finish(j, nil, k)
			}
		}
		// What is due: a SYN to send again, or a silent attempt to give up on.
		for len(dl) > 0 && !dl[0].due.After(now) {
			j := dl[0]
			rto := p.rtt.rto(j.addr)
			if !now.Before(j.sched.filteredAt(rto)) {
				finish(j, &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}, 0)
				continue
			}
			if next := j.sched.nextSYN(rto); !next.IsZero() && !now.Before(next) {
				resend(j, now)
			}
			j.due = j.sched.next(rto)
			if !j.due.After(now) {
				j.due = now.Add(time.Millisecond) // never spin on a schedule that cannot advance
			}
			heap.Fix(&dl, j.heapPos)
		}
	}
}

// releaseJob closes j's sockets and gives its slot back, if it holds one.
func releaseJob(j *burstJob, slots *slotPool) {
	for i := range j.nfds {
		unix.Close(j.fds[i])
	}
	j.nfds = 0
	if j.holdsSlot {
		j.holdsSlot = false
		slots.release()
	}
}

// burstConnect opens a non-blocking socket to j, starts connecting and watches it in ep.
func (p *Prober) burstConnect(ep int, j *burstJob) (int, error) {
	family, sa := unix.AF_INET, unix.Sockaddr(nil)
	if j.addr.Is4() {
		sa = &unix.SockaddrInet4{Addr: j.addr.As4(), Port: int(j.target.Port)}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Addr: j.addr.As16(), Port: int(j.target.Port)}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, opError(err)
	}
	if src := p.cfg.SourceIP; src.IsValid() {
		if src.Is4() != j.addr.Is4() {
			unix.Close(fd)
			return -1, opError(unix.EAFNOSUPPORT)
		}
		var bsa unix.Sockaddr = &unix.SockaddrInet4{Addr: src.As4()}
		if family == unix.AF_INET6 {
			bsa = &unix.SockaddrInet6{Addr: src.As16()}
		}
		if err := unix.Bind(fd, bsa); err != nil {
			unix.Close(fd)
			return -1, opError(err)
		}
	}
	err = unix.Connect(fd, sa)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return -1, opError(err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fd)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return -1, opError(err)
	}
	return fd, nil
}

// opError wraps an errno the way net.Dial does, so the one classifier serves both paths.
func opError(err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
}

func (p *Prober) burstResult(j *burstJob, err error) Result {
	r := Result{Target: j.target, Address: j.addr, Via: Direct}
	classify(err, PhaseConnect, j.target).result(&r)
	if !isLocalResource(err) && !isCanceled(err) {
		r.Source = p.routeSource(j.addr, j.target.Port)
	}
	return r
}

func sockaddrAddr(sa unix.Sockaddr) netip.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr).Unmap()
	}
	return netip.Addr{}
}
