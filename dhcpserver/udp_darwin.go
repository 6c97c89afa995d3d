package dhcpserver

import (
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// socketOptions sets what macOS needs on a DHCP socket: SO_REUSEPORT, so
// that the wildcard sockets of the servers of several interfaces can
// share the port, the receive options, and, on the wildcard socket of one
// interface, IP_BOUND_IF, which makes it receive and send on that
// interface only.
func socketOptions(fd, ifindex int, wildcard bool) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fmt.Errorf("setsockopt SO_REUSEPORT: %w", err)
	}
	if err := recvOptions(fd); err != nil {
		return err
	}
	if wildcard && ifindex != 0 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BOUND_IF, ifindex); err != nil {
			return fmt.Errorf("setsockopt IP_BOUND_IF %d: %w", ifindex, err)
		}
	}
	return nil
}

// broadcastOn leaves 255.255.255.255 as it is: on macOS the IP_PKTINFO
// control message (see sendControl) picks the interface a broadcast
// leaves through.
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
	pi.Ifindex = uint32(ifindex)
	if src.IsValid() {
		pi.Spec_dst = src.As4()
	}
	return appendCmsg(oob, unix.IPPROTO_IP, unix.IP_PKTINFO, unsafe.Slice((*byte)(unsafe.Pointer(&pi)), unix.SizeofInet4Pktinfo))
}
