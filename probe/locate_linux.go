//go:build linux

package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// locateHopWait is how long one TTL step waits for a time-exceeded answer or a handshake:
// hops on the path answer within a round trip; a dropped step says nothing either way.
const locateHopWait = 400 * time.Millisecond

// maxLocateHops bounds the TTL sweep: a firewall in front of a cluster sits within a few hops.
const maxLocateHops = 8

// locateDrop sweeps the TTL of a SYN to addr:port, as traceroute does for TCP, to name the last
// hop that passed it. It needs no privilege: IP_RECVERR queues each ICMP time-exceeded on the
// connecting socket.
func locateDrop(ctx context.Context, src, addr netip.Addr, port uint16) string {
	if !addr.Is4() {
		return "" // the v6 error queue (IPV6_RECVERR) is not read here
	}
	var lastHop netip.Addr
	lastTTL := 0
	for ttl := 1; ttl <= maxLocateHops && ctx.Err() == nil; ttl++ {
		hop, reached, err := synWithTTL(ctx, src, addr, port, ttl)
		switch {
		case err != nil:
			return ""
		case reached:
			return fmt.Sprintf("; a SYN with TTL %d reached the target, so the drop is not on the path now", ttl)
		case hop.IsValid():
			lastHop, lastTTL = hop, ttl
		default:
			if lastTTL == 0 {
				return "; no hop answered a TTL sweep: the SYN is lost at the first hop (or ICMP is filtered too)"
			}
			return fmt.Sprintf("; the SYN passes hop %d (%s) and is lost after it", lastTTL, lastHop)
		}
	}
	if lastTTL > 0 {
		return fmt.Sprintf("; the SYN passes hop %d (%s), the last that answered within %d hops", lastTTL, lastHop, maxLocateHops)
	}
	return ""
}

// synWithTTL sends one SYN with the given TTL. It returns the address of the hop that said
// time exceeded, or reached when the handshake (or a reset) came back from the target.
func synWithTTL(ctx context.Context, src, addr netip.Addr, port uint16, ttl int) (hop netip.Addr, reached bool, err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return netip.Addr{}, false, err
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, ttl); err != nil {
		return netip.Addr{}, false, err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1); err != nil {
		return netip.Addr{}, false, err
	}
	if src.IsValid() {
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: src.As4()}); err != nil {
			return netip.Addr{}, false, err
		}
	}
	err = unix.Connect(fd, &unix.SockaddrInet4{Addr: addr.As4(), Port: int(port)})
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		return netip.Addr{}, errors.Is(err, unix.ECONNREFUSED), nil
	}
	deadline := time.Now().Add(locateHopWait)
	for ctx.Err() == nil {
		wait := time.Until(deadline)
		if wait <= 0 {
			return netip.Addr{}, false, nil
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		n, perr := unix.Poll(fds, int(wait.Milliseconds())+1)
		if perr != nil && !errors.Is(perr, unix.EINTR) {
			return netip.Addr{}, false, perr
		}
		if n == 0 {
			continue
		}
		if fds[0].Revents&unix.POLLERR != 0 {
			if h, ok := readTimeExceeded(fd); ok {
				return h, false, nil
			}
		}
		soerr, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case soerr == 0 && fds[0].Revents&unix.POLLOUT != 0:
			return netip.Addr{}, true, nil
		case soerr == int(unix.ECONNREFUSED):
			return netip.Addr{}, true, nil
		case soerr != 0:
			return netip.Addr{}, false, nil // an unreachable from a hop: it answered, not passed
		}
	}
	return netip.Addr{}, false, ctx.Err()
}

// readTimeExceeded reads the socket's error queue for an ICMP time exceeded and returns the
// hop (the offender) that sent it.
func readTimeExceeded(fd int) (netip.Addr, bool) {
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	_, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_ERRQUEUE)
	if err != nil {
		return netip.Addr{}, false
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return netip.Addr{}, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.IPPROTO_IP || m.Header.Type != unix.IP_RECVERR {
			continue
		}
		size := int(unsafe.Sizeof(unix.SockExtendedErr{}))
		if len(m.Data) < size+8 {
			continue
		}
		ee := (*unix.SockExtendedErr)(unsafe.Pointer(&m.Data[0]))
		// ICMP type 11: time exceeded in transit.
		if ee.Origin != unix.SO_EE_ORIGIN_ICMP || ee.Type != 11 {
			continue
		}
		// The offender follows: a sockaddr_in (family, port, 4-byte address).
		off := m.Data[size:]
		if binary.NativeEndian.Uint16(off[0:2]) != unix.AF_INET {
			continue
		}
		return netip.AddrFrom4([4]byte(off[4:8])), true
	}
	return netip.Addr{}, false
}
