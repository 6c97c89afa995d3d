package mesh

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixedRand always returns the same candidate index (modulo n).
type fixedRand int

func (r fixedRand) IntN(n int) int { return int(r) % n }

// harness drives one Node by hand and plays its peers.
type harness struct {
	t     *testing.T
	clock *fakeClock
	n     *Node
	rng   Range
	out   []Output
}

var (
	peerAddr  = netip.MustParseAddr("fe80::ff:fe00:100")
	smallPeer = NodeID{0x02, 0, 0, 0, 0x01, 0x00} // smaller than ours
	largePeer = NodeID{0x02, 0, 0, 0, 0x01, 0xff} // larger than ours
	ourID     = NodeID{0x02, 0, 0, 0, 0x01, 0x01}
)

func newHarness(t *testing.T, c Config, r Rand) *harness {
	t.Helper()
	clock := &fakeClock{now: epoch}
	if r == nil {
		r = fixedRand(0)
	}
	n, err := NewNode(NodeConfig{Config: c, ID: ourID, Clock: clock, Rand: r})
	if err != nil {
		t.Fatal(err)
	}
	rng, _ := c.Range()
	return &harness{t: t, clock: clock, n: n, rng: rng}
}

// at moves the clock to epoch+d and runs every Tick due on the way.
func (h *harness) at(d time.Duration) {
	until := epoch.Add(d)
	for {
		next := h.n.NextTick()
		if next.After(until) {
			break
		}
		if next.After(h.clock.now) {
			h.clock.now = next
		}
		h.n.Tick()
		h.out = h.n.Outputs(h.out)
	}
	h.clock.now = until
}

// take returns and forgets the outputs gathered so far.
func (h *harness) take() []Output {
	h.out = h.n.Outputs(h.out)
	o := h.out
	h.out = nil
	return o
}

func (h *harness) header(id NodeID) Header {
	return Header{NodeID: id, Prefix: h.rng.Prefix().As4(), PrefixLen: uint8(h.rng.PrefixLen()), BlockSize: uint8(h.rng.BlockSize())}
}

func (h *harness) inquire(id NodeID, blocks ...uint32) {
	h.t.Helper()
	b := make([]byte, MaxDatagram)
	n, _ := EncodeInquire(b, h.header(id), blocks)
	if err := h.n.HandleMulticast(peerAddr, b[:n]); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) updateClaim(id NodeID, timeout uint16, blocks ...uint32) {
	h.t.Helper()
	var cl []Claim
	for _, blk := range blocks {
		cl = append(cl, Claim{Block: blk, Timeout: timeout})
	}
	b := make([]byte, MaxDatagram)
	n, _ := EncodeUpdateClaim(b, h.header(id), cl)
	if err := h.n.HandleMulticast(peerAddr, b[:n]); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) renew(cmd Command, addr [4]byte, xid uint32, ch [16]byte) []byte {
	b := make([]byte, RenewLen)
	EncodeRenew(b, h.header(smallPeer), cmd, &Renew{Addr: addr, XID: xid, CHAddr: ch})
	return b
}

func (h *harness) row(i uint32) BlockRow {
	r, ok := h.n.Block(i)
	if !ok {
		h.t.Fatalf("no block %d", i)
	}
	return r
}

// describe renders outputs as "kind[detail]" for comparison.
func describe(outs []Output) []string {
	var s []string
	for _, o := range outs {
		switch o.Kind {
		case SendMulticast, SendUnicast:
			p, err := Parse(o.Data)
			if err != nil {
				s = append(s, "bad:"+err.Error())
				continue
			}
			d := p.Command().String()
			for i := range p.Len() {
				if p.Command() == Inquire {
					d += " " + strconv.Itoa(int(p.Inquired(i)))
				} else {
					c := p.Claim(i)
					d += " " + strconv.Itoa(int(c.Block)) + "/" + strconv.Itoa(int(c.Timeout))
				}
			}
			s = append(s, d)
		case BlockOwned, BlockLost, BlockReleased:
			s = append(s, o.Kind.String()+" "+strconv.Itoa(int(o.Block)))
		default:
			s = append(s, o.Kind.String())
		}
	}
	return s
}

// A lone node with ddhcpd's defaults: 60 s of learning, INQUIREs at +0,
// +7.5 and +15 s, ownership and the first UPDATECLAIM at +22.5 s
// (specification 6.2), then a refresh every 15 s (B/4).
func TestClaimTimeline(t *testing.T) {
	h := newHarness(t, DefaultConfig(), fixedRand(5))
	steps := []struct {
		at   time.Duration
		want []string
	}{
		{59 * time.Second, nil},
		{60 * time.Second, []string{"LearningEnded", "INQUIRE 5"}},
		{67 * time.Second, nil},
		{67500 * time.Millisecond, []string{"INQUIRE 5"}},
		{75 * time.Second, []string{"INQUIRE 5"}},
		{82 * time.Second, nil},
		{82500 * time.Millisecond, []string{"BlockOwned 5", "UPDATECLAIM 5/60"}},
		{97 * time.Second, nil},
		{97500 * time.Millisecond, []string{"UPDATECLAIM 5/60"}},
		{112500 * time.Millisecond, []string{"UPDATECLAIM 5/60"}},
	}
	for _, s := range steps {
		h.at(s.at)
		if got := describe(h.take()); !slices.Equal(got, s.want) {
			t.Errorf("at %v: %q, want %q", s.at, got, s.want)
		}
	}
	if r := h.row(5); r.State != Ours || r.Owner != ourID || !r.HasLeases {
		t.Errorf("block 5: %+v", r)
	}
	st := h.n.Stats()
	if st[StatMcastSendInquire] != 3 || st[StatMcastSendUpdateClaim] != 3 || st[StatMcastSendPkg] != 6 ||
		st[StatMcastSendByte] != 3*20+3*23 {
		t.Errorf("counters %v", st[:8])
	}
}

