//go:build darwin || freebsd

package dhcpserver

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// recvOptions asks the system for the interface (IP_RECVIF) and the
// destination address (IP_RECVDSTADDR) of every datagram received on fd.
func recvOptions(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVIF, 1); err != nil {
		return fmt.Errorf("setsockopt IP_RECVIF: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVDSTADDR, 1); err != nil {
		return fmt.Errorf("setsockopt IP_RECVDSTADDR: %w", err)
	}
	return nil
}

// parseControl reads the IP_RECVIF (a struct sockaddr_dl, whose index is
// the 16-bit field after its length and family bytes) and IP_RECVDSTADDR
// (a struct in_addr) control messages of a datagram. These systems do not
// say which address to answer from; the caller works it out.
func parseControl(oob []byte) control {
	var c control
	for {
		h, data, rest, ok := nextCmsg(oob)
		if !ok {
			return c
		}
		oob = rest
		if h.Level != unix.IPPROTO_IP {
			continue
		}
		switch {
		case h.Type == unix.IP_RECVIF && len(data) >= 4:
			c.ifindex = int(binary.NativeEndian.Uint16(data[2:4]))
		case h.Type == unix.IP_RECVDSTADDR && len(data) >= 4:
			c.dst = netip.AddrFrom4([4]byte(data[:4]))
		}
	}
}
