package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// LinkTransport is the Transport of a real interface. Unbound, it uses a
// raw AF_PACKET socket with a BPF filter, writing and parsing the Ethernet,
// IPv4 and UDP headers itself, since the interface may have no address.
// Bound, it uses a UDP socket on port 68 tied to the interface with
// SO_BINDTODEVICE, sending from the leased address; when that address is
// not configured on the interface (a client without an Action, such as a
// load generator's), it stays on a raw socket with the leased address as
// the IPv4 source.
//
// One LinkTransport may serve many clients with different hardware
// addresses; each raw socket's filter passes only the replies for its own
// chaddr, and the transport learns the hardware address of servers from
// their replies so that raw unicasts reach them. Replies unicast to a
// hardware address that is not the interface's reach the socket on a veth
// or macvlan as they are; a physical NIC has to be put in promiscuous mode
// for them.
type LinkTransport struct {
	ifi  net.Interface
	ipID atomic.Uint32

	mu   sync.Mutex
	macs map[netip.Addr]net.HardwareAddr
}

// NewLinkTransport returns a transport on the named interface.
func NewLinkTransport(name string) (*LinkTransport, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("client: interface %q: %w", name, err)
	}
	return &LinkTransport{ifi: *ifi, macs: make(map[netip.Addr]net.HardwareAddr)}, nil
}

// HardwareAddr returns the interface's hardware address.
func (t *LinkTransport) HardwareAddr() net.HardwareAddr { return t.ifi.HardwareAddr }

// Interface returns the interface as it was when the transport was made.
func (t *LinkTransport) Interface() net.Interface { return t.ifi }

// CheckLink reports an error when the interface is gone or was replaced by
// another of the same name.
func (t *LinkTransport) CheckLink() error {
	ifi, err := net.InterfaceByIndex(t.ifi.Index)
	if err != nil || ifi.Name != t.ifi.Name {
		return fmt.Errorf("client: interface %s (index %d) disappeared", t.ifi.Name, t.ifi.Index)
	}
	return nil
}

// OpenUnbound opens a raw socket that sends from 0.0.0.0.
func (t *LinkTransport) OpenUnbound(hw net.HardwareAddr) (Conn, error) {
	return t.openRaw(hw, netip.IPv4Unspecified())
}

// OpenBound opens a UDP socket when addr is configured on the interface,
// a raw socket sending from addr otherwise.
func (t *LinkTransport) OpenBound(addr netip.Addr, hw net.HardwareAddr) (Conn, error) {
	if t.hasAddr(addr) {
		return t.openUDP(addr)
	}
	return t.openRaw(hw, addr)
}

func (t *LinkTransport) hasAddr(addr netip.Addr) bool {
	ifi, err := net.InterfaceByIndex(t.ifi.Index)
	if err != nil {
		return false
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == addr {
				return true
			}
		}
	}
	return false
}

func (t *LinkTransport) learn(ip netip.Addr, mac net.HardwareAddr) {
	if !ip.IsValid() || ip.IsUnspecified() || len(mac) != 6 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.macs[ip]; !ok || !bytes.Equal(old, mac) {
		t.macs[ip] = bytes.Clone(mac)
	}
}

func (t *LinkTransport) lookup(ip netip.Addr) net.HardwareAddr {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.macs[ip]
}

func (t *LinkTransport) openRaw(hw net.HardwareAddr, src netip.Addr) (Conn, error) {
	if len(hw) != 6 {
		return nil, fmt.Errorf("client: raw socket needs a 6-byte Ethernet address, have %v", hw)
	}
	filter, err := replyFilter(hw)
	if err != nil {
		return nil, fmt.Errorf("client: assembling BPF filter: %w", err)
	}
	c, err := packet.Listen(&t.ifi, packet.Raw, unix.ETH_P_IP, &packet.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("client: packet socket on %s: %w", t.ifi.Name, err)
	}
	return &rawConn{t: t, c: c, hw: bytes.Clone(hw), src: src}, nil
}

type rawConn struct {
	t   *LinkTransport
	c   *packet.Conn
	hw  net.HardwareAddr
	src netip.Addr

	wmu  sync.Mutex
	wbuf []byte
	rbuf []byte
}

func (r *rawConn) Send(msg []byte, dst netip.Addr) error {
	// Unicast goes to the hardware address the server replied from; when
	// that is unknown, to the Ethernet broadcast address, which every host
	// on the link accepts with any IPv4 destination.
	dstMAC := ethBroadcast
	if dst != Broadcast {
		if mac := r.t.lookup(dst); mac != nil {
			dstMAC = mac
		}
	}
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.wbuf = appendFrame(r.wbuf[:0], r.hw, dstMAC, r.src, dst, ClientPort, ServerPort, uint16(r.t.ipID.Add(1)), msg)
	if _, err := r.c.WriteTo(r.wbuf, &packet.Addr{HardwareAddr: dstMAC}); err != nil {
		return fmt.Errorf("raw send on %s: %w", r.t.ifi.Name, err)
	}
	return nil
}

func (r *rawConn) Receive(b []byte) (int, error) {
	if r.rbuf == nil {
		r.rbuf = make([]byte, 65536)
	}
	for {
		n, _, err := r.c.ReadFrom(r.rbuf)
		if errors.Is(err, unix.ENETDOWN) {
			// The interface went down: the kernel reports it once on
			// every packet socket bound to it, and the socket works again
			// when the link returns. Not a reason to stop.
			continue
		}
		if err != nil {
			return 0, err
		}
		f, err := parseFrame(r.rbuf[:n])
		if err != nil || f.dstPort != ClientPort || f.srcPort != ServerPort {
			continue
		}
		r.t.learn(f.src, f.srcMAC)
		return copy(b, f.payload), nil
	}
}

func (r *rawConn) Close() error { return r.c.Close() }

func (t *LinkTransport) openUDP(addr netip.Addr) (Conn, error) {
	var serr error
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		err := rc.Control(func(fd uintptr) {
			s := int(fd)
			if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				return
			}
			if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
				return
			}
			serr = unix.BindToDevice(s, t.ifi.Name)
		})
		return errors.Join(err, serr)
	}}
	// The socket listens on the wildcard address: a server answers a
	// renewal by unicast to the leased address but broadcasts a NAK
	// (RFC 2131 §4.1), and a socket bound to the leased address would not
	// see broadcasts. The source address of what it sends is set per
	// message with IP_PKTINFO.
	pc, err := lc.ListenPacket(context.Background(), "udp4", fmt.Sprintf("0.0.0.0:%d", ClientPort))
	if err != nil {
		return nil, fmt.Errorf("client: UDP socket on %s: %w", t.ifi.Name, err)
	}
	a4 := addr.As4()
	oob := unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: a4})
	return &udpConn{t: t, c: pc.(*net.UDPConn), oob: oob}, nil
}

type udpConn struct {
	t   *LinkTransport
	c   *net.UDPConn
	oob []byte
}

func (u *udpConn) Send(msg []byte, dst netip.Addr) error {
	_, _, err := u.c.WriteMsgUDPAddrPort(msg, u.oob, netip.AddrPortFrom(dst, ServerPort))
	if err != nil {
		return fmt.Errorf("UDP send on %s: %w", u.t.ifi.Name, err)
	}
	return nil
}

func (u *udpConn) Receive(b []byte) (int, error) {
	n, _, err := u.c.ReadFromUDPAddrPort(b)
	return n, err
}

func (u *udpConn) Close() error { return u.c.Close() }
