package dhcpserver

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

func TestChecksumRFC1071(t *testing.T) {
	// The worked example of RFC 1071 §3.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := fold(sum(b, 0)); got != 0xddf2 {
		t.Errorf("sum = %#04x, want 0xddf2", got)
	}
	// Odd length pads with a zero byte.
	if got := fold(sum([]byte{0x01}, 0)); got != 0x0100 {
		t.Errorf("sum(odd) = %#04x, want 0x0100", got)
	}
}

func TestPutIPUDP(t *testing.T) {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.100")
	for _, n := range []int{0, 1, 300, 301, 1472} {
		frame := make([]byte, ipUDPLen+n)
		for i := range n {
			frame[ipUDPLen+i] = byte(i*7 + 3)
		}
		putIPUDP(frame, src, dst, 67, 68)
		ip := frame[:20]
		if ip[0] != 0x45 || ip[9] != 17 || ip[8] == 0 {
			t.Fatalf("n=%d: bad IPv4 header % x", n, ip)
		}
		if got := int(binary.BigEndian.Uint16(ip[2:])); got != ipUDPLen+n {
			t.Errorf("n=%d: total length %d", n, got)
		}
		if [4]byte(ip[12:16]) != src.As4() || [4]byte(ip[16:20]) != dst.As4() {
			t.Errorf("n=%d: addresses % x", n, ip[12:20])
		}
		// A receiver sums the header including the checksum and gets 0xffff.
		if got := fold(sum(ip, 0)); got != 0xffff {
			t.Errorf("n=%d: IPv4 header checksum does not verify (%#04x)", n, got)
		}
		udp := frame[20:]
		if sp, dp, l := binary.BigEndian.Uint16(udp), binary.BigEndian.Uint16(udp[2:]), binary.BigEndian.Uint16(udp[4:]); sp != 67 || dp != 68 || int(l) != 8+n {
			t.Errorf("n=%d: UDP ports %d→%d length %d", n, sp, dp, l)
		}
		s4, d4 := src.As4(), dst.As4()
		acc := sum(s4[:], 0)
		acc = sum(d4[:], acc)
		acc += 17 + uint32(8+n)
		if got := fold(sum(udp, acc)); got != 0xffff {
			t.Errorf("n=%d: UDP checksum does not verify (%#04x)", n, got)
		}
	}
}

func TestClientHash(t *testing.T) {
	// Same client id, different hardware addresses: same shard. Without a
	// client id, the hardware address decides.
	mk := func(hw byte, id []byte) uint32 {
		msg := make([]byte, 300)
		msg[0], msg[1], msg[2] = 1, 1, 6
		msg[28+5] = hw
		binary.BigEndian.PutUint32(msg[236:], 0x63825363)
		o := 240
		if id != nil {
			msg[o], msg[o+1] = 61, byte(len(id))
			o += 2 + copy(msg[o+2:], id)
		}
		msg[o] = 255
		var j job
		if err := j.pkt.Decode(msg); err != nil {
			t.Fatal(err)
		}
		return clientHash(&j.pkt)
	}
	if mk(1, []byte{1, 2, 3}) != mk(2, []byte{1, 2, 3}) {
		t.Error("same client id hashed differently")
	}
	if mk(1, nil) == mk(2, nil) {
		t.Error("different hardware addresses hashed alike")
	}
	if mk(1, nil) != mk(1, nil) {
		t.Error("hash not deterministic")
	}
}
