//go:build !dhcpserver_udp

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
	if _, err := ifName(sk, 1<<30); err == nil {
		t.Error("ifName of a missing index succeeded")
	}
}
