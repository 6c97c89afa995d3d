package snoop

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Sniffer reads the DHCPv4 messages that pass one interface, in both
// directions. It never sends: its only socket is a packet socket that it
// reads from. Make one with Listen; a Sniffer is not safe for concurrent
// use, except Close, which may be called at any time.
type Sniffer struct {
	iface    string
	loopback bool
	f        *os.File
	rc       syscall.RawConn
	buf, oob []byte
	closed   atomic.Bool
}

// Listen opens a Sniffer on the interface named iface. It needs
// CAP_NET_RAW (root). With cfg.Promiscuous the interface is put in
// promiscuous mode while the Sniffer is open, to see unicast between
// other hosts on a shared medium (a hub, a bridge port that floods, a
// wireless link in monitor mode); the kernel leaves it when the Sniffer
// closes, even if the process dies.
func Listen(iface string, cfg *Config) (*Sniffer, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("snoop: interface %q: %w", iface, err)
	}
	// The socket is opened for no protocol, so that it receives nothing
	// until the filter is in place and it is bound to the interface.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("snoop: packet socket for %s: %w", iface, err)
	}
	if err := setup(fd, ifi, cfg); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("snoop: %s: %w", iface, err)
	}
	f := os.NewFile(uintptr(fd), "snoop "+iface)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("snoop: %s: %w", iface, err)
	}
	return &Sniffer{
		iface: iface, loopback: ifi.Flags&net.FlagLoopback != 0, f: f, rc: rc,
		buf: make([]byte, snapLen), oob: make([]byte, 128),
	}, nil
}

func setup(fd int, ifi *net.Interface, cfg *Config) error {
	raw, err := bpf.Assemble(filter())
	if err != nil {
		return fmt.Errorf("assembling the filter: %w", err)
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}); err != nil {
		return fmt.Errorf("attaching the filter: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	// ETH_P_ALL, not ETH_P_IP: only sockets of every protocol see the
	// frames this host sends.
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return fmt.Errorf("binding the packet socket: %w", err)
	}
	if cfg.Promiscuous {
		mreq := &unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, mreq); err != nil {
			return fmt.Errorf("promiscuous mode: %w", err)
		}
	}
	return nil
}

// Read returns the next DHCPv4 message, waiting for one until ctx is done
// or the Sniffer is closed (then the error wraps net.ErrClosed).
func (s *Sniffer) Read(ctx context.Context) (*Message, error) {
	// A deadline in the past wakes the read when ctx is done; it is
	// lifted again, once set, for the next Read.
	expired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		s.f.SetReadDeadline(time.Unix(1, 0))
		close(expired)
	})
	defer func() {
		if !stop() {
			<-expired
			s.f.SetReadDeadline(time.Time{})
		}
	}()
	for {
		var n, oobn int
		var from unix.Sockaddr
		var rerr error
		err := s.rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), s.buf, s.oob, 0)
			return !errors.Is(rerr, unix.EAGAIN)
		})
		if err == nil {
			err = rerr
		}
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
			return nil, fmt.Errorf("snoop: reading %s: %w", s.iface, ctx.Err())
		case errors.Is(err, unix.EINTR):
			continue
		case s.closed.Load():
			return nil, fmt.Errorf("snoop: reading %s: %w", s.iface, net.ErrClosed)
		case err != nil:
			return nil, fmt.Errorf("snoop: reading %s: %w", s.iface, err)
		}
		ll, _ := from.(*unix.SockaddrLinklayer)
		if ll == nil || ll.Protocol != htons(unix.ETH_P_IP) {
			continue
		}
		outgoing := ll.Pkttype == unix.PACKET_OUTGOING
		if outgoing && s.loopback {
			continue // on loopback every frame is also seen coming in
		}
		m, err := ParseIPv4(s.buf[:n])
		if err != nil {
			continue
		}
		m.Time = kernelTime(s.oob[:oobn])
		m.Interface = s.iface
		m.Outgoing = outgoing
		if ll.Halen > 0 && int(ll.Halen) <= len(ll.Addr) {
			m.SrcMAC = net.HardwareAddr(append([]byte(nil), ll.Addr[:ll.Halen]...))
		}
		return m, nil
	}
}

// Stats returns what the kernel counted since the last call: the frames
// that passed the filter and those dropped because the Sniffer did not
// read fast enough.
func (s *Sniffer) Stats() (Stats, error) {
	var st *unix.TpacketStats
	var gerr error
	err := s.rc.Control(func(fd uintptr) {
		st, gerr = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	})
	if err == nil {
		err = gerr
	}
	if err != nil {
		return Stats{}, fmt.Errorf("snoop: statistics of %s: %w", s.iface, err)
	}
	return Stats{Received: uint64(st.Packets), Dropped: uint64(st.Drops)}, nil
}

// Close closes the socket, which ends a Read in progress.
func (s *Sniffer) Close() error {
	s.closed.Store(true)
	return s.f.Close()
}

// kernelTime reads the time the kernel received or sent a frame from its
// SO_TIMESTAMPNS control message; without one it is now. internal/testnet
// has a copy for its captures of any UDP: it cannot import this package,
// whose tests import it.
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

// htons puts v in network byte order, as the kernel takes and gives a
// packet socket's protocol.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
