package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/lease"
)

// A Stack is an Engine as leased serves it: the server, optionally behind
// middleware, answering on dhcpserver sockets in inline mode, and
// reclaiming expired leases in the background ([Engine.Run]). The daemon,
// the demo and the tests that run a leased in-process build it with
// [NewStack], so that all of them serve the way production does.
type Stack struct {
	// Engine is the DHCPv4 engine.
	Engine *Engine
	// Handler is what the sockets call: Engine behind the middleware of
	// [StackOptions].Middleware, or Engine itself.
	Handler dhcpserver.Handler

	stopRun context.CancelFunc
	runDone chan error
}

// StackOptions say what differs between stacks.
type StackOptions struct {
	// Options are the server's.
	Options
	// Middleware, when set, returns the handler the sockets call in
	// front of next, the server (the daemon's counts by type, packet
	// log and socket filter).
	Middleware func(next dhcpserver.Handler) dhcpserver.Handler
}

// NewStack returns a server for cfg with leases in store (see [New]) and
// starts its reclamation of expired leases, which runs until Close.
func NewStack(ctx context.Context, cfg *config.Config, store lease.Store, o *StackOptions) (*Stack, error) {
	if o == nil {
		o = &StackOptions{}
	}
	srv, err := New(ctx, cfg, store, &o.Options)
	if err != nil {
		return nil, err
	}
	st := &Stack{Engine: srv, Handler: srv}
	if o.Middleware != nil {
		st.Handler = o.Middleware(srv)
	}
	runCtx, stop := context.WithCancel(context.Background())
	st.stopRun, st.runDone = stop, make(chan error, 1)
	go func() { st.runDone <- srv.Run(runCtx) }()
	return st, nil
}

// Close stops the reclamation of expired leases and waits for it to end.
// It does not close the sockets of Listen (their servers' Shutdown does)
// nor the store.
func (st *Stack) Close() {
	st.stopRun()
	<-st.runDone
}

// ListenOptions say which sockets a Stack serves on. The zero value
// serves every interface through one socket on port 67, answering
// clients on port 68.
type ListenOptions struct {
	// Interfaces are the interfaces to serve; none means all of them
	// (see dhcpserver.Server.Interfaces).
	Interfaces []string
	// ServerPort is the port to listen on and to answer relays on;
	// ClientPort is the port clients are answered on. 0 means 67 and 68.
	ServerPort, ClientPort uint16
	// NoRawSockets opens no packet sockets (see
	// dhcpserver.Server.NoRawSockets).
	NoRawSockets bool
	// Logger receives the sockets' log; the default discards it.
	Logger *slog.Logger
	// Open, when set, calls the function that opens the sockets, for
	// example in another network namespace (NS.Do); by default it is
	// called directly.
	Open func(listen func() error) error
}

// Listen opens the sockets o names and serves st.Handler on them in the
// background, until the returned server is shut down or closed; an error
// that ends the service otherwise is logged.
//
// The handler runs inline, on the goroutine that reads the socket, with
// no hand-off per message: the server never waits for the disk, since it
// defers each ACK until the group commit that makes its lease durable
// (see [Engine.ServeDHCP]), and a hand-off is what a lease costs most in
// CPU time otherwise. A shared store (lease.Shared: a database server) is
// the exception: each of its reads and writes waits for a round trip and
// each write for its commit, so messages are handed to the dhcpserver's
// workers, and many wait on the database at once, their commits flushed
// together by the database server, instead of one after another.
func (st *Stack) Listen(o ListenOptions) (*dhcpserver.Server, error) {
	port := o.ServerPort
	if port == 0 {
		port = dhcpserver.DefaultRelayPort
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ds := &dhcpserver.Server{
		Addr:         ":" + strconv.Itoa(int(port)),
		Interfaces:   o.Interfaces,
		Handler:      st.Handler,
		ClientPort:   o.ClientPort,
		RelayPort:    port,
		Logger:       log,
		Inline:       !st.Engine.shared,
		NoRawSockets: o.NoRawSockets,
	}
	open := o.Open
	if open == nil {
		open = func(listen func() error) error { return listen() }
	}
	if err := open(ds.Listen); err != nil {
		return nil, fmt.Errorf("listening on %s: %w", ifaceList(o.Interfaces), err)
	}
	go func() {
		if err := ds.Serve(); err != nil && !errors.Is(err, dhcpserver.ErrServerClosed) {
			log.Error("DHCP service stopped", "error", err)
		}
	}()
	return ds, nil
}

func ifaceList(ifaces []string) string {
	if len(ifaces) == 0 {
		return "*"
	}
	return strings.Join(ifaces, ",")
}
