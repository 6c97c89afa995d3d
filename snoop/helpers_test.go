package snoop

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// datagram wraps a DHCP message in IPv4 and UDP headers, as a SOCK_DGRAM
// packet socket reads it.
func datagram(src, dst netip.AddrPort, payload []byte) []byte {
	b := make([]byte, 28, 28+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(28+len(payload)))
	b[8] = 64
	b[9] = protoUDP
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	binary.BigEndian.PutUint16(b[20:], src.Port())
	binary.BigEndian.PutUint16(b[22:], dst.Port())
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	return append(b, payload...)
}

// build runs fn on a Builder started for a message of type mt and
// returns the finished message.
func build(t testing.TB, op dhcpv4.OpCode, mt dhcpv4.MessageType, fn func(b *dhcpv4.Builder)) []byte {
	t.Helper()
	var b dhcpv4.Builder
	b.Begin(make([]byte, 1500), op, mt, 0x1a2b3c4d)
	b.SetMaxSize(1500)
	b.SetCHAddr(1, []byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56})
	if fn != nil {
		fn(&b)
	}
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// message parses payload sent from src to dst as a Sniffer would return
// it, seen on eth0 at a fixed time.
func message(t testing.TB, src, dst string, payload []byte) *Message {
	t.Helper()
	m, err := ParseIPv4(datagram(netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst), payload))
	if err != nil {
		t.Fatal(err)
	}
	m.Time = time.Date(2026, 1, 2, 12, 0, 1, 123456789, time.UTC)
	m.Interface = "eth0"
	return m
}

var (
	ip = netip.MustParseAddr
)

func ip4port(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// parsed is message for a datagram built by hand.
func parsed(t testing.TB, d []byte) *Message {
	t.Helper()
	m, err := ParseIPv4(d)
	if err != nil {
		t.Fatal(err)
	}
	m.Time = time.Date(2026, 1, 2, 12, 0, 1, 123456789, time.UTC)
	m.Interface = "eth0"
	return m
}
