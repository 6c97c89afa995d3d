package dhcpserver

import (
	"fmt"

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
