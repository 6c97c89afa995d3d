package client

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/leased/leased/dhcpv4"
)

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
