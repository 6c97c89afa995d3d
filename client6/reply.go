package client6

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// advert is an Advertise collected while soliciting.
type advert struct {
	serverID   dhcpv6.DUID
	preference uint8
	na, pd     []IA
	leases     int
}

// bestAdvert picks the Advertise with the highest preference, then the
// most leases, then the first received (RFC 8415 §18.2.9).
func (c *Client) bestAdvert() advert {
	best := c.adverts[0]
	for _, a := range c.adverts[1:] {
		if a.preference > best.preference || (a.preference == best.preference && a.leases > best.leases) {
			best = a
		}
	}
	return best
}

// replyIA is an IA of a server's message, with its status.
type replyIA struct {
	ia     IA
	status dhcpv6.StatusCode
}

// readIAs reads the IAs of type code from a server's message received at
// now. It leaves out what RFC 8415 §21.4 and §21.6 tell a client to
// discard: an IA whose T1 is above its T2, and addresses or prefixes
// whose preferred lifetime is above the valid one. Leases with a valid
// lifetime of 0 are kept: they tell the client to drop them.
func readIAs(o dhcpv6.Options, code dhcpv6.OptionCode, now time.Time) []replyIA {
	var out []replyIA
	for ia := range o.IAs(code) {
		if ia.T1 > 0 && ia.T2 > 0 && ia.T1 > ia.T2 {
			continue
		}
		r := replyIA{status: ia.Options.StatusCode(), ia: IA{
			IAID: ia.IAID, T1: seconds(ia.T1), T2: seconds(ia.T2), Received: now,
		}}
		for a := range ia.Addresses() {
			if a.Preferred > a.Valid || !a.Addr.Is6() {
				continue
			}
			r.ia.Addresses = append(r.ia.Addresses, Address{Addr: a.Addr, Preferred: seconds(a.Preferred), Valid: seconds(a.Valid)})
		}
		for p := range ia.Prefixes() {
			if p.Preferred > p.Valid {
				continue
			}
			r.ia.Prefixes = append(r.ia.Prefixes, Prefix{Prefix: p.Prefix.Masked(), Preferred: seconds(p.Preferred), Valid: seconds(p.Valid)})
		}
		out = append(out, r)
	}
	return out
}

func seconds(v uint32) time.Duration { return time.Duration(v) * time.Second }

// usable reports how many leases with a nonzero valid lifetime the IA
// has.
func usable(ia IA) int {
	n := 0
	for _, a := range ia.Addresses {
		if a.Valid > 0 {
			n++
		}
	}
	for _, p := range ia.Prefixes {
		if p.Valid > 0 {
			n++
		}
	}
	return n
}

// merge returns old updated by got (RFC 8415 §18.2.10.1): leases in got
// with a valid lifetime of 0 are removed, the others added or updated;
// leases of old that got does not mention are kept with their remaining
// lifetimes, counted from got's Received.
func merge(old *IA, got IA) IA {
	out := IA{IAID: got.IAID, T1: got.T1, T2: got.T2, Received: got.Received}
	rebase := func(d time.Duration) time.Duration {
		if d >= Infinite {
			return d
		}
		return max(d-got.Received.Sub(old.Received), 0)
	}
	if old != nil {
		for _, a := range old.Addresses {
			if !slices.ContainsFunc(got.Addresses, func(g Address) bool { return g.Addr == a.Addr }) {
				a.Preferred, a.Valid = rebase(a.Preferred), rebase(a.Valid)
				if a.Valid > 0 {
					out.Addresses = append(out.Addresses, a)
				}
			}
		}
		for _, p := range old.Prefixes {
			if !slices.ContainsFunc(got.Prefixes, func(g Prefix) bool { return g.Prefix == p.Prefix }) {
				p.Preferred, p.Valid = rebase(p.Preferred), rebase(p.Valid)
				if p.Valid > 0 {
					out.Prefixes = append(out.Prefixes, p)
				}
			}
		}
	}
	for _, a := range got.Addresses {
		if a.Valid > 0 {
			out.Addresses = append(out.Addresses, a)
		}
	}
	for _, p := range got.Prefixes {
		if p.Valid > 0 {
			out.Prefixes = append(out.Prefixes, p)
		}
	}
	return out
}