func ownedHarness(t *testing.T, c Config) *harness {
	t.Helper()
	c.LearningPhase = false
	h := newHarness(t, c, fixedRand(5))
	h.at(23 * time.Second)
	if !slices.Equal(h.n.Owned(), []uint32{5}) {
		t.Fatalf("owned %v", h.n.Owned())
	}
	h.take()
	return h
}

// An INQUIRE for an own block brings an immediate UPDATECLAIM (6.3), byte
// for byte what a real node expects.
func TestInquireForOwnBlockReannounces(t *testing.T) {
	h := ownedHarness(t, DefaultConfig())
	h.at(30 * time.Second)
	h.inquire(largePeer, 5)
	outs := h.take()
	if len(outs) != 1 || outs[0].Kind != SendMulticast {
		t.Fatalf("outputs %q", describe(outs))
	}
	want := unhex(t, "0200000001010000 0a000000 18 20 01 01 | 00000005 003c 00")
	if !bytes.Equal(outs[0].Data, want) {
		t.Errorf("UPDATECLAIM\n got %x\nwant %x", outs[0].Data, want)
	}
	if r := h.row(5); r.SecondsLeft != 60 {
		t.Errorf("block timeout after re-announce: %d s left", r.SecondsLeft)
	}
}

// INQUIREs for other blocks make them TENTATIVE for t; an owner's id is
// kept; indices outside the range are skipped without losing the rest.
func TestInquireMarksTentative(t *testing.T) {
	h := newHarness(t, DefaultConfig(), nil)
	h.updateClaim(smallPeer, 60, 2)
	h.clock.now = epoch.Add(10 * time.Second)
	h.inquire(largePeer, 1, 9999, 2)
	for _, i := range []uint32{1, 2} {
		r := h.row(i)
		if r.State != Tentative || r.SecondsLeft != 15 {
			t.Errorf("block %d: %+v, want TENTATIVE for 15 s", i, r)
		}
	}
	if r := h.row(2); r.Owner != smallPeer {
		t.Errorf("the owner of an inquired CLAIMED block was dropped: %v", r.Owner)
	}
	if len(h.take()) != 0 {
		t.Error("an INQUIRE for foreign blocks produced output")
	}
}

// A node claiming a block backs off when a larger id inquires it and
// takes another; a smaller id does not stop it (6.3, 6.5).
func TestClaimingBacksOffOnlyToLargerID(t *testing.T) {
	c := DefaultConfig()
	c.LearningPhase = false

	h := newHarness(t, c, fixedRand(5))
	h.at(0)
	h.inquire(smallPeer, 5)
	h.at(23 * time.Second)
	if !slices.Equal(h.n.Owned(), []uint32{5}) {
		t.Errorf("a smaller inquirer took block 5 away: owned %v", h.n.Owned())
	}

	h = newHarness(t, c, fixedRand(5))
	h.at(0)
	h.inquire(largePeer, 5)
	if r := h.row(5); r.State != Tentative || r.Claims != 0 {
		t.Errorf("block 5 after a larger inquirer: %+v", r)
	}
	h.at(7500 * time.Millisecond)
	got := describe(h.take())
	if !slices.Equal(got[len(got)-1:], []string{"INQUIRE 6"}) {
		t.Errorf("next inquiry %q, want a new block (6: the 5th free one, 5 being TENTATIVE)", got)
	}
	h.at(31 * time.Second)
	if !slices.Equal(h.n.Owned(), []uint32{6}) {
		t.Errorf("owned %v, want [6]", h.n.Owned())
	}
}

// UPDATECLAIM handling (6.4): a peer's claim lasts as long as the entry
// says, not our B; a smaller id claiming an own block makes us re-assert
// it at once; a larger or equal id takes it.
func TestUpdateClaim(t *testing.T) {
	h := ownedHarness(t, DefaultConfig())
	h.updateClaim(smallPeer, 300, 9999, 1) // the bad index is skipped, the rest applied
	if r := h.row(1); r.State != Claimed || r.Owner != smallPeer || r.SecondsLeft != 300 {
		t.Errorf("block 1: %+v", r)
	}
	h.at(200 * time.Second)
	if r := h.row(1); r.State != Claimed {
		t.Errorf("a 300 s claim expired after 177 s: %+v", r)
	}
	h.at(330 * time.Second)
	if r := h.row(1); r.State != Free {
		t.Errorf("a 300 s claim outlived 307 s: %+v", r)
	}
	h.take()

	h.updateClaim(smallPeer, 60, 5)
	if got := describe(h.take()); !slices.Equal(got, []string{"UPDATECLAIM 5/60"}) {
		t.Errorf("smaller id claims our block: %q, want an immediate re-announce", got)
	}
	h.updateClaim(ourID, 60, 5)
	if got := describe(h.take()); !slices.Equal(got, []string{"BlockLost 5"}) || h.row(5).State != Claimed {
		t.Errorf("equal id claims our block: %q, state %v; equal ids lose", got, h.row(5).State)
	}
}

