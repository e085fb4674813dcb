// What fwcheck asks of Windows sockets that it does not have to ask of others.

package probe

import (
	"net"
	"syscall"
	"unsafe"
)

// Winsock's SIO_TCP_INITIAL_RTO (mstcpip.h), as Go's net package uses it for loopback dials.
const (
	sioTCPInitialRTO          = syscall.IOC_IN | syscall.IOC_VENDOR | 17
	tcpInitialRTOUnspecified  = ^uint16(0) // the system's (or the administrator's) initial RTT
	tcpInitialRTONoSYNRetrans = ^uint8(1)  // Windows 10 1709 and later
)

type tcpInitialRTOParameters struct {
	Rtt                   uint16
	MaxSynRetransmissions uint8
}

// systemSYNRetransmissionsOff sets the socket's SYN retransmissions to none, or to one where
// the system is older than "none". Best effort: a socket that refuses both keeps its retries.
var systemSYNRetransmissionsOff = func(c syscall.RawConn) {
	c.Control(func(fd uintptr) {
		for _, n := range []uint8{tcpInitialRTONoSYNRetrans, 1} {
			p := tcpInitialRTOParameters{Rtt: tcpInitialRTOUnspecified, MaxSynRetransmissions: n}
			var out uint32
			if syscall.WSAIoctl(syscall.Handle(fd), sioTCPInitialRTO, (*byte)(unsafe.Pointer(&p)), uint32(unsafe.Sizeof(p)), nil, 0, &out, nil, 0) == nil {
				return
			}
		}
	})
}

// reportPortUnreachable turns back on what Go's net package turns off for every UDP socket on
// Windows (go.dev/issue/5834): an ICMP port unreachable reported on the next read, as
// WSAECONNRESET. Without it a closed UDP port could only ever be silent.
func reportPortUnreachable(c net.Conn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		on, out := uint32(1), uint32(0)
		syscall.WSAIoctl(syscall.Handle(fd), syscall.SIO_UDP_CONNRESET, (*byte)(unsafe.Pointer(&on)), uint32(unsafe.Sizeof(on)), nil, 0, &out, nil, 0)
	})
}
