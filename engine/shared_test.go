package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// sharedStore is a memory store that says it is shared (lease.Shared),
// as a database is. It counts Page calls (the engine reads pages of a
// shared store when its search meets another server's leases), and
// beforeAdd and beforeUpdate, when set, run once before the next Add or
// Update: another server's write landing between the engine's read and
// its write.
type sharedStore struct {
	lease.Store
	pages        atomic.Int64
	mu           sync.Mutex
	beforeAdd    func()
	beforeUpdate func()
	// pageGate, when not nil, holds the Page calls that start from the
	// lowest address (a full scan's first page) until it is closed.
	pageGate chan struct{}
}

func (s *sharedStore) Shared() bool { return true }

func (s *sharedStore) Page(ctx context.Context, after netip.Addr, subnetID uint32, limit int) ([]lease.Lease, error) {
	s.pages.Add(1)
	if s.pageGate != nil && !after.IsValid() {
		<-s.pageGate
	}
	return s.Store.Page(ctx, after, subnetID, limit)
}

func (s *sharedStore) Add(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	s.mu.Lock()
	f := s.beforeAdd
	s.beforeAdd = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.Store.Add(ctx, l, d)
}

func (s *sharedStore) Update(ctx context.Context, prev, l *lease.Lease, d lease.Durability) error {
	s.mu.Lock()
	f := s.beforeUpdate
	s.beforeUpdate = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.Store.Update(ctx, prev, l, d)
}

func newSharedStore(t *testing.T) *sharedStore {
	t.Helper()
	m, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &sharedStore{Store: m}
}

// sharedEngine is a server on store, at the fixture's time.
func sharedEngine(t *testing.T, store lease.Store, clk *clock, src string) *fixture {
	t.Helper()
	srv, err := New(context.Background(), loadConfig(t, src), store, &Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, store: store, clock: clk}
}

func sharedPool(pool string) string {
	return `{"Dhcp4": {"valid-lifetime": 3600, "authoritative": true, "cache-threshold": 0,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "` + pool + `"}]}]}}`
}

// TestSharedStoreServersSpreadOut: two servers on one shared store, each
// serving its own clients at the same time, never acknowledge one address
// twice, every ACK is its client's row in the store, and their searches
// meet another server's lease only a few times, not on every allocation
// (Kea 2.2's servers walk the pool in lockstep; so would these, without
// their own starting points and the jump away after a meeting).
func TestSharedStoreServersSpreadOut(t *testing.T) {
	store := newSharedStore(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	cfg := sharedPool("192.0.2.10 - 192.0.2.249")
	servers := []*fixture{sharedEngine(t, store, clk, cfg), sharedEngine(t, store, clk, cfg)}
	store.pages.Store(0)
	const perServer = 60
	acked := map[netip.Addr]net.HardwareAddr{}
	for i := range perServer {
		for k, f := range servers {
			hw := net.HardwareAddr{2, 0, 0, 0, byte(k), byte(i)}
			off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
			if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
				t.Fatalf("server %d: no OFFER for %v: %s", k, hw, replyType(off))
			}
			a := off.Packet.YIAddr()
			ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: a, ServerID: serverAddr})
			if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
				t.Fatalf("server %d: no ACK for %v of %v: %s", k, hw, a, replyType(ack))
			}
			if other, ok := acked[a]; ok {
				t.Fatalf("%v acknowledged to %v and to %v", a, other, hw)
			}
			acked[a] = hw
		}
	}
	for a, hw := range acked {
		l, ok := servers[0].lease(a)
		if !ok || net.HardwareAddr(l.HWAddr).String() != hw.String() {
			t.Errorf("row of %v: %v %v, want %v's", a, ok, net.HardwareAddr(l.HWAddr), hw)
		}
	}
	t.Logf("the servers' searches met another server's lease %d times in %d allocations", store.pages.Load(), 2*perServer)
	if n := store.pages.Load(); n > 20 {
		t.Errorf("the servers' searches met another server's lease %d times in %d allocations", n, 2*perServer)
	}
}

// TestSharedStoreRenewalRace: another server renews the client's lease
// between this server's read and its guarded update (lease.ErrConflict);
// this server reads the row again, finds the client's own lease, and
// ACKs the renewal instead of NAKing it.
func TestSharedStoreRenewalRace(t *testing.T) {
	store := newSharedStore(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	f := sharedEngine(t, store, clk, sharedPool("192.0.2.10 - 192.0.2.19"))
	hw := mac("02:00:00:00:00:01")
	a := f.dora(hw)
	clk.add(time.Minute)
	store.beforeUpdate = func() {
		l, _ := f.lease(a)
		next := l.Clone()
		next.CLTT += 30
		if err := store.Store.Update(context.Background(), &l, &next, lease.Async); err != nil {
			t.Errorf("the other server's renewal: %v", err)
		}
	}
	r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, CIAddr: a})
	if r == nil || r.Packet.MessageType() != dhcpv4.Ack || r.Packet.YIAddr() != a {
		t.Fatalf("renewal that lost the race to another server's: %s, want ACK of %v", replyType(r), a)
	}
	if l, _ := f.lease(a); l.CLTT != clk.now().Unix() {
		t.Errorf("row after the renewal: CLTT %d, want this server's %d", l.CLTT, clk.now().Unix())
	}
}

