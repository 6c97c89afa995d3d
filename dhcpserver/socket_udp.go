//go:build darwin || freebsd || (linux && dhcpserver_udp)

package dhcpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Serving with ordinary UDP sockets, where packet sockets, recvmmsg(2) and
// SO_BINDTODEVICE are not available (FreeBSD, macOS; on Linux only with
// the dhcpserver_udp build tag, which tests this path).
//
// A server that names its interfaces opens, for each of them, one socket
// bound to the wildcard address, which receives the broadcasts of clients
// without an address and keeps those that arrived on its interface (the
// system says which, in a control message), and one socket bound to each
// IPv4 address of the interface, which receives what is sent to that
// address: renewals and relayed messages. The system delivers a
// broadcast to every socket bound to the port and a unicast datagram to
// the socket bound to its destination address, so servers of different
// interfaces in one process (as leased serve runs them) each get their
// own. Replies leave through the socket the request came in on, from the
// address it was sent to (or the interface's first address, for a
// broadcast), and broadcasts through the interface the request came in
// on.
//
// Without packet sockets the server cannot write a frame to a client's
// hardware address, so a reply that RFC 2131 would unicast to a client
// that has no address yet (yiaddr at chaddr) is broadcast instead, as Kea
// does with its UDP sockets; Stats.Fallbacks counts them.

// HardwareUnicast reports whether the server can unicast a reply to a
// client that has no address yet (RFC 2131 §4.1: to yiaddr at chaddr).
// Without packet sockets it cannot: such replies are broadcast.
const HardwareUnicast = false

// batchLen is how many datagrams one receive returns: one, with
// recvmsg(2).
const batchLen = 1

// oobLen is the control buffer of a received message.
const oobLen = 128

// udpSocket is one UDP socket of the server, used through package net so
// that a read deadline wakes its reader when the server stops.
type udpSocket struct {
	conn    *net.UDPConn
	ifindex int    // the served interface, 0 when the server serves all
	ifname  string // its name
	// wildcard: bound to the wildcard address, so it receives the
	// broadcasts of every interface, and keeps only those of ifindex.
	wildcard bool
	ifs      *ifTable
}

// openSockets opens the server's UDP sockets on addr (see above) and
// returns the port they are bound to.
func (s *Server) openSockets(addr netip.AddrPort, ifis []net.Interface, rcvbuf int) (uint16, error) {
	ifs := newIfTable(ifis)
	port := addr.Port()
	open := func(a netip.Addr, ifi *net.Interface) error {
		sk := &udpSocket{ifs: ifs, wildcard: a.IsUnspecified()}
		if ifi != nil {
			sk.ifindex, sk.ifname = ifi.Index, ifi.Name
		}
		ap := netip.AddrPortFrom(a, port)
		conn, err := listenUDP(ap, sk.ifindex, sk.wildcard, rcvbuf)
		if err != nil {
			return fmt.Errorf("dhcpserver: %w", err)
		}
		sk.conn = conn
		s.socks = append(s.socks, sk)
		if port == 0 {
			port = conn.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		}
		return nil
	}
	if len(s.Interfaces) == 0 || !addr.Addr().IsUnspecified() {
		return port, open(addr.Addr(), nil)
	}
	for i := range ifis {
		ifi := &ifis[i]
		if err := open(addr.Addr(), ifi); err != nil {
			return 0, err
		}
		for _, p := range ifs.addrs(ifi.Index) {
			if err := open(p.Addr(), ifi); err != nil {
				return 0, err
			}
		}
	}
	return port, nil
}

