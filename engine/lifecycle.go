package engine

import (
	"errors"
	"fmt"
	"net/netip"
	"unicode/utf8"

	"github.com/leased/leased/ddns"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// discover answers a DHCPDISCOVER with an OFFER: the client's reserved
// address, else its current (or recently released) lease, else the address
// it asks for, else a fresh one from a pool it may use.
func (t *txn) discover() {
	for range maxRaces {
		ss, a, ps, ok := t.pickAddress()
		if !ok {
			t.s.metrics.Dropped(DropNoAddress)
			t.s.log.Warn("no address available", "subnet-id", t.subnet.cfg.ID, "chaddr", hwString(t.hw))
			return
		}
		prev := ""
		if t.seen == a && t.seenRow {
			prev = t.found.Hostname
		}
		t.decideName(ss, ps, a, prev)
		lt := t.lifetime(ss)
		if off := t.offerLifetime(ss); off > 0 {
			// The offer replaces the client's lease of a, if it has one:
			// keep that lease's user context.
			keep := ""
			if t.heldByMe(a) {
				keep = t.found.UserContext
			}
			t.fill(&t.next, ss, ps, a, off, t.userContext(ss, keep))
			if err := t.recordOffer(); err != nil {
				t.forget()
				if lostRace(err) {
					// Another server wrote a in between: the
					// allocator keeps it used, and the client is
					// offered the next candidate.
					t.s.offers.drop(a)
					t.s.log.Debug("lost the race for an offered address; next candidate", "address", a, "error", err)
					continue
				}
				t.s.log.Error("cannot record offered lease", "address", a, "error", err)
				return
			}
			t.knows(a, &t.next)
		}
		t.noteOffer(a)
		t.reply(dhcpv4.Offer, ss, ps, a, lt)
		t.s.metrics.Sent(dhcpv4.Offer)
		return
	}
	t.s.metrics.Dropped(DropNoAddress)
	t.s.log.Warn("every candidate address was taken by another server meanwhile", "subnet-id", t.subnet.cfg.ID, "chaddr", hwString(t.hw), "tries", maxRaces)
}

// recordOffer writes the offered lease in t.next. A store of this server
// alone takes it whatever it holds at the address (the allocator and the
// store agree that it is the client's or free); a shared store takes it
// only as an Add of a free address, or as a guarded Update of the row
// read (the one the choice of the address read, see get), which is the
// client's own or expired, so that an offer never overwrites a lease
// another server has just written.
func (t *txn) recordOffer() error {
	if !t.s.shared {
		return t.s.store.Put(t.ctx, &t.next, lease.Async)
	}
	ok, err := t.get(t.next.Addr)
	switch {
	case err != nil:
		return err
	case !ok:
		return t.s.store.Add(t.ctx, &t.next, lease.Async)
	case t.active(&t.found) && !t.owns(&t.found):
		return fmt.Errorf("offer of %v: held by another client: %w", t.next.Addr, lease.ErrExists)
	}
	return t.s.store.Update(t.ctx, &t.found, &t.next, lease.Async)
}

// noteOffer records with the client's offer of a what this message knows
// of a's row in the store, for the REQUEST that takes the offer (see
// offerTable.note). The row is copied: t.found is reused.
func (t *txn) noteOffer(a netip.Addr) {
	if t.seen != a {
		return
	}
	var row *lease.Lease
	if t.seenRow {
		c := t.found.Clone()
		row = &c
	}
	t.s.offers.note(a, t.key, row)
}

// recall makes what the client's live offer of a noted of a's row (see
// noteOffer) what this message knows of it, and reports whether there
// was such a note.
func (t *txn) recall(a netip.Addr) bool {
	row, ok := t.s.offers.seen(a, t.key, t.now)
	if ok {
		t.knows(a, row)
	}
	return ok
}

// pickAddress chooses the address to offer and sets it aside for the
// client.
func (t *txn) pickAddress() (*subnetState, netip.Addr, *poolState, bool) {
	// A reservation in one of the client's subnets.
	if h := t.host; h != nil && h.Address.IsValid() {
		if ss := t.subnetOf(h.Address); ss != nil && !t.heldByOther(h.Address) {
			ps, _ := t.mayHold(ss, h.Address)
			return ss, h.Address, ps, true
		}
	}
	// The client's lease, even a released or reclaimed one (affinity),
	// when the address is still free for it.
	if ss, ok := t.clientLease(); ok {
		a := t.found.Addr
		if ps, ok := t.mayHold(ss, a); ok && t.claim(ps, a, t.found.State == lease.StateDefault && !t.found.Expired(t.now)) {
			return ss, a, ps, true
		}
	}
	// An address this client was offered a moment ago.
	if a, ok := t.s.offers.forClient(t.key, t.now); ok {
		if ss := t.subnetOf(a); ss != nil {
			if ps, ok := t.mayHold(ss, a); ok && !t.heldByOther(a) {
				t.s.offers.put(a, t.key, t.now+int64(t.s.hold.Seconds()))
				return ss, a, ps, true
			}
		}
	}
	// The address the client asks for.
	if a, ok := t.p.RequestedIP(); ok {
		if ss := t.subnetOf(a); ss != nil {
			if ps, ok := t.mayHold(ss, a); ok && ps != nil && t.claim(ps, a, false) {
				return ss, a, ps, true
			}
		}
	}
	// A free address from the pools the client may use.
	var out netip.Addr
	var outSS *subnetState
	var outPS *poolState
	t.candidates(func(ss *subnetState) bool {
		for _, ps := range ss.pools {
			if !t.poolAllowed(ps) {
				continue
			}
			if a, ok := t.allocate(ps); ok {
				out, outSS, outPS = a, ss, ps
				return false
			}
		}
		return true
	})
	return outSS, out, outPS, out.IsValid()
}

// claim sets a aside for the client. mine says the client's own live lease
// already holds it; otherwise the allocator must have it free and the
// store must not show another client on it.
func (t *txn) claim(ps *poolState, a netip.Addr, mine bool) bool {
	if !mine {
		if ps == nil || !ps.alloc.Use(a) {
			// Taken in the allocator: only ours if the offer is.
			if owner, ok := t.s.offers.owner(a, t.now); !ok || owner != t.key {
				return false
			}
		}
		if t.heldByOther(a) {
			return false
		}
	}
	t.s.offers.put(a, t.key, t.now+int64(t.s.hold.Seconds()))
	return true
}

// allocate takes a free address from ps that the store agrees is free.
// The allocator can be behind the store (another server sharing it, a
// reload in progress); an address the store shows taken stays marked used
// and the search goes on, a bounded number of times. On a shared store a
// taken address teaches the allocator the leases after it, and a pool the
// allocator finds full is refilled from the store (see shared.go).
func (t *txn) allocate(ps *poolState) (netip.Addr, bool) {
	refilled := false
	for range 16 {
		a, ok := ps.alloc.Allocate()
		if !ok {
			if t.s.shared && !refilled && t.s.refill(t.ctx, ps, t.now) {
				refilled = true
				continue
			}
			return netip.Addr{}, false
		}
		if t.reservedForOther(t.subnetOf(a), a) {
			continue
		}
		if !t.heldByOther(a) {
			t.s.offers.put(a, t.key, t.now+int64(t.s.hold.Seconds()))
			return a, true
		}
		if t.s.shared {
			t.learnAround(ps, a)
			t.s.seekElsewhere(ps)
		}
	}
	return netip.Addr{}, false
}

// request answers a DHCPREQUEST in whichever state the client is in.
func (t *txn) request() {
	p := t.p
	sid, hasSID := p.ServerID()
	reqIP, hasReq := p.RequestedIP()
	ciaddr := p.CIAddr()
	var a netip.Addr
	var renewing bool
	switch {
	case hasSID:
		// SELECTING: the client answers an OFFER. If it chose another
		// server, forget what we offered it.
		if !t.ours(sid) {
			if addr, ok := t.s.offers.forClient(t.key, t.now); ok {
				t.recall(addr)
				t.s.offers.drop(addr)
				if ps := t.st.poolContaining(addr); ps != nil && !t.heldByMe(addr) {
					ps.alloc.Release(addr)
				}
			}
			t.s.metrics.Dropped(DropNotForUs)
			return
		}
		a = reqIP
		if !hasReq {
			a = ciaddr
		}
	case hasReq && !isSet(ciaddr):
		// INIT-REBOOT: the client checks an address it remembers.
		a = reqIP
	case isSet(ciaddr):
		// RENEWING (unicast) or REBINDING (broadcast).
		a, renewing = ciaddr, true
	default:
		t.s.metrics.Dropped(DropMalformedRequest)
		return
	}
	if !isSet(a) {
		t.s.metrics.Dropped(DropMalformedRequest)
		return
	}
	ss := t.subnetOf(a)
	if ss == nil {
		// The address is not on the client's network (RFC 2131 §4.3.2).
		t.nak()
		return
	}
	// A client with a reservation for another address gets that one.
	if h := t.host; h != nil && h.Address.IsValid() && h.Address != a && t.subnetOf(h.Address) != nil && !t.heldByOther(h.Address) {
		t.nak()
		return
	}
	// The first try of a client that answers this server's OFFER of a
	// writes on the row the DISCOVER saw (recall), without reading it.
	offered := hasSID
	for range maxRaces {
		if !t.answerRequest(ss, a, hasSID, renewing, offered) {
			return
		}
		offered = false
	}
	// Every try lost to another writer of a shared store: the client
	// asks again, and by then one of them has settled the row.
	t.s.log.Warn("lost the race for a requested address every time; no reply", "address", a, "chaddr", hwString(t.hw), "tries", maxRaces)
	t.s.metrics.Dropped(DropNotDurable)
}

// answerRequest answers a REQUEST for a in ss from what the store holds
// now. It reports a lost race (the row changed between reading and
// writing it: another server, or another message of this client's, wrote
// it meanwhile) without answering, and the caller reads again and decides
// again.
//
// When offered is set and the client's OFFER of a noted the row (see
// noteOffer), that row is taken as what the store holds instead of
// reading it: every answer then is a guarded write, which fails (a lost
// race) when the row has changed since, or one the row cannot change (a
// NAK for a reason of the configuration). The lease cache, which answers
// without writing, is not trusted with it: the row is read first.
func (t *txn) answerRequest(ss *subnetState, a netip.Addr, hasSID, renewing, offered bool) (lost bool) {
	recalled := offered && t.recall(a)
	ok, err := t.get(a)
	if err != nil {
		t.s.log.Error("lease lookup failed", "address", a, "error", err)
		return false
	}
	held := ok && t.active(&t.found)
	switch {
	case held && !t.owns(&t.found):
		t.nak()
		return false
	case !held && !hasSID && !renewing:
		// INIT-REBOOT with no record of the client: RFC 2131 says stay
		// silent; an authoritative server NAKs so the client starts
		// over at once.
		if ok && t.owns(&t.found) {
			break // a released or reclaimed lease of this client
		}
		if ss.cfg.Params.Authoritative {
			t.nak()
		} else {
			t.s.metrics.Dropped(DropUnknownInitReboot)
		}
		return false
	}
	ps, allowed := t.mayHold(ss, a)
	if !allowed {
		t.nak()
		return false
	}
	if !held {
		// A new lease (SELECTING) or one this server lost track of
		// (RENEWING/REBINDING with the address still free): take the
		// address if no one else has it.
		if !t.claim(ps, a, false) {
			// The client's own reservation: the allocator holds
			// reserved addresses (and those it skipped as reserved
			// in the hosts database) as used.
			if t.reservedHere(ss, a) {
				t.s.offers.put(a, t.key, t.now+int64(t.s.hold.Seconds()))
			} else {
				t.nak()
				return false
			}
		}
	}
	prev := ""
	if ok {
		prev = t.found.Hostname
	}
	t.decideName(ss, ps, a, prev)
	lt := t.lifetime(ss)
	// A renewal keeps the lease's user context; a new lease starts
	// without one.
	keep := ""
	if held {
		keep = t.found.UserContext
	}
	uc := t.userContext(ss, keep)
	if rest, hit := t.cached(ss, held, lt, uc); hit && recalled {
		// Not written, so not guarded: read the row, and decide on it.
		t.forget()
		t.s.offers.unnote(a)
		return true
	} else if hit {
		// Kea's lease cache: a renewal early in the lease's life is
		// answered from the stored lease, with its remaining lifetime,
		// and nothing is written. The reply still waits for the sync
		// below: the stored lease may be one an in-flight request has
		// just written.
		lt = rest
		if t.s.repl != nil {
			// The partner still learns of the lease before the ACK:
			// this client's last ACK may have been dropped after its
			// lease was committed here and before it was replicated
			// (a full parking lot), so the cache must not let the
			// retry's ACK leave without it.
			t.recordChange(&t.found, &t.found)
		}
	} else {
		t.fill(&t.next, ss, ps, a, lt, uc)
		var prev *lease.Lease
		if ok {
			prev = &t.found
		}
		err := t.write(prev, &t.next)
		t.forget()
		if err != nil {
			if lostRace(err) {
				t.s.offers.unnote(a)
				t.s.log.Debug("lost the race for a requested address; reading it again", "address", a, "error", err)
				return true
			}
			t.s.log.Error("lease not committed; no reply", "address", a, "error", err)
			t.s.metrics.Dropped(DropNotDurable)
			return false
		}
	}
	t.s.offers.drop(a)
	if !held {
		t.s.metrics.Assigned(ss.cfg.ID, poolID(ps))
	}
	// The ACK must not leave before the lease is durable, and
	// replicated when the engine replicates.
	d, deferred := t.deferReply()
	if !deferred {
		if err := t.s.store.Sync(t.ctx); err != nil {
			t.s.log.Error("lease not committed; no reply", "address", a, "error", err)
			t.s.metrics.Dropped(DropNotDurable)
			return false
		}
		if r := t.replication(nil); r != nil && !t.replicateNow(r) {
			t.s.metrics.Dropped(DropNotReplicated)
			return false
		}
	}
	t.reply(dhcpv4.Ack, ss, ps, a, lt)
	if deferred {
		// Counted sent, or dropped, by the committer (or the
		// replication) once it knows whether the lease is durable.
		t.s.commit.add(d, t.replication(nil))
		return false
	}
	t.s.metrics.Sent(dhcpv4.Ack)
	return false
}

// cached reports whether the client's live lease in t.found may be reused
// as it is (cache-threshold, cache-max-age), and its remaining lifetime:
// it must be younger than cache-threshold of its lifetime and than
// cache-max-age, and the lifetime the client would get now must be the
// one it has, as must its hostname and DNS flags, subnet and user context
// uc (which changes with the relay agent information stored by
// store-extended-info). A generated name is never reused: Kea generates it
// again after the cache check, which then counts as a change.
func (t *txn) cached(ss *subnetState, held bool, lt uint32, uc string) (uint32, bool) {
	pr := &ss.cfg.Params
	l := &t.found
	if !held || pr.CacheThreshold <= 0 || pr.CacheThreshold >= 1 || l.ValidLifetime != lt || lt == lease.InfiniteLifetime {
		return 0, false
	}
	age := t.now - l.CLTT
	if age < 0 || float64(age) >= pr.CacheThreshold*float64(lt) || (pr.CacheMaxAge > 0 && age >= int64(pr.CacheMaxAge)) {
		return 0, false
	}
	n := &t.name
	if n.Generated || l.Hostname != n.Hostname || l.FQDNFwd != n.FQDNFwd || l.FQDNRev != n.FQDNRev {
		return 0, false
	}
	if l.SubnetID != ss.cfg.ID || l.UserContext != uc {
		return 0, false
	}
	return lt - uint32(age), true
}

// write stores l, replacing prev when it is not nil. The change is
// visible at once and durable after the next Sync (see ServeDHCP).
func (t *txn) write(prev, l *lease.Lease) error {
	var err error
	if prev == nil {
		err = t.s.store.Add(t.ctx, l, lease.Async)
	} else {
		err = t.s.store.Update(t.ctx, prev, l, lease.Async)
	}
	if err == nil {
		t.recordChange(prev, l)
	}
	return err
}

// deferReply takes the reply over from the server when the ResponseWriter,
// or one it wraps, allows it.
func (t *txn) deferReply() (dhcpserver.Deferred, bool) { return dhcpserver.Defer(t.w) }

// heldByMe reports whether the store holds a live lease of the client's
// at a.
func (t *txn) heldByMe(a netip.Addr) bool {
	ok, err := t.get(a)
	return err == nil && ok && t.active(&t.found) && t.owns(&t.found)
}

// release ends the client's lease of ciaddr (RFC 2131 §4.3.4). With
// lease affinity (hold-reclaimed-time, and a flush timer) the lease is
// kept as released, so that the client gets the address back if it
// returns.
func (t *txn) release() {
	a := t.p.CIAddr()
	ok, err := t.get(a)
	if err != nil || !ok || !t.owns(&t.found) || t.found.State != lease.StateDefault {
		t.s.metrics.Dropped(DropUnknownRelease)
		return
	}
	ps := t.st.poolContaining(a)
	if affinity(&t.cfg.ExpiredLeases) {
		t.next = t.found.Clone()
		t.next.State = lease.StateReleased
		t.next.CLTT = t.now
		t.next.ValidLifetime = 0
		err = t.s.store.Update(t.ctx, &t.found, &t.next, lease.Async)
		if err == nil {
			t.recordChange(&t.found, &t.next)
		}
	}
	if !affinity(&t.cfg.ExpiredLeases) || errors.Is(err, lease.ErrStateUnsupported) {
		// Without lease affinity, or in a store that has no released
		// leases (Kea 2.2's SQL schema), the lease goes, as Kea 2.2
		// deletes it.
		err = t.s.store.Delete(t.ctx, a, &t.found, lease.Async)
		if err == nil {
			t.recordChange(&t.found, nil)
		}
	}
	if err != nil {
		t.s.log.Warn("release not recorded", "address", a, "error", err)
		return
	}
	if r := t.replication(nil); r != nil {
		// The partner learns of the release once it is durable here.
		t.s.commit.add(nil, r)
	}
	if ps != nil {
		ps.alloc.Release(a)
	}
	t.s.metrics.Freed(t.found.SubnetID, t.found.PoolID)
}

// decline quarantines an address the client found in use (RFC 2131
// §4.3.3) for decline-probation-period.
func (t *txn) decline() {
	a, ok := t.p.RequestedIP()
	if !ok {
		a = t.p.CIAddr()
	}
	found, err := t.get(a)
	if err != nil || !found || !t.owns(&t.found) {
		t.s.metrics.Dropped(DropUnknownDecline)
		return
	}
	t.next = t.found.Clone()
	t.next.State = lease.StateDeclined
	t.next.HWAddr = t.next.HWAddr[:0]
	t.next.ClientID = t.next.ClientID[:0]
	t.next.Hostname = ""
	t.next.FQDNFwd, t.next.FQDNRev = false, false
	// The address belongs to no client now, nor does what was stored
	// about the last one (Kea clears the user context too).
	t.next.UserContext = ""
	t.next.CLTT = t.now
	t.next.ValidLifetime = t.cfg.DeclineProbationPeriod
	// No reply waits for the quarantine to be durable: the committer
	// flushes it with the next group, and nothing holds up the goroutine
	// serving other clients meanwhile.
	if err := t.s.store.Update(t.ctx, &t.found, &t.next, lease.Async); err != nil {
		t.s.log.Warn("decline not recorded", "address", a, "error", err)
		return
	}
	t.recordChange(&t.found, &t.next)
	t.s.commit.add(nil, t.replication(nil))
	t.s.log.Info("address declined", "address", a, "probation", t.cfg.DeclineProbationPeriod)
	t.s.metrics.Declined(t.found.SubnetID, t.found.PoolID)
}

// inform answers a DHCPINFORM with configuration only (RFC 2131 §4.3.5).
func (t *txn) inform() {
	ss := t.subnet
	ps := ss.poolFor(t.p.CIAddr())
	t.reply(dhcpv4.Ack, ss, ps, netip.Addr{}, 0)
	t.s.metrics.Sent(dhcpv4.Ack)
}

// nak refuses a request.
func (t *txn) nak() {
	b := t.w.Reply(dhcpv4.Nak)
	b.AddIP(dhcpv4.OptionServerID, t.serverID(nil))
	t.s.metrics.Sent(dhcpv4.Nak)
}

// ours reports whether sid names this server.
func (t *txn) ours(sid netip.Addr) bool {
	if sid == t.r.Local || sid == t.r.Dst {
		return true
	}
	return t.serverID(t.subnet) == sid
}

// lifetime is the valid lifetime for the client in ss: a class's
// valid-lifetime, else the subnet's, clamped to what the client asks for
// within min and max.
func (t *txn) lifetime(ss *subnetState) uint32 {
	lt := ss.cfg.Params.ValidLifetime
	cs := t.eval.Classes()
	for _, cl := range t.cfg.Classes {
		if cl.HasValidLifetime && cs.Has(cl.Name) {
			lt = cl.ValidLifetime
			break
		}
	}
	req, _ := t.p.LeaseTime()
	return lt.Clamp(req)
}

// offerLifetime is the offer-lifetime for the client in ss (0: offers are
// not written to the store).
func (t *txn) offerLifetime(ss *subnetState) uint32 {
	cs := t.eval.Classes()
	for _, cl := range t.cfg.Classes {
		if cl.HasOfferLifetime && cs.Has(cl.Name) {
			return cl.OfferLifetime
		}
	}
	return ss.cfg.Params.OfferLifetime
}

// fill makes l the client's lease of a, with user context uc.
func (t *txn) fill(l *lease.Lease, ss *subnetState, ps *poolState, a netip.Addr, lt uint32, uc string) {
	l.Addr = a
	l.HWType = t.htype
	l.HWAddr = append(l.HWAddr[:0], t.hw...)
	l.ClientID = append(l.ClientID[:0], t.cid...)
	l.ValidLifetime = lt
	l.CLTT = t.now
	l.SubnetID = ss.cfg.ID
	l.PoolID = poolID(ps)
	l.State = lease.StateDefault
	l.FQDNFwd, l.FQDNRev = t.name.FQDNFwd, t.name.FQDNRev
	l.Hostname = t.name.Hostname
	l.UserContext = uc
}

// decideName decides, as Kea does once it has found the client's address
// a in ss (pool ps), the name the client gets in option 12 or 81 and the
// one recorded with its lease (see package ddns). prev is the hostname of
// the stored lease of a, reused when the name is the same.
func (t *txn) decideName(ss *subnetState, ps *poolState, a netip.Addr, prev string) {
	names := ss.names
	if ps != nil {
		names = ps.names
	}
	r := ddns.Request{HostName: t.p.HostName(), Previous: prev}
	r.FQDN, r.HasFQDN = t.p.Option(dhcpv4.OptionClientFQDN)
	if t.host != nil {
		r.Reserved = t.host.Hostname
	}
	if !r.HasFQDN && len(r.HostName) == 0 && r.Reserved == "" && names.Quiet() {
		t.name = ddns.Answer{}
		return
	}
	t.name = ddns.Decide(t.nameBuf[:0], r, names, a)
	if cap(t.name.Value) > cap(t.nameBuf) {
		t.nameBuf = t.name.Value[:0]
	}
	if h := t.name.Hostname; len(h) > lease.MaxHostnameLen || !utf8.ValidString(h) {
		// Kea would record it; leased's leases hold at most 255
		// bytes of UTF-8. The client still gets its answer.
		t.s.log.Warn("client's name not recorded with its lease: too long or not UTF-8", "address", a, "hostname", h)
		t.name.Hostname = ""
	}
}
