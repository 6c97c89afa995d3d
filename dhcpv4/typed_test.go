package dhcpv4

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func buildAck(t *testing.T) []byte {
	t.Helper()
	var b Builder
	b.Begin(make([]byte, 1500), BootReply, Ack, 0x1234)
	b.AddIP(OptionSubnetMask, netip.MustParseAddr("255.255.255.0"))
	b.AddIPs(OptionRouter, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"))
	b.AddIPs(OptionDomainNameServer, netip.MustParseAddr("192.0.2.53"))
	b.AddUint16(OptionInterfaceMTU, 1400)
	b.AddUint32(OptionLeaseTime, 3600)
	b.AddUint8(OptionOverload+100, 7)                    // code 152: an arbitrary one-byte option
	b.AddOption(OptionBroadcastAddress, []byte{1, 2, 3}) // malformed on purpose
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestTypedGetters(t *testing.T) {
	p, err := Parse(buildAck(t))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := p.SubnetMask(); !ok || m != netip.MustParseAddr("255.255.255.0") {
		t.Errorf("SubnetMask = %v, %v", m, ok)
	}
	rs, ok := p.Routers(nil)
	if want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}; !ok || !slices.Equal(rs, want) {
		t.Errorf("Routers = %v, %v; want %v", rs, ok, want)
	}
	ds, ok := p.DNSServers(rs[:0])
	if !ok || len(ds) != 1 || ds[0] != netip.MustParseAddr("192.0.2.53") {
		t.Errorf("DNSServers = %v, %v", ds, ok)
	}
	if v, ok := p.OptionUint16(OptionInterfaceMTU); !ok || v != 1400 {
		t.Errorf("OptionUint16(26) = %d, %v", v, ok)
	}
	if v, ok := p.OptionUint32(OptionLeaseTime); !ok || v != 3600 {
		t.Errorf("OptionUint32(51) = %d, %v", v, ok)
	}
	if v, ok := p.OptionUint8(152); !ok || v != 7 {
		t.Errorf("OptionUint8(152) = %d, %v", v, ok)
	}
	// Wrong lengths and absent options read as absent, never half.
	if _, ok := p.OptionIP(OptionBroadcastAddress); ok {
		t.Error("OptionIP read a 3-byte value")
	}
	if _, ok := p.OptionIPs(OptionBroadcastAddress, nil); ok {
		t.Error("OptionIPs read a 3-byte value")
	}
	if _, ok := p.OptionUint16(OptionLeaseTime); ok {
		t.Error("OptionUint16 read a 4-byte value")
	}
	if _, ok := p.OptionUint32(OptionRenewalTime); ok {
		t.Error("OptionUint32 read an absent option")
	}
}

func TestTypedGettersAllocateNothing(t *testing.T) {
	p, err := Parse(buildAck(t))
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]netip.Addr, 0, 8)
	n := testing.AllocsPerRun(100, func() {
		dst, _ = p.Routers(dst[:0])
		_, _ = p.SubnetMask()
		_, _ = p.OptionUint16(OptionInterfaceMTU)
	})
	if n != 0 {
		t.Errorf("typed getters allocate %.0f times per call", n)
	}
}

func TestClone(t *testing.T) {
	buf := buildAck(t)
	p, err := Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Clone()
	clear(buf) // the original's buffer reused
	if q.MessageType() != Ack || q.XID() != 0x1234 {
		t.Fatalf("clone: message type %v xid %#x, want ACK 0x1234", q.MessageType(), q.XID())
	}
	if v, ok := q.LeaseTime(); !ok || v != 3600 {
		t.Errorf("clone: lease time %d, %v", v, ok)
	}
	if p.MessageType() == Ack {
		t.Error("the original still reads ACK from a cleared buffer: Clone's test proves nothing")
	}
	if z := new(Packet).Clone(); z.Len() != 0 {
		t.Errorf("Clone of the zero Packet has %d bytes", z.Len())
	}
}

func TestAddIPNotIPv4(t *testing.T) {
	var b Builder
	b.Begin(make([]byte, 600), BootReply, Offer, 1)
	b.AddIP(OptionServerID, netip.MustParseAddr("::ffff:192.0.2.9")) // 4-in-6: accepted
	b.AddIP(OptionRouter, netip.MustParseAddr("2001:db8::1"))
	if _, err := b.Finish(); !errors.Is(err, ErrNotIPv4) {
		t.Fatalf("AddIP(IPv6): Finish error %v, want ErrNotIPv4", err)
	}
	b.Begin(make([]byte, 600), BootReply, Offer, 1)
	b.AddIPs(OptionRouter, netip.MustParseAddr("192.0.2.1"), netip.Addr{})
	if _, err := b.Finish(); !errors.Is(err, ErrNotIPv4) {
		t.Fatalf("AddIPs(zero Addr): Finish error %v, want ErrNotIPv4", err)
	}
	b.Begin(make([]byte, 600), BootReply, Offer, 1)
	b.AddIP(OptionServerID, netip.MustParseAddr("::ffff:192.0.2.9"))
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Parse(msg)
	if a, ok := p.ServerID(); !ok || a != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("server id %v, %v; want 192.0.2.9", a, ok)
	}
}
