//go:build linux

package testnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListenUDP opens a UDP socket inside the namespace bound to laddr (an
// unspecified address binds all; port 0 picks one), with SO_REUSEADDR and
// SO_BROADCAST set, and bound to interface iface if iface is not empty.
// The socket stays in the namespace; use it from any goroutine and close
// it when done.
func (ns *NS) ListenUDP(laddr netip.AddrPort, iface string) (*net.UDPConn, error) {
	var conn *net.UDPConn
	err := ns.Do(func() error {
		lc := net.ListenConfig{Control: udpControl(iface)}
		pc, err := lc.ListenPacket(context.Background(), "udp4", addrPortOrAny(laddr).String())
		if err != nil {
			return err
		}
		conn = pc.(*net.UDPConn)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netns %s: listen udp %v (iface %q): %w", ns.name, laddr, iface, err)
	}
	return conn, nil
}

// SendUDP sends payload as one datagram to dst from a UDP socket opened
// inside the namespace. If src is valid the socket is bound to it first
// (SO_REUSEADDR is set, so the port may be shared with another socket that
// also set it); otherwise the kernel picks the source. Broadcast
// destinations are allowed.
func (ns *NS) SendUDP(src, dst netip.AddrPort, payload []byte) error {
	conn, err := ns.ListenUDP(src, "")
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.WriteToUDPAddrPort(payload, dst); err != nil {
		return fmt.Errorf("netns %s: send %d bytes to %v: %w", ns.name, len(payload), dst, err)
	}
	return nil
}

// SendBroadcastUDP sends payload to 255.255.255.255:dstPort out of iface,
// from UDP port srcPort (0 picks one), as a DHCP client does before it has
// an address. The IP source is whatever the kernel picks for iface
// (0.0.0.0 if it has no address); use SendRawUDP to choose it.
func (ns *NS) SendBroadcastUDP(iface string, srcPort, dstPort uint16, payload []byte) error {
	conn, err := ns.ListenUDP(netip.AddrPortFrom(netip.IPv4Unspecified(), srcPort), iface)
	if err != nil {
		return err
	}
	defer conn.Close()
	dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), dstPort)
	if _, err := conn.WriteToUDPAddrPort(payload, dst); err != nil {
		return fmt.Errorf("netns %s: broadcast %d bytes on %s to %v: %w", ns.name, len(payload), iface, dst, err)
	}
	return nil
}

// SendRawUDP builds an IPv4/UDP packet with exactly the given source and
// destination (0.0.0.0:68 to 255.255.255.255:67, say, like a DHCP client
// without an address) and sends it out of iface to the Ethernet address
// dstMAC (broadcast if nil) through a packet socket, bypassing the
// kernel's routing and source checks. The checksums are correct.
func (ns *NS) SendRawUDP(iface string, dstMAC net.HardwareAddr, src, dst netip.AddrPort, payload []byte) error {
	pkt, err := BuildIPv4UDP(src, dst, payload)
	if err != nil {
		return fmt.Errorf("netns %s: %w", ns.name, err)
	}
	if dstMAC == nil {
		dstMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	if len(dstMAC) != 6 {
		return fmt.Errorf("netns %s: destination MAC %v: want 6 bytes", ns.name, dstMAC)
	}
	err = ns.Do(func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index, Halen: 6}
		copy(sa.Addr[:], dstMAC)
		if err := unix.Sendto(fd, pkt, 0, sa); err != nil {
			return fmt.Errorf("sendto: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("netns %s: raw send on %s %v -> %v: %w", ns.name, iface, src, dst, err)
	}
	return nil
}

// BuildIPv4UDP returns an IPv4 header (TTL 64, no options, DF clear), a
// UDP header and payload, with both checksums computed.
func BuildIPv4UDP(src, dst netip.AddrPort, payload []byte) ([]byte, error) {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return nil, fmt.Errorf("build packet %v -> %v: addresses must be IPv4", src, dst)
	}
	const ipHdr, udpHdr = 20, 8
	total := ipHdr + udpHdr + len(payload)
	if total > 0xffff {
		return nil, fmt.Errorf("build packet: payload of %d bytes is too large for IPv4", len(payload))
	}
	b := make([]byte, total)
	b[0] = 0x45 // version 4, header length 5 words
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	b[8] = 64 // TTL
	b[9] = syscall.IPPROTO_UDP
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	binary.BigEndian.PutUint16(b[10:], checksum(b[:ipHdr], 0))

	u := b[ipHdr:]
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(udpHdr+len(payload)))
	copy(u[udpHdr:], payload)
	// Pseudo-header: source, destination, protocol, UDP length.
	var sum uint32
	for i := 12; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	sum += syscall.IPPROTO_UDP + uint32(udpHdr+len(payload))
	c := checksum(u, sum)
	if c == 0 {
		c = 0xffff // 0 means "no checksum" in UDP over IPv4
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return b, nil
}

// checksum is the Internet checksum (RFC 1071) of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func addrPortOrAny(ap netip.AddrPort) netip.AddrPort {
	if !ap.Addr().IsValid() {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port())
	}
	return ap
}

// udpControl sets SO_REUSEADDR, SO_BROADCAST and, if iface is set,
// SO_BINDTODEVICE on a socket before it is bound.
func udpControl(iface string) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				return
			}
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
				return
			}
			if iface != "" {
				serr = unix.BindToDevice(int(fd), iface)
			}
		})
		return errors.Join(err, serr)
	}
}
