package mesh

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// fakeClock is a Clock the test moves by hand.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// firstFree is a Rand that always picks the first candidate, so that
// claimers collide on purpose.
type firstFree struct{}

func (firstFree) IntN(int) int { return 0 }

// datagram is one packet in flight on the simulated link.
type datagram struct {
	from, to int // to < 0: multicast to every other node
	data     []byte
}

// meshPeer is what the bus needs of a node: a Node, or a model of a real
// ddhcpd node (see interop_test.go).
type meshPeer interface {
	HandleMulticast(src netip.Addr, b []byte) error
	HandleUnicast(src netip.Addr, b []byte) error
	Tick()
	NextTick() time.Time
	Outputs(dst []Output) []Output
	Owned() []uint32
	Block(i uint32) (BlockRow, bool)
	ID() NodeID
}

// simNode is a node on the bus, with the events it emitted. Node is nil
// for models.
type simNode struct {
	*Node
	peer meshPeer
	addr netip.Addr
	down bool // stopped: no ticks, no datagrams
	// linkDown: running, but its sends fail (a leased node is told, with
	// SendFailed) and nothing reaches it.
	linkDown bool
	events   []Output
}

// bus connects Nodes over an in-memory link layer: multicast reaches every
// other running node, unicast the node with the destination address.
// Delivery is instant and in order; cut decides which packets are lost.
type bus struct {
	t       testing.TB
	clock   *fakeClock
	nodes   []*simNode
	queue   []datagram
	cut     func(from, to int) bool
	onEvent func(i int, o Output)
	sent    int // datagrams sent
	buf     []Output
}

func newBus(t testing.TB) *bus {
	return &bus{t: t, clock: &fakeClock{now: epoch}}
}

// nodeID returns the id Gluon gives node i: the MAC 02:00:00:00:01:0i.
func nodeID(i int) NodeID {
	id, _ := NodeIDFromMAC([]byte{0x02, 0, 0, 0, 0x01, byte(i)})
	return id
}

// add starts a node with id nodeID(i) for the i-th node added.
func (b *bus) add(c Config, r Rand) *simNode {
	i := len(b.nodes)
	return b.addWithID(c, r, nodeID(i))
}

func (b *bus) addWithID(c Config, r Rand, id NodeID) *simNode {
	b.t.Helper()
	i := len(b.nodes)
	if r == nil {
		r = rand.New(rand.NewPCG(uint64(i), 42))
	}
	n, err := NewNode(NodeConfig{Config: c, ID: id, Clock: b.clock, Rand: r})
	if err != nil {
		b.t.Fatalf("NewNode: %v", err)
	}
	return b.attach(&simNode{Node: n, peer: n})
}

func (b *bus) attach(sn *simNode) *simNode {
	sn.addr = netip.AddrFrom16([16]byte{0xfe, 0x80, 14: 0x01, 15: byte(len(b.nodes))})
	b.nodes = append(b.nodes, sn)
	return sn
}

func (b *bus) index(addr netip.Addr) int {
	for i, n := range b.nodes {
		if n.addr == addr {
			return i
		}
	}
	return -1
}

// collect takes node i's outputs: datagrams go on the link, events to
// onEvent and the node's event list.
func (b *bus) collect(i int) {
	n := b.nodes[i]
	b.buf = n.peer.Outputs(b.buf[:0])
	for _, o := range b.buf {
		if n.linkDown && (o.Kind == SendMulticast || o.Kind == SendUnicast) {
			if o.Kind == SendMulticast && n.Node != nil {
				n.SendFailed(o.Data)
			}
			continue
		}
		switch o.Kind {
		case SendMulticast:
			b.sent++
			b.queue = append(b.queue, datagram{from: i, to: -1, data: o.Data})
		case SendUnicast:
			b.sent++
			b.queue = append(b.queue, datagram{from: i, to: b.index(o.To), data: o.Data})
		default:
			n.events = append(n.events, o)
			if b.onEvent != nil {
				b.onEvent(i, o)
			}
		}
	}
}

