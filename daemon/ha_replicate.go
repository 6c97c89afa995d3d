package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
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
	parks := make([]bool, len(batch))
	limit := int64(s.parkLimit.Load())
	s.mu.Lock()
	for i, r := range batch {
		if r.Waits() {
			if !s.park(limit) {
				// Kea checks its parking lot before the
				// leases4_committed callout: the reply is dropped, and
				// the lease (committed here) goes to the partner with
				// the client's next attempt.
				full[i] = true
				continue
			}
			parks[i] = true
		}
		plans[i] = s.m.LeasesCommitted(now, len(s.changes(r)))
		if plans[i].Queue {
			s.backlog = append(s.backlog, s.changes(r)...)
		}
		if parks[i] && (plans[i].Wait == 0 || len(plans[i].Send) == 0) {
			// Nothing to wait for: the reply leaves at once.
			s.parked.Add(-1)
			parks[i] = false
		}
	}
	s.sync(now)
	s.mu.Unlock()
	// The replications each peer gets, in the batch's order.
	var order []string
	perPeer := map[string][]*haPending{}
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
			pd := s.startPending(r, plan, parks[i])
			for _, p := range plan.Send {
				if _, ok := perPeer[p.Name]; !ok {
					order = append(order, p.Name)
				}
				perPeer[p.Name] = append(perPeer[p.Name], pd)
			}
		}
	}
	for _, name := range order {
		s.replicateTo(s.rel.Peer(name), perPeer[name])
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

// haPending is one client's replication under way: its changes, and
// how many of the peers it waits for have acknowledged them.
type haPending struct {
	s       *haService
	r       *engine.Replication
	changes []haChange
	waitFor int32
	acked   atomic.Int32
	parks   bool
	once    sync.Once
}

// startPending starts the replication of r by plan: the reply leaves at
// once when it waits for no peer, and is otherwise parked (parked: its
// place was taken by Replicate, see park).
func (s *haService) startPending(r *engine.Replication, plan ha.CommitPlan, parked bool) *haPending {
	pd := &haPending{s: s, r: r, changes: s.changes(r), waitFor: int32(plan.Wait), parks: parked}
	if pd.waitFor == 0 {
		r.Done(true)
	}
	return pd
}

// park takes a place among the parked replies, unless limit (0: none)
// are parked already. The check and the count are one step, on the
// counter every relationship shares: replies whose messages replicate
// from their own goroutines (engine.Replicator) cannot both find the
// last place free. Only a reply that waits is parked: Kea's parking lot
// holds a RELEASE or DECLINE whose updates are under way too; here
// nothing of them waits, and counting them would drop clients' ACKs for
// releases in flight.
func (s *haService) park(limit int64) bool {
	for {
		n := s.parked.Load()
		if limit > 0 && n >= limit {
			return false
		}
		if s.parked.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// done releases (ok) or withholds the reply, once.
func (pd *haPending) done(ok bool) {
	pd.once.Do(func() {
		if pd.parks {
			pd.s.parked.Add(-1)
		}
		pd.r.Done(ok)
	})
}

// peerDone records how peer p took the changes (err nil: all of them):
// the machine hears of it, and the reply leaves once every peer it waits
// for acknowledged, or is withheld at the first that failed.
func (pd *haPending) peerDone(p *ha.Peer, err error) {
	pd.s.updateDone(p, pd.r, err)
	counts := p.Role != ha.RoleBackup || pd.s.rel.WaitBackupAck
	if !counts || pd.waitFor == 0 {
		return
	}
	if err != nil {
		pd.done(false)
		return
	}
	if pd.acked.Add(1) == pd.waitFor {
		pd.done(true)
	}
}

// replicateTo sends peer p the changes of the replications pds, all of
// one group commit: in one ha.CmdLeaseBulkApply (as few as ordering
// allows, see bulkChunks) while the peer takes it, which a leased
// partner applies with one flush; else, as Kea's HA hook does, each
// replication's changes one lease4-update or lease4-del at a time, the
// replications side by side.
func (s *haService) replicateTo(p *ha.Peer, pds []*haPending) {
	c := s.clients[p.Name]
	if !c.Bulk() {
		s.sendEach(p, c, pds)
		return
	}
	if !s.spawn(func() { s.sendBulk(s.ctx, c, pds) }) {
		s.failAll(p, pds)
	}
}

// sendEach sends each replication's changes to c in its own goroutine,
// one lease a request.
func (s *haService) sendEach(p *ha.Peer, c *ha.Client, pds []*haPending) {
	for _, pd := range pds {
		if !s.spawn(func() { pd.peerDone(p, s.sendChanges(s.ctx, c, pd.changes)) }) {
			s.failAll(p, []*haPending{pd})
		}
	}
}

// failAll withholds the replies of pds that wait for p, for an update
// that could not even start (the service is stopping).
func (s *haService) failAll(p *ha.Peer, pds []*haPending) {
	counts := p.Role != ha.RoleBackup || s.rel.WaitBackupAck
	for _, pd := range pds {
		if counts && pd.waitFor > 0 {
			pd.done(false)
		}
	}
}

// sendBulk sends the changes of pds to c in bulk requests, in order, and
// gives each replication the peer's verdict on its own leases: a lease
// the peer refused fails that client alone. A peer that turns out not to
// know the command gets the changes not yet sent one lease at a time.
func (s *haService) sendBulk(ctx context.Context, c *ha.Client, pds []*haPending) {
	p := c.Peer()
	for _, chunk := range bulkChunks(pds) {
		if !c.Bulk() {
			s.sendEach(p, c, chunk)
			continue
		}
		res, err := s.sendBulkRequest(ctx, c, chunk)
		if errors.Is(err, ha.ErrUnsupported) {
			s.log.Info("high availability: the peer does not take lease updates in bulk; it gets one lease a request from now on", "peer", p.Name, "answer", err)
			s.sendEach(p, c, chunk)
			continue
		}
		for _, pd := range chunk {
			perr := err
			for _, ch := range pd.changes {
				if perr != nil {
					break
				}
				perr = res.Err(ch.del, ch.l.Addr)
			}
			pd.peerDone(p, perr)
		}
	}
}

// sendBulkRequest sends the changes of pds to c in one request, within
// the peer's bound of requests under way.
func (s *haService) sendBulkRequest(ctx context.Context, c *ha.Client, pds []*haPending) (ha.BulkResults, error) {
	slot := s.slots[c.Peer().Name]
	if err := s.takeSlot(ctx, slot); err != nil {
		return ha.BulkResults{}, fmt.Errorf("lease updates of %d clients: none of the %d requests under way to %s ended: %w", len(pds), cap(slot), c.Peer().Name, err)
	}
	defer func() { <-slot }()
	var dels, ups []*lease.Lease
	for _, pd := range pds {
		for _, ch := range pd.changes {
			if ch.del {
				dels = append(dels, ch.l)
			} else {
				ups = append(ups, ch.l)
			}
		}
	}
	return c.ApplyLeases(ctx, dels, ups)
}

// bulkChunks splits pds, in order, into the groups that go in one bulk
// request each. A request applies its deletes before its updates, and
// the peer names a failure by address alone, so an address may appear in
// one request only once: a replication touching an address that an
// earlier one of the chunk touched starts the next chunk, which keeps
// the order in which the changes were made. A chunk also holds at most
// ha.MaxBulkLeases leases (a replication larger than that goes alone).
func bulkChunks(pds []*haPending) [][]*haPending {
	var chunks [][]*haPending
	var cur []*haPending
	seen := map[netip.Addr]bool{}
	n := 0
	for _, pd := range pds {
		clash := n > 0 && n+len(pd.changes) > ha.MaxBulkLeases
		for _, ch := range pd.changes {
			if seen[ch.l.Addr] {
				clash = true
			}
		}
		if clash {
			chunks = append(chunks, cur)
			cur, n = nil, 0
			clear(seen)
		}
		cur = append(cur, pd)
		n += len(pd.changes)
		for _, ch := range pd.changes {
			seen[ch.l.Addr] = true
		}
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks
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
