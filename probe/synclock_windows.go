package probe

import (
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
// the system is older than "none".
var systemSYNRetransmissionsOff = func(c syscall.RawConn) error {
	var ioctlErr error
	err := c.Control(func(fd uintptr) {
		for _, n := range []uint8{tcpInitialRTONoSYNRetrans, 1} {
			p := tcpInitialRTOParameters{Rtt: tcpInitialRTOUnspecified, MaxSynRetransmissions: n}
			var out uint32
			if ioctlErr = syscall.WSAIoctl(syscall.Handle(fd), sioTCPInitialRTO, (*byte)(unsafe.Pointer(&p)), uint32(unsafe.Sizeof(p)), nil, 0, &out, nil, 0); ioctlErr == nil {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return ioctlErr
}
