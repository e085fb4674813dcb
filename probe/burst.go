package probe

import "net/netip"

// maxBurstWorkers bounds the connect engine's loops: past a few cores the kernel's own
// locking, not the launch rate, limits a sweep.
const maxBurstWorkers = 4

// burstable reports whether t can go through the connect engine: a plain TCP connect to a
// known address, direct, with the prober's own dialer. Everything else takes the general path.
func (p *Prober) burstable(t Target) (netip.Addr, bool) {
	if t.Check != CheckTCP || p.cfg.Dial != nil || !burstSupported {
		return netip.Addr{}, false
	}
	a := t.Addr
	if !a.IsValid() {
		var err error
		if a, err = netip.ParseAddr(t.Host); err != nil {
			return netip.Addr{}, false
		}
	}
	a = a.Unmap()
	if src := p.cfg.SourceIP; src.IsValid() && src.Is4() != a.Is4() {
		return netip.Addr{}, false // the general path reports it skipped
	}
	if px := p.cfg.Proxy; px != nil && px.PAC != nil && !px.Direct {
		return netip.Addr{}, false // the PAC file decides, target by target
	}
	if u, err := p.cfg.Proxy.For(t); err != nil || u != nil {
		return netip.Addr{}, false
	}
	return a, true
}
