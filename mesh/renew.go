package mesh

import "net/netip"

// AddrOrder is the byte order in which a node puts the client address into
// a renew payload.
//
// ddhcpd converts an address that is already in network order with htonl a
// second time, so the wire order depends on the sender's CPU: little-endian
// hosts (x86, ARM, mipsel) send the four bytes reversed (10.0.0.41 as
// 29 00 00 0a), big-endian hosts (many MIPS Gluon targets) send network
// order. An owner that reads the wrong order finds the address outside its
// range and does not answer at all.
type AddrOrder uint8

const (
	// Reversed is the order of little-endian hosts, the common case and the
	// default leased sends.
	Reversed AddrOrder = iota
	// NetworkOrder is the order of big-endian hosts.
	NetworkOrder
)

func (o AddrOrder) String() string {
	if o == NetworkOrder {
		return "network order"
	}
	return "reversed"
}

// Other returns the opposite order.
func (o AddrOrder) Other() AddrOrder { return o ^ 1 }

// Put returns the four wire bytes for addr (an IPv4 address) in order o.
func (o AddrOrder) Put(addr netip.Addr) [4]byte {
	b := addr.As4()
	if o == Reversed {
		b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	}
	return b
}

// Get reads four wire bytes as an address in order o.
func (o AddrOrder) Get(b [4]byte) netip.Addr {
	if o == Reversed {
		b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	}
	return netip.AddrFrom4(b)
}

// DecodeRenewAddr interprets renew-payload address bytes the way section 15
// of the specification asks: both orders are tried and the one that falls
// inside the range is kept; when both do, the reversed (little-endian)
// reading wins, as it matches most deployed hardware. ok is false when
// neither reading is in the range; a real node then sends no reply.
//
// certain is true when exactly one reading is in the range, i.e. when the
// result says something about the sender's byte order.
func (r Range) DecodeRenewAddr(b [4]byte) (addr netip.Addr, order AddrOrder, certain, ok bool) {
	rev, net := Reversed.Get(b), NetworkOrder.Get(b)
	revIn, netIn := r.Contains(rev), r.Contains(net)
	switch {
	case revIn && netIn:
		return rev, Reversed, false, true
	case revIn:
		return rev, Reversed, true, true
	case netIn:
		return net, NetworkOrder, true, true
	}
	return netip.Addr{}, Reversed, false, false
}
