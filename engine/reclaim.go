package engine

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/lease"
)

// Run reclaims expired leases and returns offered addresses that were
// never requested, until ctx ends. It follows expired-leases-processing:
// every reclaim-timer-wait-time seconds it reclaims at most
// max-reclaim-leases leases in at most max-reclaim-time milliseconds (0:
// no limit); every flush-reclaimed-timer-wait-time seconds it deletes the
// reclaimed leases older than hold-reclaimed-time. Reclaimed leases keep
// their client identity while they are held, so that a returning client
// gets its address back; with either setting 0 they are deleted as they
// are reclaimed (see affinity). When unwarned-reclaim-cycles is not 0 and that
// many consecutive runs of the reclaim timer in a row leave expired leases
// behind, it logs a warning, as Kea does: reclaim-timer-wait-time is then
// too long, or max-reclaim-leases or max-reclaim-time too small, for the
// rate at which leases expire.
func (s *Engine) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	// As Kea's timers, the first reclamation and the first flush come
	// one interval after the start, not at once.
	lastReclaim := s.now()
	lastFlush := lastReclaim
	var scratch []netip.Addr
	var slow reclaimBacklog
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := s.now()
		scratch = s.expireOffers(ctx, now.Unix(), scratch[:0])
		el := &s.state.Load().cfg.ExpiredLeases
		if el.ReclaimTimerWaitTime > 0 && now.Sub(lastReclaim) >= time.Duration(el.ReclaimTimerWaitTime)*time.Second {
			lastReclaim = now
			s.reclaimCycle(ctx, &slow)
		}
		if el.FlushReclaimedTimerWaitTime > 0 && now.Sub(lastFlush) >= time.Duration(el.FlushReclaimedTimerWaitTime)*time.Second {
			lastFlush = now
			n, err := s.store.DeleteReclaimed(ctx, now.Unix()-int64(el.HoldReclaimedTime), lease.Async)
			if err != nil && ctx.Err() == nil {
				s.log.Error("flushing reclaimed leases failed", "error", err)
			} else if n > 0 {
				s.log.Debug("reclaimed leases flushed", "count", n)
			}
		}
	}
}

// expireOffers returns to their pools the addresses whose offers lapsed
// without a lease being written for them.
func (s *Engine) expireOffers(ctx context.Context, now int64, buf []netip.Addr) []netip.Addr {
	buf = s.offers.expire(now, buf)
	st := s.state.Load()
	var l lease.Lease
	for _, a := range buf {
		ok, err := s.store.Get(ctx, a, &l)
		if err != nil {
			continue
		}
		if ok && (l.State == lease.StateDefault || l.State == lease.StateDeclined) && !l.Expired(now) {
			continue
		}
		if ps := st.poolContaining(a); ps != nil {
			ps.alloc.Release(a)
		}
	}
	return buf
}

// reclaimBacklog counts the consecutive runs of the reclaim timer that
// left expired leases behind (Kea's incomplete reclamations). It belongs
// to the goroutine of Run.
type reclaimBacklog struct {
	cycles uint32
}

// reclaimCycle is one run of the reclaim timer: it reclaims a batch and,
// per unwarned-reclaim-cycles, warns when expired leases have been left
// behind more than that many times in a row. A warning starts the count
// again, and so does a run that reclaims everything.
func (s *Engine) reclaimCycle(ctx context.Context, b *reclaimBacklog) {
	_, complete, err := s.reclaim(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("lease reclamation failed", "error", err)
		}
		// A failed run says nothing of the backlog.
		return
	}
	if complete {
		b.cycles = 0
		return
	}
	b.cycles++
	limit := s.state.Load().cfg.ExpiredLeases.UnwarnedReclaimCycles
	if limit > 0 && b.cycles > limit {
		s.log.Warn("expired leases still exist after consecutive reclamations; reclaim more often (reclaim-timer-wait-time) or more at a time (max-reclaim-leases, max-reclaim-time)",
			"reclamations", limit)
		b.cycles = 0
	}
}

// Reclaim processes one batch of expired leases now, as the reclaim timer
// does, and returns how many it reclaimed.
func (s *Engine) Reclaim(ctx context.Context) (int, error) {
	n, _, err := s.reclaim(ctx)
	return n, err
}

