package mesh

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// ddhcpdModel is a test model of a real ddhcpd 3eefc27 node, written from
// the specification's sections 5 and 6 with ddhcpd's quirks: housekeeping
// after every multicast datagram, ownership after three INQUIREs whatever
// the block's state, immediate re-announce, equal ids losing, blind
// LEASEACK for any address in an own block, and a little-endian host's
// renew byte order. It serves no DHCP clients, so an own block always
// counts as fully free.
type ddhcpdModel struct {
	id       NodeID
	rng      Range
	hdr      Header
	clock    Clock
	rand     Rand
	t, bt    time.Duration // -t, -B
	spare    int
	blocks   []modelBlock
	claiming []uint32
	learning bool
	nextHK   time.Time
	out      []Output
}

type modelBlock struct {
	state   BlockState
	timeout time.Time
	owner   NodeID
	claims  int
}

func newDdhcpdModel(c Config, id NodeID, clock Clock, r Rand) *ddhcpdModel {
	rng, _ := c.Range()
	m := &ddhcpdModel{
		id: id, rng: rng, clock: clock, rand: r, t: c.TentativeTimeout, bt: c.BlockTimeout, spare: c.SpareLeases,
		hdr:      Header{NodeID: id, Prefix: rng.Prefix().As4(), PrefixLen: uint8(rng.PrefixLen()), BlockSize: uint8(rng.BlockSize())},
		blocks:   make([]modelBlock, rng.NumBlocks()),
		learning: c.LearningPhase,
		nextHK:   clock.Now(),
	}
	if m.learning {
		m.nextHK = clock.Now().Add(c.BlockTimeout)
	}
	return m
}

func (m *ddhcpdModel) ID() NodeID          { return m.id }
func (m *ddhcpdModel) NextTick() time.Time { return m.nextHK }

func (m *ddhcpdModel) Outputs(dst []Output) []Output {
	dst = append(dst, m.out...)
	m.out = m.out[:0]
	return dst
}

func (m *ddhcpdModel) Owned() []uint32 {
	var o []uint32
	for i, b := range m.blocks {
		if b.state == Ours {
			o = append(o, uint32(i))
		}
	}
	return o
}

func (m *ddhcpdModel) Block(i uint32) (BlockRow, bool) {
	if i >= uint32(len(m.blocks)) {
		return BlockRow{}, false
	}
	b := m.blocks[i]
	return BlockRow{Index: i, State: b.state, Owner: b.owner, Claims: b.claims}, true
}

func (m *ddhcpdModel) Tick() {
	now := m.clock.Now()
	if now.Before(m.nextHK) {
		return
	}
	m.nextHK = now.Add(m.t / 2)
	m.learning = false
	m.housekeeping(now)
}

func (m *ddhcpdModel) HandleMulticast(src netip.Addr, b []byte) error {
	defer func() { // every multicast datagram triggers housekeeping
		if !m.learning {
			m.housekeeping(m.clock.Now())
		}
	}()
	p, err := Parse(b)
	if err != nil || !m.rng.Matches(p.Header()) {
		return nil
	}
	now := m.clock.Now()
	from := p.NodeID()
	switch p.Command() {
	case Inquire:
		for k := range p.Len() {
			i := p.Inquired(k)
			if i >= uint32(len(m.blocks)) {
				continue
			}
			blk := &m.blocks[i]
			switch {
			case blk.state == Ours:
				blk.timeout = time.Time{}
				m.updateClaims(now)
			case blk.state == Claiming:
				if from.Compare(m.id) > 0 {
					blk.state, blk.timeout = Tentative, now.Add(m.t)
				}
			default:
				blk.state, blk.timeout = Tentative, now.Add(m.t)
			}
		}
	case UpdateClaim:
		for k := range p.Len() {
			c := p.Claim(k)
			if c.Block >= uint32(len(m.blocks)) {
				continue
			}
			blk := &m.blocks[c.Block]
			if blk.state == Ours && from.Compare(m.id) < 0 {
				blk.timeout = time.Time{}
				m.updateClaims(now)
				continue
			}
			blk.state, blk.owner, blk.timeout = Claimed, from, now.Add(time.Duration(c.Timeout)*time.Second)
		}
	}
	return nil
}

