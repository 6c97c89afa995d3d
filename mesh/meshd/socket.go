package meshd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

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