func (b *bus) deliver(d datagram, to int) {
	n := b.nodes[to]
	if n.down || n.linkDown || (b.cut != nil && b.cut(d.from, to)) {
		return
	}
	var err error
	if d.to < 0 {
		err = n.peer.HandleMulticast(b.nodes[d.from].addr, d.data)
	} else {
		err = n.peer.HandleUnicast(b.nodes[d.from].addr, d.data)
	}
	if err != nil {
		b.t.Errorf("node %d rejected a datagram from node %d: %v", to, d.from, err)
	}
	b.collect(to)
}

// pump delivers until the link is quiet.
func (b *bus) pump() {
	b.t.Helper()
	for steps := 0; len(b.queue) > 0; steps++ {
		if steps > 100000 {
			b.t.Fatalf("the link never went quiet: %d datagrams queued", len(b.queue))
		}
		d := b.queue[0]
		b.queue = b.queue[1:]
		if b.nodes[d.from].down {
			continue
		}
		if d.to >= 0 {
			b.deliver(d, d.to)
			continue
		}
		for i := range b.nodes {
			if i != d.from { // multicast loop is off, as in ddhcpd
				b.deliver(d, i)
			}
		}
	}
}

// next returns the earliest NextTick of the running nodes.
func (b *bus) next() time.Time {
	next := time.Time{}
	for _, n := range b.nodes {
		if !n.down {
			if t := n.peer.NextTick(); next.IsZero() || t.Before(next) {
				next = t
			}
		}
	}
	return next
}

// runUntil advances the clock tick by tick to until, delivering everything
// sent on the way.
func (b *bus) runUntil(until time.Time) {
	b.t.Helper()
	b.pump()
	for {
		next := b.next()
		if next.IsZero() || next.After(until) {
			break
		}
		if next.After(b.clock.now) {
			b.clock.now = next
		}
		for i, n := range b.nodes {
			if !n.down && !b.clock.now.Before(n.peer.NextTick()) {
				n.peer.Tick()
				b.collect(i)
			}
		}
		b.pump()
	}
	b.clock.now = until
}

func (b *bus) runFor(d time.Duration) { b.runUntil(b.clock.now.Add(d)) }

// owners returns, per block, the nodes that think they own it.
func (b *bus) owners() map[uint32][]int {
	m := map[uint32][]int{}
	for i, n := range b.nodes {
		if n.down {
			continue
		}
		for _, blk := range n.peer.Owned() {
			m[blk] = append(m[blk], i)
		}
	}
	return m
}

// checkConsistent fails unless every block has at most one owner and every
// running node sees every other node's blocks as CLAIMED by that owner.
func (b *bus) checkConsistent() {
	b.t.Helper()
	for blk, own := range b.owners() {
		if len(own) > 1 {
			b.t.Errorf("block %d owned by nodes %v", blk, own)
			continue
		}
		for j, n := range b.nodes {
			if n.down || j == own[0] {
				continue
			}
			row, _ := n.peer.Block(blk)
			if row.State != Claimed || row.Owner != b.nodes[own[0]].peer.ID() {
				b.t.Errorf("node %d sees node %d's block %d as %v owned by %v", j, own[0], blk, row.State, row.Owner)
			}
		}
	}
}

