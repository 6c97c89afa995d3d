package mesh

import (
	"errors"
	"net/netip"
	"strconv"
	"time"
)

// A LeaseState is the state of one address in an own block.
type LeaseState uint8

// Lease states.
const (
	LeaseFree     LeaseState = iota
	LeaseOffered             // held for the client's REQUEST for OfferHold
	LeaseLeased              // acknowledged
	LeaseDeclined            // a client found it in use; unused for the decline hold
	LeaseReserved            // network, broadcast or excluded address: never leased
)

func (s LeaseState) String() string {
	switch s {
	case LeaseFree:
		return "free"
	case LeaseOffered:
		return "offered"
	case LeaseLeased:
		return "leased"
	case LeaseDeclined:
		return "declined"
	case LeaseReserved:
		return "reserved"
	}
	return "LeaseState(" + strconv.Itoa(int(s)) + ")"
}

type lease struct {
	state  LeaseState
	xid    uint32
	chaddr [16]byte
	end    time.Time
}

// ErrNoFreeLease is returned by Offer when no own block has an address to
// offer. ddhcpd stays silent then; housekeeping claims more blocks.
var ErrNoFreeLease = errors.New("mesh: no free address in this node's blocks")

// A Verdict is how to answer a DHCPREQUEST.
type Verdict uint8

// Verdicts.
const (
	Ignore    Verdict = iota // send nothing
	Ack                      // send a DHCPACK for Decision.Addr
	Nak                      // send a DHCPNAK
	Forwarded                // the block's owner was asked; a Renew* output follows
)

func (v Verdict) String() string {
	return [...]string{"Ignore", "Ack", "Nak", "Forwarded"}[min(int(v), 3)]
}

// A Request is what the mesh needs of a DHCPREQUEST.
type Request struct {
	CHAddr [16]byte   // the BOOTP chaddr field, raw
	XID    uint32     // the transaction id
	Addr   netip.Addr // option 50 if present, else ciaddr if non-zero, else the zero Addr
}

// A Decision answers a Request.
type Decision struct {
	Verdict   Verdict
	Addr      netip.Addr    // Ack: the address
	LeaseTime time.Duration // Ack: the lease time to announce
}

// Offer chooses an address for a DHCPDISCOVER and holds it for the client
// for OfferHold. A client that already has an address in this node's
// blocks is offered it again; otherwise the requested address (option 50)
// if it is free here; otherwise, as in ddhcpd, the lowest free address of
// the earliest-claimed own block that has one. The network and broadcast
// address, excluded and declined addresses, and blocks whose previous
// owner's clients may still hold addresses (see below) are never offered.
func (n *Node) Offer(chaddr [16]byte, xid uint32, requested netip.Addr) (netip.Addr, error) {
	now := n.clock.Now()
	n.expireOwn(now)
	if a, i, j, ok := n.clientLease(chaddr); ok {
		l := &n.blocks[i].leases[j]
		l.xid = xid
		if l.state == LeaseOffered {
			l.end = now.Add(OfferHold)
		}
		n.blocks[i].needless = time.Time{}
		return a, nil
	}
	i, j, ok := n.ownLease(requested)
	if !ok || !n.offerable(i, j, now) {
		ok = false
		var pick *block
		for _, bi := range n.owned {
			b := &n.blocks[bi]
			if pick != nil && !b.first.Before(pick.first) {
				continue
			}
			for bj := range b.leases {
				if n.offerable(bi, bj, now) {
					pick, i, j, ok = b, bi, bj, true
					break
				}
			}
		}
	}
	if !ok {
		return netip.Addr{}, ErrNoFreeLease
	}
	b := &n.blocks[i]
	b.leases[j] = lease{state: LeaseOffered, xid: xid, chaddr: chaddr, end: now.Add(OfferHold)}
	b.needless = time.Time{}
	a := n.rng.Addr(i, j)
	n.clients[chaddr] = a
	return a, nil
}

func (n *Node) offerable(i uint32, j int, now time.Time) bool {
	b := &n.blocks[i]
	return b.leases[j].state == LeaseFree && !b.holdUntil.After(now)
}

// Request decides on a DHCPREQUEST (specification 7.4, improved):
//   - no address given: Ack if this node offered the client an address in
//     this transaction, else Nak;
//   - address outside the range: Nak;
//   - address in an own block: Ack if it is free or already the client's
//     (INIT-REBOOT works), Nak if another client holds it or it is
//     reserved or declined; an Ack records the lease;
//   - address in a block another node owns (or owned until a moment ago
//     and is being inquired): Forwarded, with a RENEWLEASE to the owner;
//   - address in a block nobody owns: Nak if this node owns a block
//     (ddhcpd meant this but looks only at block 0), else Ignore.
func (n *Node) Request(r Request) Decision {
	now := n.clock.Now()
	n.expireOwn(now)
	if !r.Addr.IsValid() || r.Addr.IsUnspecified() {
		if a, i, j, ok := n.clientLease(r.CHAddr); ok {
			if l := &n.blocks[i].leases[j]; l.xid == r.XID {
				n.grant(i, j, r.CHAddr, r.XID, now)
				return Decision{Verdict: Ack, Addr: a, LeaseTime: n.leaseTime}
			}
		}
		return Decision{Verdict: Nak}
	}
	addr := r.Addr.Unmap()
	i, j, ok := n.rng.Block(addr)
	if !ok {
		return Decision{Verdict: Nak}
	}
	b := &n.blocks[i]
	switch {
	case b.state == Ours:
		if n.grant(i, j, r.CHAddr, r.XID, now) {
			return Decision{Verdict: Ack, Addr: addr, LeaseTime: n.leaseTime}
		}
		return Decision{Verdict: Nak}
	case b.ownerAddr.IsValid() && (b.state == Claimed || b.state == Tentative && b.ownerUntil.After(now)):
		n.forward(addr, r.CHAddr, r.XID, b.ownerAddr, now)
		return Decision{Verdict: Forwarded}
	case len(n.owned) > 0:
		return Decision{Verdict: Nak}
	}
	return Decision{Verdict: Ignore}
}

