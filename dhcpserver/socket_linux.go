//go:build !dhcpserver_udp

package dhcpserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpSocket is one UDP socket of the server, bound to the server port and,
// when the server serves named interfaces, to one device. The file
// descriptor is blocking and is used through system calls made directly
// (not through package net): reads by one reader goroutine, writes by that
// reader (Inline), the workers, and the goroutines that finish deferred
// replies.
//
// A socket made from a net.PacketConn that has no descriptor (a fake
// transport, see Server.ServeConn) has fd -1 and is used through pc's
// methods instead, one datagram at a time.
type udpSocket struct {
	fd      int
	ifindex int    // the bound device, 0 when unbound
	ifname  string // the bound device's name

	pc    net.PacketConn // a transport without a descriptor
	local netip.Addr     // pc's local address, the requests' Local
}

// openUDP opens and binds one UDP socket with SO_REUSEADDR, SO_BROADCAST,
// IP_PKTINFO, the requested receive buffer and, when dev is not empty,
// SO_BINDTODEVICE.
func openUDP(addr netip.AddrPort, dev string, rcvbuf int) (_ int, err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return -1, fmt.Errorf("setsockopt SO_REUSEADDR: %w", err)
	}
	if err := serverOptions(fd, rcvbuf); err != nil {
		return -1, err
	}
	if dev != "" {
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, dev); err != nil {
			if errors.Is(err, unix.EPERM) {
				return -1, fmt.Errorf("bind to device %s: %w (needs CAP_NET_RAW)", dev, err)
			}
			return -1, fmt.Errorf("bind to device %s: %w", dev, err)
		}
	}
	sa := &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	if err := unix.Bind(fd, sa); err != nil {
		switch {
		case errors.Is(err, unix.EACCES):
			return -1, fmt.Errorf("bind %s: %w (ports below 1024 need CAP_NET_BIND_SERVICE)", addr, err)
		case errors.Is(err, unix.EADDRINUSE):
			return -1, fmt.Errorf("bind %s: %w (another DHCP server running?)", addr, err)
		}
		return -1, fmt.Errorf("bind %s: %w", addr, err)
	}
	return fd, nil
}

// serverOptions sets what every server socket needs: SO_BROADCAST,
// IP_PKTINFO and the requested receive buffer.
func serverOptions(fd, rcvbuf int) error {
	for _, o := range [...]struct {
		level, name int
		what        string
	}{
		{unix.SOL_SOCKET, unix.SO_BROADCAST, "SO_BROADCAST"},
		{unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO"},
	} {
		if err := unix.SetsockoptInt(fd, o.level, o.name, 1); err != nil {
			return fmt.Errorf("setsockopt %s: %w", o.what, err)
		}
	}
	if rcvbuf > 0 {
		// SO_RCVBUFFORCE passes net.core.rmem_max when the process has
		// CAP_NET_ADMIN; otherwise the kernel caps SO_RCVBUF at rmem_max.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
				return fmt.Errorf("setsockopt SO_RCVBUF %d: %w", rcvbuf, err)
			}
		}
	}
	return nil
}

// adoptSocket makes conn, a socket the caller opened, the server's only
// socket (see Server.ServeConn). The server uses a duplicate of conn's
// descriptor, made blocking, and closes conn. It returns the address the
// socket is bound to and, when it is bound to a device, that interface.
func (s *Server) adoptSocket(conn net.PacketConn, rcvbuf int) (local netip.AddrPort, dev *net.Interface, err error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return s.adoptTransport(conn), nil, nil
	}
	defer conn.Close()
	rc, err := sc.SyscallConn()
	if err != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: %w", err)
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: %w", err)
	}
	if derr != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: duplicating the socket: %w", derr)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_DGRAM {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: not a datagram socket (type %d, %v)", typ, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: getsockname: %w", err)
	}
	sa4, ok := sa.(*unix.SockaddrInet4)
	if _, v6 := sa.(*unix.SockaddrInet6); v6 {
		return local, nil, errIPv6Socket(conn)
	}
	if !ok {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: not an IPv4 socket (%T)", sa)
	}
	// The descriptor shares its file status flags with conn's, which
	// package net made non-blocking; conn is closed below, so nothing
	// else depends on them.
	if err := unix.SetNonblock(fd, false); err != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: %w", err)
	}
	if err := serverOptions(fd, rcvbuf); err != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: %w", err)
	}
	sk := &udpSocket{fd: fd}
	if name, err := unix.GetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE); err == nil && name != "" {
		if dev, err = net.InterfaceByName(name); err != nil {
			return local, nil, fmt.Errorf("dhcpserver: ServeConn: the socket's device %q: %w", name, err)
		}
		sk.ifindex, sk.ifname = dev.Index, dev.Name
	}
	s.socks = append(s.socks, sk)
	return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(sa4.Port)), dev, nil
}

