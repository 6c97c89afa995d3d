package engine

import (
	"net/netip"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
)

// selector is what subnet selection reads from a request, gathered once so
// that selection itself is a pure function of the configuration.
type selector struct {
	giaddr netip.Addr
	ciaddr netip.Addr
	// local is the address the request arrived on: the server's own
	// address on the receiving link for a broadcast.
	local netip.Addr
	// remote is the request's source address.
	remote netip.Addr
	// broadcast is set when the request was sent to 255.255.255.255.
	broadcast bool
	iface     string
	// option is the address of option 118 (subnet selection) or, failing
	// that, of relay agent sub-option 5 (link selection).
	option netip.Addr
}

func makeSelector(pkt *dhcpv4.Packet, iface string, local, remote netip.Addr, broadcast bool, c *config.Config) selector {
	s := selector{
		giaddr:    pkt.GIAddr(),
		ciaddr:    pkt.CIAddr(),
		local:     local,
		remote:    remote,
		broadcast: broadcast,
		iface:     iface,
	}
	if a, ok := pkt.SubnetSelection(); ok {
		s.option = a
	} else if !c.Compatibility.IgnoreRAILinkSelection {
		if ri, ok := pkt.RelayAgentInfo(); ok {
			if a, ok := ri.LinkSelection(); ok {
				s.option = a
			}
		}
	}
	return s
}

// selectSubnet picks the subnet a request belongs to the way Kea does:
// the subnet-selection or link-selection option first; for a relayed
// request the subnets naming the relay in their relay addresses, then the
// subnet containing giaddr; for a client that has an address and did not
// broadcast, the subnet containing ciaddr (or the source address); for a
// broadcast on a directly attached link, the subnets bound to the receiving
// interface, then the subnet containing the server's address on it. A
// subnet whose class guard excludes the client is passed over; so, within a
// shared network, selection moves on to a sibling the client may use.
func selectSubnet(c *config.Config, s selector, allowed func(*config.Subnet) bool) *config.Subnet {
	var addr netip.Addr
	switch {
	case isSet(s.option):
		addr = s.option
	case isSet(s.giaddr):
		for _, sn := range c.SubnetsByRelay(s.giaddr) {
			if pick := allowedSubnetOrSibling(sn, allowed); pick != nil {
				return pick
			}
		}
		addr = s.giaddr
	case isSet(s.ciaddr) && !s.broadcast:
		addr = s.ciaddr
	case isSet(s.remote) && !s.broadcast:
		addr = s.remote
	default:
		for _, sn := range c.SubnetsByInterface(s.iface) {
			if pick := allowedSubnetOrSibling(sn, allowed); pick != nil {
				return pick
			}
		}
		addr = s.local
	}
	if !isSet(addr) {
		return nil
	}
	if sn := allowedSubnetOrSibling(c.SubnetContaining(addr), allowed); sn != nil {
		return sn
	}
	// Nested subnets: Kea tries each subnet containing the address, in
	// id order, until one admits the client.
	for _, sn := range c.SubnetsContaining(addr) {
		if pick := allowedSubnetOrSibling(sn, allowed); pick != nil {
			return pick
		}
	}
	return nil
}

// allowedSubnetOrSibling returns sn when the client may use it, else the
// first subnet of sn's shared network the client may use, else nil.
func allowedSubnetOrSibling(sn *config.Subnet, allowed func(*config.Subnet) bool) *config.Subnet {
	if sn == nil {
		return nil
	}
	if allowed(sn) {
		return sn
	}
	if sn.Network == nil {
		return nil
	}
	for _, sib := range sn.Network.Subnets {
		if allowed(sib) {
			return sib
		}
	}
	return nil
}

func isSet(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() }
