package e2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/internal/testnet"
)

// tsCapture records the UDP packets (IPv4 and IPv6) on one interface with
// the kernel's timestamps, which tell sub-millisecond latencies apart
// where the time a reader goroutine gets round to a packet does not.
type tsCapture struct {
	fd   int
	stop chan struct{}
	done chan struct{}

	mu   sync.Mutex
	pkts []tsPacket
	err  error
}

type tsPacket struct {
	at       time.Time // kernel receive (or transmit) time
	out      bool      // sent by the namespace
	v6       bool
	src, dst uint16 // UDP ports
	payload  []byte
}

func captureTS(t *testing.T, ns *testnet.NS, iface string) *tsCapture {
	t.Helper()
	c := &tsCapture{stop: make(chan struct{}), done: make(chan struct{})}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		proto := int(uint16(unix.ETH_P_ALL)<<8 | uint16(unix.ETH_P_ALL)>>8)
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			unix.Close(fd)
			return err
		}
		tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			unix.Close(fd)
			return err
		}
		c.fd = fd
		return nil
	})
	if err != nil {
		t.Fatalf("capture on %s in %s: %v", iface, ns, err)
	}
	go c.loop()
	t.Cleanup(c.close)
	return c
}

func (c *tsCapture) loop() {
	defer close(c.done)
	buf := make([]byte, 65536)
	oob := make([]byte, 128)
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, oobn, _, from, err := unix.Recvmsg(c.fd, buf, oob, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		p, ok := parseUDPFrame(buf[:n])
		if !ok {
			continue
		}
		p.at = time.Now()
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range msgs {
				if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
					sec := int64(binary.NativeEndian.Uint64(m.Data[0:]))
					nsec := int64(binary.NativeEndian.Uint64(m.Data[8:]))
					p.at = time.Unix(sec, nsec)
				}
			}
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			p.out = ll.Pkttype == unix.PACKET_OUTGOING
		}
		c.mu.Lock()
		c.pkts = append(c.pkts, p)
		c.mu.Unlock()
	}
}

func (c *tsCapture) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
		<-c.done
		unix.Close(c.fd)
	}
}

// packets stops the capture and returns what it recorded.
func (c *tsCapture) packets() ([]tsPacket, error) {
	c.close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, fmt.Errorf("capture: %w", c.err)
	}
	return c.pkts, nil
}

// parseUDPFrame reads an Ethernet frame carrying UDP over IPv4 or over
// IPv6 (without extension headers).
func parseUDPFrame(b []byte) (tsPacket, bool) {
	if len(b) < 14 {
		return tsPacket{}, false
	}
	var udp []byte
	var v6 bool
	switch binary.BigEndian.Uint16(b[12:]) {
	case unix.ETH_P_IP:
		ip := b[14:]
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != unix.IPPROTO_UDP {
			return tsPacket{}, false
		}
		ihl := int(ip[0]&0x0f) * 4
		if ihl < 20 || len(ip) < ihl+8 {
			return tsPacket{}, false
		}
		udp = ip[ihl:]
	case unix.ETH_P_IPV6:
		ip := b[14:]
		if len(ip) < 48 || ip[0]>>4 != 6 || ip[6] != unix.IPPROTO_UDP {
			return tsPacket{}, false
		}
		udp, v6 = ip[40:], true
	default:
		return tsPacket{}, false
	}
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < 8 || ulen > len(udp) {
		return tsPacket{}, false
	}
	return tsPacket{
		v6: v6, src: binary.BigEndian.Uint16(udp[0:]), dst: binary.BigEndian.Uint16(udp[2:]),
		payload: append([]byte(nil), udp[8:ulen]...),
	}, true
}