// reclaim processes one batch of expired leases: at most
// max-reclaim-leases of them, for at most max-reclaim-time. It reports
// whether it left no expired lease behind.
func (s *Engine) reclaim(ctx context.Context) (n int, complete bool, err error) {
	st := s.state.Load()
	el := &st.cfg.ExpiredLeases
	began := time.Now() // max-reclaim-time is real time, whatever the server's clock
	limit := int(el.MaxReclaimLeases)
	if limit > 0 {
		// One more than the batch, to learn whether leases are left
		// over.
		limit++
	}
	batch, err := s.store.Expired(ctx, s.now().Unix(), limit)
	if err != nil {
		return 0, false, err
	}
	complete = true
	if el.MaxReclaimLeases > 0 && len(batch) > int(el.MaxReclaimLeases) {
		batch = batch[:el.MaxReclaimLeases]
		complete = false
	}
	var until time.Time
	if el.MaxReclaimTime > 0 {
		until = began.Add(time.Duration(el.MaxReclaimTime) * time.Millisecond)
	}
	n, through, err := s.reclaimBatch(ctx, st, batch, !affinity(el), until)
	if err != nil {
		return n, false, err
	}
	return n, complete && through, nil
}

// ReclaimAll reclaims every expired lease now, with no batch or time
// limit, as Kea's leases-reclaim command does, and returns how many it
// reclaimed. With remove, the reclaimed leases are deleted instead of
// being held for their clients per hold-reclaimed-time. A lease renewed
// or removed meanwhile is skipped.
func (s *Engine) ReclaimAll(ctx context.Context, remove bool) (int, error) {
	const batch = 1024
	n := 0
	for {
		st := s.state.Load()
		ls, err := s.store.Expired(ctx, s.now().Unix(), batch)
		if err != nil {
			return n, err
		}
		done, _, err := s.reclaimBatch(ctx, st, ls, remove, time.Time{})
		if err != nil {
			return n, err
		}
		n += done
		// A short batch was the last; a batch in which nothing could be
		// reclaimed would come back the same.
		if len(ls) < batch || done == 0 {
			return n, nil
		}
	}
}

// reclaimBatch reclaims the expired leases of batch (see reclaimLease),
// skipping those renewed or removed meanwhile, and stops once the time is
// past until unless that is zero. It returns how many it reclaimed and
// whether it went through the whole batch.
func (s *Engine) reclaimBatch(ctx context.Context, st *state, batch []lease.Lease, remove bool, until time.Time) (n int, through bool, err error) {
	var changes []Change
	defer func() { s.announceReclaimed(changes) }()
	for i := range batch {
		if !until.IsZero() && time.Now().After(until) {
			return n, false, nil
		}
		next, err := s.reclaimLease(ctx, st, &batch[i], remove)
		if err != nil {
			if errors.Is(err, lease.ErrConflict) || errors.Is(err, lease.ErrNotFound) {
				continue // renewed or removed meanwhile
			}
			return n, false, err
		}
		if s.names != nil && st.cfg.DHCPDDNS.EnableUpdates {
			changes = append(changes, reclaimedChange(&batch[i], next))
		}
		n++
	}
	return n, true, nil
}

// affinity reports whether leases that end (released or reclaimed) are
// kept for their clients: hold-reclaimed-time asks for it, and the flush
// timer that later deletes them runs. As in Kea, a
// flush-reclaimed-timer-wait-time of 0 means reclaimed leases are
// deleted at once, since nothing would ever delete them.
func affinity(el *config.ExpiredLeasesProcessing) bool {
	return el.HoldReclaimedTime > 0 && el.FlushReclaimedTimerWaitTime > 0
}

// reclaimLease puts the address of the expired lease l back in service:
// it deletes the lease when remove is set or the lease was declined, and
// otherwise keeps it as expired-reclaimed for its client. It returns the
// lease kept, nil when it deleted it.
func (s *Engine) reclaimLease(ctx context.Context, st *state, l *lease.Lease, remove bool) (*lease.Lease, error) {
	var err error
	var kept *lease.Lease
	if l.State == lease.StateDeclined || remove {
		err = s.store.Delete(ctx, l.Addr, l, lease.Async)
	} else {
		next := l.Clone()
		next.State = lease.StateExpiredReclaimed
		// Kea clears the user context of a reclaimed lease: the relay
		// agent information stored with it (store-extended-info)
		// describes a client that no longer holds the address.
		next.UserContext = ""
		// And its name: the DNS records it named are removed with the
		// reclamation, so the lease no longer stands for them (a Kea
		// peer reading the lease must not remove them again).
		next.Hostname = ""
		next.FQDNFwd, next.FQDNRev = false, false
		err = s.store.Update(ctx, l, &next, lease.Async)
		kept = &next
	}
	if err != nil {
		return nil, err
	}
	if l.State == lease.StateDeclined {
		s.log.Info("declined address back in service", "address", l.Addr)
	}
	if ps := st.poolContaining(l.Addr); ps != nil {
		ps.alloc.Release(l.Addr)
	}
	s.metrics.Reclaimed(l.SubnetID, l.PoolID, l.State == lease.StateDeclined)
	return kept, nil
}
