package dhcpserver

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// rawSocket is a long-lived packet socket (AF_PACKET, SOCK_DGRAM) on one
// Ethernet interface, used to send replies to clients that have no address
// yet. It is bound with protocol 0, so the kernel never queues received
// frames on it: it only sends.
type rawSocket struct {
	conn *packet.Conn
	rc   syscall.RawConn
}

func openRaw(ifi *net.Interface) (*rawSocket, error) {
	c, err := packet.Listen(ifi, packet.Datagram, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("packet socket on %s: %w", ifi.Name, err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("packet socket on %s: %w", ifi.Name, err)
	}
	return &rawSocket{conn: c, rc: rc}, nil
}

// ethernetRaw reports whether a raw reply can be addressed to the client's
// hardware address: an Ethernet request with a 6-byte chaddr.
func ethernetRaw(htype, hlen uint8) bool { return htype == 1 && hlen == 6 }

// ipUDPLen is the size of the IPv4 and UDP headers the server writes in
// front of a raw reply.
const ipUDPLen = 20 + 8

// rawSender is one worker's state for sending through packet sockets: the
// link-layer address and a send function made once, so that sending
// allocates nothing.
type rawSender struct {
	sa    unix.SockaddrLinklayer
	frame []byte
	err   error
	fn    func(fd uintptr) bool
}

func (r *rawSender) init() {
	r.fn = func(fd uintptr) bool {
		r.err = unix.Sendto(int(fd), r.frame, 0, &r.sa)
		return r.err != unix.EAGAIN
	}
}

// send writes frame, an IPv4 packet, to hw on interface ifindex.
func (r *rawSender) send(rs *rawSocket, ifindex int, hw []byte, frame []byte) error {
	r.sa.Protocol = htons(unix.ETH_P_IP)
	r.sa.Ifindex = ifindex
	r.sa.Hatype = 0
	r.sa.Pkttype = 0
	r.sa.Halen = uint8(copy(r.sa.Addr[:], hw))
	r.frame = frame
	r.err = nil
	if err := rs.rc.Write(r.fn); err != nil {
		return err
	}
	r.frame = nil
	return r.err
}

func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

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
	ip[9] = unix.IPPROTO_UDP
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
	acc += unix.IPPROTO_UDP + uint32(8+n)
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
