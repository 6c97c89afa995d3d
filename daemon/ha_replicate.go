package daemon

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/lease"
)

// Replicate is the engine's hook (engine.Replicator): the lease changes
// of a group commit, each client's reply waiting for them. For each
// client the machine decides (Machine.LeasesCommitted, Kea's
// leases4_committed) to whom its changes go and how many answers the
// reply waits for (Kea's parking), or that they are queued for the
// partner (communication-recovery). The updates of the whole group go
// out at once, over the peers' keep-alive connections, so that the
// partner's lease store makes them durable together too; each reply
// leaves once its peers acknowledged, and is withheld when one failed.
func (s *haService) Replicate(batch []*engine.Replication) {
	if s.ctx == nil || s.ctx.Err() != nil {
		// Not started, or stopping: nobody will carry the updates.
		for _, r := range batch {
			r.Done(false)
		}
		return
	}
	now := s.now()
	plans := make([]ha.CommitPlan, len(batch))
	full := make([]bool, len(batch))
	limit, parked := int64(s.parkLimit.Load()), s.parked.Load()
	s.mu.Lock()
	for i, r := range batch {
		if limit > 0 && r.Waits() && parked >= limit {
			// Kea checks its parking lot before the leases4_committed
			// callout: the reply is dropped, and the lease (committed
			// here) goes to the partner with the client's next attempt.
			full[i] = true
			continue
		}
		plans[i] = s.m.LeasesCommitted(now)
		if plans[i].Queue {
			s.backlog = append(s.backlog, s.changes(r)...)
		}
		if plans[i].Wait > 0 && r.Waits() {
			parked++
		}
	}
	s.sync(now)
	s.mu.Unlock()
	for i, r := range batch {
		plan := plans[i]
		switch {
		case full[i]:
			if s.queueFull != nil {
				s.queueFull.Add(1)
			}
			r.Done(false)
		case len(plan.Send) == 0:
			r.Done(true)
		default:
			s.replicate(r, plan)
		}
	}
}

// changes are r's lease changes as the peers receive them: deletes
// first, then updates, as Kea sends them. Kea 2.2 knows no released
// state: a lease kept as released goes to it as a delete.
func (s *haService) changes(r *engine.Replication) []haChange {
	var dels, ups []haChange
	for _, c := range r.Changes {
		switch {
		case c.New == nil && c.Old != nil:
			dels = append(dels, haChange{del: true, l: c.Old})
		case c.New != nil && c.New.State == lease.StateReleased && s.d == ha.Kea22:
			dels = append(dels, haChange{del: true, l: c.New})
		case c.New != nil:
			ups = append(ups, haChange{l: c.New})
		}
	}
	return append(dels, ups...)
}

// replicate sends r's changes to the plan's peers, each peer's in order
// in its own goroutine, and calls r.Done once plan.Wait peers that count
// acknowledged every change (true) or one that counts failed (false).
func (s *haService) replicate(r *engine.Replication, plan ha.CommitPlan) {
	changes := s.changes(r)
	waitFor := int32(plan.Wait)
	if waitFor == 0 {
		r.Done(true)
	}
	var acked atomic.Int32
	var once sync.Once
	// Only a reply that waits is parked, as Replicate counts against
	// the limit. Kea's parking lot holds a RELEASE or DECLINE whose
	// updates are under way too; here nothing of them waits, and
	// counting them would drop clients' ACKs for releases in flight.
	parks := waitFor > 0 && r.Waits()
	if parks {
		s.parked.Add(1)
	}
	done := func(ok bool) {
		once.Do(func() {
			if parks {
				s.parked.Add(-1)
			}
			r.Done(ok)
		})
	}
	for _, p := range plan.Send {
		c := s.clients[p.Name]
		counts := p.Role != ha.RoleBackup || s.rel.WaitBackupAck
		started := s.spawn(func() {
			err := s.sendChanges(s.ctx, c, changes)
			s.updateDone(p, r, err)
			if !counts || waitFor == 0 {
				return
			}
			if err != nil {
				done(false)
				return
			}
			if acked.Add(1) == waitFor {
				done(true)
			}
		})
		if !started && waitFor > 0 {
			done(false)
		}
	}
}

// sendChanges sends changes to peer c, in order, stopping at the first
// failure.
func (s *haService) sendChanges(ctx context.Context, c *ha.Client, changes []haChange) error {
	for _, ch := range changes {
		if err := s.sendChange(ctx, c, ch); err != nil {
			return err
		}
	}
	return nil
}

// updateDone tells the machine how a peer took a client's updates: a
// failure makes the partner unavailable, except (Kea 3.x) a refusal of
// the lease itself (result 4), which is recorded against the client.
func (s *haService) updateDone(p *ha.Peer, r *engine.Replication, err error) {
	if s.ctx.Err() != nil {
		return
	}
	var ae *ha.AnswerError
	conflict := errors.As(err, &ae) && ae.Result == control.Conflict
	if err != nil {
		s.log.Warn("high availability: lease update failed; the client's reply is withheld", "peer", p.Name, "error", err)
	}
	partner := p.Role != ha.RoleBackup
	s.do(func(now time.Time) control.Response {
		switch {
		case err == nil && partner:
			s.m.LeaseUpdateAccepted(r.HWAddr, r.ClientID)
		case conflict && s.d == ha.Kea3:
			s.m.LeaseUpdateRejected(now, r.HWAddr, r.ClientID)
		case err != nil && partner:
			s.m.ExchangeFailed(now)
		}
		return control.Response{}
	})
}
