package ncr

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
)

// ErrQueueFull is returned by Sender.Send for requests that found the
// queue full; they are dropped, as Kea drops them.
var ErrQueueFull = errors.New("NameChangeRequest queue is full")

// SenderConfig is dhcp-ddns's connectivity: where the requests go.
type SenderConfig struct {
	// Server is kea-dhcp-ddns's address (server-ip, server-port).
	Server netip.AddrPort
	// Local is the address to send from (sender-ip, sender-port); the
	// zero value is any address and a port the system picks.
	Local netip.AddrPort
	// MaxQueue bounds the requests waiting to be sent (max-queue-size);
	// 0 means Kea's default, 1024.
	MaxQueue int
	// Journal, when set, keeps queued requests across restarts: Send
	// records them in it before queueing them.
	Journal *Journal
	Logger  *slog.Logger
}

// SenderStats count a Sender's requests.
type SenderStats struct {
	Sent   uint64 // datagrams written to the socket
	Failed uint64 // dropped: queue full, unencodable, or the write failed
	Queued int    // waiting now
}

// A Sender sends requests over UDP from one goroutine, in the order
// they were given.
type Sender struct {
	conn   *net.UDPConn
	server netip.AddrPort
	max    int
	j      *Journal
	log    *slog.Logger

	mu     sync.Mutex
	queue  []queued
	stats  SenderStats
	wake   chan struct{}
	closed bool
	done   chan struct{}
}

type queued struct {
	r   Request
	seq uint64 // in the journal; 0 without one
}

// NewSender opens the socket and starts sending. pending are requests to
// send first, such as those OpenJournal returned; they are already in
// the journal.
func NewSender(cfg SenderConfig, pending []Request) (*Sender, error) {
	if !cfg.Server.IsValid() {
		return nil, errors.New("NameChangeRequest sender: no server address")
	}
	local := cfg.Local
	if !local.Addr().IsValid() {
		unspec := netip.IPv4Unspecified()
		if cfg.Server.Addr().Is6() {
			unspec = netip.IPv6Unspecified()
		}
		local = netip.AddrPortFrom(unspec, local.Port())
	}
	if local == cfg.Server {
		return nil, fmt.Errorf("NameChangeRequest sender: sender address %v is the server's", local)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(local))
	if err != nil {
		return nil, fmt.Errorf("NameChangeRequest sender: %w", err)
	}
	s := &Sender{
		conn: conn, server: cfg.Server, max: cfg.MaxQueue, j: cfg.Journal, log: cfg.Logger,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	if s.max <= 0 {
		s.max = 1024
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i, r := range pending {
		s.queue = append(s.queue, queued{r: r, seq: uint64(i + 1)})
	}
	s.stats.Queued = len(s.queue)
	go s.run()
	s.notify()
	return s, nil
}

// LocalAddr returns the address the sender sends from.
func (s *Sender) LocalAddr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Send queues reqs, after recording them in the journal if there is one.
// Requests that find the queue full are dropped and counted as failed;
// Send then returns an error wrapping ErrQueueFull.
func (s *Sender) Send(reqs ...Request) error {
	if len(reqs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("NameChangeRequest sender is closed")
	}
	room := max(s.max-len(s.queue), 0)
	take := min(room, len(reqs))
	var err error
	if take < len(reqs) {
		s.stats.Failed += uint64(len(reqs) - take)
		err = fmt.Errorf("%w (max-queue-size %d): %d request(s) dropped, the first for %s", ErrQueueFull, s.max, len(reqs)-take, reqs[take].FQDN)
	}
	var last uint64
	if s.j != nil && take > 0 {
		// The journal is written under s.mu so that its order is the
		// queue's.
		var jerr error
		if last, jerr = s.j.Append(reqs[:take]); jerr != nil {
			s.log.Error("NameChangeRequests not recorded; they are sent but would not be after a restart", "err", jerr)
			last = 0
		}
	}
	for i, r := range reqs[:take] {
		var seq uint64
		if last != 0 {
			seq = last - uint64(take-1-i)
		}
		s.queue = append(s.queue, queued{r: r, seq: seq})
	}
	s.stats.Queued = len(s.queue)
	s.notify()
	return err
}

func (s *Sender) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stats returns the counts so far.
func (s *Sender) Stats() SenderStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Sender) run() {
	defer close(s.done)
	buf := make([]byte, 0, 512)
	for range s.wake {
		for {
			s.mu.Lock()
			if s.closed || len(s.queue) == 0 {
				closed := s.closed
				s.mu.Unlock()
				if closed {
					return
				}
				break
			}
			q := s.queue[0]
			s.mu.Unlock()

			var err error
			buf, err = q.r.AppendFrame(buf[:0])
			if err == nil {
				_, err = s.conn.WriteToUDPAddrPort(buf, s.server)
			}

			s.mu.Lock()
			s.queue[0] = queued{}
			s.queue = s.queue[1:]
			s.stats.Queued = len(s.queue)
			if err != nil {
				s.stats.Failed++
			} else {
				s.stats.Sent++
			}
			s.mu.Unlock()
			if err != nil {
				s.log.Error("NameChangeRequest not sent", "request", q.r.String(), "server", s.server, "err", err)
			} else {
				s.log.Debug("NameChangeRequest sent", "request", q.r.String(), "server", s.server)
			}
			if q.seq != 0 {
				if err := s.j.Done(q.seq); err != nil {
					s.log.Error("NameChangeRequest journal", "err", err)
				}
			}
		}
	}
}

// Close stops sending and closes the socket. Requests still queued are
// not sent; with a journal they are sent after the next start.
func (s *Sender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.notify()
	close(s.wake)
	<-s.done
	return s.conn.Close()
}

// A Receiver reads requests from a UDP socket, as kea-dhcp-ddns does.
type Receiver struct {
	conn *net.UDPConn
	buf  []byte
}

// Listen opens a receiver on addr (kea-dhcp-ddns's ip-address and port).
func Listen(addr netip.AddrPort) (*Receiver, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, fmt.Errorf("NameChangeRequest receiver: %w", err)
	}
	return &Receiver{conn: conn, buf: make([]byte, 2+MaxFrame)}, nil
}

// Addr returns the address the receiver listens on.
func (r *Receiver) Addr() netip.AddrPort {
	return r.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Receive waits for the next datagram and decodes it; from is its
// sender. An error wrapping ErrInvalid is a datagram that is no request
// (the receiver can go on); one wrapping net.ErrClosed means Close was
// called. Receive is not safe for concurrent use.
func (r *Receiver) Receive() (req Request, from netip.AddrPort, err error) {
	n, from, err := r.conn.ReadFromUDPAddrPort(r.buf)
	if err != nil {
		return Request{}, from, fmt.Errorf("NameChangeRequest receiver: %w", err)
	}
	req, err = DecodeFrame(r.buf[:n])
	if err != nil {
		return Request{}, from, fmt.Errorf("datagram from %v: %w", from, err)
	}
	return req, from, nil
}

// Close closes the socket; a Receive waiting returns.
func (r *Receiver) Close() error { return r.conn.Close() }
