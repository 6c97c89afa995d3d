package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/config/jsonc"
)

// Defaults of Options.
const (
	// DefaultIdleTimeout is Kea's fixed control-connection timeout.
	DefaultIdleTimeout = 10 * time.Second
	// DefaultReadTimeout bounds the time to receive one whole command,
	// however steadily it trickles in.
	DefaultReadTimeout = 30 * time.Second
	// DefaultMaxRequestBytes bounds one command. Kea sets no bound;
	// config-set carries a whole configuration, so the bound is the
	// largest configuration the server reads from files (64 MiB with its
	// includes), with room for the command around it.
	DefaultMaxRequestBytes = jsonc.MaxTotalSize + freeCommandBytes
	// DefaultMaxConns bounds the connections served at once, over all
	// sockets.
	DefaultMaxConns = 32
	// DefaultMaxConnsPerSource bounds the connections from one IP
	// address to the HTTP sockets.
	DefaultMaxConnsPerSource = 8
	// DefaultMaxConnsPerPeer bounds the connections from the address of
	// one of Options.Peers.
	DefaultMaxConnsPerPeer = 40
)

// Options tune a Server. The zero value gives Kea's behaviour, within
// the bounds below.
type Options struct {
	// Logger receives the server's log entries; nil discards them.
	// Command arguments and credentials are never logged.
	Logger *slog.Logger
	// IdleTimeout closes a connection that sends nothing for this long
	// (answering a unix client with Kea's timeout message), and bounds
	// the time to write the answer and to receive HTTP headers.
	IdleTimeout time.Duration
	// ReadTimeout bounds the time to receive one whole command: on HTTP
	// the request with its body, on a unix socket the command from the
	// first byte to the closing bracket (DefaultReadTimeout).
	ReadTimeout time.Duration
	// MaxRequestBytes bounds one command, comments included
	// (DefaultMaxRequestBytes). A larger one is refused: "command too
	// large" on a unix socket, 413 on HTTP.
	MaxRequestBytes int64
	// MaxPendingBytes bounds the command text all connections hold at
	// once, from the first byte read until the answer is sent; the first
	// 64 KiB of each command do not count. A command that would exceed it
	// is refused at once ("control channel busy" on a unix socket, 503 on
	// HTTP) rather than queued. The default and the least value is
	// MaxRequestBytes: one command of the largest size at a time (large
	// commands are config-set and config-test, which the server carries
	// out one after the other anyway), beside any number of small ones.
	MaxPendingBytes int64
	// MaxConns bounds the connections held at once, over all sockets
	// (DefaultMaxConns). When it is reached, a new connection displaces
	// the oldest one that has not yet sent a complete command (unix) or
	// an authenticated request (HTTP); when every connection is running
	// a command, new ones wait to be accepted.
	MaxConns int
	// MaxConnsPerSource bounds the connections from one IP address to
	// the HTTP sockets in the same way (DefaultMaxConnsPerSource).
	MaxConnsPerSource int
	// Peers are addresses whose HTTP connections are bounded by
	// MaxConnsPerPeer instead (DefaultMaxConnsPerPeer), and MaxConns is
	// raised by as much for each: a high-availability partner keeps many
	// lease updates under way at once, each on its own connection, and
	// neither it nor the other clients should wait for the other.
	Peers []netip.Addr
	// MaxConnsPerPeer bounds the connections from each of Peers.
	MaxConnsPerPeer int
	// Service is the name HTTP requests may carry in "service" (Kea's
	// kea-dhcp4 accepts "dhcp4"); empty accepts any.
	Service string
	// GetHandlers serve GET requests to these paths on the HTTP and HTTPS
	// sockets, after the socket's authentication, such as a Prometheus
	// "/metrics". Commands stay POSTs.
	GetHandlers map[string]http.Handler
}

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = DefaultMaxRequestBytes
	}
	o.MaxPendingBytes = max(o.MaxPendingBytes, o.MaxRequestBytes)
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MaxConnsPerSource <= 0 {
		o.MaxConnsPerSource = DefaultMaxConnsPerSource
	}
	if o.MaxConnsPerPeer <= 0 {
		o.MaxConnsPerPeer = DefaultMaxConnsPerPeer
	}
}

// Server serves a Registry's commands on the control sockets of a
// configuration: unix stream sockets (one JSON command, one JSON answer,
// then the connection is closed) and HTTP/HTTPS (POST, the answer wrapped
// in a one-element list). Create one with NewServer, bring the sockets up
// with Apply, and stop with Shutdown.
type Server struct {
	reg  *Registry
	opts Options
	log  *slog.Logger

	table  *connTable  // every socket's connections
	budget *byteBudget // command text held by all connections

	ctx    context.Context // handlers' context; cancelled when forced down
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[string]listener
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup // connection goroutines
	closed    bool
}

// listener is one open control socket.
type listener interface {
	// describe names the socket for logs and errors.
	describe() string
	// addr is the bound address (the path of a unix socket).
	addr() string
	// update applies settings that can change without re-binding.
	update(cs config.ControlSocket) error
	// stop stops accepting and removes what the socket left on disk.
	// It does not wait for connections in flight.
	stop()
	// drain waits for the listener's connections until ctx is done.
	drain(ctx context.Context) error
}

