package client6

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// exchange is the message exchange under way (RFC 8415 §15): what is
// sent, where, and its retransmission state.
type exchange struct {
	mt    dhcpv6.MessageType
	xid   uint32
	p     params
	start time.Time     // first transmission, for the Elapsed Time option
	rt    time.Duration // the current retransmission timeout
	count int           // transmissions so far
	next  time.Time     // the next transmission
	end   time.Time     // MRD's end; zero for none
	dst   netip.Addr
	// What the message carries besides the client's identity.
	serverID dhcpv6.DUID
	na, pd   []IA
	// resumed marks the Rebind after a restart, whose failure keeps the
	// stored leases instead of letting them lapse.
	resumed bool
	// notOnLink is set when a server answered this Confirm with
	// NotOnLink; the client waits out the current retransmission timeout
	// for another server's Success before it acts on it.
	notOnLink bool
}

// begin picks the first exchange: Information-request for a stateless
// client; for a stored binding with valid leases, Rebind (any prefix) or
// Confirm (addresses only); else Solicit.
func (c *Client) begin(now time.Time) error {
	if c.cfg.InformationOnly {
		c.startInformationRequest(now, true)
		return nil
	}
	if r := c.cfg.Resume; r != nil {
		if err := r.Validate(); err != nil {
			c.log.Warn("stored binding unusable, soliciting", "error", err)
			c.storeRemove()
		} else if string(r.ClientID) != string(c.duid) {
			c.log.Warn("stored binding is for another DUID, soliciting", "stored", r.ClientID, "ours", c.duid)
			c.storeRemove()
		} else {
			b, dropped := r.DropExpired(now)
			if dropped {
				c.log.Info("dropped expired leases of the stored binding", "left", len(b.Addrs())+len(b.DelegatedPrefixes()))
			}
			switch {
			case b.HasPrefixes():
				c.binding = b
				c.storeSave(b)
				c.log.Info("rebinding stored leases", "addresses", b.Addrs(), "prefixes", b.DelegatedPrefixes())
				c.startRebind(now, true)
				return nil
			case b.HasLeases():
				c.binding = b
				c.storeSave(b)
				c.log.Info("confirming stored addresses", "addresses", b.Addrs())
				c.startConfirm(now)
				return nil
			default:
				c.storeRemove()
			}
		}
	}
	c.toInit(now, c.initialDelay(solMaxDelay))
	return nil
}

func (c *Client) initialDelay(d time.Duration) time.Duration {
	if c.cfg.NoInitialDelay {
		return 0
	}
	return time.Duration(c.cfg.Rand.Int64N(int64(d) + 1))
}

func (c *Client) setState(s State, now time.Time) {
	if s != c.st || c.since.IsZero() {
		if !c.since.IsZero() {
			c.log.Debug("DHCPv6 state change", "from", c.st, "to", s)
		}
		c.since = now
	}
	c.st = s
}

// toInit waits delay, then solicits.
func (c *Client) toInit(now time.Time, delay time.Duration) {
	c.ex = exchange{}
	c.setState(StateInit, now)
	c.wakeAt = now.Add(delay)
}

// deadline is when the client next needs the timer; zero if never.
func (c *Client) deadline() time.Time {
	var d time.Time
	switch c.st {
	case StateInit, StateInformed:
		d = c.wakeAt
	case StateBound:
		d = c.binding.RenewAt()
	case StateRenewing:
		d = earliest(c.ex.next, c.binding.RebindAt())
	case StateSoliciting, StateRequesting, StateRebinding, StateConfirming, StateDeclining, StateReleasing, StateInformationRequesting:
		d = earliest(c.ex.next, c.ex.end)
	}
	if c.st != StateReleasing && c.st != StateReleased && c.binding.HasLeases() {
		d = earliest(d, c.binding.NextExpiry())
	}
	return d
}

