package mesh

import (
	"net/netip"
	"slices"
	"time"
)

// A ResumeClaim is a block a node announced before it restarted.
type ResumeClaim struct {
	Block uint32
	// Until is when the last UPDATECLAIM sent for the block runs out at
	// the peers: the send time plus the timeout it carried.
	Until time.Time
}

// A ResumeLease is a lease a node granted in one of its blocks before it
// restarted.
type ResumeLease struct {
	Addr   netip.Addr
	CHAddr [16]byte
	End    time.Time // when the node's record of the lease runs out
}

// Resume gives a restarted node back what it had before: ddhcpd forgets
// everything on a restart, so its clients lose their addresses at the
// next renewal. Call it right after NewNode, before any other input.
//
// A block whose last claim is still valid at the peers (Until in the
// future) is still this node's in their eyes, since nobody may take a
// claimed block; it is owned again at once, without INQUIREs, and
// announced straight away, during the learning phase too. Leases that have
// not ended are restored in those blocks. Leases in blocks whose claim
// has lapsed are kept aside: when the node next needs a block it prefers a
// free one of those, and leases still running when it owns the block
// again are restored then. Claims and leases outside the range are
// ignored.
func (n *Node) Resume(claims []ResumeClaim, leases []ResumeLease) {
	now := n.clock.Now()
	for _, c := range claims {
		if c.Block >= uint32(len(n.blocks)) || !c.Until.After(now) || n.blocks[c.Block].state != Free {
			continue
		}
		n.own(c.Block, now)
		b := &n.blocks[c.Block]
		b.claims = ClaimInquiries
		b.timeout = c.Until // until announced again, the peers' view
	}
	for _, l := range leases {
		if !l.End.After(now) {
			continue
		}
		i, _, ok := n.rng.Block(l.Addr.Unmap())
		if !ok {
			continue
		}
		if n.blocks[i].state == Ours {
			n.restoreLease(l)
			continue
		}
		if n.pending == nil {
			n.pending = map[uint32][]ResumeLease{}
		}
		n.pending[i] = append(n.pending[i], l)
	}
	n.updateClaims(now)
}

// restoreLease records l as leased in its own block, unless the address is
// reserved or the client holds a later lease already.
func (n *Node) restoreLease(l ResumeLease) {
	i, j, _ := n.rng.Block(l.Addr.Unmap())
	cur := &n.blocks[i].leases[j]
	if cur.state != LeaseFree {
		return
	}
	if _, oi, oj, ok := n.clientLease(l.CHAddr); ok {
		old := &n.blocks[oi].leases[oj]
		if !old.end.Before(l.End) {
			return
		}
		*old = lease{}
	}
	*cur = lease{state: LeaseLeased, chaddr: l.CHAddr, end: l.End}
	n.clients[l.CHAddr] = n.rng.Addr(i, j)
}

// restorePending restores the leases kept aside for block i, just owned,
// that are still running.
func (n *Node) restorePending(i uint32, now time.Time) {
	ls, ok := n.pending[i]
	if !ok {
		return
	}
	delete(n.pending, i)
	for _, l := range ls {
		if l.End.After(now) {
			n.restoreLease(l)
		}
	}
}

// pendingFree picks, at random, a free block in which leases from before
// a restart may still run.
func (n *Node) pendingFree(now time.Time) (uint32, bool) {
	cand := n.scratch[:0]
	for i, ls := range n.pending {
		if n.blocks[i].state != Free {
			continue
		}
		if slices.ContainsFunc(ls, func(l ResumeLease) bool { return l.End.After(now) }) {
			cand = append(cand, i)
		} else {
			delete(n.pending, i)
		}
	}
	n.scratch = cand
	if len(cand) == 0 {
		return 0, false
	}
	slices.Sort(cand) // map order is random; the pick must come from Rand
	return cand[n.rand.IntN(len(cand))], true
}