// TestSharedStoreRequestRaces: a REQUEST whose Add finds the row taken
// (lease.ErrExists) reads it again: the client's own lease, written by
// another server that answered the same broadcast, is ACKed; another
// client's is NAKed, and that client keeps it.
func TestSharedStoreRequestRaces(t *testing.T) {
	store := newSharedStore(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	f := sharedEngine(t, store, clk, sharedPool("192.0.2.10 - 192.0.2.19"))
	other := func(hw net.HardwareAddr, a netip.Addr) func() {
		return func() {
			l := lease.Lease{Addr: a, HWType: 1, HWAddr: hw, ValidLifetime: 3600, CLTT: clk.now().Unix(), SubnetID: 1}
			if err := store.Store.Add(context.Background(), &l, lease.Async); err != nil {
				t.Errorf("the other server's lease of %v: %v", a, err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		writer net.HardwareAddr // whose lease the other server writes
		want   dhcpv4.MessageType
	}{
		{"same client", mac("02:00:00:00:00:01"), dhcpv4.Ack},
		{"another client", mac("02:00:00:00:00:99"), dhcpv4.Nak},
	} {
		hw := mac("02:00:00:00:00:01")
		if tc.want == dhcpv4.Nak {
			hw = mac("02:00:00:00:00:02")
		}
		off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
		if off == nil {
			t.Fatalf("%s: no OFFER", tc.name)
		}
		a := off.Packet.YIAddr()
		store.beforeAdd = other(tc.writer, a)
		r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: a, ServerID: serverAddr})
		if r == nil || r.Packet.MessageType() != tc.want {
			t.Fatalf("%s: REQUEST of %v that lost the insert: %s, want %v", tc.name, a, replyType(r), tc.want)
		}
		if l, ok := f.lease(a); !ok || net.HardwareAddr(l.HWAddr).String() != tc.writer.String() {
			t.Errorf("%s: row of %v: %v %v, want %v's", tc.name, a, ok, net.HardwareAddr(l.HWAddr), tc.writer)
		}
	}
}

// TestSharedStoreOfferRace: with offer-lifetime the OFFER is written; one
// that finds the row taken by another server's lease meanwhile offers the
// next candidate and leaves that lease alone (an overwrite would give the
// address to two clients).
func TestSharedStoreOfferRace(t *testing.T) {
	store := newSharedStore(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	f := sharedEngine(t, store, clk, `{"Dhcp4": {"valid-lifetime": 3600, "offer-lifetime": 60,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.10 - 192.0.2.19"}]}]}}`)
	otherHW := mac("02:00:00:00:00:99")
	var taken netip.Addr
	store.beforeUpdate = func() { t.Error("the offer was written as an update of a row it never read") }
	store.beforeAdd = func() {
		// The first free address the server will try: take every
		// address the store lacks, the other server's way, in turn
		// until one is free; the one taken is the candidate, since the
		// Add runs next with it.
		for a := netip.MustParseAddr("192.0.2.10"); a.Compare(netip.MustParseAddr("192.0.2.19")) <= 0; a = a.Next() {
			if _, ok := f.lease(a); ok {
				continue
			}
			l := lease.Lease{Addr: a, HWType: 1, HWAddr: otherHW, ValidLifetime: 3600, CLTT: clk.now().Unix(), SubnetID: 1}
			if err := store.Store.Add(context.Background(), &l, lease.Async); err == nil {
				taken = a
				return
			}
		}
	}
	hw := mac("02:00:00:00:00:01")
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
	if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
		t.Fatalf("DISCOVER whose first offer lost the race: %s, want an OFFER", replyType(off))
	}
	a := off.Packet.YIAddr()
	if !taken.IsValid() || a == taken {
		t.Fatalf("offered %v; the other server took %v", a, taken)
	}
	if l, _ := f.lease(taken); net.HardwareAddr(l.HWAddr).String() != otherHW.String() {
		t.Errorf("the other server's lease of %v now belongs to %v", taken, net.HardwareAddr(l.HWAddr))
	}
	if l, ok := f.lease(a); !ok || net.HardwareAddr(l.HWAddr).String() != hw.String() {
		t.Errorf("the offer of %v: %v %v, want the client's", a, ok, net.HardwareAddr(l.HWAddr))
	}
}

// TestSharedStoreRefill: addresses another server frees (Kea 2.2 deletes
// a released lease) are unknown to this server's allocator, which thinks
// the pool full; it asks the store and hands them out.
func TestSharedStoreRefill(t *testing.T) {
	store := newSharedStore(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	f := sharedEngine(t, store, clk, sharedPool("192.0.2.10 - 192.0.2.14"))
	var got []netip.Addr
	for i := range 5 {
		got = append(got, f.dora(net.HardwareAddr{2, 0, 0, 0, 1, byte(i)}))
	}
	// Another server releases two of them.
	for _, a := range got[1:3] {
		if err := store.Delete(context.Background(), a, nil, lease.Async); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		a := f.dora(net.HardwareAddr{2, 0, 0, 0, 2, byte(i)})
		if a != got[1] && a != got[2] {
			t.Errorf("new client %d got %v, want one of the freed %v %v", i, a, got[1], got[2])
		}
	}
	// Full again: no OFFER.
	if off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:03:00")}); off != nil {
		t.Errorf("OFFER of %v from a full pool", off.Packet.YIAddr())
	}
}

// replyType names a reply's message type, or says there was none.
func replyType(r *dhcptest.Reply) string {
	if r == nil {
		return "no reply"
	}
	return fmt.Sprintf("%v of %v", r.Packet.MessageType(), r.Packet.YIAddr())
}

// TestSharedStoreServesBeforeTheScan: on a shared store New returns before
// the store's leases are read (the scan's first page held back here), and
// the server
// already answers without offering an address a lease holds; once the
// scan has run, the allocator knows every lease.
func TestSharedStoreServesBeforeTheScan(t *testing.T) {
	store := newSharedStore(t)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	ctx := context.Background()
	first := netip.MustParseAddr("192.0.2.10")
	held := map[netip.Addr]bool{}
	for i, a := 0, first; i < 8; i, a = i+1, a.Next() {
		l := lease.Lease{Addr: a, HWType: 1, HWAddr: []byte{2, 0, 0, 0, 9, byte(i)}, ValidLifetime: 3600, CLTT: clk.now().Unix(), SubnetID: 1}
		if err := store.Add(ctx, &l, lease.Async); err != nil {
			t.Fatal(err)
		}
		held[a] = true
	}
	store.pageGate = make(chan struct{})
	started := make(chan *fixture)
	go func() {
		srv, err := New(ctx, loadConfig(t, sharedPool("192.0.2.10 - 192.0.2.19")), store, &Options{Now: clk.now})
		if err != nil {
			t.Error(err)
		}
		started <- &fixture{t: t, srv: srv, store: store, clock: clk}
	}()
	var f *fixture
	select {
	case f = <-started:
	case <-time.After(10 * time.Second):
		close(store.pageGate)
		t.Fatal("New waits for the shared store's leases to be read")
	}
	if f.srv == nil {
		t.FailNow()
	}
	for i := range 2 {
		hw := net.HardwareAddr{2, 0, 0, 0, 1, byte(i)}
		off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
		if off == nil {
			// The candidates tried ran into leases only: allowed, the
			// store was not read yet; a later DISCOVER goes on.
			continue
		}
		if a := off.Packet.YIAddr(); held[a] {
			t.Errorf("offered %v, which a lease holds, before the scan", a)
		}
	}
	close(store.pageGate)
	ps := f.srv.state.Load().subnets[1].pools[0]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		known := 0
		for a := range held {
			if !ps.alloc.IsFree(a) {
				known++
			}
		}
		if known == len(held) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the scan the allocator knows %d of the %d leases", known, len(held))
		}
	}
}