func (b *bus) eventsOf(i int, kind OutputKind) []Output {
	var out []Output
	for _, o := range b.nodes[i].events {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func meshConfig(network string, bits, pow int) Config {
	c := DefaultConfig()
	c.Prefix, c.PrefixLen, c.BlockPow = netip.MustParseAddr(network), bits, pow
	return c
}

func chaddr(i int) [16]byte {
	return [16]byte{0x02, 0, 0, 0, byte(i >> 8), byte(i)}
}

// Five nodes started a few seconds apart, each in its learning phase, end
// up owning disjoint blocks, and everyone agrees who owns what.
func TestConvergeOnDisjointBlocks(t *testing.T) {
	b := newBus(t)
	c := meshConfig("10.0.0.0", 24, 2)
	for i := range 5 {
		b.add(c, nil)
		b.runFor(3 * time.Second)
		_ = i
	}
	b.runFor(5 * time.Minute)
	b.checkConsistent()
	for i, n := range b.nodes {
		// s=2 with 4-address blocks: exactly one block each (the network
		// address is reserved, so a node owning block 0 still has 3 free).
		if got := len(n.Owned()); got != 1 {
			t.Errorf("node %d owns %d blocks, want 1", i, got)
		}
		if n.Learning() {
			t.Errorf("node %d is still learning", i)
		}
		if len(b.eventsOf(i, LearningEnded)) != 1 {
			t.Errorf("node %d: %d LearningEnded events", i, len(b.eventsOf(i, LearningEnded)))
		}
	}
	if len(b.owners()) != 5 {
		t.Errorf("%d blocks owned, want 5", len(b.owners()))
	}
}

// Three nodes that all pick the first free block at the same moment: the
// INQUIRE tie-break gives each block to the largest id still inquiring it,
// and the others move on.
func TestClaimRaceGoesToLargestID(t *testing.T) {
	b := newBus(t)
	c := meshConfig("10.0.0.0", 28, 2) // 4 blocks
	c.LearningPhase = false
	for range 3 {
		b.add(c, firstFree{})
	}
	b.runFor(2 * time.Minute)
	b.checkConsistent()
	own := b.owners()
	if len(own) != 3 {
		t.Fatalf("owners %v, want 3 blocks owned", own)
	}
	// Node 2 has the largest id and wins block 0; node 1 block 1; node 0 block 2.
	for blk, want := range map[uint32]int{0: 2, 1: 1, 2: 0} {
		if len(own[blk]) != 1 || own[blk][0] != want {
			t.Errorf("block %d owned by %v, want node %d", blk, own[blk], want)
		}
	}
}

// Two nodes that cannot hear each other both take the only block. When
// the link heals, the larger id keeps it: the smaller one yields on the
// larger one's refresh, or the larger re-announces at once on the smaller
// one's refresh. The heal times below make each happen first.
func TestConflictResolvesByNodeID(t *testing.T) {
	for _, tc := range []struct {
		name  string
		heal  time.Duration
		first int // node whose refresh is heard first
	}{
		{"larger refreshes first", 115 * time.Second, 1},  // refreshes: small 127.5 s, large 117.5 s
		{"smaller refreshes first", 125 * time.Second, 0}, // small 127.5 s, large 132.5 s
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBus(t)
			c := meshConfig("10.0.0.0", 30, 2) // a single block
			c.LearningPhase = false
			partitioned := true
			b.cut = func(from, to int) bool { return partitioned }
			small := b.add(c, nil)
			b.runFor(5 * time.Second)
			large := b.add(c, nil)
			b.runUntil(epoch.Add(tc.heal))
			if !slices.Equal(small.Owned(), []uint32{0}) || !slices.Equal(large.Owned(), []uint32{0}) {
				t.Fatalf("before healing: small owns %v, large owns %v; both should own block 0", small.Owned(), large.Owned())
			}
			// Give the smaller node a client, which it is about to lose.
			a, err := small.Offer(chaddr(1), 1, netip.Addr{})
			if err != nil {
				t.Fatal(err)
			}
			if d := small.Request(Request{CHAddr: chaddr(1), XID: 1, Addr: a}); d.Verdict != Ack {
				t.Fatalf("request: %v", d.Verdict)
			}
			partitioned = false
			first := -1
			b.cut = func(from, to int) bool {
				if first < 0 {
					first = from
				}
				return false
			}
			b.runFor(20 * time.Second)
			if first != tc.first {
				t.Errorf("node %d was heard first after healing, want node %d", first, tc.first)
			}
			b.checkConsistent()
			if len(small.Owned()) != 0 || !slices.Equal(large.Owned(), []uint32{0}) {
				t.Errorf("after healing: small owns %v, large owns %v", small.Owned(), large.Owned())
			}
			lost := b.eventsOf(0, BlockLost)
			if len(lost) != 1 || lost[0].Block != 0 || lost[0].Leases != 1 {
				t.Errorf("small node's BlockLost events %+v, want one for block 0 with 1 lease", lost)
			}
			if len(b.eventsOf(1, BlockLost)) != 0 {
				t.Error("the larger id lost its block")
			}
			if _, ok := small.Lease(a); ok {
				t.Error("the loser still keeps a lease table for the block")
			}
		})
	}
}