// adoptSocket makes conn, a socket the caller opened, the server's only
// socket (see Server.ServeConn), serving every interface. It returns the
// address the socket is bound to.
func (s *Server) adoptSocket(conn net.PacketConn, rcvbuf int) (local netip.AddrPort, dev *net.Interface, err error) {
	uc, ok := conn.(*net.UDPConn)
	if !ok {
		conn.Close()
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: a %T is not a *net.UDPConn", conn)
	}
	defer func() {
		if err != nil {
			uc.Close()
		}
	}()
	la, ok := uc.LocalAddr().(*net.UDPAddr)
	if !ok {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: socket has no UDP address")
	}
	local = la.AddrPort()
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	if !local.Addr().Is4() {
		return local, nil, errIPv6Socket(conn)
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: %w", err)
	}
	wildcard := local.Addr().IsUnspecified()
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
			serr = fmt.Errorf("setsockopt SO_BROADCAST: %w", serr)
			return
		}
		serr = socketOptions(int(fd), 0, wildcard)
	}); err != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: %w", err)
	}
	if serr != nil {
		return local, nil, fmt.Errorf("dhcpserver: ServeConn: %w", serr)
	}
	if rcvbuf > 0 {
		if err := uc.SetReadBuffer(rcvbuf); err != nil {
			return local, nil, fmt.Errorf("dhcpserver: ServeConn: set receive buffer to %d: %w", rcvbuf, err)
		}
	}
	ifis, _ := net.Interfaces()
	s.socks = append(s.socks, &udpSocket{conn: uc, wildcard: wildcard, ifs: newIfTable(ifis)})
	return local, nil, nil
}

// transport reports whether sk is a net.PacketConn without a descriptor:
// never, here.
func (sk *udpSocket) transport() bool { return false }

// listenUDP opens one UDP socket bound to addr, with SO_REUSEADDR (the
// sockets of a server, and of the servers of other interfaces, share the
// port), the options that make the system report each datagram's
// interface and destination, and the requested receive buffer. ifindex,
// when not 0, is the interface a wildcard socket serves.
func listenUDP(addr netip.AddrPort, ifindex int, wildcard bool, rcvbuf int) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				serr = fmt.Errorf("setsockopt SO_REUSEADDR: %w", serr)
				return
			}
			serr = socketOptions(int(fd), ifindex, wildcard)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp4", addr.String())
	if err != nil {
		switch {
		case errors.Is(err, unix.EACCES):
			return nil, fmt.Errorf("bind %s: %w (ports below 1024 need root)", addr, err)
		case errors.Is(err, unix.EADDRINUSE):
			return nil, fmt.Errorf("bind %s: %w (another DHCP server running?)", addr, err)
		}
		return nil, fmt.Errorf("bind %s: %w", addr, err)
	}
	conn := pc.(*net.UDPConn)
	if rcvbuf > 0 {
		if err := conn.SetReadBuffer(rcvbuf); err != nil {
			conn.Close()
			return nil, fmt.Errorf("set receive buffer of %s to %d: %w", addr, rcvbuf, err)
		}
	}
	return conn, nil
}

// shutdownRead wakes the socket's reader, which then sees that the server
// is closing. Sending through the socket still works.
func (sk *udpSocket) shutdownRead() { _ = sk.conn.SetReadDeadline(time.Now()) }

func (sk *udpSocket) close() { sk.conn.Close() }

// ifName returns the name of interface index.
func ifName(sk *udpSocket, index int) (string, error) {
	e, ok := sk.ifs.get(index)
	if !ok {
		return "", fmt.Errorf("no interface with index %d", index)
	}
	return e.name, nil
}

// reader holds the receive state of one socket: the job being read into
// and, in inline mode, the reply of the message being handled.
type reader struct {
	s     *Server
	sock  *udpSocket
	raw   bool      // always false: reads go through the runtime's poller
	socks int       // readers of the server
	yield time.Time // unused: see raw
	jobs  [batchLen]*job
	spare [batchLen]*job // used when the pool is exhausted; never dispatched
	oob   [oobLen]byte
	size  int  // length of the datagram read
	whole bool // it was not truncated

	// Inline mode.
	rw   response
	out  [batchLen]*job // replies to send
	nout int
}

