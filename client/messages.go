package client

import (
	"net/netip"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// maxMessageSize is the largest DHCP message the client accepts, counting
// IP and UDP headers (option 57): an Ethernet frame's payload.
const maxMessageSize = 1500

// msgParams are the per-message fields of a client message.
type msgParams struct {
	mt        dhcpv4.MessageType
	xid       uint32
	secs      time.Duration
	ciaddr    netip.Addr // BOUND, RENEWING, REBINDING, RELEASE
	requested netip.Addr // option 50
	serverID  netip.Addr // option 54
	message   string     // option 56 (DECLINE)
}

// build writes a client message into c.out and returns it.
func (c *Client) build(p msgParams) ([]byte, error) {
	b := &c.builder
	b.Begin(c.out, dhcpv4.BootRequest, p.mt, p.xid)
	b.SetCHAddr(1, c.hw)
	b.SetSecs(uint16(min(p.secs/time.Second, 0xffff)))
	if p.ciaddr.IsValid() {
		b.SetCIAddr(p.ciaddr)
	}
	// The broadcast bit only makes sense while the client cannot receive
	// unicast, that is without ciaddr (RFC 2131 §4.1).
	if c.cfg.BroadcastFlag && !p.ciaddr.IsValid() && p.mt != dhcpv4.Release && p.mt != dhcpv4.Decline {
		b.SetBroadcast(true)
	}
	if p.requested.IsValid() {
		b.AddIP(dhcpv4.OptionRequestedIP, p.requested)
	}
	if p.serverID.IsValid() {
		b.AddIP(dhcpv4.OptionServerID, p.serverID)
	}
	if c.clientID != nil {
		b.AddOption(dhcpv4.OptionClientID, c.clientID)
	}
	if p.message != "" {
		b.AddString(dhcpv4.OptionMessage, p.message)
	}
	// RELEASE and DECLINE carry only identification (RFC 2131 table 5).
	if p.mt == dhcpv4.Discover || p.mt == dhcpv4.Request {
		b.AddUint16(dhcpv4.OptionMaxMessageSize, maxMessageSize)
		if c.fqdn != nil {
			b.AddOption(dhcpv4.OptionClientFQDN, c.fqdn)
		} else if c.cfg.HostName != "" {
			b.AddString(dhcpv4.OptionHostName, c.cfg.HostName)
		}
		if c.cfg.VendorClass != "" {
			b.AddString(dhcpv4.OptionVendorClass, c.cfg.VendorClass)
		}
		if c.cfg.RequestedLeaseTime > 0 {
			b.AddUint32(dhcpv4.OptionLeaseTime, uint32(c.cfg.RequestedLeaseTime/time.Second))
		}
		if len(c.prl) > 0 {
			b.AddOption(dhcpv4.OptionParameterList, c.prl)
		}
	}
	return b.Finish()
}
