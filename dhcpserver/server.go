package dhcpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Defaults for the zero fields of a Server.
const (
	DefaultAddr        = ":67"
	DefaultClientPort  = 68
	DefaultRelayPort   = 67
	DefaultWorkers     = 128
	DefaultQueueLen    = 16
	DefaultReadBuffer  = 4 << 20
	DefaultMaxDeferred = 4096
)

// ErrServerClosed is returned by Serve and ListenAndServe after a call to
// Shutdown or Close.
var ErrServerClosed = errors.New("dhcpserver: Server closed")

// A Server receives DHCPv4 messages on UDP and passes them to a Handler.
// Its fields configure it and must not be changed once Listen, Serve or
// ListenAndServe has been called. The zero value of each field is a usable
// default.
type Server struct {
	// Addr is the UDP address to listen on, "host:port". The default is
	// ":67". Leave the host empty to receive broadcasts: a socket bound to
	// a unicast address never sees 255.255.255.255. Port 0 picks a free
	// port; LocalAddr reports it.
	Addr string

	// Interfaces, when not empty, names the interfaces to serve: the
	// server opens one socket per interface, bound to it with
	// SO_BINDTODEVICE (which needs CAP_NET_RAW); on FreeBSD and macOS,
	// sockets per interface and address as the package documentation
	// says. When empty, one socket serves every interface, and
	// Request.IfIndex tells them apart.
	Interfaces []string

	// Handler answers the messages. It must be set.
	Handler Handler

	// ClientPort is the port replies to clients go to (68 by default).
	ClientPort uint16

	// RelayPort is the port replies to relay agents go to (67 by
	// default).
	RelayPort uint16

	// BroadcastAddr is where broadcast replies go (255.255.255.255 by
	// default). Tests set it to 127.0.0.1 so that "broadcasts" reach a
	// client on the loopback interface.
	BroadcastAddr netip.Addr

	// ReadBuffer is the socket receive buffer, in bytes (SO_RCVBUF, or
	// SO_RCVBUFFORCE when permitted). 0 means 4 MiB; a negative value
	// keeps the system default.
	ReadBuffer int

	// Workers is the number of goroutines calling the Handler, 128 by
	// default: enough to keep a few thousand messages a second flowing
	// while each handler waits a millisecond or two for its lease to reach
	// the disk. It is ignored in Inline mode.
	Workers int

	// QueueLen is how many messages may wait for each worker (16 by
	// default). A message whose worker's queue is full is dropped and
	// counted in Stats.Dropped, as Kea does when its queue overflows:
	// under overload, clients retransmit, and answering stale messages
	// only makes things worse. It is ignored in Inline mode.
	QueueLen int

	// Inline runs the Handler on the goroutine that reads the socket,
	// with no hand-off to a worker, and sends the replies to each batch
	// of messages read with one system call. It is the cheapest way to
	// serve, and the fastest when the handler never blocks: a handler
	// that has to wait (for a disk, a database) defers its reply (see
	// Deferrer) rather than hold up every other message. Messages wait
	// in the socket's receive buffer (ReadBuffer) while the handler
	// runs, and are dropped by the kernel when it is full.
	Inline bool

	// MaxDeferred bounds the replies that handlers have deferred and not
	// yet sent or cancelled (4096 by default); beyond it, Defer reports
	// that it cannot, and handlers answer as usual.
	MaxDeferred int

	// NoRawSockets disables the packet sockets used to unicast replies to
	// clients that have no address yet; such replies are then broadcast.
	// Without CAP_NET_RAW the server falls back to broadcast by itself,
	// and so it always does where there are no packet sockets (see
	// HardwareUnicast).
	NoRawSockets bool

	// Codecs decode options into Go values for handlers that ask
	// (Request.Value); see OptionCodec. When nil, the codecs of
	// StandardCodecs serve. Nothing is decoded unless a handler asks.
	Codecs *OptionCodecs

	// Logger receives errors and, at debug level, dropped messages. The
	// default (nil) discards everything; a nil *slog.Logger is not nil
	// here: leave the field unset instead.
	Logger Logger

	mu       sync.Mutex
	listened bool
	serving  bool
	closing  atomic.Bool // set once by Shutdown or Close
	abandon  atomic.Bool // set by Close: queued messages are not handled
	socks    []*udpSocket
	raws     map[int]*rawSocket // by interface index; read-only after Listen
	names    atomic.Pointer[map[int]string]
	namesMu  sync.Mutex
	local    netip.AddrPort
	log      Logger
	drops    dropLog
	ctx      context.Context         // the requests' context
	cancel   context.CancelCauseFunc // cancels ctx, with the reason
	cause    atomic.Pointer[error]   // set by the first Stop: what Serve returns
	clientPt uint16
	relayPt  uint16
	bcast    netip.Addr

	workers     []*worker
	free        chan *job
	maxJobs     int64
	numJobs     atomic.Int64
	maxDeferred int
	numDeferred atomic.Int64
	deferWG     sync.WaitGroup // deferred replies not yet finished
	done        chan struct{}  // closed when the workers have exited and the sockets are closed
	fdsClosed   bool           // under mu

	stats counters
}

