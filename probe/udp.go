package probe

import (
	"context"
	"fmt"
	"net"
)

// udpPayload is sent to a UDP port: small, and plainly from fwcheck in a capture.
var udpPayload = []byte("fwcheck probe\n")

// checkUDP sends one datagram to a connected UDP socket: a reply means open; an ICMP
// port-unreachable (ECONNREFUSED on read) means the path reached the host; silence proves
// nothing. Linux rate-limits ICMP errors to about one a second per host, so a port that stays
// silent among many refused ones says "unverified", never "open".
func (p *Prober) checkUDP(ctx context.Context, r *Result) {
	t := r.Target
	addr := t.HostPort()
	if r.Address.IsValid() {
		addr = net.JoinHostPort(r.Address.String(), fmt.Sprint(t.Port))
	}
	conn, err := p.dial(ctx, "udp", addr)
	if err != nil {
		classify(err, PhaseUDP, t).result(r)
		return
	}
	defer conn.Close()
	if la, ok := conn.LocalAddr().(*net.UDPAddr); ok {
		r.Source = la.AddrPort().Addr().Unmap()
	}
	reportPortUnreachable(conn)
	stop := closeOnDone(ctx, conn)
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := conn.Write(udpPayload); err != nil {
		classify(withCtx(ctx, err), PhaseUDP, t).result(r)
		return
	}
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil {
		classify(withCtx(ctx, err), PhaseUDP, t).result(r)
		return
	}
	r.State, r.Reason, r.Detail = Open, "open", fmt.Sprintf("the port answered with %d bytes", n)
}
