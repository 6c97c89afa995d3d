package engine

import "github.com/leased/leased/lease"

// NameChanges is told of the leases whose DNS records may have to
// change: the daemon turns them into DNS updates (package ddns/ncr).
//
// While dhcp-ddns enable-updates is true, NameChanges is given the lease
// changes of every client's message (new leases, renewals, releases,
// declines) once they are durable in the store and before the reply
// leaves, and those of every reclamation of expired leases. With a
// Replicator it may also be given changes while updates are off: the
// changes are recorded for it anyway, and the receiver reads the
// configuration it is under. It is called from the committer, from the
// reclaimer and from the goroutine of a message whose reply cannot be
// deferred, possibly at once, and must not block for long: the replies
// of a group commit wait for it. The changes slice is reused once it
// returns (the leases in it may be kept). Changes made by lease commands
// and at start are not given (Kea updates DNS for them only when asked,
// lease4-del's update-ddns).
type NameChanges interface {
	NameChanges(changes []Change)
}

// recordsChanges reports whether the lease changes of this message are
// kept: for the Replicator, or for NameChanges while DNS updates are on.
// Without either, a message copies no lease.
func (t *txn) recordsChanges() bool {
	return t.s.repl != nil || (t.s.names != nil && t.cfg.DHCPDDNS.EnableUpdates)
}

// reclaimedChange returns the change of a reclamation of l: next is the
// lease kept as expired-reclaimed, nil when l was deleted.
func reclaimedChange(l, next *lease.Lease) Change {
	old := l.Clone()
	c := Change{Old: &old}
	if next != nil {
		n := next.Clone()
		c.New = &n
	}
	return c
}

// announceReclaimed passes the changes of one reclamation batch to the
// NameChanges. It does not wait for them to be durable: a DNS removal
// for an expired lease is right whether or not the reclamation survives
// a crash (one that does not is reclaimed, and announced, again).
func (s *Engine) announceReclaimed(changes []Change) {
	if s.names != nil && len(changes) > 0 {
		s.names.NameChanges(changes)
	}
}