// Stats counts what a Server did since it started listening.
type Stats struct {
	Received   uint64 // datagrams read from the sockets
	Malformed  uint64 // datagrams dropped because they are not DHCP messages (too short, bad cookie, option overrun, overload loop, truncated)
	Dropped    uint64 // messages dropped because their worker's queue was full or no buffer was free
	Sent       uint64 // replies sent
	NoReply    uint64 // messages the handler did not answer
	SendErrors uint64 // replies that could not be finished or sent
	Fallbacks  uint64 // replies broadcast because they could not be unicast to the client's hardware address
	Panics     uint64 // handler panics, recovered

	Deferred     uint64 // replies taken over by handlers (Deferrer)
	DeferRefused uint64 // calls of Defer refused because MaxDeferred replies were deferred
}

type counters struct {
	received, malformed, dropped, sent, noReply, sendErrors, fallbacks, panics atomic.Uint64
	deferred, deferRefused                                                     atomic.Uint64
}

// Stats returns a snapshot of the server's counters. It is safe to call at
// any time, from any goroutine.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Received:   c.received.Load(),
		Malformed:  c.malformed.Load(),
		Dropped:    c.dropped.Load(),
		Sent:       c.sent.Load(),
		NoReply:    c.noReply.Load(),
		SendErrors: c.sendErrors.Load(),
		Fallbacks:  c.fallbacks.Load(),
		Panics:     c.panics.Load(),

		Deferred:     c.deferred.Load(),
		DeferRefused: c.deferRefused.Load(),
	}
}

// LocalAddr returns the address the server listens on, with the port it
// got when Addr asked for port 0. It is the zero AddrPort before Listen.
func (s *Server) LocalAddr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.local
}

// ListenAndServe opens the server's sockets and serves until Shutdown or
// Close; it then returns ErrServerClosed, or the cause given to Stop.
func (s *Server) ListenAndServe() error {
	if err := s.Listen(); err != nil {
		return err
	}
	return s.Serve()
}

// Listen opens the server's sockets without serving yet, so that the
// caller can learn the port with LocalAddr before calling Serve. It also
// opens a packet socket on each served Ethernet interface for replies to
// clients that have no address yet.
//
// Everything that depends on the network namespace happens here: the
// interfaces are looked up and the sockets opened in the namespace of the
// calling thread, and stay there whichever goroutines serve them later.
// When Interfaces is empty, interfaces that appear after Listen are served
// too, but their replies to clients without an address are broadcast.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listenLocked()
}

func (s *Server) listenLocked() (err error) {
	if err := s.configure(); err != nil {
		return err
	}
	addr, err := parseAddr(s.Addr)
	if err != nil {
		return err
	}
	var ifis []net.Interface
	if len(s.Interfaces) > 0 {
		for _, name := range s.Interfaces {
			ifi, err := net.InterfaceByName(name)
			if err != nil {
				return fmt.Errorf("dhcpserver: interface %q: %w", name, err)
			}
			ifis = append(ifis, *ifi)
		}
	} else {
		ifis = s.allInterfaces()
	}
	defer s.closeOnError(&err)
	port, err := s.openSockets(addr, ifis, s.rcvbuf())
	if err != nil {
		return err
	}
	s.listenDone(netip.AddrPortFrom(addr.Addr(), port), ifis)
	return nil
}

