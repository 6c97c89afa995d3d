//go:build dhcpserver_udp

package dhcpserver

import (
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// With the dhcpserver_udp build tag, Linux serves as FreeBSD and macOS do
// (socket_udp.go), so that this path is tested where the tests run. The
// sockets are not bound to devices: a wildcard socket keeps what arrived
// on its interface by itself, as on FreeBSD.

// socketOptions asks for IP_PKTINFO, which says which interface a datagram
// came in on, where it was sent and which address to answer from.
func socketOptions(fd, _ int, _ bool) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1); err != nil {
		return fmt.Errorf("setsockopt IP_PKTINFO: %w", err)
	}
	return nil
}

func parseControl(oob []byte) control {
	var c control
	for {
		h, data, rest, ok := nextCmsg(oob)
		if !ok {
			return c
		}
		oob = rest
		if h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo {
			pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
			c.ifindex = int(pi.Ifindex)
			c.dst = netip.AddrFrom4(pi.Addr)
			c.local = netip.AddrFrom4(pi.Spec_dst)
		}
	}
}
