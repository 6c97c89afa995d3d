package engine

import (
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
