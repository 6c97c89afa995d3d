// Package snoop watches the DHCPv4 traffic on an interface without taking
// part in it: the messages of every client, server and relay agent that
// pass, in both directions, decoded, for a person to read (leased snoop)
// or a program to act on.
//
// Listen opens a Sniffer on one interface; Read returns the next message:
//
//	s, err := snoop.Listen("eth0", nil)
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	for {
//		m, err := s.Read(ctx)
//		if err != nil {
//			return err
//		}
//		if m.Packet == nil {
//			continue // not a DHCPv4 message: m.Err says why
//		}
//		sid, _ := m.Packet.ServerID()
//		if mt := m.Packet.MessageType(); (mt == dhcpv4.Offer || mt == dhcpv4.Ack) && sid != mine {
//			log.Printf("rogue server %s offers %s to %s", sid, m.Packet.YIAddr(), net.HardwareAddr(m.Packet.CHAddr()))
//		}
//	}
//
// This is how a program sees other servers' replies: a dhcpserver.Server
// on port 67 never receives them, since they go to port 68 (broadcast, or
// unicast to the client) or to a relay agent. A Sniffer reads a packet
// socket (Linux AF_PACKET, SOCK_DGRAM, for every protocol, so that frames
// this host sends are seen too) with a classic BPF filter that lets only
// IPv4 UDP datagrams from or to port 67 or 68 out of the kernel. It binds
// no UDP port, so it runs beside any server or client, and it never
// sends: it writes to no socket. It needs CAP_NET_RAW. It sees what
// reaches the interface: on a switched network that is the broadcasts and
// what is addressed to this host, unless Config.Promiscuous is set and
// the switch floods. On other systems than Linux, Listen fails with
// ErrUnsupported.
//
// ParseIPv4 makes a Message from an IPv4 datagram read elsewhere (a pcap
// file, a test); a Formatter renders Messages as text or JSON.
//
// # Text form
//
// AppendText writes one line per message, like tcpdump:
//
//	12:00:01.123456 eth0 In 10.0.0.1:67 > 255.255.255.255:68 OFFER xid=0x1a2b3c4d chaddr=52:54:00:12:34:56 yiaddr=10.0.0.50 [53 offer] [54 10.0.0.1] [51 3600] [1 255.255.255.0] [3 10.0.0.1] [6 10.0.0.53, 10.0.0.54] [12 "host"] [82 circuit-id="eth0/1" remote-id=0x0102]
//
// That is: the kernel's time stamp (local time, microseconds); the
// interface; In or Out (sent by this host); source and destination
// address and port; the message type without its DHCP prefix (DISCOVER,
// OFFER, ..., DHCP(42) for a type without a name, or BOOTREQUEST and
// BOOTREPLY for a BOOTP message); the transaction id in hexadecimal; the
// client hardware address (htype=N before it when it is not Ethernet);
// then only when not zero hops, secs, broadcast (the flag), flags=0xNNNN
// (other flag bits), ciaddr, yiaddr, siaddr, giaddr, sname and file.
//
// Then come the options in the order of the message, each as [code
// value]. The value is Kea's text for it (optdef's Def.Format, the text an
// option-data "data" entry would hold), with these exceptions: the message
// type (53) is its name; strings are quoted as Go quotes them; binary data
// is quoted when it is printable ASCII and otherwise 0x and hexadecimal
// digits; an option without a definition is hexadecimal; one whose bytes
// do not fit its definition is hexadecimal followed by (malformed:
// reason). Sub-options follow their option's own value as name=value,
// with the names of the space the option encapsulates (relay agent
// information, 82: circuit-id, remote-id, ...; vendor options, 125: each
// enterprise as enterprise=N, then its sub-options). An option without
// data is [code]. Options carried in the sname and file fields (option
// overload, 52) are listed with the others.
//
// With Verbose, the line stops before the options and each option
// follows on its own line, indented, as "code name: value", its
// sub-options indented below it. With Hex, the message's bytes (the UDP
// payload) follow as tcpdump -x prints them. A datagram that is not a
// DHCPv4 message is shown as "malformed (N bytes): reason".
//
// Everything taken from the wire is quoted or written in hexadecimal: the
// text is printable ASCII whatever a message holds.
//
// # JSON form
//
// AppendJSON writes one JSON object per line with the fields time
// (RFC 3339, nanoseconds), interface, direction ("in" or "out"), src_mac,
// src, dst, length (of the DHCP message), type and op (as in the text),
// xid (hexadecimal, as in the text), htype, hlen, chaddr, hops, secs,
// flags (a number), ciaddr, yiaddr, siaddr, giaddr, sname, file and
// options; fields that are zero are left out. Each option is an object
// with code, name (when it has a definition), data (the bytes in
// hexadecimal), value (optdef's Def.Decode, as JSON: addresses as
// strings, integers as numbers, binary data as hexadecimal, records and
// arrays as arrays), text (Kea's text, when it has one), error (when the
// bytes do not fit the definition) and suboptions (objects of the same
// shape; for option 125 one per enterprise, with enterprise instead of
// code). A datagram that is not a DHCPv4 message has error and payload
// (hexadecimal) instead of the DHCP fields; with Hex every object has
// payload.
package snoop
