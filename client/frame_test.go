package client

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

func TestFrameRoundTrip(t *testing.T) {
	payload := bytes.Repeat([]byte{0xab}, 301) // odd length exercises the checksum tail
	src, dst := netip.MustParseAddr("192.0.2.50"), netip.MustParseAddr("192.0.2.1")
	f := appendFrame(nil, testMAC, ethBroadcast, src, dst, 68, 67, 7, payload)
	if len(f) != ethHeaderLen+ipv4HeaderLen+udpHeaderLen+len(payload) {
		t.Fatalf("frame of %d bytes", len(f))
	}
	got, err := parseFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.src != src || got.dst != dst || got.srcPort != 68 || got.dstPort != 67 || !bytes.Equal(got.payload, payload) ||
		!bytes.Equal(got.srcMAC, testMAC) {
		t.Errorf("parsed %+v", got)
	}
	// The UDP checksum verifies over the pseudo header.
	ip := f[ethHeaderLen:]
	var s uint32
	s = sum16(ip[12:20], s)
	s += protoUDP + uint32(binary.BigEndian.Uint16(ip[ipv4HeaderLen+4:]))
	s = sum16(ip[ipv4HeaderLen:], s)
	if foldSum(s) != 0xffff {
		t.Errorf("UDP checksum does not verify: %#x", foldSum(s))
	}
	// Ethernet padding after the IP packet is ignored.
	padded := append(append([]byte(nil), f...), 0, 0, 0, 0)
	if got, err := parseFrame(padded); err != nil || len(got.payload) != len(payload) {
		t.Errorf("padded frame: %v, %d bytes", err, len(got.payload))
	}
}

func TestFrameKnownChecksum(t *testing.T) {
	// A header checked by hand: 192.0.2.1 -> 255.255.255.255, id 0, TTL 64,
	// total length 28 (an empty UDP datagram). The words 4500 001c 0000
	// 0000 4011 c000 0201 ffff ffff sum to 0x3472c, fold to 0x472f, and
	// complement to 0xb8d0.
	f := appendFrame(nil, testMAC, ethBroadcast, netip.MustParseAddr("192.0.2.1"), Broadcast, 67, 68, 0, nil)
	if got := binary.BigEndian.Uint16(f[ethHeaderLen+10:]); got != 0xb8d0 {
		t.Errorf("IPv4 header checksum %#04x, want 0xb8d0", got)
	}
}

func TestParseFrameRejects(t *testing.T) {
	good := appendFrame(nil, testMAC, ethBroadcast, netip.IPv4Unspecified(), Broadcast, 67, 68, 1, []byte("hello"))
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	ip := ethHeaderLen
	cases := map[string][]byte{
		"short":       good[:30],
		"arp":         mut(func(b []byte) []byte { b[12], b[13] = 0x08, 0x06; return b }),
		"ipv6":        mut(func(b []byte) []byte { b[ip] = 0x65; return b }),
		"checksum":    mut(func(b []byte) []byte { b[ip+8]++; return b }),
		"fragment":    mut(func(b []byte) []byte { b[ip+6] = 0x20; fixIPChecksum(b); return b }),
		"tcp":         mut(func(b []byte) []byte { b[ip+9] = 6; fixIPChecksum(b); return b }),
		"total long":  mut(func(b []byte) []byte { b[ip+2] = 0x10; fixIPChecksum(b); return b }),
		"udp len big": mut(func(b []byte) []byte { b[ip+ipv4HeaderLen+4] = 0x10; return b }),
		"udp len 4":   mut(func(b []byte) []byte { b[ip+ipv4HeaderLen+5] = 4; return b }),
		"ihl 4":       mut(func(b []byte) []byte { b[ip] = 0x44; fixIPChecksum(b); return b }),
	}
	for name, f := range cases {
		if _, err := parseFrame(f); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func fixIPChecksum(b []byte) {
	ip := b[ethHeaderLen:]
	ihl := int(ip[0]&0xf) * 4
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:], ^foldSum(sum16(ip[:ihl], 0)))
}

