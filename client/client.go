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

// begin picks the first state: INIT-REBOOT for a stored lease still
// valid, INIT otherwise.
func (c *Client) begin(now time.Time) {
	if r := c.cfg.Resume; r != nil {
		switch err := r.Validate(); {
		case err != nil:
			c.log.Warn("stored lease unusable, starting in INIT", "error", err)
			c.storeRemove()
		case r.Expired(now):
			c.log.Info("stored lease expired, starting in INIT", "address", r.Address, "expired", r.Expires())
			c.storeRemove()
			c.prevAddr = r.Address.Addr()
		default:
			c.lease = r.Clone()
			c.setState(StateInitReboot, now)
			c.wakeAt = now
			return
		}
	}
	c.setState(StateInit, now)
	c.wakeAt = now
	if c.cfg.InitDelay > 0 {
		c.wakeAt = now.Add(time.Duration(c.cfg.Rand.Int64N(int64(c.cfg.InitDelay) + 1)))
	}
}

func (c *Client) now() time.Time { return c.cfg.Clock.Now() }

func (c *Client) setState(s State, now time.Time) {
	if s != c.st || c.since.IsZero() {
		if !c.since.IsZero() {
			c.log.Debug("DHCP state change", "from", c.st, "to", s)
		}
		c.since = now
	}
	c.st = s
}