// ServeConn serves on conn, a UDP socket the caller opened: one handed
// over by systemd's socket activation (net.FilePacketConn of descriptor 3)
// or bound in a test, for instance. The server takes conn over and closes
// it, also when ServeConn fails. Addr and Interfaces are ignored; the
// other fields apply as with ListenAndServe, and ServeConn returns as
// Serve does.
//
// conn must be an IPv4 socket: open it with network "udp4" (with "udp",
// package net opens an IPv6 socket even for "0.0.0.0:67", and ServeConn
// refuses it), and for systemd name the address (ListenDatagram=0.0.0.0:67).
// It is best one with a file descriptor (a *net.UDPConn, or another
// net.PacketConn that implements syscall.Conn), which the server reads
// with its own system calls. The server sets on it what it needs to learn, for every
// datagram, the interface it arrived on and the address it was sent to
// (IP_PKTINFO; IP_RECVIF and IP_RECVDSTADDR on FreeBSD and macOS),
// SO_BROADCAST, and the receive buffer (ReadBuffer). Datagrams queued
// before that arrive without the control messages, so their Request has
// no IfIndex nor Local (and their replies no option 54) unless the socket
// had them already: systemd's PassPacketInfo=yes sets IP_PKTINFO. Once
// LocalAddr reports the socket's address, the socket is set up. A socket bound to a
// device (SO_BINDTODEVICE, systemd's BindToDevice=) serves that
// interface; otherwise it serves every interface, as Listen does when
// Interfaces is empty. A socket bound to a unicast address never receives
// the broadcasts of clients that have no address yet.
//
// Replies to clients without an address still go through packet sockets
// on Linux, which the server opens itself and which need CAP_NET_RAW;
// without them (or with NoRawSockets) such replies are broadcast, as
// Stats.Fallbacks counts.
//
// On Linux, conn may also be a transport with no descriptor at all (a fake
// network in a test): the server then calls its ReadFrom and WriteTo, one
// datagram at a time. It learns nothing but the sender's address: a
// Request has no IfIndex, IfName nor Dst, and its Local is conn's
// LocalAddr when that is an IPv4 *net.UDPAddr (so replies carry option 54
// only then); replies that would go to a client's hardware address are
// sent to the broadcast address, and a datagram that fills the 2048-byte
// buffer is dropped as truncated. ReadFrom must return once
// SetReadDeadline sets a deadline in the past, which is how Shutdown and
// Close stop the reader, and WriteTo must not keep the slice it is given.
// Elsewhere conn must be a *net.UDPConn.
func (s *Server) ServeConn(conn net.PacketConn) error {
	s.mu.Lock()
	err := s.listenConnLocked(conn)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Serve()
}

// errIPv6Socket is ServeConn's refusal of an IPv6 socket. Package net
// opens one for network "udp" even at "0.0.0.0:67" (a dual-stack socket),
// and so does systemd for ListenDatagram=67, so the error says how to get
// an IPv4 socket instead.
func errIPv6Socket(conn net.PacketConn) error {
	return fmt.Errorf(`dhcpserver: ServeConn: %v is an IPv6 socket, and the server needs an IPv4 one: open it with network "udp4" (systemd: ListenDatagram=0.0.0.0:67)`, conn.LocalAddr())
}

func (s *Server) listenConnLocked(conn net.PacketConn) (err error) {
	if err := s.configure(); err != nil {
		conn.Close()
		return err
	}
	defer s.closeOnError(&err)
	local, dev, err := s.adoptSocket(conn, s.rcvbuf())
	if err != nil {
		return err
	}
	var ifis []net.Interface
	switch {
	case dev != nil:
		ifis = []net.Interface{*dev}
	case !s.socks[0].transport():
		ifis = s.allInterfaces()
	}
	s.listenDone(local, ifis)
	return nil
}

