package client

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
)

// Header sizes and constants of the frames a raw socket carries.
const (
	ethHeaderLen  = 14
	ipv4HeaderLen = 20
	udpHeaderLen  = 8
	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806
	protoUDP      = 17
	defaultTTL    = 64
)

var ethBroadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// appendFrame appends an Ethernet frame carrying payload in a UDP datagram
// from src:srcPort to dst:dstPort. The UDP checksum is computed in full:
// a frame written to a packet socket gets no checksum offload.
func appendFrame(b []byte, srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr, srcPort, dstPort uint16, id uint16, payload []byte) []byte {
	b = append(b, dstMAC[:6]...)
	b = append(b, srcMAC[:6]...)
	b = binary.BigEndian.AppendUint16(b, etherTypeIPv4)
	ip := len(b)
	total := ipv4HeaderLen + udpHeaderLen + len(payload)
	s4, d4 := src.As4(), dst.As4()
	b = append(b,
		0x45, 0, // version 4, IHL 5; TOS 0
		byte(total>>8), byte(total),
		byte(id>>8), byte(id),
		0, 0, // flags, fragment offset
		defaultTTL, protoUDP,
		0, 0, // header checksum, below
	)
	b = append(b, s4[:]...)
	b = append(b, d4[:]...)
	binary.BigEndian.PutUint16(b[ip+10:], ^foldSum(sum16(b[ip:ip+ipv4HeaderLen], 0)))
	udp := len(b)
	ulen := udpHeaderLen + len(payload)
	b = binary.BigEndian.AppendUint16(b, srcPort)
	b = binary.BigEndian.AppendUint16(b, dstPort)
	b = binary.BigEndian.AppendUint16(b, uint16(ulen))
	b = append(b, 0, 0)
	b = append(b, payload...)
	// Pseudo header: source, destination, protocol, UDP length.
	var s uint32
	s = sum16(s4[:], s)
	s = sum16(d4[:], s)
	s += protoUDP + uint32(ulen)
	s = sum16(b[udp:], s)
	cs := ^foldSum(s)
	if cs == 0 {
		cs = 0xffff // zero means "no checksum" in UDP over IPv4
	}
	binary.BigEndian.PutUint16(b[udp+6:], cs)
	return b
}

// sum16 adds b as big-endian 16-bit words to s (RFC 1071).
func sum16(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func foldSum(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// udpFrame is a parsed Ethernet/IPv4/UDP frame. Its slices alias the
// frame.
type udpFrame struct {
	srcMAC           net.HardwareAddr
	src, dst         netip.Addr
	srcPort, dstPort uint16
	payload          []byte
}

var (
	errNotIPv4UDP   = errors.New("not an IPv4 UDP frame")
	errBadIPHeader  = errors.New("malformed IPv4 header")
	errIPChecksum   = errors.New("bad IPv4 header checksum")
	errFragment     = errors.New("IPv4 fragment")
	errBadUDPHeader = errors.New("malformed UDP header")
)

// parseFrame reads an Ethernet frame carrying IPv4 and UDP. It checks the
// IPv4 header checksum but not the UDP checksum: a packet socket sees
// frames from local senders before offload fills that checksum in, so it
// can be wrong on frames that are fine on the wire.
func parseFrame(b []byte) (udpFrame, error) {
	var f udpFrame
	if len(b) < ethHeaderLen+ipv4HeaderLen+udpHeaderLen || binary.BigEndian.Uint16(b[12:]) != etherTypeIPv4 {
		return f, errNotIPv4UDP
	}
	f.srcMAC = net.HardwareAddr(b[6:12:12])
	ip := b[ethHeaderLen:]
	if ip[0]>>4 != 4 {
		return f, errNotIPv4UDP
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	// Frames may carry padding after the IP packet, never less than it.
	if ihl < ipv4HeaderLen || total < ihl || total > len(ip) {
		return f, errBadIPHeader
	}
	if foldSum(sum16(ip[:ihl], 0)) != 0xffff {
		return f, errIPChecksum
	}
	if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return f, errFragment
	}
	if ip[9] != protoUDP {
		return f, errNotIPv4UDP
	}
	f.src = netip.AddrFrom4([4]byte(ip[12:16]))
	f.dst = netip.AddrFrom4([4]byte(ip[16:20]))
	udp := ip[ihl:total]
	if len(udp) < udpHeaderLen {
		return f, errBadUDPHeader
	}
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < udpHeaderLen || ulen > len(udp) {
		return f, errBadUDPHeader
	}
	f.srcPort = binary.BigEndian.Uint16(udp[0:])
	f.dstPort = binary.BigEndian.Uint16(udp[2:])
	f.payload = udp[udpHeaderLen:ulen:ulen]
	return f, nil
}
