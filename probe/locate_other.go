//go:build !linux

package probe

import (
	"context"
	"net/netip"
)

// locateDrop needs Linux's IP_RECVERR; elsewhere the detail says nothing more.
func locateDrop(context.Context, netip.Addr, netip.Addr, uint16) string { return "" }
