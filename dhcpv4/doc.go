// Package dhcpv4 reads and writes DHCPv4 messages (RFC 2131, RFC 2132).
//
// # Quick start
//
// Reading a client's message and answering it (package
// [github.com/leased/leased/dhcpserver] does the sockets and the routing
// around this):
//
//	var req dhcpv4.Packet
//	if err := req.Decode(datagram); err != nil {
//		return // malformed: drop it
//	}
//	if req.MessageType() != dhcpv4.Discover {
//		return
//	}
//	var b dhcpv4.Builder
//	b.Reply(make([]byte, dhcpv4.MinMessageSize), &req, dhcpv4.Offer)
//	b.SetYIAddr(netip.MustParseAddr("192.0.2.10"))
//	b.AddIP(dhcpv4.OptionServerID, netip.MustParseAddr("192.0.2.1"))
//	b.AddIPs(dhcpv4.OptionRouter, netip.MustParseAddr("192.0.2.1"))
//	b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
//	reply, err := b.Finish()
//
// and reading a message's options as Go values:
//
//	offer, err := dhcpv4.Parse(reply)
//	...
//	routers, _ := offer.Routers(nil)                       // [192.0.2.1]
//	lease, _ := offer.OptionUint32(dhcpv4.OptionLeaseTime) // 3600
//	sid, _ := offer.ServerID()                             // 192.0.2.1
//
// # Reading and writing
//
// A [Packet] is a view over the bytes of a received message: Decode indexes
// the options in place and copies nothing, so header fields and option
// values are slices of, or values read from, the caller's buffer. A Packet
// may be reused for many messages; reusing one makes decoding allocation
// free. Decode handles the magic cookie, pad and end, option overload into
// the file and sname fields (option 52), and options split into several
// instances (RFC 3396), which it joins in the order the RFC prescribes.
// Malformed input is reported as an error, never a panic.
//
// A [Builder] writes a message into a caller-supplied buffer. [Builder.Reply]
// starts a reply from a request: it copies what RFC 2131 says a reply
// copies, remembers the client's parameter request list (option 55) and
// maximum message size (option 57), and echoes relay agent information
// (option 82) as RFC 3046 requires. Options may be added in any order;
// [Builder.Finish] writes the message type and server identifier first, then
// the options the client asked for in the order it asked, then the rest,
// splits values longer than 255 bytes (RFC 3396), and leaves out what does
// not fit the client's maximum message size.
//
// Options are read as bytes ([Packet.Option]) or, without allocating, as
// the Go value of their wire type: [Packet.OptionIP], [Packet.OptionIPs],
// [Packet.OptionUint8], [Packet.OptionUint16], [Packet.OptionUint32] and
// getters of common options such as [Packet.Routers]. A Packet's values
// belong to its buffer; [Packet.Clone] keeps a message beyond the buffer's
// reuse. The definitions of the standard options, their types, Kea's text
// form for them and a decoder of any option into Go values
// (optdef.Def.Decode) live in package
// [github.com/leased/leased/dhcpv4/optdef].
package dhcpv4
