//go:build !windows

package probe

import "syscall"

// systemSYNRetransmissionsOff is nil here: the system reports a reset at once.
var systemSYNRetransmissionsOff func(syscall.RawConn) error