// adoptTransport makes conn, a net.PacketConn without a descriptor, the
// server's only socket, and returns its address when it is an IPv4 UDP
// address.
func (s *Server) adoptTransport(conn net.PacketConn) netip.AddrPort {
	sk := &udpSocket{fd: -1, pc: conn}
	var local netip.AddrPort
	if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok {
		local = ua.AddrPort()
		local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
		if a := local.Addr(); a.Is4() && !a.IsUnspecified() {
			sk.local = a
		}
	}
	s.socks = append(s.socks, sk)
	return local
}

// transport reports whether sk is a net.PacketConn without a descriptor:
// it belongs to no interface.
func (sk *udpSocket) transport() bool { return sk.pc != nil }

// boundPort returns the local port of fd.
func boundPort(fd int) (uint16, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("getsockname: %w", err)
	}
	sa4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return 0, fmt.Errorf("getsockname: not an IPv4 address")
	}
	return uint16(sa4.Port), nil
}

// ifName asks the kernel for the name of interface index through sk, so
// that the answer comes from the socket's network namespace, whatever
// namespace the calling thread is in.
func ifName(sk *udpSocket, index int) (string, error) {
	fd := sk.fd
	ifr, err := unix.NewIfreq("")
	if err != nil {
		return "", err
	}
	ifr.SetUint32(uint32(index))
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFNAME, ifr); err != nil {
		return "", fmt.Errorf("SIOCGIFNAME %d: %w", index, err)
	}
	return ifr.Name(), nil
}

// pktinfoSpace is the control buffer size for one in_pktinfo.
var pktinfoSpace = unix.CmsgSpace(unix.SizeofInet4Pktinfo)

// oobLen is the control buffer of a received message: room for in_pktinfo
// and anything else the kernel may add.
const oobLen = 64

// parseMeta decodes the source address and the IP_PKTINFO control message
// of a received datagram without allocating.
func parseMeta(j *job, sa *unix.RawSockaddrInet4, oob []byte) {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	j.req.Src = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port)
	j.req.IfIndex = 0
	j.req.Dst = netip.Addr{}
	j.req.Local = netip.Addr{}
	for {
		h, data, rest, ok := nextCmsg(oob)
		if !ok {
			return
		}
		oob = rest
		if h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo {
			pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
			j.req.IfIndex = int(pi.Ifindex)
			j.req.Local = netip.AddrFrom4(pi.Spec_dst)
			j.req.Dst = netip.AddrFrom4(pi.Addr)
		}
	}
}

// sender holds the arguments of sendmsg(2) for one reply, so that sending
// allocates nothing.
type sender struct {
	msg  unix.Msghdr
	iov  unix.Iovec
	sa   unix.RawSockaddrInet4
	cmsg [64]byte
}

// prepare sets s up to send b to dst. ifindex, when not 0, picks the
// outgoing interface, and src, when valid, the source address
// (IP_PKTINFO).
func (s *sender) prepare(b []byte, dst netip.AddrPort, ifindex int, src netip.Addr) {
	s.sa.Family = unix.AF_INET
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&s.sa.Port))[:], dst.Port())
	s.sa.Addr = dst.Addr().As4()
	s.iov.Base = &b[0]
	s.iov.SetLen(len(b))
	s.msg.Name = (*byte)(unsafe.Pointer(&s.sa))
	s.msg.Namelen = unix.SizeofSockaddrInet4
	s.msg.Iov = &s.iov
	s.msg.Iovlen = 1
	s.msg.Control = nil
	s.msg.SetControllen(0)
	s.msg.Flags = 0
	if ifindex != 0 || (src.IsValid() && src.Is4() && !src.IsUnspecified()) {
		clear(s.cmsg[:pktinfoSpace])
		h := (*unix.Cmsghdr)(unsafe.Pointer(&s.cmsg[0]))
		h.Level = unix.IPPROTO_IP
		h.Type = unix.IP_PKTINFO
		h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
		pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&s.cmsg[unix.CmsgLen(0)]))
		pi.Ifindex = int32(ifindex)
		if src.Is4() {
			pi.Spec_dst = src.As4()
		}
		s.msg.Control = &s.cmsg[0]
		s.msg.SetControllen(pktinfoSpace)
	}
}

