package client6

import (
	"time"

	"github.com/leased/leased/dhcpv6"
)

// build writes the current exchange's message into c.out.
func (c *Client) build(now time.Time) ([]byte, error) {
	b := &c.builder
	mt := c.ex.mt
	b.Begin(c.out, mt, c.ex.xid)
	b.AddOption(dhcpv6.OptionClientID, c.duid)
	if c.ex.serverID != nil {
		b.AddOption(dhcpv6.OptionServerID, c.ex.serverID)
	}
	// Elapsed Time in hundredths of a second since the first
	// transmission, 0xffff for anything longer (RFC 8415 §21.9).
	elapsed := uint16(0)
	if c.ex.count > 0 {
		elapsed = uint16(min(now.Sub(c.ex.start)/(10*time.Millisecond), 0xffff))
	}
	b.AddUint16(dhcpv6.OptionElapsedTime, elapsed)
	switch mt {
	case dhcpv6.Solicit, dhcpv6.Request, dhcpv6.Renew, dhcpv6.Rebind:
		b.AddORO(c.cfg.RequestOptions...)
	case dhcpv6.InformationRequest:
		oro := append(c.cfg.RequestOptions[:len(c.cfg.RequestOptions):len(c.cfg.RequestOptions)], dhcpv6.OptionInfoRefreshTime, dhcpv6.OptionInfMaxRT)
		b.AddORO(oro...)
	}
	if mt == dhcpv6.Solicit && c.cfg.RapidCommit {
		b.AddEmpty(dhcpv6.OptionRapidCommit)
	}
	if c.cfg.ReconfigureAccept {
		switch mt {
		case dhcpv6.Solicit, dhcpv6.Request, dhcpv6.Renew, dhcpv6.Rebind, dhcpv6.InformationRequest:
			b.AddEmpty(dhcpv6.OptionReconfigureAccept)
		}
	}
	// Lifetimes and T1/T2 go out as 0: the client states no preference
	// (RFC 8415 §18.2: a Confirm's must be 0, the others' are hints).
	for _, ia := range c.ex.na {
		b.BeginIA(dhcpv6.OptionIANA, ia.IAID, 0, 0)
		for _, a := range ia.Addresses {
			b.BeginIAAddr(a.Addr, 0, 0)
			b.End()
		}
		b.End()
	}
	for _, ia := range c.ex.pd {
		b.BeginIA(dhcpv6.OptionIAPD, ia.IAID, 0, 0)
		for _, p := range ia.Prefixes {
			b.BeginIAPrefix(p.Prefix, 0, 0)
			b.End()
		}
		b.End()
	}
	return b.Finish()
}
