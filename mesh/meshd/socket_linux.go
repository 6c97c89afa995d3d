package meshd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/mesh"
)

// d2d is the node-to-node transport on the -i interface: one socket bound
// to the group [ff02::1234]:1234 that sends and receives UPDATECLAIM and
// INQUIRE, one bound to [::]:1235 for RENEWLEASE, LEASEACK and LEASENAK,
// both bound to the interface (SO_BINDTODEVICE) as ddhcpd's are. The
// kernel sends from the interface's link-local address, which peers take
// as this node's unicast address.
type d2d struct {
	ifname    string
	ifindex   int
	linkLocal netip.Addr
	group     netip.AddrPort
	mcast     *net.UDPConn
	ucast     *net.UDPConn
}

var groupAddr = netip.MustParseAddr(mesh.MulticastGroup)

// linkLocalWait is how long start-up waits for the -i interface to have
// an IPv6 link-local address (it may have just been brought up).
const linkLocalWait = 10 * time.Second

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

// waitLinkLocal returns the interface's IPv6 link-local address, waiting
// a while for one to appear.
func waitLinkLocal(ctx context.Context, ifi *net.Interface) (netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, linkLocalWait)
	defer cancel()
	for {
		addrs, err := ifi.Addrs()
		if err != nil {
			return netip.Addr{}, fmt.Errorf("mesh interface (-i) %s: %w", ifi.Name, err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && ip.IsLinkLocalUnicast() {
					return ip, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return netip.Addr{}, fmt.Errorf("mesh interface (-i) %s has no IPv6 link-local address", ifi.Name)
		case <-time.After(100 * time.Millisecond):
		}
	}
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

// SendMulticast sends b to the group from port 1234.
func (t *d2d) SendMulticast(b []byte) error {
	_, err := t.mcast.WriteToUDPAddrPort(b, t.group)
	return err
}

// SendUnicast sends b to a peer's port 1235 from port 1235.
func (t *d2d) SendUnicast(to netip.Addr, b []byte) error {
	if to.IsLinkLocalUnicast() {
		to = to.WithZone(t.ifname)
	}
	_, err := t.ucast.WriteToUDPAddrPort(b, netip.AddrPortFrom(to, mesh.UnicastPort))
	return err
}

// read reads datagrams from conn and hands them to handle, until conn is
// closed. Datagrams from this node's own address are dropped.
func (t *d2d) read(conn *net.UDPConn, handle func(src netip.Addr, b []byte), onErr func(error)) {
	// One byte more than a real node reads, so that an over-long datagram
	// keeps its true length and fails the length check, as it does there.
	buf := make([]byte, mesh.MaxDatagram+1)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			onErr(err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		src := from.Addr().Unmap().WithZone("")
		if src == t.linkLocal {
			continue
		}
		handle(src, buf[:n])
	}
}

func (t *d2d) close() {
	t.mcast.Close()
	t.ucast.Close()
}
