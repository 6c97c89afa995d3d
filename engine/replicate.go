package engine

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// Change is one lease the engine wrote for a client: Old is the lease as
// it was (nil for a new lease), New the lease as it is now (nil when the
// lease was deleted). Both are copies the receiver may keep, but not
// change: the Replicator and NameChanges are given the same ones.
type Change struct {
	Old, New *lease.Lease
}

// Replication is the lease changes of one client's message, durable in
// the local store, and the reply that waits for them: a REQUEST's ACK, or
// nothing for a RELEASE or DECLINE. The [Replicator] must call Done
// exactly once.
type Replication struct {
	// HWAddr and ClientID identify the client (copies): HA keeps its
	// record of rejected updates by them.
	HWAddr, ClientID []byte
	// Changes are the leases written, in the order they were written.
	Changes []Change

	reply   dhcpserver.Deferred // nil: nothing waits
	metrics Metrics
	done    atomic.Bool
	wait    chan bool // set when the message's goroutine waits for Done
}

// Done ends the replication: ok sends the reply that waited for it, !ok
// withholds it (counted as dropped with DropNotReplicated). Calls after
// the first do nothing.
func (r *Replication) Done(ok bool) {
	if !r.done.CompareAndSwap(false, true) {
		return
	}
	if r.wait != nil {
		r.wait <- ok
		return
	}
	r.finish(ok)
}

// Waits reports whether a reply waits for Done (a REQUEST's ACK, deferred
// or held by the message's goroutine): only such replications are
// parked, and bound by a parking limit.
func (r *Replication) Waits() bool { return r.reply != nil || r.wait != nil }

// finish sends or cancels the reply and counts it.
func (r *Replication) finish(ok bool) {
	if r.reply == nil {
		return
	}
	if !ok {
		r.reply.Cancel()
		r.metrics.Dropped(DropNotReplicated)
		return
	}
	if err := r.reply.Send(); err == nil {
		r.metrics.Sent(dhcpv4.Ack)
	}
}

// Replicator passes the leases the engine writes for clients on before
// the replies that acknowledge them leave: high availability sends them
// to the partner and releases the ACK once the partner has stored them
// (Kea's parking).
//
// Replicate is given, after each commit of the local store, every
// Replication of the group that one flush made durable, so that their
// updates can travel together; a message whose reply cannot be deferred
// gives its own from its goroutine, which waits for Done, so Replicate
// may run on several goroutines at once. It must not block: it sends them and
// calls each one's Done when the answers come back. Leases written by
// reclamation, by lease commands and at start-up are not replicated (Kea's
// HA sends only what clients' messages change). The batch slice is reused
// once Replicate returns: keep the Replications, not the slice.
type Replicator interface {
	Replicate(batch []*Replication)
}

// recordChange notes, when the engine replicates, that l replaced prev
// (prev nil: a new lease; l nil: prev was deleted).
func (t *txn) recordChange(prev, l *lease.Lease) {
	if !t.recordsChanges() {
		return
	}
	var c Change
	if prev != nil {
		p := prev.Clone()
		c.Old = &p
	}
	if l != nil {
		n := l.Clone()
		c.New = &n
	}
	t.changes = append(t.changes, c)
}

// replication returns the changes recorded for this message, taken out of
// the txn, with reply (nil when no reply waits), or nil when nothing is
// replicated.
func (t *txn) replication(reply dhcpserver.Deferred) *Replication {
	if !t.recordsChanges() || len(t.changes) == 0 {
		return nil
	}
	r := &Replication{
		HWAddr:   append([]byte(nil), t.hw...),
		ClientID: append([]byte(nil), t.cid...),
		Changes:  t.changes,
		reply:    reply,
		metrics:  t.s.metrics,
	}
	t.changes = nil
	return r
}

// replicateNow replicates r for a message whose reply could not be
// deferred, and waits for the outcome.
func (t *txn) replicateNow(r *Replication) bool {
	if t.s.names != nil {
		t.s.names.NameChanges(r.Changes)
	}
	if t.s.repl == nil {
		return true
	}
	r.wait = make(chan bool, 1)
	t.s.repl.Replicate([]*Replication{r})
	select {
	case ok := <-r.wait:
		return ok
	case <-t.ctx.Done():
		return false
	}
}