// threeNodesOneFreeBlock starts three nodes on 4 blocks of 4, each
// wanting 3 spare leases, and runs them for two minutes, by when each owns
// one block and one block is free. It returns the bus and node 2's
// blocks, and fails the test unless node 2 owns exactly one.
func threeNodesOneFreeBlock(t *testing.T) (*bus, []uint32) {
	t.Helper()
	b := newBus(t)
	c := meshConfig("10.0.0.0", 28, 2) // 4 blocks of 4
	c.LearningPhase = false
	c.SpareLeases = 3
	for range 3 {
		b.add(c, nil)
	}
	b.runFor(2 * time.Minute)
	b.checkConsistent()
	owned := b.nodes[2].Owned()
	if len(owned) != 1 {
		t.Fatalf("node 2 owns %v", owned)
	}
	return b, owned
}

// A node that falls silent keeps its blocks at its peers until the claim's
// timeout, then they expire, and a peer that needs addresses takes them
// over. The new owner offers nothing from such a block until every lease
// the silent node could have granted has run out, but accepts renewals
// from its clients.
func TestSilentNodeBlocksExpire(t *testing.T) {
	b, gone := threeNodesOneFreeBlock(t)
	silent := b.nodes[2]
	// A client of the silent node.
	orphan, err := silent.Offer(chaddr(99), 7, netip.Addr{})
	if err != nil || silent.Request(Request{CHAddr: chaddr(99), XID: 7, Addr: orphan}).Verdict != Ack {
		t.Fatalf("binding the orphan: %v", err)
	}
	silent.down = true
	downAt := b.clock.now
	// The silent node's last refresh was at most 15 s before it fell
	// silent, so its clients' leases may last until downAt - 15 s + 60 s
	// + 300 s + 10 s. No offer from its block may come before that.
	holdEnd := downAt.Add(355 * time.Second)

	// Node 0 binds a client every 5 s: it soon needs more blocks than the
	// one free block left.
	n0 := b.nodes[0]
	bound := 0
	bind := func() {
		a, err := n0.Offer(chaddr(bound), uint32(bound), netip.Addr{})
		if err != nil {
			return
		}
		if blk, _, _ := n0.Range().Block(a); blk == gone[0] && b.clock.now.Before(holdEnd) {
			t.Errorf("%v after the node fell silent, %v was offered from its block", b.clock.now.Sub(downAt), a)
		}
		if n0.Request(Request{CHAddr: chaddr(bound), XID: uint32(bound), Addr: a}).Verdict == Ack {
			bound++
		}
	}
	for b.clock.now.Before(downAt.Add(30 * time.Second)) {
		bind()
		b.runFor(5 * time.Second)
	}
	if row, _ := n0.Block(gone[0]); row.State != Claimed {
		t.Errorf("30 s after the node fell silent its block is %v at node 0, want CLAIMED", row.State)
	}
	for b.clock.now.Before(downAt.Add(3 * time.Minute)) {
		bind()
		b.runFor(5 * time.Second)
	}
	b.checkConsistent()
	if own := b.owners()[gone[0]]; len(own) != 1 || own[0] != 0 {
		t.Fatalf("3 minutes on, the silent node's block %d is owned by %v, want node 0", gone[0], own)
	}
	// The orphan keeps its address when it renews...
	if d := n0.Request(Request{CHAddr: chaddr(99), XID: 8, Addr: orphan}); d.Verdict != Ack {
		t.Errorf("the orphan's renewal at the heir: %v", d.Verdict)
	}
	// ...and nobody else gets it.
	if d := n0.Request(Request{CHAddr: chaddr(98), XID: 9, Addr: orphan}); d.Verdict != Nak {
		t.Errorf("another client asking for the orphan's address: %v, want Nak", d.Verdict)
	}
	for b.clock.now.Before(downAt.Add(8 * time.Minute)) {
		bind()
		b.runFor(5 * time.Second)
	}
	inherited := 0
	for bound := range bound {
		a, _ := n0.clients[chaddr(bound)]
		if blk, _, ok := n0.Range().Block(a); ok && blk == gone[0] {
			inherited++
		}
	}
	if inherited == 0 {
		t.Error("no client got an address from the inherited block once the old leases ran out")
	}
}

