package mesh

import (
	"net/netip"
	"slices"
	"time"
)

// A forward is a renewal sent to a block's owner and not yet answered.
type forward struct {
	addr    netip.Addr
	xid     uint32
	chaddr  [16]byte
	to      netip.Addr
	order   AddrOrder // byte order of the last RENEWLEASE sent
	sent    time.Time
	retried bool
}

// forward sends a RENEWLEASE for addr to the block owner at to. The address
// goes in the byte order learned from that peer's own RENEWLEASEs, or
// reversed (little-endian, the common case) if nothing was learned.
func (n *Node) forward(addr netip.Addr, chaddr [16]byte, xid uint32, to netip.Addr, now time.Time) {
	order, ok := n.peerOrder[to]
	if !ok {
		order = Reversed
	}
	f := n.findForward(xid, chaddr)
	if f == nil {
		if len(n.forwards) >= maxForwards {
			n.giveUp(n.forwards[0])
			n.forwards = slices.Delete(n.forwards, 0, 1)
		}
		f = &forward{}
		n.forwards = append(n.forwards, f)
	}
	*f = forward{addr: addr, xid: xid, chaddr: chaddr, to: to, order: order, sent: now}
	n.sendRenew(f)
}

func (n *Node) sendRenew(f *forward) {
	r := Renew{Addr: f.order.Put(f.addr), XID: f.xid, CHAddr: f.chaddr}
	buf := make([]byte, RenewLen)
	if _, err := EncodeRenew(buf, n.hdr, RenewLease, &r); err != nil {
		panic("mesh: " + err.Error()) // RenewLease into a 44-byte buffer
	}
	n.sendUnicast(f.to, buf, StatDirectSendRenewLease)
}

func (n *Node) findForward(xid uint32, chaddr [16]byte) *forward {
	for _, f := range n.forwards {
		if f.xid == xid && f.chaddr == chaddr {
			return f
		}
	}
	return nil
}

// onReply matches a LEASEACK or LEASENAK from src to its renewal by xid
// and chaddr, as ddhcpd does, and, unlike ddhcpd, also by sender and
// address: the reply must come from the owner the renewal went to and echo
// the address in one of the two byte orders sent. A client broadcasts its
// xid and chaddr, so any host on the mesh could otherwise acknowledge an
// address the owner had given to someone else.
func (n *Node) onReply(src netip.Addr, p Packet, ack bool) {
	r := p.Renew()
	k := slices.IndexFunc(n.forwards, func(f *forward) bool {
		return f.xid == r.XID && f.chaddr == r.CHAddr && f.to == src &&
			(r.Addr == Reversed.Put(f.addr) || r.Addr == NetworkOrder.Put(f.addr))
	})
	if k < 0 {
		return
	}
	f := n.forwards[k]
	n.forwards = slices.Delete(n.forwards, k, k+1)
	kind := RenewNaked
	if ack {
		kind = RenewAcked
		// An ACK means the owner read the echoed bytes as f.addr, which
		// tells its order unless the bytes read the same both ways.
		rev, net := Reversed.Put(f.addr), NetworkOrder.Put(f.addr)
		switch {
		case rev == net:
		case r.Addr == rev:
			n.learnOrder(f.to, Reversed)
		case r.Addr == net:
			n.learnOrder(f.to, NetworkOrder)
		}
	}
	n.emit(Output{Kind: kind, Addr: f.addr, XID: f.xid, CHAddr: f.chaddr})
}

// expireForwards retries or gives up renewals whose owner did not answer.
// A retry goes once, in the other byte order, and only if the address with
// its bytes swapped lies outside the range: otherwise an owner that had
// simply lost the first packet would read the swapped address as a real one
// and might answer for the wrong address.
func (n *Node) expireForwards(now time.Time) {
	n.forwards = slices.DeleteFunc(n.forwards, func(f *forward) bool {
		if now.Before(f.sent.Add(n.renewTimeout)) {
			return false
		}
		if !f.retried && !n.rng.Contains(Reversed.Get(f.addr.As4())) {
			f.retried, f.order, f.sent = true, f.order.Other(), now
			n.sendRenew(f)
			return false
		}
		n.giveUp(f)
		return true
	})
}

func (n *Node) giveUp(f *forward) {
	n.emit(Output{Kind: RenewFailed, Addr: f.addr, XID: f.xid, CHAddr: f.chaddr})
}