// TestSharedStoreOfferedRowChanged: the REQUEST that takes this server's
// OFFER writes on the row the DISCOVER saw, without reading it again;
// when another server has changed the row in between, the guarded write
// fails, and the REQUEST reads the row and decides again: the client
// keeps a lease another server renewed, gets back an address whose
// lease another server deleted, and is NAKed for an address another
// server gave to another client (whose lease stays), also when the lease
// cache would have answered from the row the DISCOVER saw.
func TestSharedStoreOfferedRowChanged(t *testing.T) {
	ctx := context.Background()
	hw, otherHW := mac("02:00:00:00:00:01"), mac("02:00:00:00:00:99")
	for _, tc := range []struct {
		name string
		cfg  string
		// setup runs before the DISCOVER; between runs after it, as
		// another server writing the store.
		setup   func(f *fixture, store *sharedStore, clk *clock)
		between func(f *fixture, store *sharedStore, clk *clock, a netip.Addr)
		want    dhcpv4.MessageType
		owner   net.HardwareAddr // whose lease of the address the store holds at the end
	}{{
		name:  "the client's lease renewed by another server",
		cfg:   sharedPool("192.0.2.10 - 192.0.2.19"),
		setup: func(f *fixture, _ *sharedStore, clk *clock) { f.dora(hw); clk.add(time.Minute) },
		between: func(f *fixture, store *sharedStore, clk *clock, a netip.Addr) {
			l, _ := f.lease(a)
			next := l.Clone()
			next.CLTT = clk.now().Unix()
			if err := store.Store.Update(ctx, &l, &next, lease.Async); err != nil {
				t.Fatal(err)
			}
		},
		want: dhcpv4.Ack, owner: hw,
	}, {
		name:  "the client's lease deleted by another server",
		cfg:   sharedPool("192.0.2.10 - 192.0.2.19"),
		setup: func(f *fixture, _ *sharedStore, clk *clock) { f.dora(hw); clk.add(time.Minute) },
		between: func(f *fixture, store *sharedStore, _ *clock, a netip.Addr) {
			if err := store.Store.Delete(ctx, a, nil, lease.Async); err != nil {
				t.Fatal(err)
			}
		},
		want: dhcpv4.Ack, owner: hw,
	}, {
		name: "an expired lease's address given to another client by another server",
		cfg:  sharedPool("192.0.2.10 - 192.0.2.10"),
		setup: func(_ *fixture, store *sharedStore, clk *clock) {
			l := lease.Lease{Addr: netip.MustParseAddr("192.0.2.10"), HWType: 1, HWAddr: mac("02:00:00:00:00:42"), ValidLifetime: 60, CLTT: clk.now().Unix() - 3600, SubnetID: 1}
			if err := store.Store.Add(ctx, &l, lease.Async); err != nil {
				t.Fatal(err)
			}
		},
		between: func(f *fixture, store *sharedStore, clk *clock, a netip.Addr) {
			l, _ := f.lease(a)
			next := lease.Lease{Addr: a, HWType: 1, HWAddr: otherHW, ValidLifetime: 3600, CLTT: clk.now().Unix(), SubnetID: 1}
			if err := store.Store.Update(ctx, &l, &next, lease.Async); err != nil {
				t.Fatal(err)
			}
		},
		want: dhcpv4.Nak, owner: otherHW,
	}, {
		name: "the client's lease, which the lease cache would reuse, given to another client by another server",
		cfg: `{"Dhcp4": {"valid-lifetime": 3600, "authoritative": true, "cache-threshold": 0.5,
			"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.10 - 192.0.2.19"}]}]}}`,
		setup: func(f *fixture, _ *sharedStore, clk *clock) { f.dora(hw); clk.add(time.Minute) },
		between: func(_ *fixture, store *sharedStore, clk *clock, a netip.Addr) {
			if err := store.Store.Delete(ctx, a, nil, lease.Async); err != nil {
				t.Fatal(err)
			}
			l := lease.Lease{Addr: a, HWType: 1, HWAddr: otherHW, ValidLifetime: 3600, CLTT: clk.now().Unix(), SubnetID: 1}
			if err := store.Store.Add(ctx, &l, lease.Async); err != nil {
				t.Fatal(err)
			}
		},
		want: dhcpv4.Nak, owner: otherHW,
	}, {
		name: "the written offer deleted by another server",
		cfg: `{"Dhcp4": {"valid-lifetime": 3600, "offer-lifetime": 60, "authoritative": true,
			"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.10 - 192.0.2.19"}]}]}}`,
		between: func(_ *fixture, store *sharedStore, _ *clock, a netip.Addr) {
			if err := store.Store.Delete(ctx, a, nil, lease.Async); err != nil {
				t.Fatal(err)
			}
		},
		want: dhcpv4.Ack, owner: hw,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			store := newSharedStore(t)
			clk := &clock{t: time.Unix(1_800_000_000, 0)}
			f := sharedEngine(t, store, clk, tc.cfg)
			if tc.setup != nil {
				tc.setup(f, store, clk)
			}
			off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 10, CHAddr: hw})
			if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
				t.Fatalf("DISCOVER: %s, want an OFFER", replyType(off))
			}
			a := off.Packet.YIAddr()
			tc.between(f, store, clk, a)
			r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 11, CHAddr: hw, RequestedIP: a, ServerID: serverAddr})
			if r == nil || r.Packet.MessageType() != tc.want {
				t.Fatalf("REQUEST of %v: %s, want %v", a, replyType(r), tc.want)
			}
			l, ok := f.lease(a)
			if !ok || net.HardwareAddr(l.HWAddr).String() != tc.owner.String() || l.State != lease.StateDefault || l.ValidLifetime != 3600 || l.Expired(clk.now().Unix()) {
				t.Errorf("row of %v: %v %v, want a live lease of %v's for 3600 s", a, ok, l.String(), tc.owner)
			}
		})
	}
}
