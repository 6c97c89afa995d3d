package dhcptest

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
)

// A Server is a dhcpserver.Server listening on a free port of 127.0.0.1,
// paired with a Client whose port receives everything the server sends:
// replies to clients, broadcasts (BroadcastAddr is 127.0.0.1) and replies
// to relays alike.
type Server struct {
	// Config is the server under test. Change its fields between
	// NewUnstartedServer and Start.
	Config *dhcpserver.Server
	// Client is a client connected to the server.
	Client *Client
	// Addr is the server's address, set by Start.
	Addr netip.AddrPort

	t       testing.TB
	errc    chan error
	started bool
	closed  bool
}

// NewServer starts a server with handler h on loopback and returns it with
// its client. The test fails at once if that cannot be done, and the server
// is closed when the test ends.
func NewServer(t testing.TB, h dhcpserver.Handler) *Server {
	t.Helper()
	s := NewUnstartedServer(t, h)
	s.Start()
	return s
}

// NewUnstartedServer is like NewServer but does not start the server, so
// that the caller can change s.Config first.
func NewUnstartedServer(t testing.TB, h dhcpserver.Handler) *Server {
	t.Helper()
	c, err := NewClient(netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	port := c.LocalAddr().Port()
	s := &Server{
		Config: &dhcpserver.Server{
			Addr:          "127.0.0.1:0",
			Handler:       h,
			ClientPort:    port,
			RelayPort:     port,
			BroadcastAddr: netip.AddrFrom4([4]byte{127, 0, 0, 1}),
			NoRawSockets:  true,
			Workers:       8,
		},
		Client: c,
		t:      t,
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts the server.
func (s *Server) Start() {
	s.t.Helper()
	if s.started {
		s.t.Fatal("dhcptest: Start called twice")
	}
	if err := s.Config.Listen(); err != nil {
		s.t.Fatal(err)
	}
	s.Addr = s.Config.LocalAddr()
	s.Client.SetServer(s.Addr)
	s.errc = make(chan error, 1)
	go func() { s.errc <- s.Config.Serve() }()
	s.started = true
}

// Close shuts the server down, waiting up to 5 seconds for its handlers,
// and fails the test if Serve returned anything but ErrServerClosed.
func (s *Server) Close() {
	if s.closed {
		return
	}
	s.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Config.Shutdown(ctx); err != nil {
		s.t.Errorf("dhcptest: shutdown: %v", err)
	}
	if s.started {
		if err := <-s.errc; !errors.Is(err, dhcpserver.ErrServerClosed) {
			s.t.Errorf("dhcptest: Serve returned %v", err)
		}
	}
}