func newReader(s *Server, sk *udpSocket, _ bool, socks int) *reader {
	return &reader{s: s, sock: sk, socks: socks}
}

// recv blocks until a datagram for the socket's interface is available,
// reads it into the first job's buffer and decodes its addresses into the
// job's request. It returns 1.
func (rd *reader) recv() (int, error) {
	j, sk := rd.jobs[0], rd.sock
	for {
		n, oobn, flags, src, err := sk.conn.ReadMsgUDPAddrPort(j.buf[:], rd.oob[:])
		if err != nil {
			return 0, err
		}
		c := parseControl(rd.oob[:oobn])
		if sk.wildcard && sk.ifindex != 0 && c.ifindex != sk.ifindex {
			continue // another interface's broadcast: its own server has it
		}
		j.req.Src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		j.req.IfIndex = c.ifindex
		j.req.Dst = c.dst
		j.req.Local = c.local
		if !j.req.Local.IsValid() {
			j.req.Local = sk.ifs.local(c.ifindex, c.dst)
		}
		rd.size, rd.whole = n, flags&unix.MSG_TRUNC == 0
		return 1, nil
	}
}

// datagram returns the length of the datagram just read; whole is false
// when the system truncated it.
func (rd *reader) datagram(int) (size int, whole bool) { return rd.size, rd.whole }

// flush sends the reply of the message just handled.
func (rd *reader) flush() {
	for _, j := range rd.out[:rd.nout] {
		rd.s.send(j)
	}
	clear(rd.out[:rd.nout])
	rd.nout = 0
}

// transient reports whether a receive error leaves the socket usable.
func transient(err error) bool {
	for _, e := range [...]error{unix.EAGAIN, unix.ENOBUFS, unix.ENOMEM, unix.ECONNREFUSED, unix.EHOSTUNREACH, unix.ENETUNREACH} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// control is what a received datagram's control messages say.
type control struct {
	ifindex int
	dst     netip.Addr // the datagram's destination
	local   netip.Addr // the address to answer from, when the system says
}

// sender holds one reply until it is sent.
type sender struct {
	b       []byte
	dst     netip.AddrPort
	ifindex int
	src     netip.Addr
	oob     [64]byte
}

// prepare sets s up to send b to dst. ifindex, when not 0, picks the
// outgoing interface of a broadcast, and src, when valid, the source
// address.
func (s *sender) prepare(b []byte, dst netip.AddrPort, ifindex int, src netip.Addr) {
	s.b, s.dst, s.ifindex = b, dst, ifindex
	s.src = netip.Addr{}
	if src.Is4() && !src.IsUnspecified() {
		s.src = src
	}
}

// send sends the prepared datagram through sk.
func (s *sender) send(sk *udpSocket) error {
	dst := s.dst
	if s.ifindex != 0 && dst.Addr() == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		dst = broadcastOn(sk, s.ifindex, s.src, dst)
	}
	oob := sendControl(s.oob[:0], sk, s.ifindex, s.src)
	_, _, err := sk.conn.WriteMsgUDPAddrPort(s.b, oob, dst)
	return err
}

// appendCmsg appends one control message to oob.
func appendCmsg(oob []byte, level, typ int, data []byte) []byte {
	n := len(oob)
	oob = append(oob, make([]byte, unix.CmsgSpace(len(data)))...)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[n]))
	h.Level, h.Type = int32(level), int32(typ)
	h.SetLen(unix.CmsgLen(len(data)))
	copy(oob[n+unix.CmsgLen(0):], data)
	return oob
}

// sendBatch gathers deferred replies for one socket; they are sent one by
// one.
type sendBatch struct {
	jobs [64]*job
	n    int
}

func (b *sendBatch) add(j *job) {
	b.jobs[b.n] = j
	b.n++
}