func TestReplyFilter(t *testing.T) {
	prog, err := replyFilter(testMAC)
	if err != nil {
		t.Fatal(err)
	}
	ins := make([]bpf.Instruction, len(prog))
	for i, r := range prog {
		ins[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	dhcp := func(chaddr net.HardwareAddr) []byte {
		m := make([]byte, 300)
		m[0] = 2
		copy(m[28:], chaddr)
		return m
	}
	other := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	server, client := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.50")
	withOptions := appendFrame(nil, other, testMAC, server, client, 67, 68, 1, dhcp(testMAC))
	// Insert 4 bytes of IP options: IHL 6.
	withOptions = append(withOptions[:ethHeaderLen+ipv4HeaderLen], append([]byte{1, 1, 1, 0}, withOptions[ethHeaderLen+ipv4HeaderLen:]...)...)
	withOptions[ethHeaderLen] = 0x46
	withOptions[ethHeaderLen+3] += 4
	fixIPChecksum(withOptions)
	if _, err := parseFrame(withOptions); err != nil {
		t.Fatalf("frame with IP options: %v", err)
	}
	cases := []struct {
		name  string
		frame []byte
		pass  bool
	}{
		{"reply to us", appendFrame(nil, other, testMAC, server, client, 67, 68, 1, dhcp(testMAC)), true},
		{"broadcast reply to us", appendFrame(nil, other, ethBroadcast, server, Broadcast, 67, 68, 1, dhcp(testMAC)), true},
		{"with IP options", withOptions, true},
		{"reply to another client", appendFrame(nil, other, ethBroadcast, server, Broadcast, 67, 68, 1, dhcp(other)), false},
		{"to the server port", appendFrame(nil, testMAC, ethBroadcast, client, Broadcast, 68, 67, 1, dhcp(testMAC)), false},
		{"arp", append(make([]byte, 12), 0x08, 0x06, 0, 0), false},
	}
	for _, c := range cases {
		n, err := vm.Run(c.frame)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (n > 0) != c.pass {
			t.Errorf("%s: filter returned %d, want pass=%v", c.name, n, c.pass)
		}
	}
}

func TestARPFrame(t *testing.T) {
	addr := netip.MustParseAddr("192.0.2.50")
	probe := arpPacket{op: arpRequest, senderHW: testMAC, senderIP: netip.IPv4Unspecified(), targetIP: addr}
	f := appendARPFrame(nil, ethBroadcast, probe)
	got, err := parseARPFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.op != arpRequest || !bytes.Equal(got.senderHW, testMAC) || !got.senderIP.IsUnspecified() || got.targetIP != addr {
		t.Errorf("parsed %+v", got)
	}
	other := net.HardwareAddr{2, 0, 0, 0, 0, 9}
	cases := []struct {
		name string
		a    arpPacket
		want bool
	}{
		{"our own probe", probe, false},
		{"reply from the holder", arpPacket{op: arpReply, senderHW: other, senderIP: addr, targetIP: netip.IPv4Unspecified()}, true},
		{"announcement by the holder", arpPacket{op: arpRequest, senderHW: other, senderIP: addr, targetIP: addr}, true},
		{"another host's probe", arpPacket{op: arpRequest, senderHW: other, senderIP: netip.IPv4Unspecified(), targetIP: addr}, true},
		{"unrelated request", arpPacket{op: arpRequest, senderHW: other, senderIP: netip.MustParseAddr("192.0.2.7"), targetIP: addr}, false},
		{"unrelated reply", arpPacket{op: arpReply, senderHW: other, senderIP: netip.MustParseAddr("192.0.2.7")}, false},
	}
	for _, c := range cases {
		if got := c.a.conflicts(addr, testMAC); got != c.want {
			t.Errorf("%s: conflict %v, want %v", c.name, got, c.want)
		}
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(appendFrame(nil, testMAC, ethBroadcast, netip.IPv4Unspecified(), Broadcast, 67, 68, 1, []byte("hello")))
	f.Add(appendFrame(nil, testMAC, ethBroadcast, netip.IPv4Unspecified(), Broadcast, 67, 68, 1, nil))
	f.Add(appendARPFrame(nil, ethBroadcast, arpPacket{op: 1, senderHW: testMAC, senderIP: netip.IPv4Unspecified(), targetIP: testAddr}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fr, err := parseFrame(b); err == nil {
			if len(fr.payload) > len(b) || !fr.src.Is4() {
				t.Fatalf("bad parse %+v", fr)
			}
			// What parses re-encodes to a frame that parses the same.
			again, err := parseFrame(appendFrame(nil, fr.srcMAC, ethBroadcast, fr.src, fr.dst, fr.srcPort, fr.dstPort, 0, fr.payload))
			if err != nil || !bytes.Equal(again.payload, fr.payload) || again.src != fr.src || again.dst != fr.dst {
				t.Fatalf("re-encoded frame: %v", err)
			}
		}
		if a, err := parseARPFrame(b); err == nil {
			_ = a.conflicts(testAddr, testMAC)
		}
	})
}