func (m *ddhcpdModel) HandleUnicast(src netip.Addr, b []byte) error {
	p, err := Parse(b)
	if err != nil || !m.rng.Matches(p.Header()) || p.Command() != RenewLease {
		return nil
	}
	i, _, ok := m.rng.Block(Reversed.Get(p.Renew().Addr)) // a little-endian host
	if !ok {
		return nil
	}
	cmd := LeaseNak
	if m.blocks[i].state == Ours {
		cmd = LeaseAck // blindly
	}
	out := make([]byte, RenewLen)
	EncodeReply(out, m.hdr, cmd, p)
	m.out = append(m.out, Output{Kind: SendUnicast, To: src, Data: out})
	return nil
}

func (m *ddhcpdModel) housekeeping(now time.Time) {
	for i := range m.blocks {
		if b := &m.blocks[i]; b.state != Free && b.timeout.Before(now) {
			b.state, b.owner = Free, NodeID{}
		}
	}
	bs := m.rng.BlockSize()
	needed := m.spare - bs*len(m.Owned())
	n := needed / bs
	if needed%bs > 0 {
		n++
	}
	if n > 0 {
		m.claim(n, now)
	}
	m.updateClaims(now)
}

func (m *ddhcpdModel) claim(n int, now time.Time) {
	kept := m.claiming[:0]
	for _, i := range m.claiming {
		b := &m.blocks[i]
		switch {
		case b.claims == ClaimInquiries: // owned whatever the state
			b.state, b.owner, b.claims = Ours, m.id, 0
			n--
		case b.state == Claiming:
			kept = append(kept, i)
		}
	}
	m.claiming = kept
	for len(m.claiming) < n {
		var free []uint32
		for i, b := range m.blocks {
			if b.state == Free {
				free = append(free, uint32(i))
			}
		}
		if len(free) == 0 {
			break
		}
		i := free[m.rand.IntN(len(free))]
		m.blocks[i].state, m.blocks[i].claims, m.blocks[i].timeout = Claiming, 0, now.Add(m.t)
		m.claiming = append(m.claiming, i)
	}
	if len(m.claiming) == 0 {
		return
	}
	buf := make([]byte, WantLen(Inquire, len(m.claiming)))
	EncodeInquire(buf, m.hdr, m.claiming)
	m.out = append(m.out, Output{Kind: SendMulticast, Data: buf})
	for _, i := range m.claiming {
		m.blocks[i].claims++
	}
}

func (m *ddhcpdModel) updateClaims(now time.Time) {
	secs := int64(m.bt / time.Second)
	threshold := now.Add(time.Duration(secs-secs/RefreshFactor) * time.Second)
	owned := m.Owned()
	for start := 0; start < len(owned); start += MaxClaimsPerSend {
		group := owned[start:min(start+MaxClaimsPerSend, len(owned))]
		if !slices.ContainsFunc(group, func(i uint32) bool { return m.blocks[i].timeout.Before(threshold) }) {
			continue
		}
		var cl []Claim
		for _, i := range group {
			cl = append(cl, Claim{Block: i, Timeout: uint16(secs)})
		}
		buf := make([]byte, WantLen(UpdateClaim, len(cl)))
		EncodeUpdateClaim(buf, m.hdr, cl)
		m.out = append(m.out, Output{Kind: SendMulticast, Data: buf})
		for _, i := range group {
			m.blocks[i].timeout = now.Add(m.bt)
		}
	}
}

func (b *bus) addModel(c Config, id NodeID, r Rand) *simNode {
	return b.attach(&simNode{peer: newDdhcpdModel(c, id, b.clock, r)})
}