func TestDropsForeignAndMisdirected(t *testing.T) {
	h := newHarness(t, DefaultConfig(), nil)
	foreign := h.header(largePeer)
	foreign.BlockSize = 5 // the power, as a broken implementation might send
	b := make([]byte, 64)
	n, _ := EncodeInquire(b, foreign, []uint32{1})
	if err := h.n.HandleMulticast(peerAddr, b[:n]); !errors.Is(err, ErrForeignSwarm) {
		t.Errorf("block size 5: %v", err)
	}
	foreign = h.header(largePeer)
	foreign.Prefix[3] = 1 // 10.0.0.1/24 is not 10.0.0.0/24 on the wire
	n, _ = EncodeInquire(b, foreign, []uint32{1})
	if err := h.n.HandleMulticast(peerAddr, b[:n]); !errors.Is(err, ErrForeignSwarm) {
		t.Errorf("unmasked prefix: %v", err)
	}
	if r := h.row(1); r.State != Free {
		t.Errorf("a foreign INQUIRE changed block 1: %+v", r)
	}
	if err := h.n.HandleMulticast(peerAddr, h.renew(RenewLease, [4]byte{}, 1, [16]byte{})); !errors.Is(err, ErrWrongSocket) {
		t.Errorf("RENEWLEASE on multicast: %v", err)
	}
	n, _ = EncodeInquire(b, h.header(largePeer), []uint32{1})
	if err := h.n.HandleUnicast(peerAddr, b[:n]); !errors.Is(err, ErrWrongSocket) {
		t.Errorf("INQUIRE on unicast: %v", err)
	}
	var pe *PacketError
	if err := h.n.HandleMulticast(peerAddr, b[:n+1]); !errors.As(err, &pe) {
		t.Errorf("trailing byte: %v", err)
	}
	if err := h.n.HandleUnicast(peerAddr, b[:10]); !errors.As(err, &pe) {
		t.Errorf("10 bytes: %v", err)
	}
	st := h.n.Stats()
	if st[StatMcastRecvPkg] != 4 || st[StatDirectRecvPkg] != 2 || st[StatMcastRecvInquire] != 0 {
		t.Errorf("counters %v", st[:12])
	}
	if h.row(1).State != Free || len(h.take()) != 0 {
		t.Error("a dropped datagram changed state or produced output")
	}
}

// The owner side of a roamed renewal: both byte orders are understood,
// the payload is echoed verbatim, the client is checked and recorded, and
// addresses outside the range get no answer at all.
func TestOwnerAnswersRenewLease(t *testing.T) {
	c := meshConfig("10.0.0.0", 24, 2)
	h := ownedHarness(t, c) // block 5: 10.0.0.20 - 10.0.0.23
	addr := netip.MustParseAddr("10.0.0.21")
	tests := []struct {
		name  string
		addr  [4]byte
		ch    [16]byte
		reply Command // 0: none
	}{
		{"free address, big-endian sender", NetworkOrder.Put(addr), client2, LeaseAck},
		{"same client, little-endian", Reversed.Put(addr), client2, LeaseAck},
		{"another client", Reversed.Put(addr), chaddr(9), LeaseNak},
		{"address in a free block", Reversed.Put(netip.MustParseAddr("10.0.0.41")), client2, LeaseNak},
		{"network address", Reversed.Put(netip.MustParseAddr("10.0.0.0")), client2, LeaseNak},
		{"outside the range both ways", [4]byte{192, 168, 0, 1}, client2, 0},
	}
	for i, tc := range tests {
		req := h.renew(RenewLease, tc.addr, uint32(0x100+i), tc.ch)
		if err := h.n.HandleUnicast(peerAddr, req); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		outs := h.take()
		if tc.reply == 0 {
			if len(outs) != 0 {
				t.Errorf("%s: answered %q", tc.name, describe(outs))
			}
			continue
		}
		if len(outs) != 1 || outs[0].Kind != SendUnicast || outs[0].To != peerAddr {
			t.Fatalf("%s: outputs %+v", tc.name, outs)
		}
		p, err := Parse(outs[0].Data)
		if err != nil || p.Command() != tc.reply || p.NodeID() != ourID {
			t.Errorf("%s: reply %x (%v), want %v from our id", tc.name, outs[0].Data, err, tc.reply)
			continue
		}
		if !bytes.Equal(outs[0].Data[16:], req[16:]) {
			t.Errorf("%s: payload not echoed verbatim:\n got %x\nwant %x", tc.name, outs[0].Data[16:], req[16:])
		}
	}
	l, ok := h.n.Lease(addr)
	if !ok || l.State != LeaseLeased || l.CHAddr != client2 || !l.End.Equal(h.clock.now.Add(310*time.Second)) {
		t.Errorf("recorded lease %+v", l)
	}
	// The peer's byte order was learned from its first, unambiguous
	// request (network order) and then from the second (reversed): the
	// latest wins.
	if o := h.n.peerOrder[peerAddr]; o != Reversed {
		t.Errorf("learned order %v", o)
	}
}