// A client bound at node 0 roams to node 1. Node 1 forwards its renewal
// to node 0 and answers the client when node 0 acknowledges; a different
// client asking for the same address is refused by the owner.
func TestRoamingRenewalForwarded(t *testing.T) {
	b := newBus(t)
	c := meshConfig("10.0.0.0", 24, 2)
	c.LearningPhase = false
	owner, roamed := b.add(c, nil), b.add(c, nil)
	b.runFor(time.Minute)
	addr, err := owner.Offer(chaddr(1), 0x11, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	if d := owner.Request(Request{CHAddr: chaddr(1), XID: 0x11, Addr: addr}); d.Verdict != Ack || d.Addr != addr {
		t.Fatalf("binding: %+v", d)
	}
	bound, _ := owner.Lease(addr)

	b.runFor(150 * time.Second) // renewal time
	if d := roamed.Request(Request{CHAddr: chaddr(1), XID: 0x22, Addr: addr}); d.Verdict != Forwarded {
		t.Fatalf("renewal at the other node: %v, want Forwarded", d.Verdict)
	}
	roamed.events = nil
	b.collect(1)
	if len(b.queue) != 1 {
		t.Fatalf("%d datagrams queued, want one RENEWLEASE", len(b.queue))
	}
	wire := b.queue[0].data
	p, err := Parse(wire)
	if err != nil || p.Command() != RenewLease || b.queue[0].to != 0 {
		t.Fatalf("forwarded %x to node %d: %v", wire, b.queue[0].to, err)
	}
	if r := p.Renew(); r.Addr != Reversed.Put(addr) || r.XID != 0x22 || r.CHAddr != chaddr(1) {
		t.Errorf("RENEWLEASE payload %+v; the address must be byte-reversed by default", r)
	}
	b.pump()
	acked := b.eventsOf(1, RenewAcked)
	if len(acked) != 1 || acked[0].Addr != addr || acked[0].XID != 0x22 || acked[0].CHAddr != chaddr(1) {
		t.Fatalf("events at the roamed-to node: %+v", roamed.events)
	}
	renewed, _ := owner.Lease(addr)
	if renewed.State != LeaseLeased || !renewed.End.After(bound.End) {
		t.Errorf("the owner's lease after the forwarded renewal: %+v (was %+v)", renewed, bound)
	}

	// Another client asking node 1 for the address gets a NAK via the owner.
	if d := roamed.Request(Request{CHAddr: chaddr(2), XID: 0x33, Addr: addr}); d.Verdict != Forwarded {
		t.Fatalf("foreign request: %v", d.Verdict)
	}
	b.collect(1)
	b.pump()
	naked := b.eventsOf(1, RenewNaked)
	if len(naked) != 1 || naked[0].XID != 0x33 || naked[0].CHAddr != chaddr(2) {
		t.Errorf("events: %+v", roamed.events)
	}
	if st := owner.Stats(); st[StatDirectRecvRenewLease] != 2 || st[StatDirectSendLeaseAck] != 1 || st[StatDirectSendLeaseNak] != 1 {
		t.Errorf("owner counters: renew %d ack %d nak %d", st[StatDirectRecvRenewLease], st[StatDirectSendLeaseAck], st[StatDirectSendLeaseNak])
	}
}

// Housekeeping runs on its timer only, so a quiet mesh stays quiet: in an
// hour of steady state each node sends only its claim refreshes, one
// every quarter of the block timeout.
func TestSteadyStateTraffic(t *testing.T) {
	b := newBus(t)
	c := meshConfig("10.0.0.0", 24, 2)
	for range 4 {
		b.add(c, nil)
	}
	b.runFor(10 * time.Minute)
	b.checkConsistent()
	before := b.sent
	b.runFor(time.Hour)
	// 4 nodes × 3600 s / 15 s = 960 UPDATECLAIMs, and nothing else.
	if got := b.sent - before; got != 960 {
		t.Errorf("%d datagrams in an hour of steady state, want 960", got)
	}
	b.checkConsistent()
}

// A node whose link goes down (its sends fail, nothing reaches it) keeps
// running and gives its block up when its last claim that went out runs
// out, as the peers let it lapse; a peer that needs addresses then takes
// the block over, and at no moment do two nodes own it. When the link is
// back the node claims again and the mesh agrees.
func TestLinkDownNodeReleasesBlocks(t *testing.T) {
	b, gone := threeNodesOneFreeBlock(t)
	cut := b.nodes[2]
	cut.linkDown = true
	downAt := b.clock.now
	var lostAt, takenAt time.Duration
	n0 := b.nodes[0]
	bound := 0
	for b.clock.now.Before(downAt.Add(4 * time.Minute)) {
		// Node 0 binds a client every 5 s: it soon needs more blocks
		// than the one free block.
		if b.clock.now.Sub(downAt)%(5*time.Second) == 0 {
			if a, err := n0.Offer(chaddr(bound), uint32(bound), netip.Addr{}); err == nil &&
				n0.Request(Request{CHAddr: chaddr(bound), XID: uint32(bound), Addr: a}).Verdict == Ack {
				bound++
			}
		}
		b.runFor(time.Second)
		for blk, own := range b.owners() {
			if len(own) > 1 {
				t.Fatalf("%v after the link went down, block %d is owned by nodes %v", b.clock.now.Sub(downAt), blk, own)
			}
		}
		since := b.clock.now.Sub(downAt)
		if lostAt == 0 && len(cut.Owned()) == 0 {
			lostAt = since
		}
		if takenAt == 0 && slices.Contains(n0.Owned(), gone[0]) {
			takenAt = since
		}
	}
	// The last claim went out at most 15 s before the link went down and
	// holds 60 s (the loop looks every second).
	if lostAt < 45*time.Second || lostAt > 61*time.Second {
		t.Errorf("node 2 gave its block up %v after its link went down, want between 45 and 61 s", lostAt)
	}
	if lost := b.eventsOf(2, BlockLost); len(lost) != 1 || lost[0].Block != gone[0] {
		t.Errorf("node 2's BlockLost events %+v, want one for block %d", lost, gone[0])
	}
	if takenAt == 0 || takenAt < lostAt {
		t.Errorf("node 0 took block %d %v after the link went down, node 2 gave it up after %v", gone[0], takenAt, lostAt)
	}
	t.Logf("node 2 gave block %d up %v after its link went down; node 0 owned it %v after", gone[0], lostAt, takenAt)

	cut.linkDown = false
	b.runFor(2 * time.Minute)
	b.checkConsistent()
	for i, n := range b.nodes {
		for _, blk := range n.Owned() {
			if row, _ := n.Block(blk); row.SecondsLeft < 45 {
				t.Errorf("node %d's block %d: %d s left, its claims are not going out", i, blk, row.SecondsLeft)
			}
		}
	}
}
