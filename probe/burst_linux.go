//go:build linux

package probe

import (
	"container/heap"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// burstSupported: Linux has the connect engine.
const burstSupported = true

// burstPoll bounds one wait for events, so that cancellation is seen promptly.
const burstPoll = 50 * time.Millisecond

// burstJob is one TCP connect target handled by the engine.
type burstJob struct {
	index    int // into the run's targets
	target   Target
	addr     netip.Addr
	fd       int
	deadline time.Time
	start    time.Time // of the whole probe, for Elapsed
	attempts int
	heapPos  int
}

// deadlines is a min-heap of in-flight jobs by deadline.
type deadlines []*burstJob

func (d deadlines) Len() int           { return len(d) }
func (d deadlines) Less(i, j int) bool { return d[i].deadline.Before(d[j].deadline) }
func (d deadlines) Swap(i, j int)      { d[i], d[j] = d[j], d[i]; d[i].heapPos = i; d[j].heapPos = j }
func (d *deadlines) Push(x any)        { j := x.(*burstJob); j.heapPos = len(*d); *d = append(*d, j) }
func (d *deadlines) Pop() any {
	old := *d
	j := old[len(old)-1]
	*d = old[:len(old)-1]
	j.heapPos = -1
	return j
}

// runBurst connects to every job with non-blocking sockets and one epoll instance: no
// goroutine, stack or poller registration per probe, so a sweep of thousands of ports costs
// little more than the syscalls the kernel needs. Each attempt has its own deadline, from its
// own connect. slots bounds the probes in flight, shared with the general path.
func (p *Prober) runBurst(ctx context.Context, jobs []*burstJob, slots *slotPool, done func(*burstJob, Result)) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		for _, j := range jobs {
			done(j, p.burstResult(j, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("epoll_create1", err)}))
		}
		return
	}
	defer unix.Close(ep)
	inflight := map[int32]*burstJob{}
	var dl deadlines
	queue := jobs
	events := make([]unix.EpollEvent, 512)

	finish := func(j *burstJob, err error) {
		if j.heapPos >= 0 {
			heap.Remove(&dl, j.heapPos)
		}
		delete(inflight, int32(j.fd))
		var r Result
		if err == nil {
			r = Result{Target: j.target, Address: j.addr, Via: "direct", State: Open, Reason: "open", Detail: "TCP handshake completed"}
			if sa, gerr := unix.Getsockname(j.fd); gerr == nil {
				r.Source = sockaddrAddr(sa)
			}
		}
		unix.Close(j.fd)
		slots.release()
		if err != nil {
			r = p.burstResult(j, err)
			if r.State.NoAnswer() && j.attempts <= p.cfg.Retries && ctx.Err() == nil {
				queue = append(queue, j) // another attempt, with a fresh budget
				return
			}
		}
		r.Attempts, r.Elapsed = j.attempts, time.Since(j.start)
		noteAttempts(&r)
		done(j, r)
	}

	// launch starts the next queued job on a slot the caller holds.
	launch := func() {
		j := queue[0]
		queue = queue[1:]
		j.attempts++
		if j.start.IsZero() {
			j.start = time.Now()
		}
		j.heapPos = -1
		if err := p.burstConnect(ep, j); err != nil {
			j.fd = -1
			slots.release()
			r := p.burstResult(j, err)
			r.Attempts, r.Elapsed = j.attempts, time.Since(j.start)
			done(j, r)
			return
		}
		j.deadline = time.Now().Add(p.cfg.Timeout)
		inflight[int32(j.fd)] = j
		heap.Push(&dl, j)
	}

	for len(queue) > 0 || len(inflight) > 0 {
		if ctx.Err() != nil {
			for _, j := range inflight {
				finish(j, ctx.Err())
			}
			for _, j := range queue {
				j.attempts++
				r := p.burstResult(j, ctx.Err())
				r.Attempts, r.Elapsed = j.attempts, time.Since(j.start)
				done(j, r)
			}
			return
		}
		// Launch as many as the shared slots allow; with nothing in flight and every slot held
		// by the general path, wait for one rather than spin.
		if len(inflight) == 0 && len(queue) > 0 && !slots.tryAcquire() {
			if slots.acquireWithin(ctx, burstPoll) {
				launch()
			}
			continue
		}
		for len(queue) > 0 && slots.tryAcquire() {
			launch()
		}
		if len(inflight) == 0 {
			continue
		}
		wait := burstPoll
		if until := time.Until(dl[0].deadline); until < wait {
			wait = max(until, 0)
		}
		n, err := unix.EpollWait(ep, events, int(wait.Milliseconds())+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			n = 0
		}
		for _, ev := range events[:max(n, 0)] {
			j := inflight[ev.Fd]
			if j == nil {
				continue
			}
			soerr, gerr := unix.GetsockoptInt(j.fd, unix.SOL_SOCKET, unix.SO_ERROR)
			switch {
			case gerr != nil:
				finish(j, opError(gerr))
			case soerr != 0:
				finish(j, opError(unix.Errno(soerr)))
			default:
				finish(j, nil)
			}
		}
		now := time.Now()
		for len(dl) > 0 && !dl[0].deadline.After(now) {
			finish(dl[0], &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded})
		}
	}
}

// burstConnect opens a non-blocking socket to j and starts connecting.
func (p *Prober) burstConnect(ep int, j *burstJob) error {
	family, sa := unix.AF_INET, unix.Sockaddr(nil)
	if j.addr.Is4() {
		sa = &unix.SockaddrInet4{Addr: j.addr.As4(), Port: int(j.target.Port)}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Addr: j.addr.As16(), Port: int(j.target.Port)}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return opError(err)
	}
	if src := p.cfg.SourceIP; src.IsValid() {
		var bsa unix.Sockaddr = &unix.SockaddrInet4{Addr: src.As4()}
		if family == unix.AF_INET6 {
			bsa = &unix.SockaddrInet6{Addr: src.As16()}
		}
		if err := unix.Bind(fd, bsa); err != nil {
			unix.Close(fd)
			return opError(err)
		}
	}
	err = unix.Connect(fd, sa)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return opError(err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fd)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return opError(err)
	}
	j.fd = fd
	return nil
}

// opError wraps an errno the way net.Dial does, so the one classifier serves both paths.
func opError(err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
}

func (p *Prober) burstResult(j *burstJob, err error) Result {
	r := Result{Target: j.target, Address: j.addr, Via: "direct"}
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