func findIA(ias []IA, iaid uint32) *IA {
	for i := range ias {
		if ias[i].IAID == iaid {
			return &ias[i]
		}
	}
	return nil
}

// receive handles a message from the connection.
func (c *Client) receive(b []byte, now time.Time) error {
	m := &c.in
	if err := m.Decode(b); err != nil {
		c.log.Debug("dropped malformed message", "error", err)
		return nil
	}
	mt := m.Type()
	o := m.Options()
	// RFC 8415 §16: a server's message names this client and a server.
	if cid, ok := o.ClientID(); !ok || string(cid) != string(c.duid) {
		return nil
	}
	sid, ok := o.ServerID()
	if !ok || sid.Validate() != nil {
		return nil
	}
	if mt == dhcpv6.Reconfigure {
		return c.reconfigure(m, now)
	}
	if c.ex.mt == 0 || m.TransactionID() != c.ex.xid || (mt != dhcpv6.Advertise && mt != dhcpv6.Reply) {
		return nil
	}
	c.counters.Received[mt]++
	c.log.Debug("received", "message", mt, "server", sid, "state", c.st)
	c.noteMaxRT(o)
	switch {
	case c.st == StateSoliciting && mt == dhcpv6.Advertise:
		c.advertise(now, o, sid)
		return nil
	case mt != dhcpv6.Reply:
		return nil
	case c.st == StateSoliciting:
		// A Reply to a Solicit counts only with Rapid Commit (§18.2.1).
		if !c.cfg.RapidCommit || !o.RapidCommit() {
			return nil
		}
		return c.leasesReply(now, o, sid)
	}
	if o.StatusCode() == dhcpv6.StatusUseMulticast {
		// §18.2.10: send the message again, to the multicast address,
		// and no longer unicast to this server.
		c.log.Info("server asks for multicast", "message", c.ex.mt)
		if c.binding != nil && c.binding.Unicast.IsValid() {
			b := c.binding.Clone()
			b.Unicast = netip.Addr{}
			c.binding = b
			c.storeSave(b)
		}
		c.ex.dst = AllServers
		c.ex.next = now
		return nil
	}
	switch c.st {
	case StateRequesting, StateRenewing, StateRebinding:
		return c.leasesReply(now, o, sid)
	case StateConfirming:
		return c.confirmReply(now, o)
	case StateDeclining:
		c.afterDecline(now)
	case StateReleasing:
		c.ex = exchange{}
		c.setState(StateReleased, now)
	case StateInformationRequesting:
		return c.informed(now, o, sid)
	}
	return nil
}

// noteMaxRT takes SOL_MAX_RT and INF_MAX_RT from any server message
// (RFC 8415 §18.2.9, §18.2.10).
func (c *Client) noteMaxRT(o dhcpv6.Options) {
	if d, ok := maxRT(o, dhcpv6.OptionSolMaxRT); ok {
		c.solMaxRT = d
		if c.ex.mt == dhcpv6.Solicit {
			c.ex.p.mrt = d
		}
	}
	if d, ok := maxRT(o, dhcpv6.OptionInfMaxRT); ok {
		c.infMaxRT = d
		if c.ex.mt == dhcpv6.InformationRequest {
			c.ex.p.mrt = d
		}
	}
}

// advertise collects an Advertise; one with preference 255, or one that
// comes after the first RT, is taken at once (RFC 8415 §18.2.1).
func (c *Client) advertise(now time.Time, o dhcpv6.Options, sid dhcpv6.DUID) {
	a := advert{serverID: slices.Clone(sid), preference: o.Preference()}
	for _, r := range readIAs(o, dhcpv6.OptionIANA, now) {
		if r.status == dhcpv6.StatusSuccess && usable(r.ia) > 0 {
			a.na = append(a.na, r.ia)
			a.leases += usable(r.ia)
		}
	}
	for _, r := range readIAs(o, dhcpv6.OptionIAPD, now) {
		if r.status == dhcpv6.StatusSuccess && usable(r.ia) > 0 {
			a.pd = append(a.pd, r.ia)
			a.leases += usable(r.ia)
		}
	}
	if a.leases == 0 {
		// §18.2.9: an Advertise without addresses or prefixes is ignored.
		code, msg, _ := o.Status()
		c.log.Info("ignoring an Advertise without leases", "server", sid, "status", code, "message", msg)
		return
	}
	c.adverts = append(c.adverts, a)
	if a.preference == 255 || c.ex.count > 1 {
		c.request(now, a)
	}
}