// leased nodes and ddhcpd nodes started together settle on disjoint
// blocks and agree on them, and the mesh stays quiet afterwards: ddhcpd's
// packet-driven housekeeping meets a node that answers only INQUIREs and
// conflicting claims, so nothing ping-pongs.
func TestInteropWithDdhcpdModel(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pick     func(i int) Rand
		learning bool
	}{
		{"random picks, learning", func(i int) Rand { return nil }, true},
		{"everyone picks the first free block, no learning", func(int) Rand { return firstFree{} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBus(t)
			c := meshConfig("10.0.0.0", 26, 2) // 16 blocks of 4
			c.LearningPhase = tc.learning
			for i := range 6 {
				r := tc.pick(i)
				if i%2 == 0 {
					b.add(c, r)
				} else {
					if r == nil {
						r = fixedRand(i * 5)
					}
					b.addModel(c, nodeID(i), r)
				}
			}
			b.runFor(5 * time.Minute)
			b.checkConsistent()
			for i, n := range b.nodes {
				if got := len(n.peer.Owned()); got != 1 {
					t.Errorf("node %d owns %d blocks, want 1", i, got)
				}
			}
			before := b.sent
			b.runFor(time.Hour)
			b.checkConsistent()
			// leased: 3 nodes × 240 refreshes. ddhcpd: refresh once less than
			// 45 s is left, checked on its 7.5 s timer and on every datagram:
			// at most every 15 s, so at most 3 × 240 more.
			if got := b.sent - before; got > 2*3*240 {
				t.Errorf("%d datagrams in an hour of steady state, want at most %d", got, 2*3*240)
			}
		})
	}
}

// A client roams between a leased node and a ddhcpd node in both
// directions: leased forwards to ddhcpd in the reversed byte order and
// gets ddhcpd's blind ACK; ddhcpd's forwarded renewal is understood by
// the leased owner, which checks and records the client.
func TestInteropRoaming(t *testing.T) {
	b := newBus(t)
	c := meshConfig("10.0.0.0", 24, 2)
	c.LearningPhase = false
	ours := b.add(c, nil)
	theirs := b.addModel(c, nodeID(1), fixedRand(17))
	b.runFor(time.Minute)
	b.checkConsistent()

	their := theirs.peer.Owned()[0]
	addr := ours.Range().Addr(their, 1)
	if d := ours.Request(Request{CHAddr: client2, XID: 0x77, Addr: addr}); d.Verdict != Forwarded {
		t.Fatalf("renewal for a ddhcpd block: %v", d.Verdict)
	}
	b.collect(0)
	b.pump()
	if ev := b.eventsOf(0, RenewAcked); len(ev) != 1 || ev[0].Addr != addr || ev[0].XID != 0x77 {
		t.Errorf("events %+v, want the ddhcpd node's ACK", ours.events)
	}

	// Now ddhcpd forwards a roamed client's renewal to us, as a
	// little-endian host does.
	a, _ := ours.Offer(chaddr(5), 1, netip.Addr{})
	ours.Request(Request{CHAddr: chaddr(5), XID: 1, Addr: a})
	for _, tc := range []struct {
		ch   [16]byte
		want Command
	}{{chaddr(5), LeaseAck}, {chaddr(6), LeaseNak}} {
		req := make([]byte, RenewLen)
		EncodeRenew(req, theirs.peer.(*ddhcpdModel).hdr, RenewLease, &Renew{Addr: Reversed.Put(a), XID: 9, CHAddr: tc.ch})
		if err := ours.HandleUnicast(theirs.addr, req); err != nil {
			t.Fatal(err)
		}
		outs := ours.Outputs(nil)
		if len(outs) != 1 || outs[0].To != theirs.addr {
			t.Fatalf("outputs %+v", outs)
		}
		if p, _ := Parse(outs[0].Data); p.Command() != tc.want || string(p[16:]) != string(req[16:]) {
			t.Errorf("client %x: reply %x, want %v echoing %x", tc.ch[5], outs[0].Data, tc.want, req[16:])
		}
	}
}