// grant gives lease j of own block i to the client if it is free or
// already the client's, recording it until the lease time plus the server
// margin, and reports whether it did.
func (n *Node) grant(i uint32, j int, chaddr [16]byte, xid uint32, now time.Time) bool {
	b := &n.blocks[i]
	l := &b.leases[j]
	switch l.state {
	case LeaseFree:
	case LeaseOffered, LeaseLeased:
		if l.chaddr != chaddr {
			return false
		}
	default:
		return false
	}
	a := n.rng.Addr(i, j)
	if old, oi, oj, ok := n.clientLease(chaddr); ok && old != a {
		// The client moved to another address: its old one is free again.
		n.blocks[oi].leases[oj] = lease{}
	}
	*l = lease{state: LeaseLeased, xid: xid, chaddr: chaddr, end: now.Add(n.leaseTime + LeaseServerDelta)}
	b.needless = time.Time{}
	n.clients[chaddr] = a
	return true
}

// Release frees addr if it lies in an own block and is held by chaddr
// (DHCPRELEASE), and reports whether it did. Addresses in other nodes'
// blocks are left alone: the protocol has no message for them.
func (n *Node) Release(addr netip.Addr, chaddr [16]byte) bool {
	n.expireOwn(n.clock.Now())
	i, j, ok := n.ownLease(addr)
	if !ok {
		return false
	}
	l := &n.blocks[i].leases[j]
	if (l.state != LeaseOffered && l.state != LeaseLeased) || l.chaddr != chaddr {
		return false
	}
	n.forgetClient(chaddr, addr.Unmap())
	*l = lease{}
	return true
}

// Decline handles a DHCPDECLINE (which ddhcpd ignores): if addr lies in an
// own block and was given to chaddr, it is taken out of use for the
// decline hold, since something else answers on it. It reports whether it
// did.
func (n *Node) Decline(addr netip.Addr, chaddr [16]byte) bool {
	n.expireOwn(n.clock.Now())
	i, j, ok := n.ownLease(addr)
	if !ok {
		return false
	}
	l := &n.blocks[i].leases[j]
	if (l.state != LeaseOffered && l.state != LeaseLeased) || l.chaddr != chaddr {
		return false
	}
	n.forgetClient(chaddr, addr.Unmap())
	*l = lease{state: LeaseDeclined, end: n.clock.Now().Add(n.declineHold)}
	return true
}

// A LeaseInfo describes one address of an own block.
type LeaseInfo struct {
	State  LeaseState
	CHAddr [16]byte
	XID    uint32
	End    time.Time
}

// Lease returns what the node records for addr. ok is false unless addr
// lies in one of the node's own blocks.
func (n *Node) Lease(addr netip.Addr) (info LeaseInfo, ok bool) {
	i, j, ok := n.ownLease(addr)
	if !ok {
		return LeaseInfo{}, false
	}
	l := n.blocks[i].leases[j]
	return LeaseInfo{
		State:  l.state,
		CHAddr: l.chaddr, XID: l.xid, End: l.end,
	}, true
}

// ownLease locates addr in an own block.
func (n *Node) ownLease(addr netip.Addr) (uint32, int, bool) {
	i, j, ok := n.rng.Block(addr.Unmap())
	if !ok || n.blocks[i].state != Ours {
		return 0, 0, false
	}
	return i, j, true
}

// clientLease returns the lease chaddr holds in an own block.
func (n *Node) clientLease(chaddr [16]byte) (netip.Addr, uint32, int, bool) {
	a, ok := n.clients[chaddr]
	if !ok {
		return a, 0, 0, false
	}
	i, j, ok := n.ownLease(a)
	if !ok || n.blocks[i].leases[j].chaddr != chaddr {
		delete(n.clients, chaddr) // stale; cannot happen if the index is kept right
		return a, 0, 0, false
	}
	return a, i, j, true
}

func (n *Node) forgetClient(chaddr [16]byte, addr netip.Addr) {
	if n.clients[chaddr] == addr {
		delete(n.clients, chaddr)
	}
}

// expireLeases frees the leases of own block i that ran out.
func (n *Node) expireLeases(i uint32, now time.Time) {
	b := &n.blocks[i]
	for j := range b.leases {
		l := &b.leases[j]
		switch l.state {
		case LeaseOffered, LeaseLeased, LeaseDeclined:
			if l.end.Before(now) {
				n.forgetClient(l.chaddr, n.rng.Addr(i, j))
				*l = lease{}
			}
		}
	}
}

// spare counts the addresses of own blocks that could be offered now.
func (n *Node) spare(now time.Time) int {
	free := 0
	for _, i := range n.owned {
		b := &n.blocks[i]
		if b.holdUntil.After(now) {
			continue
		}
		for _, l := range b.leases {
			if l.state == LeaseFree {
				free++
			}
		}
	}
	return free
}

// unused reports whether no address of b is offered, leased or declined.
func (n *Node) unused(b *block) bool {
	for _, l := range b.leases {
		if l.state != LeaseFree && l.state != LeaseReserved {
			return false
		}
	}
	return true
}