// leasesReply handles a Reply that grants leases: to a Request, Renew or
// Rebind, or to a Solicit with Rapid Commit.
func (c *Client) leasesReply(now time.Time, o dhcpv6.Options, sid dhcpv6.DUID) error {
	mt := c.ex.mt
	switch code, msg, _ := o.Status(); code {
	case dhcpv6.StatusSuccess:
	case dhcpv6.StatusNotOnLink:
		if mt == dhcpv6.Request || mt == dhcpv6.Solicit {
			// §18.2.10.1: ask again without the addresses that are not
			// on this link.
			c.log.Info("server says the requested addresses are not on link; soliciting without hints", "server", sid, "message", msg)
			c.noHints = true
			if !c.binding.HasLeases() {
				c.toInit(now, c.failureDelay())
			}
			return nil
		}
		return nil
	default:
		// UnspecFail and the like: wait for another answer or the next
		// retransmission.
		c.log.Info("server reports a failure", "message", mt, "server", sid, "status", code, "text", msg)
		return nil
	}
	na := readIAs(o, dhcpv6.OptionIANA, now)
	pd := readIAs(o, dhcpv6.OptionIAPD, now)

	old := c.binding
	nb := &Binding{ClientID: slices.Clone(c.duid), ServerID: slices.Clone(sid), Received: now}
	if old != nil {
		nb.IANA, nb.IAPD = cloneIAs(old.IANA), cloneIAs(old.IAPD)
		nb.ReconfigureKey = old.ReconfigureKey
	}
	if u, ok := o.Unicast(); ok {
		nb.Unicast = u
	}
	readConfig(nb, o)
	if key := reconfigureKey(o); key != nil {
		nb.ReconfigureKey = key
	}
	// missing is set when an IA holding leases got no answer: only then
	// does a Renew or Rebind go on after this Reply. An IA the client
	// asks for without holding anything may go unanswered (a server
	// without prefixes to delegate) without keeping the exchange alive.
	noBinding, missing := false, false
	apply := func(cur *[]IA, got []replyIA, configured []IAConfig, kind string) {
		for _, ic := range configured {
			held := false
			if prev := findIA(*cur, ic.IAID); prev != nil {
				held = len(prev.Addresses)+len(prev.Prefixes) > 0
			}
			i := slices.IndexFunc(got, func(r replyIA) bool { return r.ia.IAID == ic.IAID })
			if i < 0 {
				missing = missing || held
				continue
			}
			r := got[i]
			switch r.status {
			case dhcpv6.StatusSuccess:
				prev := findIA(*cur, ic.IAID)
				merged := merge(prev, r.ia)
				if prev != nil {
					*prev = merged
				} else {
					*cur = append(*cur, merged)
				}
			case dhcpv6.StatusNoBinding:
				c.log.Info("server has no binding for an IA", "ia", kind, "iaid", ic.IAID, "server", sid)
				noBinding = true
			default:
				// NoAddrsAvail, NoPrefixAvail: the IA keeps what it
				// holds (§18.2.10.1), and a Renew or Rebind goes on as
				// for an IA left unanswered.
				c.log.Info("server grants nothing for an IA", "ia", kind, "iaid", ic.IAID, "status", r.status, "server", sid)
				missing = missing || held
			}
		}
	}
	apply(&nb.IANA, na, c.cfg.IANA, "IA_NA")
	apply(&nb.IAPD, pd, c.cfg.IAPD, "IA_PD")
	nb.IANA = slices.DeleteFunc(nb.IANA, func(ia IA) bool { return len(ia.Addresses) == 0 })
	nb.IAPD = slices.DeleteFunc(nb.IAPD, func(ia IA) bool { return len(ia.Prefixes) == 0 })

	if !nb.HasLeases() {
		if noBinding && (mt == dhcpv6.Renew || mt == dhcpv6.Rebind) {
			c.requestAll(now, sid)
			return nil
		}
		if mt == dhcpv6.Request || mt == dhcpv6.Solicit {
			c.log.Warn("server granted no leases; soliciting again", "server", sid)
			c.failures++
			c.toInit(now, c.failureDelay())
			return nil
		}
		// A Renew or Rebind Reply that leaves nothing: what was held
		// expired in the meantime, or the server withdrew it.
		c.binding = nil
		c.storeRemove()
		if err := c.apply(EventExpire, nil, old); err != nil {
			return err
		}
		c.toInit(now, 0)
		return nil
	}
	c.failures = 0
	c.noHints = false
	kind := EventBound
	switch {
	case mt == dhcpv6.Renew:
		kind = EventRenew
	case mt == dhcpv6.Rebind:
		kind = EventRebind
	case old.HasLeases():
		kind = EventRenew
	}
	resumed := c.ex.resumed
	c.binding = nb
	c.storeSave(nb)
	if err := c.apply(kind, nb, old); err != nil {
		return err
	}
	switch {
	case noBinding:
		// §18.2.10.1: Request all IAs from the server that answered.
		c.requestAll(now, sid)
	case missing && (mt == dhcpv6.Renew || mt == dhcpv6.Rebind) && !resumed:
		// Some IA went unanswered: go on as if this Reply had not come,
		// at the exchange's pace.
	default:
		c.toBound(now)
	}
	return c.checkDAD(now, old)
}

