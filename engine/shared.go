package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/leased/leased/alloc"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// Several servers on one lease database
//
// A store that says it is shared (lease.Shared: lease/pgsql) is written
// by other servers too, leased or kea-dhcp4, and the allocators, which
// know only the leases read at start and those this server wrote since,
// fall behind it. The store stays the truth:
//
//   - every candidate address is read from the store before it is offered
//     (allocate; as for any store), and one that another client holds
//     teaches the allocator its neighbours too (learnAround): one query
//     marks the other server's run of leases used, instead of one query
//     per address;
//   - an Add that finds the row taken (lease.ErrExists) or a guarded
//     Update that finds it changed or gone (lease.ErrConflict,
//     lease.ErrNotFound) is a lost race: the DISCOVER that wrote an offer
//     takes the next candidate, the REQUEST reads the row again and
//     decides again, and only a client asking for what another now holds
//     is NAKed;
//   - no row is read twice for one message, nor read again for a write
//     whose guard checks it: a message reads each address's row once
//     (txn.get), and the REQUEST that takes this server's OFFER writes on
//     the row the DISCOVER saw (noted with the offer, offerTable.note),
//     an Add where there was none, a guarded Update of it where there was
//     one. A new client's DORA is two SELECTs (its lease, by client-id or
//     hardware address, and the candidate address) and an INSERT; a
//     renewal, a RELEASE, a SELECT and a write (TestSharedStoreStatements
//     keeps the count);
//   - each server's iterative searches start at a point of their own
//     (seekStart), and go on at a random point once they run into another
//     server's leases (seekElsewhere), so two servers do not hand out the
//     same addresses in the same order;
//   - the leases are read into the allocators in the background at start
//     (markInBackground), so that a restart on a large database serves at
//     once;
//   - an allocator that finds its pool full asks the store which of the
//     addresses it thinks used are free there (released or reclaimed by
//     another server), at most once every refillEvery seconds (refill).
//
// Kea 2.2 does none of this: every kea-dhcp4 walks a pool from its first
// address, so servers started together offer the same addresses in the
// same order, and the loser of each insert retries with the next one
// (its allocation engine catches the duplicate key); a lost race on an
// expired row's guarded update is not caught and drops the client's
// message. Kea 2.4 added the random allocator for this, which avoids
// lockstep but collides in proportion to how full the pool is, on every
// allocation. Here each server fills a run of its own, and meets another
// server's run once per run rather than once per address.
//
// A store that is not shared pays nothing for this: seekStart leaves the
// allocators as they were, and the checks below are on paths only a lost
// race takes.

// markInBackground reads the leases of a shared store into st's
// allocators after New has returned, instead of before: the allocators are
// a hint there (every candidate is read from the store before it is
// offered, and one found taken teaches the allocator its neighbours), so
// the server can answer while a million leases are still being read, and
// a restart serves its first client at once. Until the scan is through, a
// candidate is more often found taken. The scan applies the sanity checks
// as at any start.
func (s *Engine) markInBackground(st *state) {
	go func() {
		start := time.Now()
		if err := s.markLeases(context.Background(), st); err != nil {
			s.log.Warn("cannot read the shared lease database at start; the allocators learn its leases as they meet them", "error", err)
			return
		}
		s.log.Info("leases of the shared lease database read", "took", time.Since(start).Round(time.Millisecond))
	}()
}

// maxRaces bounds how often one message may lose a race for an address
// before it is given up (the client asks again).
const maxRaces = 4

// refillEvery is the shortest time, in seconds, between two refills of a
// pool's allocator from a shared store.
const refillEvery = 5

// lostRace reports whether err says another writer got to the address
// first: an Add found a row there, or a guarded Update found the row read
// changed or gone.
func lostRace(err error) bool {
	return errors.Is(err, lease.ErrExists) || errors.Is(err, lease.ErrConflict) || errors.Is(err, lease.ErrNotFound)
}