// deadline is when the current state next needs the timer; zero if never.
func (c *Client) deadline() time.Time {
	switch c.st {
	case StateInit, StateInitReboot:
		return c.wakeAt
	case StateSelecting:
		return c.retransmitAt
	case StateRequesting:
		if c.probing {
			return time.Time{}
		}
		return c.retransmitAt
	case StateBound:
		if c.lease.Infinite() {
			return time.Time{}
		}
		return c.lease.RenewAt()
	case StateRenewing:
		return earliest(c.retransmitAt, c.lease.RebindAt())
	case StateRebinding, StateRebooting:
		if c.lease.Infinite() {
			return c.retransmitAt
		}
		return earliest(c.retransmitAt, c.lease.Expires())
	}
	return time.Time{}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// fire does what is due at now.
func (c *Client) fire(now time.Time) error {
	if !c.linkCheckAt.IsZero() && !now.Before(c.linkCheckAt) {
		c.linkCheckAt = now.Add(c.cfg.LinkCheckInterval)
		if err := c.tr.(LinkChecker).CheckLink(); err != nil {
			return err
		}
	}
	// Each step moves the deadline or the state; the bound only guards
	// against a clock that jumps over several deadlines at once.
	for range 8 {
		d := c.deadline()
		if d.IsZero() || now.Before(d) {
			return nil
		}
		if err := c.step(now); err != nil {
			return err
		}
	}
	return nil
}

// step handles the deadline of the current state.
func (c *Client) step(now time.Time) error {
	switch c.st {
	case StateInit:
		return c.discover(now)
	case StateInitReboot:
		return c.reboot(now)
	case StateSelecting:
		c.retransmit(now)
	case StateRequesting:
		if c.attempts >= c.cfg.MaxRetransmits {
			c.log.Warn("no answer to DHCPREQUEST, starting over", "address", c.offerAddr, "server", c.offerServer)
			c.setState(StateInit, now)
			c.wakeAt = now
			return nil
		}
		c.retransmit(now)
	case StateBound:
		return c.renew(now)
	case StateRenewing:
		if !now.Before(c.lease.RebindAt()) {
			return c.rebind(now)
		}
		c.retransmit(now)
	case StateRebinding:
		if c.lease.Expired(now) {
			return c.expire(now)
		}
		c.retransmit(now)
	case StateRebooting:
		if c.lease.Expired(now) {
			return c.expire(now)
		}
		if c.attempts >= c.cfg.MaxRetransmits {
			return c.rebootTimeout(now)
		}
		c.retransmit(now)
	}
	return nil
}

// transmit sends a new message and schedules its retransmission.
func (c *Client) transmit(now time.Time, p msgParams, dst netip.Addr) {
	c.cur, c.curDst = p, dst
	c.attempts = 0
	c.sent = now
	c.send(now)
	c.retransmitAt = now.Add(c.retransmitWait(now))
}

func (c *Client) retransmit(now time.Time) {
	c.attempts++
	c.send(now)
	c.retransmitAt = now.Add(c.retransmitWait(now))
}

// retransmitWait is the wait before the next retransmission: the
// exponential back-off of RFC 2131 §4.1 while acquiring, and half the time
// left to T2 or to the expiry, at least MinRenewInterval, while renewing
// and rebinding (§4.4.5).
func (c *Client) retransmitWait(now time.Time) time.Duration {
	switch c.st {
	case StateRenewing:
		return max(c.lease.RebindAt().Sub(now)/2, c.cfg.MinRenewInterval)
	case StateRebinding:
		return max(c.lease.Expires().Sub(now)/2, c.cfg.MinRenewInterval)
	}
	return c.cfg.Backoff.Wait(c.attempts, c.cfg.Rand)
}

// send (re)sends the current message, with secs counted from the start of
// the exchange. Send errors are logged, not fatal: the next retransmission
// tries again, and a vanished interface is caught by the link check.
func (c *Client) send(now time.Time) {
	p := c.cur
	if p.mt != dhcpv4.Request || c.st != StateRequesting {
		// A DHCPREQUEST in REQUESTING keeps the secs of the DISCOVER it
		// follows (RFC 2131 §4.4.1), which c.cur already holds.
		p.secs = now.Sub(c.start)
	}
	c.lastSecs = p.secs
	c.transmitOnce(p, c.curDst)
}

func (c *Client) transmitOnce(p msgParams, dst netip.Addr) {
	msg, err := c.build(p)
	if err == nil {
		if c.conn == nil {
			err = errors.New("no connection open")
		} else {
			err = c.conn.Send(msg, dst)
		}
	}
	if err != nil {
		c.counters.SendErrors++
		c.log.Warn("sending failed", "message", p.mt, "to", dst, "error", err)
		return
	}
	switch p.mt {
	case dhcpv4.Discover:
		c.counters.Discovers++
	case dhcpv4.Request:
		c.counters.Requests++
	case dhcpv4.Decline:
		c.counters.Declines++
	case dhcpv4.Release:
		c.counters.Releases++
	}
	c.log.Debug("sent", "message", p.mt, "xid", fmt.Sprintf("%#08x", p.xid), "to", dst, "state", c.st)
}

// discover starts acquiring a lease: INIT → SELECTING.
func (c *Client) discover(now time.Time) error {
	if err := c.openUnbound(); err != nil {
		return err
	}
	c.setState(StateSelecting, now)
	c.start = now
	c.transmit(now, msgParams{mt: dhcpv4.Discover, xid: c.cfg.Rand.Uint32(), requested: c.prevAddr}, Broadcast)
	return nil
}

// reboot asks to confirm the stored lease: INIT-REBOOT → REBOOTING. The
// DHCPREQUEST names the address and no server (RFC 2131 §4.3.2).
func (c *Client) reboot(now time.Time) error {
	if err := c.openUnbound(); err != nil {
		return err
	}
	c.log.Info("confirming lease with INIT-REBOOT", "address", c.lease.Address, "expires", c.lease.Expires())
	c.setState(StateRebooting, now)
	c.start = now
	c.transmit(now, msgParams{mt: dhcpv4.Request, xid: c.cfg.Rand.Uint32(), requested: c.lease.Address.Addr()}, Broadcast)
	return nil
}

// renew enters RENEWING: a DHCPREQUEST with ciaddr, unicast to the server
// that granted the lease.
func (c *Client) renew(now time.Time) error {
	if err := c.openBound(c.lease.Address.Addr()); err != nil {
		return err
	}
	c.setState(StateRenewing, now)
	c.start = now
	c.transmit(now, msgParams{mt: dhcpv4.Request, xid: c.cfg.Rand.Uint32(), ciaddr: c.lease.Address.Addr()}, c.lease.ServerID)
	return nil
}

// rebind enters REBINDING: the same request, broadcast to any server.
func (c *Client) rebind(now time.Time) error {
	if err := c.openBound(c.lease.Address.Addr()); err != nil {
		return err
	}
	c.setState(StateRebinding, now)
	c.start = now
	c.transmit(now, msgParams{mt: dhcpv4.Request, xid: c.cfg.Rand.Uint32(), ciaddr: c.lease.Address.Addr()}, Broadcast)
	return nil
}

// receive handles one item from a reader.
func (c *Client) receive(it rxItem) error {
	if it.gen != c.connGen {
		return nil // from a connection already closed
	}
	if it.err != nil {
		return fmt.Errorf("client: receiving: %w", it.err)
	}
	p := &c.pkt
	if err := p.Decode(it.b); err != nil {
		c.log.Debug("dropped malformed message", "error", err)
		return nil
	}
	if p.Op() != dhcpv4.BootReply || p.XID() != c.cur.xid || !bytes.Equal(p.CHAddr(), c.hw) {
		return nil
	}
	now := c.now()
	switch mt := p.MessageType(); mt {
	case dhcpv4.Offer:
		c.offer(now, p)
	case dhcpv4.Ack:
		return c.ack(now, p)
	case dhcpv4.Nak:
		return c.nak(now, p)
	}
	return nil
}

func (c *Client) offer(now time.Time, p *dhcpv4.Packet) {
	if c.st != StateSelecting {
		return
	}
	yi := p.YIAddr()
	sid, ok := p.ServerID()
	if yi.IsUnspecified() || !ok {
		c.log.Debug("ignored OFFER without address or server identifier")
		return
	}
	c.counters.Offers++
	c.offerAddr, c.offerServer = yi, sid
	c.log.Debug("offered", "address", yi, "server", sid)
	c.setState(StateRequesting, now)
	// Every REQUEST of this exchange keeps the secs of the last DISCOVER.
	c.transmit(now, msgParams{mt: dhcpv4.Request, xid: c.cur.xid, secs: c.lastSecs, requested: yi, serverID: sid}, Broadcast)
}

func (c *Client) ack(now time.Time, p *dhcpv4.Packet) error {
	var kind EventKind
	fallback := netip.Addr{}
	switch c.st {
	case StateRequesting:
		if c.probing {
			return nil
		}
		if sid, ok := p.ServerID(); ok && sid != c.offerServer {
			return nil
		}
		kind, fallback = EventBound, c.offerServer
	case StateRebooting:
		kind, fallback = EventReboot, c.lease.ServerID
	case StateRenewing:
		kind, fallback = EventRenew, c.lease.ServerID
	case StateRebinding:
		kind, fallback = EventRebind, c.lease.ServerID
	default:
		return nil
	}
	l, err := LeaseFromAck(p, c.sent, fallback)
	if err == nil {
		err = l.Validate()
	}
	if err != nil {
		c.log.Warn("ignored unusable ACK", "error", err)
		return nil
	}
	c.counters.Acks++
	l.ClientID = bytes.Clone(c.clientID)
	if kind == EventBound && c.cfg.Prober != nil {
		c.startProbe(l)
		return nil
	}
	return c.bind(now, l, kind)
}

func (c *Client) nak(now time.Time, p *dhcpv4.Packet) error {
	switch c.st {
	case StateRequesting:
		if sid, ok := p.ServerID(); ok && sid != c.offerServer {
			return nil
		}
	case StateRebooting, StateRenewing, StateRebinding:
	default:
		return nil
	}
	c.counters.Naks++
	msg, _ := p.Option(dhcpv4.OptionMessage)
	sid, _ := p.ServerID()
	c.log.Warn("lease refused (NAK)", "state", c.st, "server", sid, "message", string(msg))
	c.cancelProbe()
	old := c.lease
	c.lease = nil
	c.prevAddr = netip.Addr{}
	c.naks++
	c.setState(StateInit, now)
	// Repeated NAKs back off, so that two servers that disagree do not
	// drive the client around in a tight loop.
	c.wakeAt = now
	if c.naks > 1 {
		c.wakeAt = now.Add(c.cfg.Backoff.Wait(c.naks-2, c.cfg.Rand))
	}
	if old != nil {
		c.storeRemove()
		if err := c.apply(EventNak, nil, old); err != nil {
			return err
		}
	}
	c.closeConn()
	return nil
}

// bind takes lease l: BOUND. The Store learns of it before the Action
// applies it.
func (c *Client) bind(now time.Time, l *Lease, kind EventKind) error {
	old := c.lease
	c.lease = l
	c.naks, c.conflicts = 0, 0
	c.setState(StateBound, now)
	c.log.Info("lease "+kind.String(), "address", l.Address, "server", l.ServerID,
		"lease", l.LeaseTime, "t1", l.T1, "t2", l.T2, "expires", l.Expires())
	if kind != EventTimeout {
		c.storeSave(l)
	}
	if err := c.apply(kind, l, old); err != nil {
		return err
	}
	return c.openBound(l.Address.Addr())
}

// expire drops a lease that ran out: INIT, and a DISCOVER at once.
func (c *Client) expire(now time.Time) error {
	old := c.lease
	c.log.Warn("lease expired", "address", old.Address, "expired", old.Expires())
	c.lease = nil
	c.prevAddr = old.Address.Addr()
	c.setState(StateInit, now)
	c.wakeAt = now
	c.storeRemove()
	if err := c.apply(EventExpire, nil, old); err != nil {
		return err
	}
	c.closeConn()
	return nil
}

// rebootTimeout keeps the stored lease when no server answered in
// REBOOTING (RFC 2131 §3.2): BOUND with the stored timers, so the client
// renews at the stored T1 and gives the address up at the stored expiry.
func (c *Client) rebootTimeout(now time.Time) error {
	c.log.Warn("no answer to INIT-REBOOT request, keeping stored lease", "address", c.lease.Address, "expires", c.lease.Expires())
	return c.bind(now, c.lease, EventTimeout)
}

// release sends a DHCPRELEASE for the current lease and drops it.
func (c *Client) release(now time.Time) error {
	c.cancelProbe()
	old := c.lease
	c.setState(StateReleased, now)
	c.lease = nil
	c.prevAddr = netip.Addr{}
	if old == nil {
		c.closeConn()
		return nil
	}
	var sendErr error
	if err := c.openBound(old.Address.Addr()); err == nil {
		c.transmitOnce(msgParams{mt: dhcpv4.Release, xid: c.cfg.Rand.Uint32(), ciaddr: old.Address.Addr(), serverID: old.ServerID}, old.ServerID)
	} else {
		sendErr = err
	}
	c.closeConn()
	c.log.Info("lease released", "address", old.Address, "server", old.ServerID)
	c.storeRemove()
	return errors.Join(sendErr, c.apply(EventRelease, nil, old))
}

// decline refuses an ACKed address another host uses (RFC 2131 §3.1 step
// 5) and waits before starting again; after ten conflicts in a row the wait
// is at least a minute (RFC 5227 §2.1.1, MAX_CONFLICTS, RATE_LIMIT_INTERVAL).
func (c *Client) decline(now time.Time, l *Lease) error {
	if err := c.openUnbound(); err != nil {
		return err
	}
	c.log.Warn("address in use, declining", "address", l.Address.Addr(), "server", l.ServerID)
	c.transmitOnce(msgParams{mt: dhcpv4.Decline, xid: c.cfg.Rand.Uint32(), requested: l.Address.Addr(), serverID: l.ServerID, message: "address in use"}, Broadcast)
	c.conflicts++
	wait := c.cfg.DeclineWait
	if c.conflicts >= 10 {
		wait = max(wait, time.Minute)
	}
	c.setState(StateInit, now)
	c.wakeAt = now.Add(wait)
	c.prevAddr = netip.Addr{}
	c.closeConn()
	return nil
}

func (c *Client) startProbe(l *Lease) {
	c.cancelProbe()
	c.probing = true
	c.pending = l
	c.probeGen++
	gen := c.probeGen
	ctx, cancel := context.WithCancel(c.ctx)
	c.probeCancel = cancel
	addr := l.Address.Addr()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		conflict, err := c.cfg.Prober.Probe(ctx, addr, c.hw)
		select {
		case c.probeRes <- probeResult{gen: gen, conflict: conflict, err: err}:
		case <-ctx.Done():
		}
	}()
}

