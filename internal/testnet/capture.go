//go:build linux

package testnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Packet is one UDP packet, over IPv4 or IPv6, seen by a Capture.
type Packet struct {
	Time     time.Time // the kernel's receive (or transmit) time
	SrcMAC   net.HardwareAddr
	DstMAC   net.HardwareAddr
	Src, Dst netip.AddrPort // IPv4 or IPv6 addresses
	Outgoing bool           // sent by this namespace (rather than received)
	Payload  []byte         // the UDP payload
}

// Capture records the UDP packets to or from some ports on one interface,
// in both directions, like tcpdump would, with the kernel's timestamps:
// they tell sub-millisecond latencies apart where the time a reader gets
// round to a packet does not. Stop it with Close (the test's cleanup also
// does).
type Capture struct {
	fd    int
	ports []uint16
	done  chan struct{}
	stop  chan struct{}
	once  sync.Once

	mu   sync.Mutex
	pkts []Packet
	err  error
}

// CaptureUDP starts capturing, on iface in ns, the UDP packets over IPv4
// or IPv6 (without extension headers) whose source or destination port is
// one of ports (all UDP if none).
func (ns *NS) CaptureUDP(t testing.TB, iface string, ports ...uint16) *Capture {
	t.Helper()
	c := &Capture{ports: ports, done: make(chan struct{}), stop: make(chan struct{})}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return fmt.Errorf("bind packet socket to %s: %w", iface, err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			unix.Close(fd)
			return fmt.Errorf("SO_TIMESTAMPNS: %w", err)
		}
		tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			unix.Close(fd)
			return fmt.Errorf("SO_RCVTIMEO: %w", err)
		}
		c.fd = fd
		return nil
	})
	if err != nil {
		t.Fatalf("netns %s: capture on %s: %v", ns.name, iface, err)
	}
	go c.loop()
	t.Cleanup(c.Close)
	return c
}

func (c *Capture) loop() {
	defer close(c.done)
	buf := make([]byte, 65536)
	oob := make([]byte, 128)
	// Once stopped, the loop still reads what the kernel already holds
	// (without waiting, and a bounded number of frames, since traffic
	// may go on), so that a capture closed right after an exchange has
	// all of it.
	stopping, drained := false, 0
	for {
		if !stopping {
			select {
			case <-c.stop:
				stopping = true
			default:
			}
		}
		flags := 0
		if stopping {
			if drained++; drained > 4096 {
				return
			}
			flags = unix.MSG_DONTWAIT
		}
		n, oobn, _, from, err := unix.Recvmsg(c.fd, buf, oob, flags)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			if stopping && errors.Is(err, unix.EAGAIN) {
				return
			}
			continue
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		p, ok := parseFrame(buf[:n], c.ports)
		if !ok {
			continue
		}
		p.Time = kernelTime(oob[:oobn])
		if ll, isLL := from.(*unix.SockaddrLinklayer); isLL {
			p.Outgoing = ll.Pkttype == unix.PACKET_OUTGOING
		}
		c.mu.Lock()
		c.pkts = append(c.pkts, p)
		c.mu.Unlock()
	}
}

// kernelTime reads the time the kernel received or sent a frame from
// its SO_TIMESTAMPNS control message; without one it is now.
//
// snoop has the same function for its Sniffer, which cannot serve a
// Capture (it reads only DHCPv4, through a filter, without the Ethernet
// header). It is not imported from there: snoop's own tests import this
// package, and an import back would be a cycle.
func kernelTime(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Now()
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:]))
			return time.Unix(sec, nsec)
		}
	}
	return time.Now()
}

// parseFrame decodes an Ethernet frame carrying UDP over IPv4 (not a
// later fragment) or over IPv6 (without extension headers). The payload
// ends where the IP header's length says, not at the frame's padding.
func parseFrame(b []byte, ports []uint16) (Packet, bool) {
	if len(b) < 14 {
		return Packet{}, false
	}
	var src, dst netip.Addr
	var udp []byte
	switch ip := b[14:]; binary.BigEndian.Uint16(b[12:]) {
	case unix.ETH_P_IP:
		if len(ip) < 20+8 {
			return Packet{}, false
		}
		ihl := int(ip[0]&0x0f) * 4
		if ip[0]>>4 != 4 || ihl < 20 || len(ip) < ihl+8 || ip[9] != unix.IPPROTO_UDP {
			return Packet{}, false
		}
		if frag := binary.BigEndian.Uint16(ip[6:]) & 0x1fff; frag != 0 {
			return Packet{}, false
		}
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if total < ihl+8 || total > len(ip) {
			total = len(ip)
		}
		udp = ip[ihl:total]
		src = netip.AddrFrom4([4]byte(ip[12:16]))
		dst = netip.AddrFrom4([4]byte(ip[16:20]))
	case unix.ETH_P_IPV6:
		if len(ip) < 40+8 || ip[0]>>4 != 6 || ip[6] != unix.IPPROTO_UDP {
			return Packet{}, false
		}
		total := 40 + int(binary.BigEndian.Uint16(ip[4:]))
		if total < 40+8 || total > len(ip) {
			total = len(ip)
		}
		udp = ip[40:total]
		src = netip.AddrFrom16([16]byte(ip[8:24]))
		dst = netip.AddrFrom16([16]byte(ip[24:40]))
	default:
		return Packet{}, false
	}
	sport, dport := binary.BigEndian.Uint16(udp[0:]), binary.BigEndian.Uint16(udp[2:])
	if len(ports) > 0 && !slices.Contains(ports, sport) && !slices.Contains(ports, dport) {
		return Packet{}, false
	}
	return Packet{
		DstMAC:  net.HardwareAddr(slices.Clone(b[0:6])),
		SrcMAC:  net.HardwareAddr(slices.Clone(b[6:12])),
		Src:     netip.AddrPortFrom(src, sport),
		Dst:     netip.AddrPortFrom(dst, dport),
		Payload: slices.Clone(udp[8:]),
	}, true
}

// Packets returns the packets captured so far, in order.
func (c *Capture) Packets() []Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.pkts)
}

// Err returns the error that stopped the capture early, if any.
func (c *Capture) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close stops the capture after reading the frames the kernel has
// already queued for it. The packets stay readable.
func (c *Capture) Close() {
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		unix.Close(c.fd)
	})
}
