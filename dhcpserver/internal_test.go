package dhcpserver

import (
	"encoding/binary"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
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

func TestHtons(t *testing.T) {
	v := htons(0x0800)
	b := (*[2]byte)(unsafe.Pointer(&v))
	if b[0] != 0x08 || b[1] != 0x00 {
		t.Errorf("htons(0x0800) in memory = % x, want 08 00", b[:])
	}
}

// pktinfoOOB returns a control buffer holding one in_pktinfo.
func pktinfoOOB(ifindex int32, spec, addr [4]byte) []byte {
	b := make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
	pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&b[unix.CmsgLen(0)]))
	pi.Ifindex, pi.Spec_dst, pi.Addr = ifindex, spec, addr
	return b
}

func TestParseMeta(t *testing.T) {
	var sa unix.RawSockaddrInet4
	sa.Addr = [4]byte{198, 18, 0, 1}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], 67)
	var j job
	parseMeta(&j, &sa, pktinfoOOB(7, [4]byte{192, 0, 2, 1}, [4]byte{255, 255, 255, 255}))
	if j.req.Src != netip.MustParseAddrPort("198.18.0.1:67") || j.req.IfIndex != 7 ||
		j.req.Local != netip.MustParseAddr("192.0.2.1") || j.req.Dst != netip.MustParseAddr("255.255.255.255") {
		t.Errorf("parseMeta: src %v ifindex %d local %v dst %v", j.req.Src, j.req.IfIndex, j.req.Local, j.req.Dst)
	}
	// Without control data the addresses are cleared, not left over.
	parseMeta(&j, &sa, nil)
	if j.req.IfIndex != 0 || j.req.Local.IsValid() || j.req.Dst.IsValid() {
		t.Errorf("parseMeta(no oob) left ifindex %d local %v dst %v", j.req.IfIndex, j.req.Local, j.req.Dst)
	}
}

// FuzzParseMeta feeds arbitrary control data to the in_pktinfo decoder,
// which must never read out of bounds.
func FuzzParseMeta(f *testing.F) {
	f.Add(pktinfoOOB(3, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 1}))
	f.Add([]byte{})
	f.Add(make([]byte, unix.SizeofCmsghdr))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0})
	f.Fuzz(func(t *testing.T, oob []byte) {
		var j job
		var sa unix.RawSockaddrInet4
		// Copy into an aligned buffer, as the kernel fills one.
		buf := make([]uint64, (len(oob)+7)/8)
		b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf)*8)[:len(oob)]
		copy(b, oob)
		parseMeta(&j, &sa, b)
	})
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

// TestIfNameLookup covers interfaces unknown at Listen: the name comes
// from the kernel through the socket and is cached.
func TestIfNameLookup(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{log: slog.New(slog.DiscardHandler)}
	s.names.Store(&map[int]string{})
	sk := &udpSocket{fd: fd}
	if got := s.ifName(lo.Index, sk); got != "lo" {
		t.Errorf("ifName(%d) = %q, want lo", lo.Index, got)
	}
	if got := (*s.names.Load())[lo.Index]; got != "lo" {
		t.Errorf("not cached: %q", got)
	}
	if got := s.ifName(1<<30, sk); got != "" {
		t.Errorf("ifName(no such index) = %q, want empty", got)
	}
	if _, err := ifName(fd, 1<<30); err == nil {
		t.Error("ifName of a missing index succeeded")
	}
}
