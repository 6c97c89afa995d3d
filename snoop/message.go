package snoop

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// The UDP ports of DHCPv4 (RFC 2131 §4.1).
const (
	ServerPort = 67
	ClientPort = 68
)

// Message is one DHCPv4 message seen on an interface.
type Message struct {
	// Time is when the kernel received or sent the frame.
	Time time.Time
	// Interface is the name of the interface it was seen on.
	Interface string
	// Outgoing is true for a message this host sent, false for one it
	// received (or, in promiscuous mode, saw pass by).
	Outgoing bool
	// SrcMAC is the link-layer source address, when the link has one.
	SrcMAC net.HardwareAddr
	// Src and Dst are the IPv4 addresses and UDP ports.
	Src, Dst netip.AddrPort
	// Payload is the UDP payload: the DHCP message's bytes. The Message
	// owns them.
	Payload []byte
	// Packet is Payload decoded, or nil when Err says why it is not a
	// DHCPv4 message.
	Packet *dhcpv4.Packet
	// Err is why Payload could not be decoded: a truncated datagram, or
	// the error of dhcpv4.Packet.Decode.
	Err error
}

// ErrNotDHCP is returned by ParseIPv4 for a datagram that is not IPv4 UDP
// from or to port 67 or 68.
var ErrNotDHCP = errors.New("snoop: not an IPv4 UDP datagram from or to port 67 or 68")

// ParseIPv4 reads an IPv4 datagram, from the first byte of its IP header,
// carrying UDP from or to port 67 or 68, and returns it as a Message with
// Src, Dst, Payload and Packet (or Err) set; the caller fills in Time,
// Interface, Outgoing and SrcMAC. Bytes after the IP header's total
// length (a link's padding) are ignored. The Message does not alias b.
//
// It returns ErrNotDHCP, wrapped, for anything else: another protocol or
// port, or a datagram too short to hold its headers. A UDP datagram whose
// payload is cut short (the first fragment of a fragmented one, a lying
// length field) comes back as a Message whose Err says so.
func ParseIPv4(b []byte) (*Message, error) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, fmt.Errorf("%w: %d bytes, no IPv4 header", ErrNotDHCP, len(b))
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+8 {
		return nil, fmt.Errorf("%w: IPv4 header length %d in %d bytes", ErrNotDHCP, ihl, len(b))
	}
	if b[9] != protoUDP {
		return nil, fmt.Errorf("%w: IP protocol %d", ErrNotDHCP, b[9])
	}
	frag := binary.BigEndian.Uint16(b[6:])
	if frag&0x1fff != 0 {
		return nil, fmt.Errorf("%w: a later IPv4 fragment", ErrNotDHCP)
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total > len(b) || total < ihl+8 {
		total = len(b)
	}
	udp := b[ihl:total]
	sport, dport := binary.BigEndian.Uint16(udp[0:]), binary.BigEndian.Uint16(udp[2:])
	if !isDHCPPort(sport) && !isDHCPPort(dport) {
		return nil, fmt.Errorf("%w: UDP ports %d > %d", ErrNotDHCP, sport, dport)
	}
	m := &Message{
		Src: netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), sport),
		Dst: netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[16:20])), dport),
	}
	payload := udp[8:]
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	switch {
	case frag&0x2000 != 0:
		m.Err = fmt.Errorf("first IPv4 fragment: %d of the UDP datagram's %d bytes", len(udp), ulen)
	case ulen < 8:
		m.Err = fmt.Errorf("UDP length %d is shorter than the UDP header", ulen)
	case ulen > len(udp):
		m.Err = fmt.Errorf("UDP length %d, but only %d bytes arrived", ulen, len(udp))
	default:
		payload = udp[8:ulen]
	}
	m.Payload = append([]byte(nil), payload...)
	if m.Err == nil {
		var p dhcpv4.Packet
		if err := p.Decode(m.Payload); err != nil {
			m.Err = err
		} else {
			m.Packet = &p
		}
	}
	return m, nil
}

func isDHCPPort(p uint16) bool { return p == ServerPort || p == ClientPort }

const protoUDP = 17