// send sends the prepared datagram through sk.
//
// A UDP send does not wait for the peer, so it is made as a raw system
// call, which the Go scheduler does not have to track; only when the
// socket's send buffer is full (EAGAIN) does it fall back to a blocking
// call.
func (s *sender) send(sk *udpSocket) error {
	if sk.pc != nil {
		return s.writeTo(sk.pc)
	}
	fd := sk.fd
	p := uintptr(unsafe.Pointer(&s.msg))
	for {
		_, _, e := syscall.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), p, unix.MSG_DONTWAIT)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			_, _, e = syscall.Syscall(unix.SYS_SENDMSG, uintptr(fd), p, 0)
			if e == unix.EINTR {
				continue
			}
			if e == 0 {
				return nil
			}
		}
		return e
	}
}

// writeTo sends the prepared datagram through a transport without a
// descriptor (see udpSocket.pc); the control message is left out.
func (s *sender) writeTo(pc net.PacketConn) error {
	b := unsafe.Slice(s.iov.Base, int(s.iov.Len))
	a := s.sa.Addr
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&s.sa.Port))[:])
	_, err := pc.WriteTo(b, &net.UDPAddr{IP: net.IPv4(a[0], a[1], a[2], a[3]), Port: int(port)})
	return err
}

// sendmmsg sends the datagrams of ms through fd with sendmmsg(2) and
// returns how many went out. It returns an error only when the first one
// failed; the caller then skips it and calls again for the rest.
func sendmmsg(fd int, ms []unix.Mmsghdr) (int, error) {
	p := uintptr(unsafe.Pointer(&ms[0]))
	for {
		n, _, e := syscall.RawSyscall6(unix.SYS_SENDMMSG, uintptr(fd), p, uintptr(len(ms)), unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			n, _, e = syscall.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), p, uintptr(len(ms)), 0, 0, 0)
			if e == unix.EINTR {
				continue
			}
			if e == 0 {
				return int(n), nil
			}
		}
		return 0, e
	}
}

// batchLen is how many datagrams one recvmmsg(2) call may return.
const batchLen = 8

// reader holds the receive state of one socket: the message headers for
// recvmmsg and the jobs whose buffers they point into, and in inline mode
// the replies of the batch being handled.
type reader struct {
	s     *Server
	sock  *udpSocket
	raw   bool      // block in a raw system call (see recv)
	socks int       // readers of the server: raw needs GOMAXPROCS above it
	yield time.Time // when a raw reader last yielded its P
	hdrs  [batchLen]unix.Mmsghdr
	iovs  [batchLen]unix.Iovec
	names [batchLen]unix.RawSockaddrInet4
	oobs  [batchLen][oobLen]byte
	jobs  [batchLen]*job
	spare [batchLen]*job // used when the pool is exhausted; never dispatched

	// Inline mode.
	rw   response
	out  [batchLen]*job // replies to send
	nout int
	mmsg [batchLen]unix.Mmsghdr
	sent [batchLen]*job // the job of each mmsg
}

// recvTimeout bounds a raw blocking receive (see recv).
const recvTimeout = 200 * time.Millisecond

