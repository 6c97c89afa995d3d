package mesh

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// simClient is a DHCP client as the mesh sees it: it binds at the node it
// is attached to, renews at half the lease time, sometimes roams to another
// node first, sometimes releases and leaves for a while.
type simClient struct {
	id      int
	mac     [16]byte
	node    int
	bound   bool
	addr    netip.Addr
	expires time.Time // when the client's own lease runs out
	next    time.Time // its next action
	waiting bool      // a forwarded renewal is under way
}

// Across a thousand clients that bind, renew, roam between four nodes and
// release for three simulated hours, no address is ever held by two
// clients at once, every block has one owner, and roaming renewals are
// forwarded and answered.
func TestThousandClientsNeverShareAnAddress(t *testing.T) {
	const (
		numNodes   = 4
		numClients = 1000
		leaseTime  = 300 * time.Second
	)
	b := newBus(t)
	c := meshConfig("10.0.0.0", 21, 5) // 64 blocks of 32 addresses
	c.SpareLeases = 32
	for range numNodes {
		b.add(c, nil)
		b.runFor(2 * time.Second)
	}
	rnd := rand.New(rand.NewPCG(7, 11))
	start := b.clock.now
	clients := make([]*simClient, numClients)
	for i := range clients {
		clients[i] = &simClient{id: i, mac: chaddr(i + 1), node: rnd.IntN(numNodes),
			next: start.Add(time.Duration(rnd.Int64N(int64(10 * time.Minute))))}
	}

	holder := map[netip.Addr]*simClient{}
	var acks, forwardedAcks, naks, releases, roams int
	bind := func(cl *simClient, a netip.Addr) {
		now := b.clock.now
		if h := holder[a]; h != nil && h != cl && h.bound && h.addr == a && now.Before(h.expires) {
			t.Fatalf("%v: %v given to client %d while client %d holds it until %v",
				now.Sub(start), a, cl.id, h.id, h.expires.Sub(start))
		}
		holder[a] = cl
		cl.bound, cl.addr, cl.expires, cl.next = true, a, now.Add(leaseTime), now.Add(leaseTime/2)
		acks++
	}
	unbind := func(cl *simClient, retry time.Duration) {
		cl.bound, cl.next = false, b.clock.now.Add(retry)
	}
	pending := map[uint32]*simClient{}
	b.onEvent = func(node int, o Output) {
		switch o.Kind {
		case RenewAcked, RenewNaked, RenewFailed:
		default:
			return
		}
		cl := pending[o.XID]
		if cl == nil || cl.mac != o.CHAddr || cl.node != node {
			t.Errorf("node %d: %v for xid %x that no client there awaits", node, o.Kind, o.XID)
			return
		}
		delete(pending, o.XID)
		cl.waiting = false
		switch o.Kind {
		case RenewAcked:
			if o.Addr != cl.addr {
				t.Errorf("client %d renewed %v but the ACK is for %v", cl.id, cl.addr, o.Addr)
			}
			forwardedAcks++
			bind(cl, o.Addr)
		case RenewNaked:
			naks++
			unbind(cl, time.Second)
		case RenewFailed:
			cl.next = b.clock.now.Add(10 * time.Second)
		}
	}

	xid := uint32(0)
	act := func(cl *simClient) {
		now := b.clock.now
		if cl.bound && !now.Before(cl.expires) {
			cl.bound = false
		}
		xid++
		if !cl.bound {
			n := b.nodes[cl.node]
			a, err := n.Offer(cl.mac, xid, netip.Addr{})
			if err != nil {
				cl.next = now.Add(5 * time.Second)
				return
			}
			if d := n.Request(Request{CHAddr: cl.mac, XID: xid, Addr: a}); d.Verdict != Ack || d.Addr != a {
				t.Errorf("client %d: request for offered %v: %+v", cl.id, a, d)
				cl.next = now.Add(5 * time.Second)
				return
			}
			bind(cl, a)
			return
		}
		switch r := rnd.Float64(); {
		case r < 0.05:
			if b.nodes[cl.node].Release(cl.addr, cl.mac) {
				releases++
			}
			unbind(cl, time.Duration(rnd.Int64N(int64(20*time.Minute))))
			return
		case r < 0.35:
			cl.node = (cl.node + 1 + rnd.IntN(numNodes-1)) % numNodes
			roams++
		}
		n := b.nodes[cl.node]
		switch d := n.Request(Request{CHAddr: cl.mac, XID: xid, Addr: cl.addr}); d.Verdict {
		case Ack:
			bind(cl, d.Addr)
		case Nak:
			naks++
			unbind(cl, time.Second)
		case Forwarded:
			cl.waiting = true
			pending[xid] = cl
			b.collect(cl.node)
		case Ignore:
			cl.next = now.Add(10 * time.Second)
		}
	}

	end := start.Add(3 * time.Hour)
	for b.clock.now.Before(end) {
		next := end
		if n := b.next(); n.Before(next) {
			next = n
		}
		for _, cl := range clients {
			if !cl.waiting && cl.next.Before(next) {
				next = cl.next
			}
		}
		b.runUntil(next)
		for _, cl := range clients {
			if !cl.waiting && !b.clock.now.Before(cl.next) {
				act(cl)
			}
		}
		b.pump()
	}

	b.checkConsistent()
	inUse := map[netip.Addr]int{}
	bound := 0
	for _, cl := range clients {
		if cl.waiting {
			t.Errorf("client %d still waits for a forwarded renewal", cl.id)
		}
		if cl.bound && b.clock.now.Before(cl.expires) {
			bound++
			if inUse[cl.addr]++; inUse[cl.addr] > 1 {
				t.Errorf("%v is held by %d clients at the end", cl.addr, inUse[cl.addr])
			}
			if cl.addr == b.nodes[0].Range().Network() || cl.addr == b.nodes[0].Range().Broadcast() {
				t.Errorf("client %d holds %v", cl.id, cl.addr)
			}
		}
	}
	t.Logf("%d ACKs (%d forwarded), %d NAKs, %d releases, %d roams; %d clients bound at the end; %d blocks owned; %d datagrams",
		acks, forwardedAcks, naks, releases, roams, bound, len(b.owners()), b.sent)
	if forwardedAcks < 1000 || roams < 1000 {
		t.Errorf("only %d forwarded ACKs for %d roams: the test did not exercise roaming", forwardedAcks, roams)
	}
	if bound < numClients*8/10 {
		t.Errorf("only %d of %d clients bound at the end", bound, numClients)
	}
}