func (c *Client) cancelProbe() {
	if c.probeCancel != nil {
		c.probeCancel()
		c.probeCancel = nil
	}
	c.probing = false
	c.pending = nil
}

func (c *Client) probeDone(r probeResult) error {
	if r.gen != c.probeGen || !c.probing {
		return nil
	}
	l := c.pending
	c.cancelProbe()
	now := c.now()
	if r.err != nil {
		// A probe that could not run says nothing about the address; the
		// server's word stands.
		c.log.Warn("ARP probe failed, using the address", "address", l.Address.Addr(), "error", r.err)
	} else if r.conflict {
		return c.decline(now, l)
	}
	return c.bind(now, l, EventBound)
}

func (c *Client) command(k cmdKind) error {
	now := c.now()
	switch k {
	case cmdRelease:
		if c.lease == nil {
			return ErrNoLease
		}
		return c.release(now)
	case cmdRenew:
		switch c.st {
		case StateBound:
			return c.renew(now)
		case StateInit, StateInitReboot:
			c.wakeAt = now
		case StateReleased:
			c.setState(StateInit, now)
			c.wakeAt = now
		case StateRequesting:
			if !c.probing {
				c.retransmitAt = now
			}
		default:
			c.retransmitAt = now
		}
	}
	return nil
}