// failureDelay is the wait before soliciting again after rounds that gave
// no leases: a second, doubling up to SOL_MAX_RT.
func (c *Client) failureDelay() time.Duration {
	d := time.Second
	for i := 1; i < c.failures && d < c.solMaxRT; i++ {
		d *= 2
	}
	return min(d, c.solMaxRT)
}

// readConfig copies the configuration options of a server's message.
func readConfig(b *Binding, o dhcpv6.Options) {
	b.DNS, _ = o.DNSServers(nil)
	b.Domains, _ = o.DomainList(nil)
	b.NTP, b.NTPNames, _ = o.NTPServers(nil, nil)
}

// confirmReply handles a Reply to a Confirm (RFC 8415 §18.2.10.2): one
// that says Success, or nothing, confirms the addresses whatever other
// servers say; NotOnLink counts only if no server says Success, so the
// client waits for the end of the current retransmission timeout before
// acting on it (confirmedNotOnLink). Other statuses are no answer.
func (c *Client) confirmReply(now time.Time, o dhcpv6.Options) error {
	switch code, msg, _ := o.Status(); code {
	case dhcpv6.StatusSuccess:
		c.log.Info("server confirmed the stored addresses", "addresses", c.binding.Addrs())
		c.toBound(now)
		return c.apply(EventConfirm, c.binding, nil)
	case dhcpv6.StatusNotOnLink:
		c.log.Info("server says the stored addresses are not on this link", "addresses", c.binding.Addrs(), "message", msg)
		c.ex.notOnLink = true
	}
	return nil
}

// confirmedNotOnLink discards the stored addresses that a server said are
// not on this link, no server having confirmed them, and solicits.
func (c *Client) confirmedNotOnLink(now time.Time) error {
	c.log.Info("stored addresses are not on this link; soliciting", "addresses", c.binding.Addrs())
	old := c.binding
	c.binding = nil
	c.storeRemove()
	if err := c.apply(EventNotOnLink, nil, old); err != nil {
		return err
	}
	c.toInit(now, 0)
	return nil
}

// informed handles the Reply to an Information-request.
func (c *Client) informed(now time.Time, o dhcpv6.Options, sid dhcpv6.DUID) error {
	nb := &Binding{ClientID: slices.Clone(c.duid), ServerID: slices.Clone(sid), Received: now}
	readConfig(nb, o)
	refresh := irtDefault
	if v, ok := o.Uint32(dhcpv6.OptionInfoRefreshTime); ok {
		refresh = max(seconds(v), irtMinimum)
	}
	old := c.binding
	c.binding = nb
	c.ex = exchange{}
	c.setState(StateInformed, now)
	c.wakeAt = now.Add(refresh)
	if v, ok := o.Uint32(dhcpv6.OptionInfoRefreshTime); ok && v == dhcpv6.Infinity {
		c.wakeAt = time.Time{}
	}
	return c.apply(EventInformed, nb, old)
}