// NewServer returns a server for reg's commands. It opens nothing until
// Apply is called.
func NewServer(reg *Registry, opts Options) *Server {
	opts.fill()
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		reg:       reg,
		opts:      opts,
		log:       opts.Logger,
		table:     newConnTable(opts, opts.Logger),
		budget:    &byteBudget{limit: opts.MaxPendingBytes},
		ctx:       ctx,
		cancel:    cancel,
		listeners: make(map[string]listener),
		conns:     make(map[net.Conn]struct{}),
	}
}

// socketKey identifies a socket across reconfigurations: a unix socket by
// its path, an HTTP one by address and port (as Kea keys them).
func socketKey(cs config.ControlSocket) (string, error) {
	switch cs.Type {
	case "unix":
		if cs.Name == "" {
			return "", fmt.Errorf("unix control socket: socket-name is empty")
		}
		return "unix:" + cs.Name, nil
	case "http", "https":
		addr, err := httpAddr(cs)
		if err != nil {
			return "", err
		}
		return "tcp:" + addr, nil
	}
	return "", fmt.Errorf("control socket: unsupported socket-type '%s'", cs.Type)
}

func httpAddr(cs config.ControlSocket) (string, error) {
	host := cs.Address
	if host == "" {
		host = "127.0.0.1"
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("%s control socket: socket-address '%s' is not an IP address", cs.Type, cs.Address)
	}
	// The loader fills in Kea's default port 8000; port 0 left here asks
	// the kernel for a free port.
	return net.JoinHostPort(a.String(), strconv.Itoa(int(cs.Port))), nil
}

// Apply makes the open sockets match socks: sockets no longer listed are
// closed, new ones opened, and those kept get their new authentication,
// headers and TLS settings without being re-bound (so the connection that
// carried a config-set survives it). Either every change is made or,
// on error, none: the sockets already open stay as they were.
//
// A socket that is removed stops accepting at once; connections it was
// serving are left to finish.
func (s *Server) Apply(socks []config.ControlSocket) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("control server is shut down")
	}
	want := make(map[string]config.ControlSocket, len(socks))
	var order []string
	for _, cs := range socks {
		k, err := socketKey(cs)
		if err != nil {
			return err
		}
		if _, dup := want[k]; dup {
			return fmt.Errorf("control socket %s is configured twice", k)
		}
		want[k] = cs
		order = append(order, k)
	}

	// Check what kept sockets would become before touching anything.
	type change struct {
		l  listener
		cs config.ControlSocket
	}
	var changes []change
	for k, l := range s.listeners {
		cs, ok := want[k]
		if !ok {
			continue
		}
		if hl, ok := l.(*httpListener); ok {
			if err := hl.check(cs); err != nil {
				return err
			}
		}
		changes = append(changes, change{l, cs})
	}

	opened := make(map[string]listener)
	for _, k := range order {
		if _, ok := s.listeners[k]; ok {
			continue
		}
		l, err := s.open(want[k])
		if err != nil {
			for _, o := range opened {
				o.stop()
			}
			return err
		}
		opened[k] = l
	}

	for _, c := range changes {
		if err := c.l.update(c.cs); err != nil {
			// check above loaded the same files; a failure now means
			// they changed in between.
			s.log.Error("updating control socket failed", "socket", c.l.describe(), "error", err)
		}
	}
	for k, l := range s.listeners {
		if _, ok := want[k]; !ok {
			l.stop()
			delete(s.listeners, k)
			s.log.Info("control socket closed", "socket", l.describe())
		}
	}
	for k, l := range opened {
		s.listeners[k] = l
		s.log.Info("control socket open", "socket", l.describe())
	}
	return nil
}

func (s *Server) open(cs config.ControlSocket) (listener, error) {
	switch cs.Type {
	case "unix":
		return s.openUnix(cs.Name)
	default:
		return s.openHTTP(cs)
	}
}

// Addrs returns the bound address of every open socket: unix paths and
// host:port of HTTP sockets (useful when a test asked for port 0).
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.listeners {
		out = append(out, l.addr())
	}
	return out
}

// Shutdown closes every socket (removing unix socket files), then waits
// for commands in flight until ctx is done; after that it cancels the
// handlers' context and closes the remaining connections, and returns
// ctx's error. Do not call Shutdown from a command handler: it would wait
// for itself. A `shutdown` handler should tell the main loop instead.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	ls := s.listeners
	s.listeners = map[string]listener{}
	s.mu.Unlock()
	for _, l := range ls {
		l.stop()
	}
	var err error
	for _, l := range ls {
		if e := l.drain(ctx); e != nil && err == nil {
			err = e
		}
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	<-done
	return err
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// encode renders a response; a response whose arguments cannot be
// encoded becomes a result-1 answer saying so.
func encode(r Response) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(Errorf("internal server error: %v", err))
	}
	return b
}