// recv blocks until at least one datagram is available and reads up to
// batchLen of them into the jobs' buffers, with their addresses decoded
// into the jobs' requests. It returns how many it read, possibly none.
//
// With an ordinary blocking system call, the Go scheduler hands the
// thread's P (its slot for running goroutines) to another thread while the
// call blocks and takes it back when it returns; at tens of thousands of
// packets a second those hand-offs and the thread wake-ups they cause cost
// CPU time that, on a small machine, the clients' side of the network
// misses: measured at the top of the bench harness's range, replies were
// lost three times as often. An inline reader that has a P to spare
// (rd.raw, see Server.Serve) therefore blocks in a raw system call, which
// the runtime does not see, and keeps its P. To stay preemptible (for the
// garbage collector's stop-the-world, and for the scheduler's monitor
// after 10 ms) the socket has a receive timeout: with one set, the kernel
// does not restart recvmmsg after a signal, so the runtime's preemption
// signal makes it return EINTR at once and the loop reaches a preemption
// point. A busy reader also yields its P now and then (reader.yieldP), so
// that other goroutines run even when every P is held by a reader.
func (rd *reader) recv() (int, error) {
	for i := range rd.hdrs {
		j := rd.jobs[i]
		rd.iovs[i].Base = &j.buf[0]
		rd.iovs[i].SetLen(len(j.buf))
		h := &rd.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&rd.names[i]))
		h.Namelen = unix.SizeofSockaddrInet4
		h.Iov = &rd.iovs[i]
		h.Iovlen = 1
		h.Control = &rd.oobs[i][0]
		h.SetControllen(oobLen)
		h.Flags = 0
		rd.hdrs[i].Len = 0
	}
	if rd.sock.pc != nil {
		return rd.recvFrom(rd.sock.pc)
	}
	fd, p := uintptr(rd.sock.fd), uintptr(unsafe.Pointer(&rd.hdrs[0]))
	// GOMAXPROCS can drop while the server runs (the runtime follows a
	// cgroup's CPU limit down; tests lower it): a raw read that would hold
	// the last spare P becomes an ordinary one.
	raw := rd.raw && runtime.GOMAXPROCS(0) > rd.socks
	for {
		var n uintptr
		var e syscall.Errno
		if raw {
			n, _, e = syscall.RawSyscall6(unix.SYS_RECVMMSG, fd, p, batchLen, unix.MSG_WAITFORONE, 0, 0)
			if e == unix.EINTR || e == unix.EAGAIN {
				return 0, nil
			}
		} else {
			n, _, e = syscall.Syscall6(unix.SYS_RECVMMSG, fd, p, batchLen, unix.MSG_WAITFORONE, 0, 0)
		}
		if e == 0 {
			for i := range int(n) {
				parseMeta(rd.jobs[i], &rd.names[i], rd.oobs[i][:rd.hdrs[i].Hdr.Controllen])
			}
			return int(n), nil
		}
		if e == unix.EINTR {
			continue
		}
		return 0, e
	}
}

// recvFrom reads one datagram from a transport without a descriptor (see
// udpSocket.pc) into the first job. There are no control messages: the
// request's Local is the transport's own address, if it has one, and its
// interface and destination are unknown. A datagram that fills the buffer
// is taken as truncated.
func (rd *reader) recvFrom(pc net.PacketConn) (int, error) {
	j := rd.jobs[0]
	n, from, err := pc.ReadFrom(j.buf[:])
	if err != nil {
		return 0, err
	}
	h := &rd.hdrs[0]
	h.Len, h.Hdr.Flags = uint32(n), 0
	if n == len(j.buf) {
		h.Hdr.Flags = unix.MSG_TRUNC
	}
	j.req.Src = netip.AddrPort{}
	if ua, ok := from.(*net.UDPAddr); ok {
		src := ua.AddrPort()
		j.req.Src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	}
	j.req.IfIndex = 0
	j.req.Dst = netip.Addr{}
	j.req.Local = rd.sock.local
	return 1, nil
}

// flush finishes the replies of the batch just handled and sends them:
// those that go out through the UDP socket with one sendmmsg(2), the others
// (through a packet socket) one by one.
func (rd *reader) flush() {
	s := rd.s
	k := 0
	for _, j := range rd.out[:rd.nout] {
		udp, err := s.prepare(j)
		switch {
		case err != nil:
			s.sendFailed(j, err)
		case udp:
			rd.mmsg[k] = unix.Mmsghdr{Hdr: j.snd.msg}
			rd.sent[k] = j
			k++
		default:
			s.stats.sent.Add(1)
		}
	}
	sendJobs(rd.sock, rd.mmsg[:k], rd.sent[:k], false)
	clear(rd.sent[:k])
	clear(rd.out[:rd.nout])
	rd.nout = 0
}

// sendBatch gathers deferred replies for one socket, to send them with
// one sendmmsg(2) and then release their jobs.
type sendBatch struct {
	mmsg [64]unix.Mmsghdr
	jobs [64]*job
	n    int
}

func (b *sendBatch) add(j *job) {
	b.mmsg[b.n] = unix.Mmsghdr{Hdr: j.snd.msg}
	b.jobs[b.n] = j
	b.n++
}

