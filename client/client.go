package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// Errors returned by the command methods.
var (
	ErrNotRunning = errors.New("client: not running")
	ErrNoLease    = errors.New("client: no lease to release")
)

// Status is a snapshot of a client.
type Status struct {
	State State
	// Since is when the client entered State.
	Since time.Time
	// Lease is the lease the client holds: the current one in BOUND,
	// RENEWING and REBINDING, the stored one it tries to confirm in
	// INIT-REBOOT and REBOOTING, nil otherwise.
	Lease *Lease
	// Probing is set while an ACKed address is being checked with ARP.
	Probing bool
	// Counters of messages sent and accepted.
	Counters Counters
	// StoreError is the last error from the Store, empty if the last call
	// succeeded.
	StoreError string
	// LinkDown is set while the Transport reports the link down (see
	// [LinkWatcher]).
	LinkDown bool
}

// Counters count messages by type.
type Counters struct {
	Discovers, Requests, Declines, Releases uint64
	Offers, Acks, Naks                      uint64
	SendErrors                              uint64
}

// Client is a DHCPv4 client for one interface and hardware address. Create
// it with New and run it with Run; the other methods may be called from any
// goroutine while it runs.
type Client struct {
	cfg      Config
	tr       Transport
	hw       net.HardwareAddr
	clientID []byte
	fqdn     []byte
	prl      []byte
	log      *slog.Logger

	cmds     chan command
	rx       chan rxItem
	probeRes chan probeResult
	linkEv   chan bool
	stopping chan struct{}
	done     chan struct{}
	started  atomic.Bool
	wg       sync.WaitGroup

	mu        sync.Mutex
	status    Status
	changed   chan struct{}
	published struct {
		st       State
		lease    *Lease
		probing  bool
		linkDown bool
	}

	// Everything below is owned by the goroutine in Run.
	ctx          context.Context
	builder      dhcpv4.Builder
	out          []byte
	pkt          dhcpv4.Packet
	st           State
	since        time.Time
	cur          msgParams  // the message being (re)transmitted
	curDst       netip.Addr // and where it goes
	start        time.Time  // start of the current exchange, for secs
	sent         time.Time  // first transmission of the current request
	attempts     int
	retransmitAt time.Time
	wakeAt       time.Time
	offerAddr    netip.Addr
	offerServer  netip.Addr
	lease        *Lease
	prevAddr     netip.Addr // suggested in DISCOVER after an expiry
	naks         int
	conflicts    int
	probing      bool
	probeGen     int
	probeCancel  context.CancelFunc
	pending      *Lease
	conn         Conn
	connGen      int
	connAddr     netip.Addr // the bound conn's address; invalid for unbound
	linkCheckAt  time.Time
	linkWatch    LinkWatch
	linkDown     bool
	counters     Counters
	storeErr     string
	lastSecs     time.Duration // secs of the last message sent
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
	gen int
	b   []byte
	err error
}

type probeResult struct {
	gen      int
	conflict bool
	err      error
}

// New checks cfg and returns a client ready to Run. Without a Transport it
// opens none yet, but looks the interface up, so a missing interface is
// reported here.
func New(cfg Config) (*Client, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg,
		tr:       cfg.Transport,
		hw:       cfg.HardwareAddr,
		log:      cfg.Logger,
		cmds:     make(chan command),
		rx:       make(chan rxItem),
		probeRes: make(chan probeResult),
		linkEv:   make(chan bool),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
		out:      make([]byte, maxMessageSize),
	}
	if cfg.Interface != "" {
		c.log = c.log.With("interface", cfg.Interface)
	}
	if c.tr == nil {
		lt, err := NewLinkTransport(cfg.Interface)
		if err != nil {
			return nil, err
		}
		c.tr = lt
		if c.hw == nil {
			c.hw = lt.HardwareAddr()
		}
	}
	if len(c.hw) == 0 {
		return nil, fmt.Errorf("client: interface %s has no hardware address", cfg.Interface)
	}
	c.hw = bytes.Clone(c.hw)
	switch {
	case cfg.NoClientID:
	case cfg.ClientID != nil:
		c.clientID = bytes.Clone(cfg.ClientID)
	default:
		c.clientID = append([]byte{1}, c.hw...)
	}
	if cfg.FQDN != "" {
		name, _ := encodeDomainName(cfg.FQDN) // checked by normalize
		c.fqdn = append([]byte{cfg.FQDNFlags | dhcpv4.FQDNEncoded, 0, 0}, name...)
	}
	for _, code := range cfg.ParameterRequestList {
		c.prl = append(c.prl, byte(code))
	}
	c.status.State = StateInit
	return c, nil
}

