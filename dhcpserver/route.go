package dhcpserver

import (
	"encoding/binary"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
)

// A Route says how a reply travels to the client.
type Route uint8

// The routes of RFC 2131 §4.1, in the order RouteReply tries them.
const (
	// RouteRelay: unicast to the relay agent in giaddr, at the server
	// port (67). A relayed NAK gets the broadcast bit so that the relay
	// broadcasts it on the client's link (RFC 2131 §4.3.2).
	RouteRelay Route = iota + 1
	// RouteBroadcast: to the broadcast address, client port (68), out of
	// the interface the request arrived on.
	RouteBroadcast
	// RouteClient: unicast to the client's address in ciaddr, client port.
	RouteClient
	// RouteHardware: unicast to yiaddr, client port, with the client's
	// hardware address as the link-layer destination. The client cannot
	// answer ARP for an address it does not have yet, so the server sends
	// the frame through a packet socket, or falls back to RouteBroadcast
	// when it cannot (no packet socket, or not Ethernet).
	RouteHardware
)

func (r Route) String() string {
	switch r {
	case RouteRelay:
		return "relay"
	case RouteBroadcast:
		return "broadcast"
	case RouteClient:
		return "client"
	case RouteHardware:
		return "hardware"
	}
	return "none"
}

// Offsets into the fixed header of a message, for reading the reply
// without decoding it again.
const (
	offFlags  = 10
	offCIAddr = 12
	offYIAddr = 16
	offGIAddr = 24
	offCHAddr = 28
)

// RouteReply returns the route of reply, a finished message answering req,
// by the rules of RFC 2131 §4.1, first match wins:
//
//  1. giaddr set: to the relay (RouteRelay);
//  2. a NAK: broadcast (RouteBroadcast);
//  3. ciaddr set in the request: unicast to ciaddr (RouteClient);
//  4. broadcast bit set in the reply: broadcast (RouteBroadcast);
//  5. yiaddr set: unicast to yiaddr at chaddr (RouteHardware);
//  6. otherwise broadcast.
//
// The flags and giaddr are read from the reply, which copies them from the
// request unless the handler changed them.
func RouteReply(req *dhcpv4.Packet, reply []byte) Route {
	if len(reply) < dhcpv4.HeaderLen {
		return RouteBroadcast
	}
	if addr4(reply, offGIAddr) != 0 {
		return RouteRelay
	}
	if replyType(reply) == dhcpv4.Nak {
		return RouteBroadcast
	}
	if req != nil && req.Len() >= dhcpv4.HeaderLen && req.CIAddr() != netip.IPv4Unspecified() {
		return RouteClient
	}
	if binary.BigEndian.Uint16(reply[offFlags:])&dhcpv4.FlagBroadcast != 0 {
		return RouteBroadcast
	}
	if addr4(reply, offYIAddr) != 0 {
		return RouteHardware
	}
	return RouteBroadcast
}

// replyType reads option 53 of a message written by dhcpv4.Builder, which
// always puts it first.
func replyType(m []byte) dhcpv4.MessageType {
	const o = dhcpv4.HeaderLen
	if len(m) > o+2 && m[o] == byte(dhcpv4.OptionMessageType) && m[o+1] == 1 {
		return dhcpv4.MessageType(m[o+2])
	}
	return 0
}

func addr4(m []byte, off int) uint32 { return binary.BigEndian.Uint32(m[off:]) }

// ReplyDestination returns the route of reply, a finished message
// answering req (see RouteReply), and where it goes with the given client
// and relay ports: the relay agent in giaddr, ciaddr, yiaddr (at the
// hardware address in chaddr, RouteHardware), or 255.255.255.255 for a
// broadcast. For a relayed NAK it also sets the broadcast flag in reply,
// so that the relay agent broadcasts it on the client's link (RFC 2131
// §4.3.2). The server and dhcptest's recorder route with it.
func ReplyDestination(req *dhcpv4.Packet, reply []byte, clientPort, relayPort uint16) (Route, netip.AddrPort) {
	r := RouteReply(req, reply)
	switch r {
	case RouteRelay:
		if replyType(reply) == dhcpv4.Nak {
			reply[offFlags] |= byte(dhcpv4.FlagBroadcast >> 8)
		}
		return r, netip.AddrPortFrom(addrAt(reply, offGIAddr), relayPort)
	case RouteClient:
		return r, netip.AddrPortFrom(req.CIAddr(), clientPort)
	case RouteHardware:
		return r, netip.AddrPortFrom(addrAt(reply, offYIAddr), clientPort)
	}
	return r, netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), clientPort)
}

func addrAt(m []byte, off int) netip.Addr { return netip.AddrFrom4([4]byte(m[off : off+4])) }