func (b *sendBatch) flush() error {
	var first error
	for _, j := range b.jobs[:b.n] {
		if err := j.snd.send(j.sock); err != nil {
			j.s.sendFailed(j, err)
			if first == nil {
				first = err
			}
		} else {
			j.s.stats.sent.Add(1)
		}
		j.s.release(j)
	}
	clear(b.jobs[:b.n])
	b.n = 0
	return first
}

// rawSocket stands for the packet sockets this system does not have: the
// server never opens one.
type rawSocket struct{}

func (*rawSocket) close() {}

type rawSender struct{}

func (*rawSender) init() {}

func (*rawSender) send(*rawSocket, int, []byte, []byte) error {
	return errors.New("no packet sockets on this system")
}

// openRaws opens nothing: replies to clients without an address are
// broadcast. The server says so once, at debug level; leased serve
// says it once for all its servers.
func (s *Server) openRaws([]net.Interface) {
	s.log.Debug("dhcpserver: no packet sockets on this system; replies to clients without an address are broadcast")
}

// ifTable caches the interfaces' names and IPv4 addresses by index, read
// again when an index is unknown or its entry is older than ifTTL.
type ifTable struct {
	mu sync.Mutex
	m  map[int]ifEntry
}

type ifEntry struct {
	name  string
	addrs []netip.Prefix // IPv4 only
	at    time.Time
}

// ifTTL is how long the addresses of an interface are trusted before they
// are read again.
const ifTTL = 10 * time.Second

func newIfTable(ifis []net.Interface) *ifTable {
	t := &ifTable{m: make(map[int]ifEntry)}
	for i := range ifis {
		t.m[ifis[i].Index] = readIf(&ifis[i])
	}
	return t
}

func readIf(ifi *net.Interface) ifEntry {
	e := ifEntry{name: ifi.Name, at: time.Now()}
	as, _ := ifi.Addrs()
	for _, a := range as {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok || !ip.Unmap().Is4() {
			continue
		}
		ones, _ := ipn.Mask.Size()
		if len(ipn.Mask) == net.IPv6len {
			ones -= 96
		}
		e.addrs = append(e.addrs, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return e
}

func (t *ifTable) get(index int) (ifEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[index]
	if ok && time.Since(e.at) < ifTTL {
		return e, true
	}
	ifi, err := net.InterfaceByIndex(index)
	if err != nil {
		return e, ok
	}
	e = readIf(ifi)
	t.m[index] = e
	return e, true
}

func (t *ifTable) addrs(index int) []netip.Prefix {
	e, _ := t.get(index)
	return e.addrs
}

// local returns the address to answer a datagram sent to dst on interface
// index from: dst itself when it is a unicast address, otherwise (a
// broadcast) the interface's first IPv4 address.
func (t *ifTable) local(index int, dst netip.Addr) netip.Addr {
	addrs := t.addrs(index)
	unicast := dst.Is4() && !dst.IsUnspecified() && !dst.IsMulticast() && dst != netip.AddrFrom4([4]byte{255, 255, 255, 255})
	for _, p := range addrs {
		if b, ok := directed(p); ok && b == dst {
			unicast = false
		}
	}
	switch {
	case unicast:
		return dst
	case len(addrs) > 0:
		return addrs[0].Addr()
	}
	return netip.Addr{}
}

// directedBroadcast returns the broadcast address of the subnet of
// interface index that holds src (the first one when none does).
func (t *ifTable) directedBroadcast(index int, src netip.Addr) (netip.Addr, bool) {
	addrs := t.addrs(index)
	if len(addrs) == 0 {
		return netip.Addr{}, false
	}
	p := addrs[0]
	for _, q := range addrs {
		if q.Addr() == src {
			p = q
			break
		}
	}
	return directed(p)
}

// directed returns the broadcast address of subnet p; /31 and /32 have
// none.
func directed(p netip.Prefix) (netip.Addr, bool) {
	if !p.Addr().Is4() || p.Bits() >= 31 {
		return netip.Addr{}, false
	}
	a := p.Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(a), true
}
