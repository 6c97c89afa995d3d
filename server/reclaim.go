package server

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/leased/leased/lease"
)

// Run reclaims expired leases and returns offered addresses that were
// never requested, until ctx ends. It follows expired-leases-processing:
// every reclaim-timer-wait-time seconds it reclaims at most
// max-reclaim-leases leases in at most max-reclaim-time milliseconds (0:
// no limit); every flush-reclaimed-timer-wait-time seconds it deletes the
// reclaimed leases older than hold-reclaimed-time. Reclaimed leases keep
// their client identity while they are held, so that a returning client
// gets its address back.
func (s *Server) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lastReclaim, lastFlush time.Time
	var scratch []netip.Addr
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
			if _, err := s.Reclaim(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("lease reclamation failed", "error", err)
			}
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
func (s *Server) expireOffers(ctx context.Context, now int64, buf []netip.Addr) []netip.Addr {
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

// Reclaim processes one batch of expired leases now, as the reclaim timer
// does, and returns how many it reclaimed.
func (s *Server) Reclaim(ctx context.Context) (int, error) {
	st := s.state.Load()
	el := &st.cfg.ExpiredLeases
	start := s.now()
	batch, err := s.store.Expired(ctx, start.Unix(), int(el.MaxReclaimLeases))
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range batch {
		if el.MaxReclaimTime > 0 && time.Since(start) > time.Duration(el.MaxReclaimTime)*time.Millisecond {
			break
		}
		l := &batch[i]
		if err := s.reclaimOne(ctx, st, l); err != nil {
			if errors.Is(err, lease.ErrConflict) || errors.Is(err, lease.ErrNotFound) {
				continue // renewed or removed meanwhile
			}
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Server) reclaimOne(ctx context.Context, st *state, l *lease.Lease) error {
	hold := st.cfg.ExpiredLeases.HoldReclaimedTime
	var err error
	if l.State == lease.StateDeclined || hold == 0 {
		err = s.store.Delete(ctx, l.Addr, l, lease.Async)
	} else {
		next := l.Clone()
		next.State = lease.StateExpiredReclaimed
		err = s.store.Update(ctx, l, &next, lease.Async)
	}
	if err != nil {
		return err
	}
	if l.State == lease.StateDeclined {
		s.log.Info("declined address back in service", "address", l.Addr)
	}
	if ps := st.poolContaining(l.Addr); ps != nil {
		ps.alloc.Release(l.Addr)
	}
	s.metrics.Reclaimed(l.SubnetID, l.PoolID, l.State == lease.StateDeclined)
	return nil
}