// The requester side: a renewal for a peer's block goes out reversed;
// without an answer it is retried once in network order, then given up.
// An ACK to the retry teaches the peer's order for the next renewal.
func TestForwardRetriesInOtherOrder(t *testing.T) {
	h := newHarness(t, meshConfig("10.0.0.0", 24, 2), nil)
	h.updateClaim(largePeer, 60, 10) // 10.0.0.40 - 43 belong to the peer
	addr := netip.MustParseAddr("10.0.0.41")
	if d := h.n.Request(Request{CHAddr: client2, XID: 0xa3f87c6d, Addr: addr}); d.Verdict != Forwarded {
		t.Fatalf("verdict %v", d.Verdict)
	}
	sent := func() Packet {
		t.Helper()
		outs := h.take()
		if len(outs) != 1 || outs[0].Kind != SendUnicast || outs[0].To != peerAddr {
			t.Fatalf("outputs %+v", outs)
		}
		p, err := Parse(outs[0].Data)
		if err != nil || p.Command() != RenewLease {
			t.Fatalf("sent %x: %v", outs[0].Data, err)
		}
		return p
	}
	first := sent()
	want := unhex(t, "0200000001010000 0a000000 18 04 10 00 | 2900000a a3f87c6d 00000000 02000000020000000000000000000000")
	if !bytes.Equal(first, want) {
		t.Errorf("RENEWLEASE\n got %x\nwant %x", []byte(first), want)
	}
	if next := h.n.NextTick(); !next.Equal(epoch.Add(time.Second)) {
		t.Errorf("NextTick %v, want the renew timeout", next.Sub(epoch))
	}
	h.at(time.Second)
	retry := sent()
	if retry.Renew().Addr != NetworkOrder.Put(addr) || retry.Renew().XID != 0xa3f87c6d {
		t.Errorf("retry payload %+v, want network order", retry.Renew())
	}
	// The peer answers the retry.
	ack := make([]byte, RenewLen)
	EncodeReply(ack, h.header(largePeer), LeaseAck, retry)
	if err := h.n.HandleUnicast(peerAddr, ack); err != nil {
		t.Fatal(err)
	}
	outs := h.take()
	if len(outs) != 1 || outs[0].Kind != RenewAcked || outs[0].Addr != addr || outs[0].XID != 0xa3f87c6d || outs[0].CHAddr != client2 {
		t.Fatalf("after the ACK: %+v", outs)
	}
	// A late ACK for the same renewal is ignored.
	if h.n.HandleUnicast(peerAddr, ack); len(h.take()) != 0 {
		t.Error("a second ACK produced output")
	}
	// Next time, network order straight away.
	h.n.Request(Request{CHAddr: client2, XID: 2, Addr: addr})
	if p := sent(); p.Renew().Addr != NetworkOrder.Put(addr) {
		t.Errorf("after learning: %x", p.Renew().Addr)
	}
	h.at(2 * time.Second)
	h.take() // the retry, reversed
	h.at(3 * time.Second)
	if outs := h.take(); len(outs) != 1 || outs[0].Kind != RenewFailed || outs[0].XID != 2 {
		t.Errorf("after the second timeout: %q", describe(outs))
	}

	// When the swapped address lies inside the range, an owner that lost
	// the first packet would answer the retry for the wrong address, so
	// there is no retry.
	wide := meshConfig("10.0.0.0", 12, 5)
	h = newHarness(t, wide, nil)
	h.updateClaim(largePeer, 60, (0x01020a)>>5)
	swappable := netip.MustParseAddr("10.1.2.10") // reversed: 10.2.1.10, also inside
	if d := h.n.Request(Request{CHAddr: client2, XID: 3, Addr: swappable}); d.Verdict != Forwarded {
		t.Fatalf("verdict %v", d.Verdict)
	}
	h.take()
	h.at(time.Second)
	if outs := h.take(); len(outs) != 1 || outs[0].Kind != RenewFailed {
		t.Errorf("ambiguous address after the timeout: %q, want RenewFailed and no retry", describe(outs))
	}
}

func TestRequestVerdicts(t *testing.T) {
	c := meshConfig("10.0.0.0", 24, 2)
	h := newHarness(t, c, nil)
	ip := netip.MustParseAddr
	if d := h.n.Request(Request{CHAddr: client2, XID: 1, Addr: ip("10.0.0.50")}); d.Verdict != Ignore {
		t.Errorf("free block, nothing owned: %v, want Ignore", d.Verdict)
	}
	if d := h.n.Request(Request{CHAddr: client2, XID: 1, Addr: ip("192.168.1.1")}); d.Verdict != Nak {
		t.Errorf("outside the range: %v", d.Verdict)
	}
	if d := h.n.Request(Request{CHAddr: client2, XID: 1}); d.Verdict != Nak {
		t.Errorf("no address, nothing offered: %v", d.Verdict)
	}
	// A CLAIMED block that someone inquired is still forwarded while the
	// owner's claim lasts (ddhcpd drops such renewals).
	h.updateClaim(largePeer, 60, 12)
	h.inquire(smallPeer, 12)
	if d := h.n.Request(Request{CHAddr: client2, XID: 1, Addr: ip("10.0.0.49")}); d.Verdict != Forwarded {
		t.Errorf("TENTATIVE block with a live owner: %v, want Forwarded", d.Verdict)
	}

	h = ownedHarness(t, c) // owns block 5, 10.0.0.20-23
	if d := h.n.Request(Request{CHAddr: client2, XID: 1, Addr: ip("10.0.0.50")}); d.Verdict != Nak {
		t.Errorf("free block while owning one: %v, want Nak", d.Verdict)
	}
	a, err := h.n.Offer(client2, 7, netip.Addr{})
	if err != nil || a != ip("10.0.0.20") {
		t.Fatalf("offer %v %v", a, err)
	}
	if d := h.n.Request(Request{CHAddr: client2, XID: 8}); d.Verdict != Nak {
		t.Errorf("no address, other xid: %v", d.Verdict)
	}
	if d := h.n.Request(Request{CHAddr: client2, XID: 7}); d.Verdict != Ack || d.Addr != a || d.LeaseTime != 300*time.Second {
		t.Errorf("no address, offered xid: %+v", d)
	}
	if d := h.n.Request(Request{CHAddr: chaddr(5), XID: 9, Addr: a}); d.Verdict != Nak {
		t.Errorf("another client asks for a leased address: %v", d.Verdict)
	}
	if d := h.n.Request(Request{CHAddr: chaddr(5), XID: 9, Addr: ip("10.0.0.22")}); d.Verdict != Ack {
		t.Errorf("INIT-REBOOT to a free address: %v", d.Verdict)
	}
	// The same client moving to another address frees its old one.
	if d := h.n.Request(Request{CHAddr: chaddr(5), XID: 10, Addr: ip("10.0.0.23")}); d.Verdict != Ack {
		t.Errorf("move: %v", d.Verdict)
	}
	if l, _ := h.n.Lease(ip("10.0.0.22")); l.State != LeaseFree {
		t.Errorf("old address after the move: %+v", l)
	}
	// Offer gives a client its existing address again.
	if b, _ := h.n.Offer(chaddr(5), 11, netip.Addr{}); b != ip("10.0.0.23") {
		t.Errorf("repeated DISCOVER got %v, want the client's 10.0.0.23", b)
	}
}