// watchLink starts following the link's state if the Transport can
// report it. A watch that cannot start costs only the reaction to link
// changes, so it is logged, not fatal.
func (c *Client) watchLink() {
	lw, ok := c.tr.(LinkWatcher)
	if !ok || c.cfg.IgnoreLink {
		return
	}
	w, err := lw.WatchLink()
	if err != nil {
		c.log.Warn("not watching the link; a link that goes down and up again will go unnoticed", "error", err)
		return
	}
	c.linkWatch = w
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			up, err := w.Next()
			if err != nil {
				select {
				case <-c.stopping:
				default:
					c.log.Warn("stopped watching the link", "error", err)
				}
				return
			}
			select {
			case c.linkEv <- up:
			case <-c.stopping:
				return
			}
		}
	}()
}

// linkChanged handles a change of the link's state. A client whose link
// went down and came back may have been moved to another network (RFC 2131
// §3.7): when the link returns, a client holding a lease, or confirming
// one, confirms it at once with INIT-REBOOT, keeping the address
// meanwhile. An ACK binds it with the new expiry, a NAK sends it to INIT,
// and no answer leaves it the lease until its expiry, as at a restart.
// Clients acquiring a lease carry on with their retransmissions.
func (c *Client) linkChanged(now time.Time, up bool) {
	if !up {
		if !c.linkDown {
			c.log.Info("link down", "state", c.st)
		}
		c.linkDown = true
		return
	}
	if !c.linkDown {
		return
	}
	c.linkDown = false
	switch c.st {
	case StateBound, StateRenewing, StateRebinding, StateInitReboot, StateRebooting:
		c.log.Info("link up again, confirming the lease", "address", c.lease.Address, "state", c.st)
		c.setState(StateInitReboot, now)
		c.wakeAt = now
	default:
		c.log.Info("link up again", "state", c.st)
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

func (c *Client) openUnbound() error {
	if c.conn != nil && !c.connAddr.IsValid() {
		return nil
	}
	c.closeConn()
	conn, err := c.tr.OpenUnbound(c.hw)
	if err != nil {
		return fmt.Errorf("client: opening connection: %w", err)
	}
	c.startReader(conn, netip.Addr{})
	return nil
}

func (c *Client) openBound(addr netip.Addr) error {
	if c.conn != nil && c.connAddr == addr {
		return nil
	}
	c.closeConn()
	conn, err := c.tr.OpenBound(addr, c.hw)
	if err != nil {
		return fmt.Errorf("client: opening connection for %v: %w", addr, err)
	}
	c.startReader(conn, addr)
	return nil
}

func (c *Client) closeConn() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
		c.connAddr = netip.Addr{}
		c.connGen++
	}
}

func (c *Client) startReader(conn Conn, addr netip.Addr) {
	c.conn = conn
	c.connAddr = addr
	c.connGen++
	gen := c.connGen
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			buf := make([]byte, 2048)
			n, err := conn.Receive(buf)
			it := rxItem{gen: gen, b: buf[:n], err: err}
			select {
			case c.rx <- it:
			case <-c.stopping:
				return
			}
			if err != nil {
				return
			}
		}
	}()
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
