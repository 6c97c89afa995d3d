//go:build !dhcpserver_udp

package dhcpserver

import (
	"encoding/binary"
	"fmt"
	"net"
	"syscall"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// rawSocket is a long-lived packet socket (AF_PACKET, SOCK_DGRAM) on one
// Ethernet interface, used to send replies to clients that have no address
// yet. It is bound with protocol 0, so the kernel never queues received
// frames on it: it only sends.
type rawSocket struct {
	conn *packet.Conn
	rc   syscall.RawConn
}

func openRaw(ifi *net.Interface) (*rawSocket, error) {
	c, err := packet.Listen(ifi, packet.Datagram, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("packet socket on %s: %w", ifi.Name, err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("packet socket on %s: %w", ifi.Name, err)
	}
	return &rawSocket{conn: c, rc: rc}, nil
}

// rawSender is one worker's state for sending through packet sockets: the
// link-layer address and a send function made once, so that sending
// allocates nothing.
type rawSender struct {
	sa    unix.SockaddrLinklayer
	frame []byte
	err   error
	fn    func(fd uintptr) bool
}

func (r *rawSender) init() {
	r.fn = func(fd uintptr) bool {
		r.err = unix.Sendto(int(fd), r.frame, 0, &r.sa)
		return r.err != unix.EAGAIN
	}
}

// send writes frame, an IPv4 packet, to hw on interface ifindex.
func (r *rawSender) send(rs *rawSocket, ifindex int, hw []byte, frame []byte) error {
	r.sa.Protocol = htons(unix.ETH_P_IP)
	r.sa.Ifindex = ifindex
	r.sa.Hatype = 0
	r.sa.Pkttype = 0
	r.sa.Halen = uint8(copy(r.sa.Addr[:], hw))
	r.frame = frame
	r.err = nil
	if err := rs.rc.Write(r.fn); err != nil {
		return err
	}
	r.frame = nil
	return r.err
}

func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

func (rs *rawSocket) close() { rs.conn.Close() }

// openRaws opens a packet socket on each Ethernet interface of ifis, for
// the replies to clients that have no address yet. An interface where it
// fails gets broadcasts instead, and a warning.
func (s *Server) openRaws(ifis []net.Interface) {
	for i := range ifis {
		ifi := &ifis[i]
		if ifi.Flags&net.FlagLoopback != 0 || len(ifi.HardwareAddr) != 6 {
			continue
		}
		rs, err := openRaw(ifi)
		if err != nil {
			s.log.Warn("dhcpserver: no packet socket; replies to clients without an address will be broadcast",
				"interface", ifi.Name, "err", err)
			continue
		}
		s.raws[ifi.Index] = rs
	}
}