// Network and broadcast address of the range and excluded addresses are
// never offered or acknowledged, wherever they fall in a block.
func TestNeverLeasesNetworkOrBroadcast(t *testing.T) {
	c := meshConfig("10.0.0.0", 28, 2) // 4 blocks: .0-.3 .4-.7 .8-.11 .12-.15
	c.LearningPhase = false
	c.SpareLeases = 16
	clock := &fakeClock{now: epoch}
	n, err := NewNode(NodeConfig{Config: c, ID: ourID, Clock: clock, Rand: fixedRand(0),
		Exclude: []netip.Addr{netip.MustParseAddr("10.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	for clock.now.Before(epoch.Add(5 * time.Minute)) {
		n.Tick()
		clock.now = n.NextTick()
	}
	if len(n.Owned()) != 4 {
		t.Fatalf("owned %v, want all 4 blocks", n.Owned())
	}
	got := map[netip.Addr]bool{}
	for i := range 20 {
		a, err := n.Offer(chaddr(i), uint32(i), netip.Addr{})
		if err != nil {
			break
		}
		got[a] = true
		n.Request(Request{CHAddr: chaddr(i), XID: uint32(i), Addr: a})
	}
	if len(got) != 13 {
		t.Errorf("%d addresses handed out, want 16 - 3", len(got))
	}
	for _, s := range []string{"10.0.0.0", "10.0.0.15", "10.0.0.1"} {
		a := netip.MustParseAddr(s)
		if got[a] {
			t.Errorf("%v was offered", a)
		}
		if d := n.Request(Request{CHAddr: chaddr(99), XID: 1, Addr: a}); d.Verdict != Nak {
			t.Errorf("request for %v: %v", a, d.Verdict)
		}
		if a2, err := n.Offer(chaddr(98), 1, a); err == nil && a2 == a {
			t.Errorf("%v offered when requested", a)
		}
	}
}

func TestDecline(t *testing.T) {
	c := meshConfig("10.0.0.0", 24, 2)
	h := ownedHarness(t, c)
	a, _ := h.n.Offer(client2, 1, netip.Addr{})
	h.n.Request(Request{CHAddr: client2, XID: 1, Addr: a})
	if h.n.Decline(a, chaddr(7)) {
		t.Error("a DECLINE from another client was accepted")
	}
	if !h.n.Decline(a, client2) {
		t.Fatal("DECLINE refused")
	}
	if l, _ := h.n.Lease(a); l.State != LeaseDeclined {
		t.Errorf("lease %+v", l)
	}
	if b, _ := h.n.Offer(client2, 2, a); b == a {
		t.Error("the declined address was offered again")
	}
	if d := h.n.Request(Request{CHAddr: chaddr(3), XID: 3, Addr: a}); d.Verdict != Nak {
		t.Errorf("request for a declined address: %v", d.Verdict)
	}
	if h.n.Decline(netip.MustParseAddr("10.0.0.99"), client2) {
		t.Error("DECLINE for a foreign block accepted")
	}
	h.at(23*time.Second + DefaultDeclineHold + 10*time.Second)
	if l, _ := h.n.Lease(a); l.State != LeaseFree {
		t.Errorf("after the decline hold: %+v", l)
	}
}

// Blocks nobody uses are released one at a time, the most recently claimed
// first, each after the needless timeout; then the node stops announcing
// them, and peers let them expire.
func TestReleaseUnusedBlocks(t *testing.T) {
	c := meshConfig("10.0.0.0", 24, 2)
	c.LearningPhase = false
	c.NeedlessTimeout = 60 * time.Second
	h := newHarness(t, c, fixedRand(3))
	var leased []netip.Addr
	for sec := time.Duration(0); sec < 5*time.Minute; sec += 5 * time.Second {
		h.at(sec)
		for len(leased) < 10 {
			a, err := h.n.Offer(chaddr(len(leased)), 1, netip.Addr{})
			if err != nil {
				break
			}
			h.n.Request(Request{CHAddr: chaddr(len(leased)), XID: 1, Addr: a})
			leased = append(leased, a)
		}
	}
	owned := h.n.Owned()
	if len(owned) < 3 {
		t.Fatalf("owned %v after binding 10 clients", owned)
	}
	h.take()
	for i, a := range leased {
		if !h.n.Release(a, chaddr(i)) {
			t.Fatalf("release of %v refused", a)
		}
	}
	if h.n.Release(leased[0], chaddr(0)) {
		t.Error("a second release succeeded")
	}
	h.at(5*time.Minute + 10*time.Minute)
	var released []uint32
	for _, o := range h.take() {
		if o.Kind == BlockReleased {
			released = append(released, o.Block)
		}
	}
	if len(h.n.Owned()) != 1 || len(released) != len(owned)-1 {
		t.Errorf("owned %v, released %v; want one block kept (s=2 of 4)", h.n.Owned(), released)
	}
	// The most recently claimed go first: the block kept is the oldest.
	if len(h.n.Owned()) == 1 && h.n.Owned()[0] != owned[0] && h.n.blocks[h.n.Owned()[0]].first.After(h.n.blocks[owned[0]].first) {
		t.Errorf("kept %v", h.n.Owned())
	}
	for _, blk := range released {
		if r := h.row(blk); r.State != Free || r.HasLeases {
			t.Errorf("released block %d: %+v", blk, r)
		}
	}
}

// In the learning phase a node applies what it hears and forwards
// renewals, but claims nothing.
func TestLearningPhase(t *testing.T) {
	h := newHarness(t, meshConfig("10.0.0.0", 24, 2), nil)
	h.at(30 * time.Second)
	h.updateClaim(largePeer, 60, 10)
	if d := h.n.Request(Request{CHAddr: client2, XID: 1, Addr: netip.MustParseAddr("10.0.0.41")}); d.Verdict != Forwarded {
		t.Errorf("renewal during learning: %v", d.Verdict)
	}
	if _, err := h.n.Offer(client2, 1, netip.Addr{}); !errors.Is(err, ErrNoFreeLease) {
		t.Errorf("offer during learning: %v", err)
	}
	h.at(59 * time.Second)
	for _, o := range h.take() {
		if o.Kind == SendMulticast {
			t.Errorf("multicast during learning: %q", describe([]Output{o}))
		}
	}
	if !h.n.Learning() {
		t.Error("learning ended early")
	}
	h.at(60 * time.Second)
	if got := describe(h.take()); len(got) < 2 || got[0] != "LearningEnded" || !strings.HasPrefix(got[1], "INQUIRE") {
		t.Errorf("at 60 s: %q", got)
	}
	if r := h.row(10); r.State != Claimed {
		t.Errorf("block 10 at the end of learning: %+v", r)
	}
}

// A -S node never claims, but still answers renewals (with NAK).
func TestPassiveNode(t *testing.T) {
	c, err := ParseArgs([]string{"-S", "-L", "-N", "10.0.0.0/24", "-b", "2"})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, c, nil)
	h.at(10 * time.Minute)
	for _, o := range h.take() {
		if o.Kind == SendMulticast {
			t.Fatalf("passive node sent %q", describe([]Output{o}))
		}
	}
	h.n.HandleUnicast(peerAddr, h.renew(RenewLease, Reversed.Put(netip.MustParseAddr("10.0.0.41")), 1, client2))
	if got := describe(h.take()); !slices.Equal(got, []string{"LEASENAK"}) {
		t.Errorf("passive node answered %q", got)
	}
}

func TestStatusAndStatistics(t *testing.T) {
	h := ownedHarness(t, meshConfig("10.0.0.0", 24, 2))
	h.updateClaim(largePeer, 300, 9)
	a, _ := h.n.Offer(client2, 1, netip.Addr{})
	h.n.Request(Request{CHAddr: client2, XID: 1, Addr: a})
	h.n.Offer(chaddr(3), 2, netip.Addr{})
	s := h.n.Status()
	text := string(AppendBlockStatus(nil, &s))
	for _, want := range []string{
		"block size/number\t4/64 \n", "node id\t0200000001010000\n",
		"5\t4\t0200000001010000\t3\t1/1\t59\n", // announced at 22.5 s, now 23 s; 3 INQUIREs, as ddhcpd shows
		"9\t2\t0200000001FF0000\t0\t-\t300\n",
		"0\t0\t0000000000000000\t0\t-\t37\n", // FREE since the start, listed until start + B
		"\nblocks in use: 64\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("BLOCK_SHOW text lacks %q:\n%s", want, text)
		}
	}
	st := h.n.Stats()
	rows := h.n.Blocks()
	stats := string(AppendStatistics(nil, &st, rows))
	if !strings.Contains(stats, "ddhcp.blocks.free 62\nddhcp.blocks.tentative 0\nddhcp.blocks.claimed 2\n") ||
		!strings.Contains(stats, "block.9.owner 2\n") || !strings.Contains(stats, "mcast.recv_updateclaim 1\n") {
		t.Errorf("STATISTICS text:\n%s", stats)
	}
	h.n.ResetStats()
	if h.n.Stats() != (Stats{}) {
		t.Error("ResetStats left counters")
	}
}

// ddhcpd starts every block FREE with a timeout of start + B
// (specification 4), so its BLOCK_SHOW lists every block as FREE until
// then, and only the blocks someone touched afterwards.
func TestStatusListsBlocksUntilStartPlusB(t *testing.T) {
	h := newHarness(t, meshConfig("10.0.0.0", 24, 2), nil) // B = 60, learning
	h.at(10 * time.Second)
	s := h.n.Status()
	text := string(AppendBlockStatus(nil, &s))
	if len(s.Blocks) != 64 || !strings.Contains(text, "\n0\t0\t0000000000000000\t0\t-\t50\n") ||
		!strings.Contains(text, "\n63\t0\t0000000000000000\t0\t-\t50\n") || !strings.HasSuffix(text, "\nblocks in use: 64\n") {
		t.Errorf("BLOCK_SHOW 10 s after the start, %d rows:\n%s", len(s.Blocks), text)
	}
	h.at(61 * time.Second) // learning over: the first INQUIRE went out
	s = h.n.Status()
	if len(s.Blocks) != 1 || s.Blocks[0].State != Claiming {
		t.Errorf("BLOCK_SHOW after start + B lists %+v, want only the block being claimed", s.Blocks)
	}
}

func TestNewNodeErrors(t *testing.T) {
	clock := &fakeClock{now: epoch}
	good := NodeConfig{Config: DefaultConfig(), ID: ourID, Clock: clock, Rand: fixedRand(0)}
	if _, err := NewNode(good); err != nil {
		t.Fatal(err)
	}
	bad := []func(*NodeConfig){
		func(c *NodeConfig) { c.ID = NodeID{} },
		func(c *NodeConfig) { c.Clock = nil },
		func(c *NodeConfig) { c.Rand = nil },
		func(c *NodeConfig) { c.Config.BlockTimeout = 0 },
		func(c *NodeConfig) { c.Config.PrefixLen, c.Config.BlockPow = 8, 0 }, // 2^24 blocks
	}
	for i, f := range bad {
		c := good
		f(&c)
		if _, err := NewNode(c); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

// A block timeout below 4 s would make ddhcpd's refresh margin zero; the
// node must still move forward in time rather than announce in a loop.
func TestTinyBlockTimeout(t *testing.T) {
	c := meshConfig("10.0.0.0", 24, 2)
	c.LearningPhase, c.BlockTimeout, c.TentativeTimeout = false, time.Second, 2*time.Second
	h := newHarness(t, c, nil)
	prev := h.clock.now
	for range 1000 {
		next := h.n.NextTick()
		if !next.After(prev) && next != epoch {
			t.Fatalf("NextTick %v does not advance past %v", next.Sub(epoch), prev.Sub(epoch))
		}
		h.clock.now, prev = next, next
		h.n.Tick()
	}
	if len(h.n.Owned()) != 1 {
		t.Errorf("owned %v", h.n.Owned())
	}
}

// Traffic never runs housekeeping: a node in the middle of claiming that
// hears a burst of claims and inquiries for other blocks answers none of
// them, and its own INQUIREs keep their half-tentative cadence. (ddhcpd
// runs housekeeping on every multicast datagram, which is how its claims
// cascade within milliseconds.)
func TestTrafficDoesNotDriveHousekeeping(t *testing.T) {
	c := DefaultConfig()
	c.LearningPhase = false
	h := newHarness(t, c, fixedRand(5))
	h.at(0)
	if got := describe(h.take()); !slices.Equal(got, []string{"LearningEnded", "INQUIRE 5"}) {
		t.Fatalf("at 0: %q", got)
	}
	for i := range 100 {
		h.clock.now = epoch.Add(time.Duration(i) * 70 * time.Millisecond)
		h.updateClaim(largePeer, 60, uint32(i%3))
		h.inquire(smallPeer, 3+uint32(i%2))
	}
	if got := describe(h.take()); len(got) != 0 {
		t.Errorf("answered a burst of foreign traffic with %q", got)
	}
	h.at(7 * time.Second)
	if got := describe(h.take()); len(got) != 0 {
		t.Errorf("before 7.5 s: %q", got)
	}
	h.at(7500 * time.Millisecond)
	if got := describe(h.take()); !slices.Equal(got, []string{"INQUIRE 5"}) {
		t.Errorf("at 7.5 s: %q", got)
	}
}

// Real clocks run late: a node whose ticks each come a few milliseconds
// after NextTick must still own its block after three INQUIREs. (The
// CLAIMING timeout of t set when the block was picked lapses just before
// the fourth pass; found against a real ddhcpd with t = 4 s.)
func TestClaimWithLateTicks(t *testing.T) {
	for _, tentative := range []time.Duration{4 * time.Second, 15 * time.Second} {
		c := DefaultConfig()
		c.LearningPhase, c.TentativeTimeout = false, tentative
		h := newHarness(t, c, fixedRand(5))
		for range 10 {
			h.clock.now = h.n.NextTick().Add(3 * time.Millisecond)
			h.n.Tick()
		}
		if !slices.Equal(h.n.Owned(), []uint32{5}) {
			t.Errorf("t=%v: owned %v after 10 late ticks, want [5]", tentative, h.n.Owned())
		}
	}
}

// Removing option 51 at run time makes the lease time 0, as in ddhcpd:
// leases then last the 10 s server margin only.
func TestSetLeaseTime(t *testing.T) {
	h := ownedHarness(t, meshConfig("10.0.0.0", 24, 2))
	if h.n.LeaseTime() != 300*time.Second {
		t.Fatalf("default lease time %v", h.n.LeaseTime())
	}
	var store OptionStore
	h.n.SetLeaseTime(store.LeaseTime())
	a, _ := h.n.Offer(client2, 1, netip.Addr{})
	d := h.n.Request(Request{CHAddr: client2, XID: 1, Addr: a})
	if l, _ := h.n.Lease(a); d.LeaseTime != 0 || !l.End.Equal(h.clock.now.Add(LeaseServerDelta)) {
		t.Errorf("decision %+v, lease end %v after now", d, l.End.Sub(h.clock.now))
	}
}

// A client that retransmits its REQUEST while the owner has not answered
// yet gets one forwarded renewal and one answer, not two.
func TestForwardRetransmission(t *testing.T) {
	h := newHarness(t, meshConfig("10.0.0.0", 24, 2), nil)
	h.updateClaim(largePeer, 60, 10)
	req := Request{CHAddr: client2, XID: 5, Addr: netip.MustParseAddr("10.0.0.41")}
	h.n.Request(req)
	h.clock.now = epoch.Add(500 * time.Millisecond)
	h.n.Request(req)
	outs := h.take()
	if len(outs) != 2 || len(h.n.forwards) != 1 {
		t.Fatalf("%d datagrams, %d pending renewals; want 2 sends of 1 renewal", len(outs), len(h.n.forwards))
	}
	p, _ := Parse(outs[1].Data)
	ack := make([]byte, RenewLen)
	EncodeReply(ack, h.header(largePeer), LeaseAck, p)
	h.n.HandleUnicast(peerAddr, ack)
	h.n.HandleUnicast(peerAddr, ack)
	if got := describe(h.take()); !slices.Equal(got, []string{"RenewAcked"}) {
		t.Errorf("events %q", got)
	}
}

// A LEASEACK answers a forwarded renewal only if it comes from the block
// owner the renewal went to and echoes the address asked about: xid and
// chaddr alone are public (the client broadcasts them), so any host on the
// mesh could otherwise acknowledge an address the owner gave to someone
// else.
func TestReplyOnlyFromOwner(t *testing.T) {
	h := newHarness(t, meshConfig("10.0.0.0", 24, 2), nil)
	h.updateClaim(largePeer, 60, 10) // 10.0.0.40 - 43 belong to the peer at peerAddr
	addr := netip.MustParseAddr("10.0.0.41")
	if d := h.n.Request(Request{CHAddr: client2, XID: 9, Addr: addr}); d.Verdict != Forwarded {
		t.Fatalf("verdict %v", d.Verdict)
	}
	outs := h.take()
	if len(outs) != 1 {
		t.Fatalf("outputs %q", describe(outs))
	}
	req, err := Parse(outs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, RenewLen)
	EncodeReply(ack, h.header(largePeer), LeaseAck, req)
	spoofer := netip.MustParseAddr("fe80::bad")
	if err := h.n.HandleUnicast(spoofer, ack); err != nil {
		t.Fatal(err)
	}
	if got := describe(h.take()); len(got) != 0 {
		t.Errorf("LEASEACK from %v, not the owner: %q, want nothing", spoofer, got)
	}
	// From the owner, but for another address than the one asked about.
	other := h.renew(LeaseAck, Reversed.Put(netip.MustParseAddr("10.0.0.42")), 9, client2)
	if err := h.n.HandleUnicast(peerAddr, other); err != nil {
		t.Fatal(err)
	}
	if got := describe(h.take()); len(got) != 0 {
		t.Errorf("LEASEACK echoing another address: %q, want nothing", got)
	}
	nak := make([]byte, RenewLen)
	EncodeReply(nak, h.header(largePeer), LeaseNak, req)
	if err := h.n.HandleUnicast(peerAddr, nak); err != nil {
		t.Fatal(err)
	}
	if got := describe(h.take()); !slices.Equal(got, []string{"RenewNaked"}) {
		t.Errorf("the owner's LEASENAK: %q", got)
	}
}

// A node that was paused (SIGSTOP, a stalled VM) past its own claims'
// timeout, and meets a client or a peer's datagram before its next Tick,
// no longer owns those blocks: peers stopped counting the claim and may
// have taken the block, so the node neither offers nor acknowledges an
// address from it, and a peer's claim to it is not contested.
func TestLapsedClaimAfterPause(t *testing.T) {
	pause := func(t *testing.T) *harness {
		h := ownedHarness(t, DefaultConfig())
		h.clock.now = epoch.Add(200 * time.Second) // no Tick since 23 s
		return h
	}
	t.Run("offer", func(t *testing.T) {
		h := pause(t)
		if a, err := h.n.Offer(client2, 1, netip.Addr{}); err == nil {
			t.Errorf("offered %v from a block whose claim ran out", a)
		}
		if got := describe(h.take()); !slices.Contains(got, "BlockLost 5") {
			t.Errorf("outputs %q, want the block given up", got)
		}
	})
	t.Run("request", func(t *testing.T) {
		h := pause(t)
		a := h.rng.Addr(5, 1)
		if d := h.n.Request(Request{CHAddr: client2, XID: 1, Addr: a}); d.Verdict == Ack {
			t.Errorf("acknowledged %v from a block whose claim ran out", a)
		}
	})
	t.Run("renew", func(t *testing.T) {
		h := pause(t)
		a := h.rng.Addr(5, 1)
		if err := h.n.HandleUnicast(peerAddr, h.renew(RenewLease, Reversed.Put(a), 1, client2)); err != nil {
			t.Fatal(err)
		}
		for _, o := range h.take() {
			if o.Kind == SendUnicast {
				if p, _ := Parse(o.Data); p.Command() == LeaseAck {
					t.Errorf("LEASEACK for %v from a block whose claim ran out", a)
				}
			}
		}
	})
	t.Run("peer-claim", func(t *testing.T) {
		h := pause(t)
		h.updateClaim(smallPeer, 60, 5)
		if r := h.row(5); r.State != Claimed || r.Owner != smallPeer {
			t.Errorf("block 5 after a smaller peer claimed it: %v owned by %v, want CLAIMED by the peer", r.State, r.Owner)
		}
	})
}

// A flood of INQUIREs for an own block, or of smaller ids' claims to it
// (anyone on the mesh can send them), makes the node re-announce the
// block at most once per second, not once per datagram: every node of
// the mesh hears each UPDATECLAIM, so answering each one would multiply
// the flood across the mesh.
func TestReannounceFloodBounded(t *testing.T) {
	h := ownedHarness(t, DefaultConfig())
	h.at(30 * time.Second)
	count := func() int {
		n := 0
		for _, o := range h.take() {
			if o.Kind == SendMulticast {
				n++
			}
		}
		return n
	}
	for range 1000 {
		h.inquire(largePeer, 5)
		h.updateClaim(smallPeer, 60, 5)
	}
	if n := count(); n != 1 {
		t.Errorf("%d UPDATECLAIMs for 2,000 datagrams at once, want 1", n)
	}
	h.clock.now = epoch.Add(30*time.Second + 500*time.Millisecond)
	h.inquire(largePeer, 5)
	if n := count(); n != 0 {
		t.Errorf("%d UPDATECLAIMs for an INQUIRE half a second later, want 0", n)
	}
	// The block is re-announced a second after the first, once.
	h.at(31*time.Second + 500*time.Millisecond)
	if n := count(); n != 1 {
		t.Errorf("%d UPDATECLAIMs in the second after the flood, want 1", n)
	}
	if r := h.row(5); r.State != Ours {
		t.Errorf("block 5 is %v after the flood", r.State)
	}
}