// LeaseWrite is one change of ApplyLeases: Del deletes the lease of
// Lease.Addr (only the address is read), else Lease replaces the lease at
// its address, or is added when there is none and Create is set
// (lease4-update's force-create). Err is its outcome:
// lease.ErrNotFound for a delete, or an update without Create, of a lease
// that is not there.
type LeaseWrite struct {
	Del    bool
	Create bool
	Lease  *lease.Lease
	Err    error
}

// ApplyLeases makes the writes, in order, and then all of them durable
// with one Sync of the store: the lease changes an HA partner sends for
// one group commit of its own. Each write succeeds or fails on its own
// (its Err); when the Sync fails, every write that was made is undone,
// last first, and fails with the Sync's error, which ApplyLeases returns.
// The allocators follow the writes that stand, as with UpdateLease and
// DeleteLease.
func (s *Engine) ApplyLeases(ctx context.Context, ws []LeaseWrite) error {
	type made struct {
		i    int
		prev *lease.Lease // nil: the lease was added
	}
	var done []made
	for i := range ws {
		w := &ws[i]
		if w.Lease == nil {
			w.Err = errors.New("no lease")
			continue
		}
		if !w.Del {
			if w.Err = w.Lease.Validate(); w.Err != nil {
				continue
			}
		}
		var prev *lease.Lease
		prev, w.Err = s.writeAsync(ctx, w)
		if w.Err == nil {
			done = append(done, made{i, prev})
		}
	}
	if len(done) == 0 {
		return nil
	}
	if err := s.store.Sync(ctx); err != nil {
		uctx := undoCtx(ctx)
		for k := len(done) - 1; k >= 0; k-- {
			w := &ws[done[k].i]
			prev := done[k].prev
			var uerr error
			switch {
			case w.Del:
				uerr = s.store.Add(uctx, prev, lease.Async)
			case prev == nil:
				uerr = s.store.Delete(uctx, w.Lease.Addr, w.Lease, lease.Async)
			default:
				uerr = s.store.Update(uctx, w.Lease, prev, lease.Async)
			}
			s.undo(uctx, bulkUndoName, w.Lease.Addr, uerr)
			w.Err = notMade(err)
		}
		// When this fails too, the store's recovery writes what memory
		// holds, which is what was there before.
		s.store.Sync(uctx)
		return notMade(err)
	}
	st := s.state.Load()
	for _, d := range done {
		w := &ws[d.i]
		if w.Del {
			s.free(st, d.prev.SubnetID, d.prev.Addr)
		} else {
			s.follow(w.Lease)
		}
	}
	return nil
}

// bulkUndoName names ApplyLeases' writes in the log of an undo.
const bulkUndoName = "lease bulk apply"

// writeAsync makes one write of ApplyLeases, visible but not yet durable,
// and returns the lease it replaced or deleted (nil when it added one).
// As in UpdateLease, a lease that appears or disappears between the read
// and the write is met on a second round.
func (s *Engine) writeAsync(ctx context.Context, w *LeaseWrite) (*lease.Lease, error) {
	addr := w.Lease.Addr
	for range 2 {
		var cur lease.Lease
		ok, err := s.store.Get(ctx, addr, &cur)
		switch {
		case err != nil:
			return nil, err
		case !ok && (w.Del || !w.Create):
			return nil, fmt.Errorf("%v: %w", addr, lease.ErrNotFound)
		case w.Del:
			err = s.store.Delete(ctx, addr, &cur, lease.Async)
		case ok:
			err = s.store.Update(ctx, &cur, w.Lease, lease.Async)
		default:
			err = s.store.Add(ctx, w.Lease, lease.Async)
		}
		switch {
		case errors.Is(err, lease.ErrNotFound), errors.Is(err, lease.ErrConflict), errors.Is(err, lease.ErrExists):
			continue
		case err != nil:
			return nil, err
		case ok:
			return &cur, nil
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%v: %w", addr, lease.ErrConflict)
}
