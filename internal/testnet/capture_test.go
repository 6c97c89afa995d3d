//go:build linux

package testnet

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

var (
	testDstMAC = []byte{0x02, 0, 0, 0, 0, 0x0d}
	testSrcMAC = []byte{0x02, 0, 0, 0, 0, 0x05}
)

// ether puts an Ethernet header of type typ before payload.
func ether(typ uint16, payload []byte) []byte {
	b := append(append([]byte(nil), testDstMAC...), testSrcMAC...)
	b = binary.BigEndian.AppendUint16(b, typ)
	return append(b, payload...)
}

// ipv6UDP is an IPv6 header (next header nh) and a UDP header before
// payload.
func ipv6UDP(src, dst netip.AddrPort, nh byte, payload []byte) []byte {
	b := make([]byte, 48, 48+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	b[6], b[7] = nh, 64
	s, d := src.Addr().As16(), dst.Addr().As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
	binary.BigEndian.PutUint16(b[40:], src.Port())
	binary.BigEndian.PutUint16(b[42:], dst.Port())
	binary.BigEndian.PutUint16(b[44:], uint16(8+len(payload)))
	return append(b, payload...)
}

func TestParseFrame(t *testing.T) {
	c4 := netip.MustParseAddrPort("192.0.2.10:68")
	s4 := netip.MustParseAddrPort("192.0.2.1:67")
	c6 := netip.MustParseAddrPort("[fe80::1]:1234")
	s6 := netip.MustParseAddrPort("[ff02::1]:1234")
	v4, err := BuildIPv4UDP(c4, s4, []byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	fragment := bytes.Clone(v4)
	binary.BigEndian.PutUint16(fragment[6:], 185) // offset 1480 bytes
	tcp := bytes.Clone(v4)
	tcp[9] = 6
	v6 := ipv6UDP(c6, s6, 17, []byte("mesh"))

	tests := []struct {
		name     string
		frame    []byte
		ports    []uint16
		ok       bool
		src, dst netip.AddrPort
		payload  string
	}{
		{"ipv4", ether(0x0800, v4), nil, true, c4, s4, "abc"},
		{"ipv4 padded to 60 bytes", ether(0x0800, append(bytes.Clone(v4), make([]byte, 15)...)), nil, true, c4, s4, "abc"},
		{"ipv4 port listed", ether(0x0800, v4), []uint16{67}, true, c4, s4, "abc"},
		{"ipv4 port not listed", ether(0x0800, v4), []uint16{53}, false, netip.AddrPort{}, netip.AddrPort{}, ""},
		{"ipv4 later fragment", ether(0x0800, fragment), nil, false, netip.AddrPort{}, netip.AddrPort{}, ""},
		{"ipv4 tcp", ether(0x0800, tcp), nil, false, netip.AddrPort{}, netip.AddrPort{}, ""},
		{"ipv4 cut short", ether(0x0800, v4[:27]), nil, false, netip.AddrPort{}, netip.AddrPort{}, ""},
		{"ipv6", ether(0x86dd, v6), nil, true, c6, s6, "mesh"},
		{"ipv6 port listed", ether(0x86dd, v6), []uint16{1234}, true, c6, s6, "mesh"},
		{"ipv6 extension header", ether(0x86dd, ipv6UDP(c6, s6, 0, []byte("mesh"))), nil, false, netip.AddrPort{}, netip.AddrPort{}, ""},
		{"ipv6 cut short", ether(0x86dd, v6[:47]), nil, false, netip.AddrPort{}, netip.AddrPort{}, ""},
		{"arp", ether(0x0806, make([]byte, 28)), nil, false, netip.AddrPort{}, netip.AddrPort{}, ""},
		{"no ethernet header", testDstMAC, nil, false, netip.AddrPort{}, netip.AddrPort{}, ""},
	}
	for _, tt := range tests {
		p, ok := parseFrame(tt.frame, tt.ports)
		if ok != tt.ok {
			t.Errorf("%s: ok %v, want %v", tt.name, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.Src != tt.src || p.Dst != tt.dst || string(p.Payload) != tt.payload {
			t.Errorf("%s: %v -> %v %q, want %v -> %v %q", tt.name, p.Src, p.Dst, p.Payload, tt.src, tt.dst, tt.payload)
		}
		if !bytes.Equal(p.DstMAC, testDstMAC) || !bytes.Equal(p.SrcMAC, testSrcMAC) {
			t.Errorf("%s: MACs %v -> %v", tt.name, p.SrcMAC, p.DstMAC)
		}
	}
}

func FuzzParseFrame(f *testing.F) {
	v4, err := BuildIPv4UDP(netip.MustParseAddrPort("192.0.2.10:68"), netip.MustParseAddrPort("192.0.2.1:67"), []byte("abc"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ether(0x0800, v4))
	f.Add(ether(0x86dd, ipv6UDP(netip.MustParseAddrPort("[fe80::1]:1"), netip.MustParseAddrPort("[ff02::1]:2"), 17, []byte("x"))))
	f.Add(ether(0x0800, []byte{0x4f}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := parseFrame(b, nil)
		if !ok {
			return
		}
		if len(p.Payload) > len(b)-14-20-8 {
			t.Fatalf("payload of %d bytes from a frame of %d", len(p.Payload), len(b))
		}
		if !p.Src.Addr().IsValid() || p.Src.Addr().Is4() != p.Dst.Addr().Is4() {
			t.Fatalf("addresses %v -> %v", p.Src, p.Dst)
		}
	})
}