// configure checks that the server may listen and sets its defaults.
func (s *Server) configure() error {
	if s.closing.Load() {
		return ErrServerClosed
	}
	if s.listened {
		return errors.New("dhcpserver: Listen called twice")
	}
	s.log = s.Logger
	if s.log == nil {
		s.log = discardLogger{}
	}
	s.clientPt = cmp0(s.ClientPort, DefaultClientPort)
	s.relayPt = cmp0(s.RelayPort, DefaultRelayPort)
	s.bcast = s.BroadcastAddr
	if !s.bcast.IsValid() {
		s.bcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	s.bcast = s.bcast.Unmap()
	if !s.bcast.Is4() {
		return fmt.Errorf("dhcpserver: BroadcastAddr %s is not an IPv4 address", s.BroadcastAddr)
	}
	return nil
}

func (s *Server) rcvbuf() int {
	if s.ReadBuffer == 0 {
		return DefaultReadBuffer
	}
	return s.ReadBuffer
}

// allInterfaces lists the interfaces of a server that serves them all.
func (s *Server) allInterfaces() []net.Interface {
	ifis, err := net.Interfaces()
	if err != nil {
		s.log.Warn("dhcpserver: cannot list interfaces; names will be looked up on first use", "err", err)
	}
	return ifis
}

// closeOnError closes the sockets opened so far when *err is set.
func (s *Server) closeOnError(err *error) {
	if *err == nil {
		return
	}
	for _, sk := range s.socks {
		sk.close()
	}
	for _, rs := range s.raws {
		rs.close()
	}
	s.socks, s.raws = nil, nil
}

// listenDone opens the packet sockets on ifis and records what Listen
// learnt: the server is then ready to serve.
func (s *Server) listenDone(local netip.AddrPort, ifis []net.Interface) {
	names := make(map[int]string, len(ifis))
	for _, ifi := range ifis {
		names[ifi.Index] = ifi.Name
	}
	s.raws = make(map[int]*rawSocket)
	if !s.NoRawSockets {
		s.openRaws(ifis)
	}
	s.names.Store(&names)
	s.local = local
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.listened = true
}

func cmp0(v, def uint16) uint16 {
	if v == 0 {
		return def
	}
	return v
}

func parseAddr(a string) (netip.AddrPort, error) {
	if a == "" {
		a = DefaultAddr
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("dhcpserver: Addr %q: %w", a, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("dhcpserver: Addr %q: bad port %q", a, port)
	}
	ip := netip.IPv4Unspecified()
	if host != "" {
		if ip, err = netip.ParseAddr(host); err != nil {
			return netip.AddrPort{}, fmt.Errorf("dhcpserver: Addr %q: host must be an IPv4 address: %w", a, err)
		}
		ip = ip.Unmap()
		if !ip.Is4() {
			return netip.AddrPort{}, fmt.Errorf("dhcpserver: Addr %q: host must be an IPv4 address", a)
		}
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

// Serve serves the sockets opened by Listen, calling Listen first if it
// has not been called. It blocks until Shutdown, Close or Stop, and then
// returns ErrServerClosed, or the cause given to Stop; any other error
// means a socket failed.
func (s *Server) Serve() error {
	s.mu.Lock()
	if !s.listened {
		if err := s.listenLocked(); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	if s.closing.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.serving {
		s.mu.Unlock()
		return errors.New("dhcpserver: Serve called twice")
	}
	if s.Handler == nil {
		s.mu.Unlock()
		return errors.New("dhcpserver: Server.Handler is nil")
	}
	s.maxDeferred = s.MaxDeferred
	if s.maxDeferred <= 0 {
		s.maxDeferred = DefaultMaxDeferred
	}
	s.maxJobs = int64(len(s.socks)*batchLen + s.maxDeferred)
	var wwg sync.WaitGroup
	if !s.Inline {
		nw := s.Workers
		if nw <= 0 {
			nw = DefaultWorkers
		}
		ql := s.QueueLen
		if ql <= 0 {
			ql = DefaultQueueLen
		}
		s.maxJobs += int64(nw * (ql + 1))
		s.workers = make([]*worker, nw)
		for i := range s.workers {
			w := newWorker(s, ql)
			s.workers[i] = w
			wwg.Add(1)
			go w.run(&wwg)
		}
	}
	// Free jobs are kept up to what the readers and workers can hold at
	// once; deferred replies beyond that are allocated when needed and
	// dropped when finished.
	s.free = make(chan *job, s.maxJobs-int64(s.maxDeferred)+256)
	s.done = make(chan struct{})
	// Inline readers block in raw system calls (see reader.recv) when
	// they leave a P for the rest of the program.
	raw := s.Inline && runtime.GOMAXPROCS(0) > len(s.socks)
	readers := make([]*reader, len(s.socks))
	for i, sk := range s.socks {
		readers[i] = newReader(s, sk, raw, len(s.socks))
	}
	s.serving = true
	s.mu.Unlock()

	errc := make(chan error, len(readers))
	for _, rd := range readers {
		go func() { errc <- rd.loop() }()
	}
	var first error
	for range readers {
		if err := <-errc; err != nil && first == nil {
			first = err
			// One socket failed: stop the others too.
			s.stop()
		}
	}
	for _, w := range s.workers {
		close(w.queue)
	}
	go func() {
		wwg.Wait()
		s.deferWG.Wait()
		s.closeAll()
		close(s.done)
	}()
	if first != nil {
		return first
	}
	if c := s.cause.Load(); c != nil {
		return *c
	}
	return ErrServerClosed
}

// Shutdown stops the server gracefully: it stops reading, lets the workers
// handle the messages already queued and send their replies, waits for
// every deferred reply to be sent or cancelled, then closes the sockets.
// It returns when that is done or when ctx is done, whichever comes first,
// with ctx's error in the second case; it then also cancels the context of
// the requests still being handled (Request.Context), with a cause that
// matches ErrServerClosed and ctx's error (context.Cause), so that
// handlers waiting on something slow give up, and the workers go on
// draining in the background. Serve returns ErrServerClosed as soon as
// reading has stopped.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	s.mu.Lock()
	serving, done, cancel := s.serving, s.done, s.cancel
	s.mu.Unlock()
	if !serving {
		s.closeAll()
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		cancel(fmt.Errorf("%w: shutdown gave up waiting for handlers: %w", ErrServerClosed, context.Cause(ctx)))
		return ctx.Err()
	}
}

// Stop stops the server at once, as Close does, and makes Serve and
// ListenAndServe return cause instead of ErrServerClosed; the requests'
// contexts are cancelled with cause (see context.Cause). It is how a
// handler stops its own server, when it finds it cannot go on (its lease
// database failed, say): it does not wait for anything, so a handler may
// call it. The first cause wins; a nil cause means ErrServerClosed.
func (s *Server) Stop(cause error) {
	if cause == nil {
		cause = ErrServerClosed
	}
	s.cause.CompareAndSwap(nil, &cause)
	s.abandon.Store(true)
	s.stop()
	s.mu.Lock()
	serving := s.serving
	if s.cancel != nil {
		s.cancel(*s.cause.Load())
	}
	s.mu.Unlock()
	if !serving {
		s.closeAll()
	}
}

// Close stops the server at once: it stops reading, cancels the context of
// the requests being handled (with cause ErrServerClosed), and discards queued messages and deferred
// replies (Send sends nothing). It does not wait for running handlers to
// return; the sockets are closed when the last one has and every deferred
// reply is finished.
func (s *Server) Close() error {
	s.Stop(ErrServerClosed)
	return nil
}

// stop makes the readers return: it marks the server closing and shuts
// the sockets down for reading, which wakes a reader blocked in recvmmsg.
// Sending through them still works, for the replies being drained.
func (s *Server) stop() {
	s.closing.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fdsClosed {
		return
	}
	for _, sk := range s.socks {
		sk.shutdownRead()
	}
}

// closeAll closes every socket, once. It runs when nothing reads from or
// writes to them any more: a descriptor number is reused as soon as it is
// closed, so using one after that would hit some other file.
func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fdsClosed {
		return
	}
	s.fdsClosed = true
	for _, sk := range s.socks {
		sk.close()
	}
	for _, rs := range s.raws {
		rs.close()
	}
	if s.cancel != nil {
		s.cancel(ErrServerClosed)
	}
}

// ifName returns the name of interface index, asking the kernel through
// sk when it was not known at Listen.
func (s *Server) ifName(index int, sk *udpSocket) string {
	if index == sk.ifindex {
		return sk.ifname
	}
	if name, ok := (*s.names.Load())[index]; ok {
		return name
	}
	name, err := ifName(sk, index)
	if err != nil {
		s.log.Warn("dhcpserver: unknown interface", "index", index, "err", err)
	}
	s.namesMu.Lock()
	defer s.namesMu.Unlock()
	old := *s.names.Load()
	m := make(map[int]string, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[index] = name
	s.names.Store(&m)
	return name
}
