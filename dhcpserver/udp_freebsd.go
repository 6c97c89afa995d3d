package dhcpserver

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// socketOptions sets what FreeBSD needs on a DHCP socket: SO_REUSEPORT, so
// that the wildcard sockets of the servers of several interfaces can
// share the port (each gets every broadcast), the receive options, and
// IP_ONESBCAST (see broadcastOn). FreeBSD cannot bind a socket to an
// interface; a wildcard socket keeps what arrived on its interface by
// itself.
func socketOptions(fd, _ int, _ bool) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fmt.Errorf("setsockopt SO_REUSEPORT: %w", err)
	}
	if err := recvOptions(fd); err != nil {
		return err
	}
	// An int, as for the other boolean IP options: the kernel refuses a
	// shorter value (ip(4)'s example passes a u_char).
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_ONESBCAST, 1); err != nil {
		return fmt.Errorf("setsockopt IP_ONESBCAST: %w", err)
	}
	return nil
}

// broadcastOn returns where to send a broadcast to leave through interface
// ifindex. FreeBSD sends 255.255.255.255 through the first interface that
// can broadcast, whichever socket it is sent on; a datagram sent to an
// interface's subnet broadcast address on a socket with IP_ONESBCAST (as
// every DHCP socket has) leaves through that interface, addressed to
// 255.255.255.255.
func broadcastOn(sk *udpSocket, ifindex int, src netip.Addr, dst netip.AddrPort) netip.AddrPort {
	if b, ok := sk.ifs.directedBroadcast(ifindex, src); ok {
		return netip.AddrPortFrom(b, dst.Port())
	}
	return dst
}

// sendControl appends to oob the IP_SENDSRCADDR control message that
// makes src the source address of a datagram sent through a wildcard
// socket.
func sendControl(oob []byte, sk *udpSocket, _ int, src netip.Addr) []byte {
	if !sk.wildcard || !src.IsValid() {
		return oob
	}
	a := src.As4()
	return appendCmsg(oob, unix.IPPROTO_IP, unix.IP_SENDSRCADDR, a[:])
}
