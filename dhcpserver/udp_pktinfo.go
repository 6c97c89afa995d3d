//go:build darwin || (linux && dhcpserver_udp)

package dhcpserver

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux and macOS both take an IP_PKTINFO control message on a send,
// which picks the interface and the source address of a datagram; only
// the type of its interface index differs (int32 on Linux, uint32 on
// macOS). FreeBSD has none (udp_freebsd.go).

// broadcastOn leaves 255.255.255.255 as it is: IP_PKTINFO (see
// sendControl) picks the interface a broadcast leaves through.
func broadcastOn(_ *udpSocket, _ int, _ netip.Addr, dst netip.AddrPort) netip.AddrPort {
	return dst
}

// sendControl appends to oob an IP_PKTINFO control message that sends the
// datagram through interface ifindex (when not 0) from src (when valid).
func sendControl(oob []byte, _ *udpSocket, ifindex int, src netip.Addr) []byte {
	if ifindex == 0 && !src.IsValid() {
		return oob
	}
	var pi unix.Inet4Pktinfo
	setIndex(&pi.Ifindex, ifindex)
	if src.IsValid() {
		pi.Spec_dst = src.As4()
	}
	return appendCmsg(oob, unix.IPPROTO_IP, unix.IP_PKTINFO, unsafe.Slice((*byte)(unsafe.Pointer(&pi)), unix.SizeofInet4Pktinfo))
}

// setIndex stores an interface index in a field of either system's type.
func setIndex[T int32 | uint32](field *T, ifindex int) { *field = T(ifindex) }