// fire does what is due at now.
func (c *Client) fire(now time.Time) error {
	// Each step moves the deadline or the state; the bound only guards
	// against a clock that jumps over several deadlines at once.
	for range 8 {
		if err := c.expire(now); err != nil {
			return err
		}
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

// expire drops the leases whose valid lifetime ended, and solicits when
// none is left.
func (c *Client) expire(now time.Time) error {
	if c.st == StateReleasing || c.st == StateReleased || !c.binding.HasLeases() {
		return nil
	}
	left, dropped := c.binding.DropExpired(now)
	if !dropped {
		return nil
	}
	old := c.binding
	c.log.Info("leases expired", "addresses", old.Addrs(), "prefixes", old.DelegatedPrefixes(), "left", len(left.Addrs())+len(left.DelegatedPrefixes()))
	if left.HasLeases() {
		c.binding = left
		c.storeSave(left)
	} else {
		c.binding = nil
		c.storeRemove()
	}
	if err := c.apply(EventExpire, c.binding, old); err != nil {
		return err
	}
	if c.binding == nil {
		c.toInit(now, 0)
	}
	return nil
}

// step handles the deadline of the current state.
func (c *Client) step(now time.Time) error {
	switch c.st {
	case StateInit:
		c.startSolicit(now)
	case StateInformed:
		c.startInformationRequest(now, false)
	case StateBound:
		c.startRenew(now)
	case StateRenewing:
		if !now.Before(c.binding.RebindAt()) {
			c.startRebind(now, false)
			return nil
		}
		c.retransmit(now)
	case StateConfirming:
		if c.ex.notOnLink {
			return c.confirmedNotOnLink(now)
		}
		if c.ex.count > 0 && c.exhausted(now) {
			return c.exchangeFailed(now)
		}
		c.retransmit(now)
	case StateSoliciting:
		if c.ex.count == 1 && len(c.adverts) > 0 {
			// The first RT is over: take the best Advertise collected
			// (RFC 8415 §18.2.1).
			c.request(now, c.bestAdvert())
			return nil
		}
		c.retransmit(now)
	default:
		if c.ex.count > 0 && c.exhausted(now) {
			return c.exchangeFailed(now)
		}
		c.retransmit(now)
	}
	return nil
}

// exhausted reports whether the exchange may send no more: MRC
// transmissions made or MRD passed.
func (c *Client) exhausted(now time.Time) bool {
	return (c.ex.p.mrc > 0 && c.ex.count >= c.ex.p.mrc) || (!c.ex.end.IsZero() && !now.Before(c.ex.end))
}

// exchangeFailed handles an exchange that got no usable Reply.
func (c *Client) exchangeFailed(now time.Time) error {
	mt := c.ex.mt
	c.log.Info("no reply", "message", mt, "transmissions", c.ex.count)
	switch mt {
	case dhcpv6.Request:
		if c.binding.HasLeases() {
			// A Request for IAs a server forgot (NoBinding) or after a
			// Decline: keep the leases held and renew at their times.
			c.toBound(now)
			return nil
		}
		c.toInit(now, 0)
	case dhcpv6.Confirm:
		// RFC 8415 §18.2.3: no Reply, so keep using the addresses.
		c.toBound(now)
		return c.apply(EventTimeout, c.binding, nil)
	case dhcpv6.Rebind:
		if c.ex.resumed {
			// §18.2.12 with Confirm's timing: keep using the leases with
			// the stored times; the next Renew or Rebind comes at them.
			c.toBound(now)
			if err := c.apply(EventTimeout, c.binding, nil); err != nil {
				return err
			}
			if !now.Before(c.binding.RebindAt()) {
				c.startRebind(now, false)
			}
			return nil
		}
		// The leases expire at MRD's end; expire takes them. Those a
		// Reply to this Rebind extended meanwhile live on.
		c.ex.next, c.ex.end = time.Time{}, time.Time{}
		if err := c.expire(now); err != nil {
			return err
		}
		if c.binding.HasLeases() {
			c.toBound(now)
		}
		return nil
	case dhcpv6.Decline:
		c.afterDecline(now)
	case dhcpv6.Release:
		c.ex = exchange{}
		c.setState(StateReleased, now)
	}
	return nil
}

func (c *Client) toBound(now time.Time) {
	c.ex = exchange{}
	c.setState(StateBound, now)
}

// startExchange begins an exchange of type mt: the first transmission
// after a random delay up to p.delay (at once for a zero delay).
func (c *Client) startExchange(now time.Time, st State, mt dhcpv6.MessageType, p params, dst netip.Addr) {
	c.setState(st, now)
	c.ex = exchange{mt: mt, xid: c.cfg.Rand.Uint32() & 0xffffff, p: p, dst: dst}
	c.ex.next = now.Add(c.initialDelay(p.delay))
	if p.delay == 0 || c.cfg.NoInitialDelay {
		c.ex.next = now
	}
}

// retransmit sends the current message (the first time too) and
// schedules the next transmission.
func (c *Client) retransmit(now time.Time) {
	if c.ex.count == 0 {
		c.ex.start = now
		if c.ex.p.mrd > 0 {
			c.ex.end = now.Add(c.ex.p.mrd)
		}
	}
	c.send(now)
	c.ex.count++
	c.ex.rt = nextRT(c.ex.rt, c.ex.p, c.cfg.Rand, c.ex.mt == dhcpv6.Solicit)
	c.ex.next = now.Add(c.ex.rt)
	if !c.ex.end.IsZero() && c.ex.next.After(c.ex.end) {
		c.ex.next = c.ex.end
	}
}

func (c *Client) send(now time.Time) {
	msg, err := c.build(now)
	if err == nil {
		err = c.conn.Send(msg, c.ex.dst)
	}
	if err != nil {
		c.counters.SendErrors++
		c.log.Warn("sending failed", "message", c.ex.mt, "to", c.ex.dst, "error", err)
		return
	}
	c.counters.Sent[c.ex.mt]++
	c.log.Debug("sent", "message", c.ex.mt, "xid", fmt.Sprintf("%#06x", c.ex.xid), "to", c.ex.dst, "state", c.st)
}

// serverDst is where messages to the binding's server go: its unicast
// address when it gave one, else the multicast address.
func (c *Client) serverDst() netip.Addr {
	if c.binding != nil && c.binding.Unicast.IsValid() {
		return c.binding.Unicast
	}
	return AllServers
}

// configIAs returns the configured IAs with their hints, as Solicit
// asks for them.
func (c *Client) configIAs(pd bool) []IA {
	src := c.cfg.IANA
	if pd {
		src = c.cfg.IAPD
	}
	out := make([]IA, 0, len(src))
	for _, ic := range src {
		ia := IA{IAID: ic.IAID}
		if !c.noHints {
			for _, h := range ic.Hints {
				if pd {
					ia.Prefixes = append(ia.Prefixes, Prefix{Prefix: h})
				} else {
					ia.Addresses = append(ia.Addresses, Address{Addr: h.Addr()})
				}
			}
		}
		out = append(out, ia)
	}
	return out
}

// heldIAs returns every configured IA with the leases the binding holds
// for it (none for an IA it lacks), as Renew, Rebind and a Request for
// all IAs carry them.
func (c *Client) heldIAs(pd bool) []IA {
	out := c.configIAs(pd)
	if c.binding == nil {
		return out
	}
	held := c.binding.IANA
	if pd {
		held = c.binding.IAPD
	}
	for i := range out {
		for _, h := range held {
			if h.IAID == out[i].IAID && len(h.Addresses)+len(h.Prefixes) > 0 {
				out[i] = h
			}
		}
	}
	return out
}

func (c *Client) startSolicit(now time.Time) {
	c.adverts = nil
	c.startExchange(now, StateSoliciting, dhcpv6.Solicit, params{irt: solTimeout, mrt: c.solMaxRT}, AllServers)
	c.ex.na, c.ex.pd = c.configIAs(false), c.configIAs(true)
	c.retransmit(now)
}

func (c *Client) startInformationRequest(now time.Time, first bool) {
	p := params{irt: infTimeout, mrt: c.infMaxRT}
	if first {
		p.delay = infMaxDelay
	}
	c.startExchange(now, StateInformationRequesting, dhcpv6.InformationRequest, p, AllServers)
}

func (c *Client) startConfirm(now time.Time) {
	c.startExchange(now, StateConfirming, dhcpv6.Confirm, params{irt: cnfTimeout, mrt: cnfMaxRT, mrd: cnfMaxRD, delay: cnfMaxDelay}, AllServers)
	c.ex.na = c.binding.Clone().IANA
}

// startRenew sends a Renew for all IAs to the binding's server, until T2
// (RFC 8415 §18.2.4).
func (c *Client) startRenew(now time.Time) {
	c.startExchange(now, StateRenewing, dhcpv6.Renew, params{irt: renTimeout, mrt: renMaxRT}, c.serverDst())
	c.ex.serverID = c.binding.ServerID
	c.ex.na, c.ex.pd = c.heldIAs(false), c.heldIAs(true)
	c.retransmit(now)
}

// startRebind sends a Rebind for all IAs to any server, until the leases
// expire (RFC 8415 §18.2.5); after a restart (resumed) with Confirm's
// timing instead (§18.2.12).
func (c *Client) startRebind(now time.Time, resumed bool) {
	p := params{irt: rebTimeout, mrt: rebMaxRT}
	if last := c.binding.LastExpiry(); !last.IsZero() {
		p.mrd = max(last.Sub(now), time.Millisecond)
	}
	if resumed {
		p = params{irt: cnfTimeout, mrt: cnfMaxRT, mrd: cnfMaxRD, delay: cnfMaxDelay}
	}
	c.startExchange(now, StateRebinding, dhcpv6.Rebind, p, AllServers)
	c.ex.resumed = resumed
	c.ex.na, c.ex.pd = c.heldIAs(false), c.heldIAs(true)
	if !resumed {
		c.retransmit(now)
	}
}

// request sends a Request to the server of adv for the IAs it offered
// (and the others configured, with their hints).
func (c *Client) request(now time.Time, adv advert) {
	c.startExchange(now, StateRequesting, dhcpv6.Request, params{irt: reqTimeout, mrt: reqMaxRT, mrc: reqMaxRC}, AllServers)
	c.ex.serverID = adv.serverID
	c.ex.na, c.ex.pd = c.configIAs(false), c.configIAs(true)
	for i := range c.ex.na {
		for _, ia := range adv.na {
			if ia.IAID == c.ex.na[i].IAID && len(ia.Addresses) > 0 {
				c.ex.na[i] = ia
			}
		}
	}
	for i := range c.ex.pd {
		for _, ia := range adv.pd {
			if ia.IAID == c.ex.pd[i].IAID && len(ia.Prefixes) > 0 {
				c.ex.pd[i] = ia
			}
		}
	}
	c.adverts = nil
	c.retransmit(now)
}

// requestAll sends a Request for all IAs, with the leases held, to the
// server with serverID: after NoBinding in a Renew or Rebind Reply
// (RFC 8415 §18.2.10.1), and after a Decline.
func (c *Client) requestAll(now time.Time, serverID dhcpv6.DUID) {
	c.startExchange(now, StateRequesting, dhcpv6.Request, params{irt: reqTimeout, mrt: reqMaxRT, mrc: reqMaxRC}, AllServers)
	c.ex.serverID = serverID
	c.ex.na, c.ex.pd = c.heldIAs(false), c.heldIAs(true)
	c.retransmit(now)
}

// startRelease stops using the leases and sends a Release for them
// (RFC 8415 §18.2.7).
func (c *Client) startRelease(now time.Time) error {
	old := c.binding
	c.binding = nil
	c.storeRemove()
	if err := c.apply(EventRelease, nil, old); err != nil {
		return err
	}
	c.startExchange(now, StateReleasing, dhcpv6.Release, params{irt: relTimeout, mrc: relMaxRC}, AllServers)
	if old.Unicast.IsValid() {
		c.ex.dst = old.Unicast
	}
	c.ex.serverID = old.ServerID
	c.ex.na, c.ex.pd = withLeases(old.IANA), withLeases(old.IAPD)
	c.retransmit(now)
	return nil
}

func withLeases(ias []IA) []IA {
	var out []IA
	for _, ia := range ias {
		if len(ia.Addresses)+len(ia.Prefixes) > 0 {
			out = append(out, ia)
		}
	}
	return out
}

// command runs a Release or Renew command.
func (c *Client) command(k cmdKind, now time.Time) error {
	switch k {
	case cmdRelease:
		if !c.binding.HasLeases() || c.cfg.InformationOnly {
			return ErrNoBinding
		}
		return c.startRelease(now)
	case cmdRenew:
		switch c.st {
		case StateBound:
			c.startRenew(now)
		case StateInit, StateReleased:
			c.startSolicit(now)
		case StateInformed:
			c.startInformationRequest(now, false)
		case StateReleasing:
			return ErrNotRunning
		default:
			c.ex.next = now
		}
	}
	return nil
}
