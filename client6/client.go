package client6

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// Errors returned by the command methods.
var (
	ErrNotRunning = errors.New("client6: not running")
	ErrNoBinding  = errors.New("client6: no leases to release")
)

// Status is a snapshot of a client.
type Status struct {
	State State
	// Since is when the client entered State.
	Since time.Time
	// Binding is what the client holds (or, while confirming or
	// rebinding after a restart, what it stored); for an
	// information-only client, the configuration it received. Nil if
	// nothing.
	Binding  *Binding
	Counters Counters
	// StoreError is the last error from the Store, empty if the last call
	// succeeded.
	StoreError string
}

// Counters count the messages sent and accepted, by type.
type Counters struct {
	Sent       map[dhcpv6.MessageType]uint64
	Received   map[dhcpv6.MessageType]uint64
	SendErrors uint64
}

func (c Counters) clone() Counters {
	c.Sent = cloneMap(c.Sent)
	c.Received = cloneMap(c.Received)
	return c
}

func cloneMap(m map[dhcpv6.MessageType]uint64) map[dhcpv6.MessageType]uint64 {
	out := make(map[dhcpv6.MessageType]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Client is a DHCPv6 client for one interface. Create it with New and run
// it with Run; the other methods may be called from any goroutine while it
// runs.
type Client struct {
	cfg  Config
	tr   Transport
	hw   net.HardwareAddr
	duid dhcpv6.DUID
	log  *slog.Logger

	cmds     chan command
	rx       chan rxItem
	dad      chan dadResult
	stopping chan struct{}
	done     chan struct{}
	started  atomic.Bool
	wg       sync.WaitGroup

	mu        sync.Mutex
	status    Status
	changed   chan struct{}
	published struct {
		st      State
		binding *Binding
	}

	// Everything below is owned by the goroutine in Run.
	ctx      context.Context
	conn     Conn
	builder  dhcpv6.Builder
	out      []byte
	in       dhcpv6.Message
	st       State
	since    time.Time
	ex       exchange
	wakeAt   time.Time
	binding  *Binding
	adverts  []advert
	solMaxRT time.Duration
	infMaxRT time.Duration
	noHints  bool // the last Request met NotOnLink: solicit without hints
	failures int  // Solicit rounds in a row that gave no leases
	reconfRD uint64
	counters Counters
	storeErr string
}

type cmdKind uint8

const (
	cmdRelease cmdKind = iota + 1
	cmdRenew
)

type command struct {
	kind  cmdKind
	reply chan error
}

type rxItem struct {
	b   []byte
	err error
}

// New checks cfg and returns a client ready to Run. It loads or creates
// the DUID, so a DUID file that cannot be written is reported here.
func New(cfg Config) (*Client, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg,
		tr:       cfg.Transport,
		log:      cfg.Logger,
		cmds:     make(chan command),
		rx:       make(chan rxItem),
		dad:      make(chan dadResult),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
		out:      make([]byte, 0, 1500),
		solMaxRT: solMaxRT,
		infMaxRT: infMaxRT,
		counters: Counters{Sent: map[dhcpv6.MessageType]uint64{}, Received: map[dhcpv6.MessageType]uint64{}},
	}
	if cfg.Interface != "" {
		c.log = c.log.With("interface", cfg.Interface)
		ifi, err := net.InterfaceByName(cfg.Interface)
		if err != nil {
			return nil, fmt.Errorf("client6: interface %q: %w", cfg.Interface, err)
		}
		c.hw = ifi.HardwareAddr
		if c.tr == nil {
			c.tr = &UDPTransport{Interface: cfg.Interface}
		}
	}
	duid, err := c.cfg.loadDUID(c.hw, time.Now())
	if err != nil {
		return nil, err
	}
	c.duid = duid
	c.status.State = StateInit
	return c, nil
}

// DUID returns the client's DUID.
func (c *Client) DUID() dhcpv6.DUID { return slices.Clone(c.duid) }

// Status returns a snapshot of the client.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	s.Binding = s.Binding.Clone()
	s.Counters = s.Counters.clone()
	return s
}

// WaitFor waits until ok returns true for the client's status, the client
// stops, or ctx ends, and returns the last status seen.
func (c *Client) WaitFor(ctx context.Context, ok func(Status) bool) (Status, error) {
	for {
		c.mu.Lock()
		s, ch := c.status, c.changed
		s.Binding = s.Binding.Clone()
		s.Counters = s.Counters.clone()
		c.mu.Unlock()
		if ok(s) {
			return s, nil
		}
		select {
		case <-ch:
		case <-c.done:
			return c.Status(), ErrNotRunning
		case <-ctx.Done():
			return s, ctx.Err()
		}
	}
}

// Release gives the leases back: it removes them from the system (the
// Action) and the Store, sends a Release to the server and waits for its
// Reply or the end of the retransmissions (RFC 8415 §18.2.7), leaving the
// client in RELEASED until Renew.
func (c *Client) Release(ctx context.Context) error {
	if err := c.do(ctx, cmdRelease); err != nil {
		return err
	}
	_, err := c.WaitFor(ctx, func(s Status) bool { return s.State == StateReleased })
	return err
}

