package mesh

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// A node restarted while its claim still runs at the peers owns the block
// again at once, announces it during the learning phase and keeps
// refreshing it there, and gives its clients their addresses back.
func TestResumeOwnsValidClaimsAtOnce(t *testing.T) {
	c := DefaultConfig() // learning phase on: 60 s
	h := newHarness(t, c, fixedRand(0))
	a := h.rng.Addr(5, 7)
	h.n.Resume(
		[]ResumeClaim{{Block: 5, Until: epoch.Add(40 * time.Second)}, {Block: 6, Until: epoch.Add(-time.Second)}},
		[]ResumeLease{
			{Addr: a, CHAddr: chaddr(1), End: epoch.Add(200 * time.Second)},
			{Addr: h.rng.Addr(5, 8), CHAddr: chaddr(2), End: epoch.Add(-time.Second)}, // ended
		})
	if got := describe(h.take()); !slices.Equal(got, []string{"BlockOwned 5", "UPDATECLAIM 5/60"}) {
		t.Fatalf("after Resume: %q", got)
	}
	if !h.n.Learning() {
		t.Fatal("Resume ended the learning phase")
	}
	if r := h.row(5); r.State != Ours || r.Claims != ClaimInquiries || r.Leased != 1 {
		t.Errorf("block 5: %+v", r)
	}
	if r := h.row(6); r.State != Free {
		t.Errorf("block 6, whose claim had lapsed: %+v", r)
	}
	if l, ok := h.n.Lease(a); !ok || l.State != LeaseLeased || l.CHAddr != chaddr(1) {
		t.Errorf("lease %v: %+v %v", a, l, ok)
	}
	if l, _ := h.n.Lease(h.rng.Addr(5, 8)); l.State != LeaseFree {
		t.Errorf("ended lease restored: %+v", l)
	}
	// Refreshes go on in the learning phase: every B/4 = 15 s.
	h.at(15 * time.Second)
	if got := describe(h.take()); !slices.Equal(got, []string{"UPDATECLAIM 5/60"}) {
		t.Errorf("at 15 s: %q", got)
	}
	h.at(30 * time.Second)
	if got := describe(h.take()); !slices.Equal(got, []string{"UPDATECLAIM 5/60"}) {
		t.Errorf("at 30 s: %q", got)
	}
	if d := h.n.Request(Request{CHAddr: chaddr(1), XID: 9, Addr: a}); d.Verdict != Ack || d.Addr != a {
		t.Errorf("renewal by the client: %+v", d)
	}
	if d := h.n.Request(Request{CHAddr: chaddr(3), XID: 9, Addr: a}); d.Verdict != Nak {
		t.Errorf("another client asking for the address: %+v", d)
	}
	if got, err := h.n.Offer(chaddr(1), 10, netip.Addr{}); err != nil || got != a {
		t.Errorf("offer to the client: %v %v, want %v", got, err, a)
	}
}

// Leases in a block whose claim lapsed during the restart wait: the node
// claims that block first when it needs one, and restores them then.
func TestResumePrefersBlocksWithLeases(t *testing.T) {
	c := DefaultConfig()
	c.LearningPhase = false
	h := newHarness(t, c, fixedRand(0)) // a random pick would be block 0
	a := h.rng.Addr(6, 3)
	h.n.Resume(nil, []ResumeLease{{Addr: a, CHAddr: chaddr(1), End: epoch.Add(300 * time.Second)}})
	if got := h.take(); len(got) != 0 {
		t.Fatalf("after Resume: %q", describe(got))
	}
	h.at(23 * time.Second)
	if !slices.Equal(h.n.Owned(), []uint32{6}) {
		t.Fatalf("owned %v, want [6]", h.n.Owned())
	}
	if l, ok := h.n.Lease(a); !ok || l.State != LeaseLeased || l.CHAddr != chaddr(1) {
		t.Errorf("lease %v: %+v", a, l)
	}
	if d := h.n.Request(Request{CHAddr: chaddr(1), XID: 1, Addr: a}); d.Verdict != Ack {
		t.Errorf("renewal: %+v", d)
	}
}

// A block another node claimed meanwhile is not taken back: the resumed
// claim yields to the peer's, and leases waiting for a block someone else
// owns stay waiting.
func TestResumeYieldsToOtherOwners(t *testing.T) {
	c := DefaultConfig()
	c.LearningPhase = false
	h := newHarness(t, c, fixedRand(0))
	h.updateClaim(largePeer, 60, 6)
	h.n.Resume([]ResumeClaim{{Block: 6, Until: epoch.Add(time.Minute)}},
		[]ResumeLease{{Addr: h.rng.Addr(6, 3), CHAddr: chaddr(1), End: epoch.Add(300 * time.Second)}})
	if r := h.row(6); r.State != Claimed || r.Owner != largePeer {
		t.Fatalf("block 6: %+v", r)
	}
	h.at(23 * time.Second)
	if slices.Contains(h.n.Owned(), 6) || len(h.n.Owned()) != 1 {
		t.Errorf("owned %v", h.n.Owned())
	}
	// A resumed block lost to a larger id goes like any other.
	h2 := newHarness(t, c, fixedRand(0))
	h2.n.Resume([]ResumeClaim{{Block: 2, Until: epoch.Add(time.Minute)}}, nil)
	h2.take()
	h2.updateClaim(largePeer, 60, 2)
	if got := describe(h2.take()); !slices.Equal(got, []string{"BlockLost 2"}) {
		t.Errorf("lost: %q", got)
	}
}

// Claims and leases outside the range are ignored.
func TestResumeIgnoresOutOfRange(t *testing.T) {
	c := DefaultConfig()
	h := newHarness(t, c, fixedRand(0))
	h.n.Resume([]ResumeClaim{{Block: 99, Until: epoch.Add(time.Minute)}},
		[]ResumeLease{{Addr: netip.MustParseAddr("192.0.2.1"), End: epoch.Add(time.Minute)}})
	if got := h.take(); len(got) != 0 || len(h.n.Owned()) != 0 {
		t.Errorf("outputs %q, owned %v", describe(got), h.n.Owned())
	}
}
