package meshd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/mesh"
)

// openD2D opens the node-to-node sockets on interface ifname.
func openD2D(ctx context.Context, ifname string) (*d2d, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("mesh interface (-i) %s: %w", ifname, err)
	}
	ll, err := waitLinkLocal(ctx, ifi)
	if err != nil {
		return nil, err
	}
	t := &d2d{ifname: ifname, ifindex: ifi.Index, linkLocal: ll,
		group: netip.AddrPortFrom(groupAddr.WithZone(ifname), mesh.MulticastPort)}
	t.mcast, err = udp6Socket("mesh multicast", ifname, &unix.SockaddrInet6{
		Port: mesh.MulticastPort, ZoneId: uint32(ifi.Index), Addr: groupAddr.As16(),
	}, func(fd int) error {
		mreq := &unix.IPv6Mreq{Multiaddr: groupAddr.As16(), Interface: uint32(ifi.Index)}
		if err := unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq); err != nil {
			return fmt.Errorf("joining %v: %w", groupAddr, err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifi.Index); err != nil {
			return fmt.Errorf("IPV6_MULTICAST_IF: %w", err)
		}
		// Our own datagrams must not come back: the node does not filter
		// its own id and would yield its blocks to itself.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 0); err != nil {
			return fmt.Errorf("IPV6_MULTICAST_LOOP: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 1); err != nil {
			return fmt.Errorf("IPV6_MULTICAST_HOPS: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.ucast, err = udp6Socket("mesh unicast", ifname, &unix.SockaddrInet6{Port: mesh.UnicastPort}, nil)
	if err != nil {
		t.mcast.Close()
		return nil, err
	}
	return t, nil
}

// udp6Socket opens a UDP/IPv6 socket bound to interface ifname and to sa,
// with setup applied before the bind.
func udp6Socket(name, ifname string, sa *unix.SockaddrInet6, setup func(fd int) error) (*net.UDPConn, error) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("%s socket: %w", name, err)
	}
	fail := func(what string, err error) (*net.UDPConn, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s socket: %s: %w", name, what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
		return fail("IPV6_V6ONLY", err)
	}
	if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname); err != nil {
		return fail("SO_BINDTODEVICE "+ifname, err)
	}
	if setup != nil {
		if err := setup(fd); err != nil {
			return fail("options", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail(fmt.Sprintf("bind to port %d", sa.Port), err)
	}
	f := os.NewFile(uintptr(fd), name)
	c, err := net.FilePacketConn(f)
	f.Close() // FilePacketConn made its own copy of the descriptor
	if err != nil {
		return nil, fmt.Errorf("%s socket: %w", name, err)
	}
	return c.(*net.UDPConn), nil
}