func (b *sendBatch) flush() error {
	if b.n == 0 {
		return nil
	}
	first := sendJobs(b.jobs[0].sock, b.mmsg[:b.n], b.jobs[:b.n], true)
	clear(b.jobs[:b.n])
	b.n = 0
	return first
}

// sendJobs sends the replies ms, of jobs, through sk with as few
// sendmmsg(2) calls as it can (one by one through a transport without a
// descriptor): when one fails, the ones before it went out, and sending
// goes on after it. Each job is counted as sent or failed and, for
// deferred replies (release), released. It returns the first error.
func sendJobs(sk *udpSocket, ms []unix.Mmsghdr, jobs []*job, release bool) error {
	var first error
	for off := 0; off < len(ms); {
		var n int
		var err error
		if sk.pc != nil {
			if err = jobs[off].snd.writeTo(sk.pc); err == nil {
				n = 1
			}
		} else {
			n, err = sendmmsg(sk.fd, ms[off:])
		}
		if err != nil {
			j := jobs[off]
			j.s.sendFailed(j, err)
			if first == nil {
				first = err
			}
			if release {
				j.s.release(j)
			}
			off++
			continue
		}
		for _, j := range jobs[off : off+n] {
			j.s.stats.sent.Add(1)
			if release {
				j.s.release(j)
			}
		}
		off += n
	}
	return first
}

// transient reports whether a receive error leaves the socket usable.
func transient(err error) bool {
	switch err {
	case unix.EAGAIN, unix.ENOBUFS, unix.ENOMEM, unix.ECONNREFUSED, unix.EHOSTUNREACH, unix.ENETUNREACH:
		return true
	}
	return false
}

// HardwareUnicast reports whether the server can unicast a reply to a
// client that has no address yet (RFC 2131 §4.1: to yiaddr at chaddr).
// On Linux it can, through packet sockets; see Server.NoRawSockets.
const HardwareUnicast = true

// datagram returns the length of the i-th datagram of the batch just read
// (recv has decoded its addresses into its job); whole is false when the
// kernel truncated it.
func (rd *reader) datagram(i int) (size int, whole bool) {
	h := &rd.hdrs[i]
	return int(h.Len), h.Hdr.Flags&unix.MSG_TRUNC == 0
}

// newReader sets up the reader of sk. A raw reader (see recv) needs a
// receive timeout on its socket; without one it reads as others do.
func newReader(s *Server, sk *udpSocket, raw bool, socks int) *reader {
	rd := &reader{s: s, sock: sk, raw: raw && sk.pc == nil, socks: socks}
	if rd.raw {
		tv := unix.NsecToTimeval(recvTimeout.Nanoseconds())
		if err := unix.SetsockoptTimeval(sk.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			rd.raw = false
		}
	}
	return rd
}

// openSockets opens the server's UDP sockets on addr: one per interface
// of ifis, bound to it, when the server names its interfaces, otherwise
// one for all. It returns the port they are bound to.
func (s *Server) openSockets(addr netip.AddrPort, ifis []net.Interface, rcvbuf int) (uint16, error) {
	port := addr.Port()
	open := func(dev string, index int) error {
		fd, err := openUDP(netip.AddrPortFrom(addr.Addr(), port), dev, rcvbuf)
		if err != nil {
			return fmt.Errorf("dhcpserver: %w", err)
		}
		s.socks = append(s.socks, &udpSocket{fd: fd, ifindex: index, ifname: dev})
		if port == 0 {
			if port, err = boundPort(fd); err != nil {
				return fmt.Errorf("dhcpserver: %w", err)
			}
		}
		return nil
	}
	if len(s.Interfaces) > 0 {
		for _, ifi := range ifis {
			if err := open(ifi.Name, ifi.Index); err != nil {
				return 0, err
			}
		}
	} else if err := open("", 0); err != nil {
		return 0, err
	}
	return port, nil
}

// shutdownRead wakes the socket's reader and makes it read no more.
// Sending through the socket still works.
func (sk *udpSocket) shutdownRead() {
	// For an unconnected UDP socket shutdown reports ENOTCONN, but it
	// still marks the socket shut for reading and wakes its readers.
	if sk.pc != nil {
		_ = sk.pc.SetReadDeadline(time.Now())
		return
	}
	_ = unix.Shutdown(sk.fd, unix.SHUT_RD)
}

func (sk *udpSocket) close() {
	if sk.pc != nil {
		sk.pc.Close()
		return
	}
	unix.Close(sk.fd)
}