// dadResult is what a duplicate address detection check found.
type dadResult struct {
	checked, failed []netip.Addr
	err             error
}

// checkDAD asks a DADChecker Action whether the addresses the binding
// gained since old are in use on the link (RFC 8415 §18.2.8). The check
// takes up to DADTimeout, so its wait runs on a goroutine of its own
// while the client goes on answering timers, commands and servers;
// dadDone declines what failed when the answer comes.
func (c *Client) checkDAD(now time.Time, old *Binding) error {
	dc := dadChecker(c.cfg.Action)
	if dc == nil || c.cfg.Interface == "" {
		return nil
	}
	var fresh []netip.Addr
	for _, a := range c.binding.Addrs() {
		if old == nil || !slices.Contains(old.Addrs(), a) {
			fresh = append(fresh, a)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	wait, err := dc.WatchDAD(c.cfg.Interface, fresh)
	if err != nil {
		c.log.Warn("could not check duplicate address detection", "addresses", fresh, "error", err)
		return nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.DADTimeout)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		failed, err := wait(ctx)
		select {
		case c.dad <- dadResult{checked: fresh, failed: failed, err: err}:
		case <-c.stopping:
		}
	}()
	return nil
}

// dadDone declines the addresses whose duplicate address detection
// failed, among those the binding still holds: the client may have
// released them, lost them or been told to drop them while the check
// ran.
func (c *Client) dadDone(r dadResult, now time.Time) error {
	if r.err != nil {
		c.log.Warn("could not check duplicate address detection", "addresses", r.checked, "error", r.err)
		return nil
	}
	c.log.Debug("duplicate address detection done", "addresses", r.checked, "failed", r.failed)
	if c.st == StateReleasing || c.st == StateReleased || !c.binding.HasLeases() {
		return nil
	}
	held := c.binding.Addrs()
	failed := slices.DeleteFunc(slices.Clone(r.failed), func(a netip.Addr) bool { return !slices.Contains(held, a) })
	if len(failed) == 0 {
		return nil
	}
	return c.decline(now, failed)
}

// decline removes addresses found in use from the binding and the
// system and sends a Decline for them.
func (c *Client) decline(now time.Time, addrs []netip.Addr) error {
	c.log.Warn("addresses in use on the link; declining them", "addresses", addrs)
	old := c.binding
	nb := old.Clone()
	var declined []IA
	for i := range nb.IANA {
		ia := &nb.IANA[i]
		var gone []Address
		ia.Addresses = slices.DeleteFunc(ia.Addresses, func(a Address) bool {
			if slices.Contains(addrs, a.Addr) {
				gone = append(gone, a)
				return true
			}
			return false
		})
		if len(gone) > 0 {
			declined = append(declined, IA{IAID: ia.IAID, Addresses: gone})
		}
	}
	nb.IANA = slices.DeleteFunc(nb.IANA, func(ia IA) bool { return len(ia.Addresses) == 0 })
	if nb.HasLeases() {
		c.binding = nb
		c.storeSave(nb)
	} else {
		c.binding = nil
		c.storeRemove()
	}
	if err := c.apply(EventDecline, c.binding, old); err != nil {
		return err
	}
	c.startExchange(now, StateDeclining, dhcpv6.Decline, params{irt: decTimeout, mrc: decMaxRC}, c.serverDstOf(old))
	c.ex.serverID = old.ServerID
	c.ex.na = declined
	c.retransmit(now)
	return nil
}

func (c *Client) serverDstOf(b *Binding) netip.Addr {
	if b.Unicast.IsValid() {
		return b.Unicast
	}
	return AllServers
}

// afterDecline asks for addresses again once a Decline is done: a Request
// for all IAs to the same server when leases are left, a Solicit when not.
func (c *Client) afterDecline(now time.Time) {
	sid := c.ex.serverID
	if c.binding.HasLeases() {
		c.requestAll(now, sid)
		return
	}
	c.toInit(now, 0)
}

// dadChecker returns the DADChecker among a and the Actions it holds,
// nil if none.
func dadChecker(a Action) DADChecker {
	if as, ok := a.(Actions); ok {
		for _, e := range as {
			if dc := dadChecker(e); dc != nil {
				return dc
			}
		}
		return nil
	}
	dc, _ := a.(DADChecker)
	return dc
}