// seekStart makes the fresh iterative allocator of ps, on a shared store,
// start its search at a point drawn from this server's seed and the pool.
func (s *Engine) seekStart(ps *poolState) {
	if !s.shared || ps.strat != alloc.Iterative {
		return
	}
	first := dhcpv4.AddrToUint32(ps.cfg.First)
	size := ps.alloc.Size()
	off := mix64(s.seed^uint64(first)) % size
	ps.alloc.Seek(dhcpv4.Uint32ToAddr(first + uint32(off)))
}

// seekElsewhere makes the iterative allocator of ps go on at a random
// point, once its search has run into another server's leases: two
// searches that met would otherwise go on side by side, leapfrogging
// each other, and collide on every allocation.
func (s *Engine) seekElsewhere(ps *poolState) {
	if ps.strat != alloc.Iterative {
		return
	}
	first := dhcpv4.AddrToUint32(ps.cfg.First)
	ps.alloc.Seek(dhcpv4.Uint32ToAddr(first + uint32(rand.Uint64N(ps.alloc.Size()))))
}

// mix64 is SplitMix64's finaliser: neighbouring inputs give unrelated
// outputs.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// learnSpan is how many leases from a taken address on learnAround reads.
const learnSpan = 256

// learnAround marks used in ps's allocator the live leases the store
// holds from a on: a taken address found in the allocator's search is
// most likely the first of another server's run.
func (t *txn) learnAround(ps *poolState, a netip.Addr) {
	page, err := t.s.store.Page(t.ctx, a.Prev(), 0, learnSpan)
	if err != nil {
		return
	}
	for i := range page {
		l := &page[i]
		if !ps.cfg.Contains(l.Addr) {
			break
		}
		if t.active(l) {
			ps.alloc.Use(l.Addr)
		}
	}
}

// refill frees in ps's allocator the addresses it holds as used that the
// shared store has no live lease for (another server released or
// reclaimed them), except reserved ones and live offers. It reports
// whether it ran; it runs at most once every refillEvery seconds a pool.
func (s *Engine) refill(ctx context.Context, ps *poolState, now int64) bool {
	last := ps.refilled.Load()
	if now-last < refillEvery || !ps.refilled.CompareAndSwap(last, now) {
		return false
	}
	first := dhcpv4.AddrToUint32(ps.cfg.First)
	size := ps.alloc.Size()
	live := make([]uint64, (size+63)/64)
	mark := func(a netip.Addr) {
		off := dhcpv4.AddrToUint32(a) - first
		live[off/64] |= 1 << (off % 64)
	}
	after := ps.cfg.First.Prev()
	for {
		page, err := s.store.Page(ctx, after, 0, 1024)
		if err != nil {
			s.log.Warn("cannot read the shared lease database to refill a pool", "pool", ps.cfg.First.String()+"-"+ps.cfg.Last.String(), "error", err)
			return true
		}
		done := len(page) < 1024
		for i := range page {
			l := &page[i]
			after = l.Addr
			if !ps.cfg.Contains(l.Addr) {
				done = true
				break
			}
			if (l.State == lease.StateDefault || l.State == lease.StateDeclined) && !l.Expired(now) {
				mark(l.Addr)
			}
		}
		if done {
			break
		}
	}
	for _, r := range ps.reserved {
		mark(r)
	}
	freed := 0
	for off := uint64(0); off < size; off++ {
		if live[off/64]&(1<<(off%64)) != 0 {
			continue
		}
		a := dhcpv4.Uint32ToAddr(first + uint32(off))
		if _, offered := s.offers.owner(a, now); offered {
			continue
		}
		if ps.alloc.Release(a) {
			freed++
		}
	}
	s.log.Debug("pool refilled from the shared lease database", "pool", ps.cfg.First.String()+"-"+ps.cfg.Last.String(), "freed", freed)
	return true
}
