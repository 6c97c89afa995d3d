package client6

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/dhcpv6"
)

// UDPTransport is the Transport of a real interface: a UDP socket on port
// 546 tied to the interface (SO_BINDTODEVICE), sending to port 547 of
// AllServers on that interface or of a server's unicast address. Open it
// in the network namespace of the interface.
type UDPTransport struct {
	Interface string
}

// Open opens the socket.
func (t *UDPTransport) Open() (Conn, error) {
	lc := net.ListenConfig{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				return
			}
			serr = unix.BindToDevice(int(fd), t.Interface)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp6", fmt.Sprintf("[::]:%d", dhcpv6.ClientPort))
	if err != nil {
		return nil, fmt.Errorf("client6: UDP port %d on %s: %w", dhcpv6.ClientPort, t.Interface, err)
	}
	return &udpConn{c: pc.(*net.UDPConn), ifname: t.Interface}, nil
}

type udpConn struct {
	c      *net.UDPConn
	ifname string
}

func (u *udpConn) Send(msg []byte, dst netip.Addr) error {
	if dst.IsLinkLocalUnicast() || dst.IsLinkLocalMulticast() || dst.IsInterfaceLocalMulticast() {
		dst = dst.WithZone(u.ifname)
	}
	_, err := u.c.WriteToUDPAddrPort(msg, netip.AddrPortFrom(dst, dhcpv6.ServerPort))
	return err
}

func (u *udpConn) Receive(b []byte) (int, error) {
	n, _, err := u.c.ReadFromUDPAddrPort(b)
	return n, err
}

func (u *udpConn) Close() error { return u.c.Close() }
