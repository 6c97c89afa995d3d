package dhcpserver

import (
	"encoding/binary"
	"net/netip"
)

// ethernetRaw reports whether a raw reply can be addressed to the client's
// hardware address: an Ethernet request with a 6-byte chaddr.
func ethernetRaw(htype, hlen uint8) bool { return htype == 1 && hlen == 6 }

// ipProtoUDP is UDP's protocol number in the IPv4 header.
const ipProtoUDP = 17

// ipUDPLen is the size of the IPv4 and UDP headers the server writes in
// front of a raw reply.
const ipUDPLen = 20 + 8

// putIPUDP writes IPv4 and UDP headers for a payload of n bytes into
// h[:ipUDPLen], followed in memory by the payload itself, and computes both
// checksums.
func putIPUDP(frame []byte, src, dst netip.Addr, sport, dport uint16) {
	n := len(frame) - ipUDPLen
	ip := frame[:20]
	ip[0] = 0x45 // version 4, 5 words of header
	ip[1] = 0    // DSCP/ECN
	binary.BigEndian.PutUint16(ip[2:], uint16(ipUDPLen+n))
	binary.BigEndian.PutUint16(ip[4:], 0)      // id
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // don't fragment
	ip[8] = 64                                 // TTL
	ip[9] = ipProtoUDP
	binary.BigEndian.PutUint16(ip[10:], 0)
	s4, d4 := src.As4(), dst.As4()
	copy(ip[12:16], s4[:])
	copy(ip[16:20], d4[:])
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum(ip, 0)))

	udp := frame[20:]
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+n))
	binary.BigEndian.PutUint16(udp[6:], 0)
	// Pseudo-header: source, destination, protocol, UDP length.
	acc := sum(s4[:], 0)
	acc = sum(d4[:], acc)
	acc += ipProtoUDP + uint32(8+n)
	c := ^fold(sum(udp, acc))
	if c == 0 {
		c = 0xffff // 0 means "no checksum" in UDP over IPv4
	}
	binary.BigEndian.PutUint16(udp[6:], c)
}

// sum adds b as big-endian 16-bit words to acc (RFC 1071).
func sum(b []byte, acc uint32) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}