// Renew asks for the leases to be extended now: a BOUND client sends a
// Renew; a client that is already asking retransmits at once; a client in
// RELEASED or INIT solicits at once; an information-only client sends an
// Information-request.
func (c *Client) Renew(ctx context.Context) error { return c.do(ctx, cmdRenew) }

func (c *Client) do(ctx context.Context, k cmdKind) error {
	if !c.started.Load() {
		return ErrNotRunning
	}
	cmd := command{kind: k, reply: make(chan error, 1)}
	select {
	case c.cmds <- cmd:
	case <-c.done:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-cmd.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run runs the client until ctx ends or it fails: an error opening or
// receiving on its connection, an Action that failed. It returns nil when
// ctx ends. A Client runs once.
func (c *Client) Run(ctx context.Context) (err error) {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("client6: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.ctx = ctx
	defer func() {
		if ctx.Err() != nil && err == nil && c.cfg.ReleaseOnStop && c.binding.HasLeases() {
			err = c.releaseOnStop()
		}
		// Ends duplicate address detection still under way, so that
		// its goroutine returns before Run does.
		cancel()
		close(c.stopping)
		if c.conn != nil {
			_ = c.conn.Close()
		}
		c.wg.Wait()
		c.publish()
		close(c.done)
	}()

	conn, err := c.tr.Open()
	if err != nil {
		return fmt.Errorf("client6: opening connection: %w", err)
	}
	c.startReader(conn)
	now := time.Now()
	if err := c.begin(now); err != nil {
		return err
	}
	c.publish()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now = time.Now()
		if err := c.fire(now); err != nil {
			return err
		}
		c.publish()
		if next := c.deadline(); next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(max(next.Sub(now), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case cmd := <-c.cmds:
			err := c.command(cmd.kind, time.Now())
			c.publish()
			cmd.reply <- err
		case it := <-c.rx:
			if it.err != nil {
				return fmt.Errorf("client6: receiving: %w", it.err)
			}
			if err := c.receive(it.b, time.Now()); err != nil {
				return err
			}
		case r := <-c.dad:
			if err := c.dadDone(r, time.Now()); err != nil {
				return err
			}
		case <-timer.C:
		}
	}
}

// releaseOnStop releases the leases when Run's context ends, with a
// context of its own: one Release, and a short wait for its Reply.
func (c *Client) releaseOnStop() error {
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(c.ctx), 5*time.Second)
	defer rcancel()
	c.ctx = rctx
	now := time.Now()
	if err := c.startRelease(now); err != nil {
		return err
	}
	deadline := time.NewTimer(2 * time.Second)
	defer deadline.Stop()
	for c.st == StateReleasing {
		select {
		case it := <-c.rx:
			if it.err != nil {
				return nil
			}
			if err := c.receive(it.b, time.Now()); err != nil {
				return err
			}
		case <-deadline.C:
			return nil
		}
	}
	return nil
}

func (c *Client) startReader(conn Conn) {
	c.conn = conn
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			buf := make([]byte, 65536)
			n, err := conn.Receive(buf)
			select {
			case c.rx <- rxItem{b: buf[:n], err: err}:
			case <-c.stopping:
				return
			}
			if err != nil {
				return
			}
		}
	}()
}

func (c *Client) apply(kind EventKind, b, old *Binding) error {
	if c.cfg.Action == nil {
		return nil
	}
	err := c.cfg.Action.Apply(c.ctx, Event{Kind: kind, Interface: c.cfg.Interface, Binding: b.Clone(), Old: old.Clone()})
	if err != nil {
		return fmt.Errorf("client6: action for %s event: %w", kind, err)
	}
	return nil
}

func (c *Client) storeSave(b *Binding) {
	if c.cfg.Store == nil {
		return
	}
	if err := c.cfg.Store.Save(b.Clone()); err != nil {
		c.storeErr = err.Error()
		c.log.Error("could not store binding", "error", err)
		return
	}
	c.storeErr = ""
}

func (c *Client) storeRemove() {
	if c.cfg.Store == nil {
		return
	}
	if err := c.cfg.Store.Remove(); err != nil {
		c.storeErr = err.Error()
		c.log.Error("could not remove stored binding", "error", err)
		return
	}
	c.storeErr = ""
}

// publish updates the status snapshot and wakes waiters on a change of
// state or binding.
func (c *Client) publish() {
	changed := c.st != c.published.st || c.binding != c.published.binding
	c.mu.Lock()
	c.status.State = c.st
	c.status.Since = c.since
	c.status.Counters = c.counters.clone()
	c.status.StoreError = c.storeErr
	if changed {
		c.status.Binding = c.binding.Clone()
		close(c.changed)
		c.changed = make(chan struct{})
	}
	s := c.status
	c.mu.Unlock()
	if changed {
		c.published.st, c.published.binding = c.st, c.binding
		if c.cfg.OnChange != nil {
			s.Binding = s.Binding.Clone()
			s.Counters = s.Counters.clone()
			c.cfg.OnChange(s)
		}
	}
}