// HardwareAddr returns the client's hardware address.
func (c *Client) HardwareAddr() net.HardwareAddr { return bytes.Clone(c.hw) }

// ClientID returns the client identifier the client sends, nil if none.
func (c *Client) ClientID() []byte { return bytes.Clone(c.clientID) }

// Status returns a snapshot of the client.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	s.Lease = s.Lease.Clone()
	return s
}

// WaitFor waits until ok returns true for the client's status, the client
// stops, or ctx ends, and returns the last status seen.
func (c *Client) WaitFor(ctx context.Context, ok func(Status) bool) (Status, error) {
	for {
		c.mu.Lock()
		s, ch := c.status, c.changed
		c.mu.Unlock()
		s.Lease = s.Lease.Clone()
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

// Release gives the lease back: it sends a DHCPRELEASE to the server,
// removes the lease from the Store and the system, and leaves the client
// in RELEASED until Renew.
func (c *Client) Release(ctx context.Context) error { return c.do(ctx, cmdRelease) }

// Renew asks for the lease to be extended now: a BOUND client enters
// RENEWING; a client that is already asking retransmits at once; a client
// in INIT or RELEASED starts a DISCOVER at once.
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

// Run runs the client until ctx ends or it fails: an error receiving, an
// interface that disappeared, an Action that failed. It returns nil when
// ctx ends. A Client runs once.
func (c *Client) Run(ctx context.Context) (err error) {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("client: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.ctx = ctx
	defer func() {
		if ctx.Err() != nil && err == nil && c.cfg.ReleaseOnStop && c.lease != nil {
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			c.ctx = rctx
			err = c.release(c.now())
			rcancel()
		}
		close(c.stopping)
		if c.linkWatch != nil {
			_ = c.linkWatch.Close()
		}
		c.closeConn()
		if c.probeCancel != nil {
			c.probeCancel()
		}
		c.wg.Wait()
		c.publish()
		close(c.done)
	}()

	now := c.now()
	if _, ok := c.tr.(LinkChecker); ok {
		c.linkCheckAt = now.Add(c.cfg.LinkCheckInterval)
	}
	c.watchLink()
	c.begin(now)
	c.publish()

	timer := c.cfg.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now = c.now()
		if err := c.fire(now); err != nil {
			return err
		}
		c.publish()
		next := c.deadline()
		if !c.linkCheckAt.IsZero() && (next.IsZero() || c.linkCheckAt.Before(next)) {
			next = c.linkCheckAt
		}
		if next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(max(next.Sub(now), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case cmd := <-c.cmds:
			// Publish before answering, so that a caller sees the effect
			// of its command in Status.
			err := c.command(cmd.kind)
			c.publish()
			cmd.reply <- err
		case it := <-c.rx:
			if err := c.receive(it); err != nil {
				return err
			}
		case r := <-c.probeRes:
			if err := c.probeDone(r); err != nil {
				return err
			}
		case up := <-c.linkEv:
			c.linkChanged(c.now(), up)
		case <-timer.C():
		}
	}
}

func (c *Client) apply(kind EventKind, l, old *Lease) error {
	if c.cfg.Action == nil {
		return nil
	}
	err := c.cfg.Action.Apply(c.ctx, Event{Kind: kind, Interface: c.cfg.Interface, Lease: l, Old: old})
	if err != nil {
		return fmt.Errorf("client: action for %s event: %w", kind, err)
	}
	return nil
}

func (c *Client) storeSave(l *Lease) {
	if c.cfg.Store == nil {
		return
	}
	if err := c.cfg.Store.Save(l); err != nil {
		c.storeErr = err.Error()
		c.log.Error("could not store lease", "error", err)
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
		c.log.Error("could not remove stored lease", "error", err)
		return
	}
	c.storeErr = ""
}

// publish updates the status snapshot and tells waiters about changes of
// state, lease or probing.
func (c *Client) publish() {
	changed := c.st != c.published.st || c.lease != c.published.lease || c.probing != c.published.probing ||
		c.linkDown != c.published.linkDown
	c.mu.Lock()
	c.status.State = c.st
	c.status.Since = c.since
	c.status.Probing = c.probing
	c.status.Counters = c.counters
	c.status.StoreError = c.storeErr
	c.status.LinkDown = c.linkDown
	if changed {
		c.status.Lease = c.lease.Clone()
		close(c.changed)
		c.changed = make(chan struct{})
	}
	s := c.status
	c.mu.Unlock()
	if changed {
		c.published.st, c.published.lease, c.published.probing = c.st, c.lease, c.probing
		c.published.linkDown = c.linkDown
		if c.cfg.OnChange != nil {
			s.Lease = s.Lease.Clone()
			c.cfg.OnChange(s)
		}
	}
}
