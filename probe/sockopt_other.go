//go:build !windows

package probe

import (
	"net"
	"syscall"
)

// systemSYNRetransmissionsOff is nil here: the system reports a reset at once.
var systemSYNRetransmissionsOff func(syscall.RawConn)

// reportPortUnreachable has nothing to do here: an ICMP port unreachable is reported on the
// next read (ECONNREFUSED) as it is.
func reportPortUnreachable(net.Conn) {}
