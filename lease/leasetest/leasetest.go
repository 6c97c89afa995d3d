package leasetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/leased/leased/lease"
)

// Run runs the conformance tests. open returns a new, empty store; Run
// closes it.
func Run(t *testing.T, open func(t *testing.T) lease.Store) {
	RunOptions(t, open, Options{})
}

// Options describe what a store over a fixed schema cannot keep, such as
// Kea's PostgreSQL schema 13.0 (Kea 2.2), which has no pool column and no
// released state. The zero Options are a store that keeps everything.
type Options struct {
	// PoolID, when not nil, is how the store gives a lease its pool
	// instead of keeping the one written: the suite expects its answer.
	PoolID func(subnetID uint32, addr netip.Addr) uint32
	// NoReleased says the store refuses leases in StateReleased; the
	// suite checks that it does, and leaves them out.
	NoReleased bool
}

// want is l as o's store returns it.
func (o Options) want(l lease.Lease) lease.Lease {
	if o.PoolID != nil {
		l.PoolID = o.PoolID(l.SubnetID, l.Addr)
	}
	return l
}

// RunOptions runs the conformance tests on a store that keeps less, as
// opts say.
func RunOptions(t *testing.T, open func(t *testing.T) lease.Store, opts Options) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s lease.Store, o Options)
	}{
		{"AddGet", testAddGet},
		{"UpdateDelete", testUpdateDelete},
		{"Indexes", testIndexes},
		{"Page", testPage},
		{"Expired", testExpired},
		{"WipeAndStats", testWipeAndStats},
		{"Validate", testValidate},
		{"ConcurrentAdd", testConcurrentAdd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			tt.fn(t, s, opts)
		})
	}
}

// Make returns a valid lease for tests: address 10.0.x.y for i, a hardware
// address and client id derived from i, subnet and pool 1.
func Make(i int) lease.Lease {
	return lease.Lease{
		Addr:          netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}),
		HWType:        lease.HTypeEthernet,
		HWAddr:        []byte{0x02, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)},
		ClientID:      []byte{1, 0x02, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)},
		ValidLifetime: 3600,
		CLTT:          1_700_000_000,
		SubnetID:      1,
		PoolID:        1,
		Hostname:      fmt.Sprintf("host-%d", i),
	}
}

var ctx = context.Background()

func mustGet(t *testing.T, s lease.Store, a netip.Addr) lease.Lease {
	t.Helper()
	var l lease.Lease
	ok, err := s.Get(ctx, a, &l)
	if err != nil || !ok {
		t.Fatalf("Get(%v) = %v, %v; want a lease", a, ok, err)
	}
	return l
}

func testAddGet(t *testing.T, s lease.Store, o Options) {
	l := Make(1)
	l.FQDNFwd, l.FQDNRev = true, true
	l.UserContext = `{"a":1}`
	if err := s.Add(ctx, &l, lease.Durable); err != nil {
		t.Fatalf("Add: %v", err)
	}
	want := o.want(l)
	got := mustGet(t, s, l.Addr)
	if !got.Equal(&want) {
		t.Errorf("Get = %v\nwant %v", &got, &want)
	}
	// The copy is the caller's own.
	got.HWAddr[0] ^= 0xff
	if again := mustGet(t, s, l.Addr); !again.Equal(&want) {
		t.Errorf("changing a returned lease changed the store")
	}
	if err := s.Add(ctx, &l, lease.Durable); !errors.Is(err, lease.ErrExists) {
		t.Errorf("second Add = %v, want ErrExists", err)
	}
	var none lease.Lease
	if ok, err := s.Get(ctx, netip.MustParseAddr("10.9.9.9"), &none); ok || err != nil {
		t.Errorf("Get of a free address = %v, %v", ok, err)
	}
	if n, _ := s.Len(ctx); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}

func testUpdateDelete(t *testing.T, s lease.Store, o Options) {
	l := Make(2)
	if err := s.Update(ctx, nil, &l, lease.Durable); !errors.Is(err, lease.ErrNotFound) {
		t.Errorf("Update of a missing lease = %v, want ErrNotFound", err)
	}
	if err := s.Add(ctx, &l, lease.Async); err != nil {
		t.Fatal(err)
	}
	read := mustGet(t, s, l.Addr)
	renewed := read.Clone()
	renewed.CLTT += 100
	if err := s.Update(ctx, &read, &renewed, lease.Durable); err != nil {
		t.Fatalf("Update: %v", err)
	}
	// A second writer that read the lease before the renewal loses.
	stale := read.Clone()
	stale.HWAddr = []byte{9, 9, 9, 9, 9, 9}
	if err := s.Update(ctx, &read, &stale, lease.Durable); !errors.Is(err, lease.ErrConflict) {
		t.Errorf("stale Update = %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, l.Addr, &read, lease.Durable); !errors.Is(err, lease.ErrConflict) {
		t.Errorf("stale Delete = %v, want ErrConflict", err)
	}
	if got, want := mustGet(t, s, l.Addr), o.want(renewed); !got.Equal(&want) {
		t.Errorf("after Update Get = %v, want %v", &got, &want)
	}
	if err := s.Put(ctx, &stale, lease.Durable); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, want := mustGet(t, s, l.Addr), o.want(stale); !got.Equal(&want) {
		t.Errorf("after Put Get = %v, want %v", &got, &want)
	}
	if err := s.Delete(ctx, l.Addr, &stale, lease.Durable); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Delete(ctx, l.Addr, nil, lease.Durable); !errors.Is(err, lease.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Errorf("Sync: %v", err)
	}
}

func testIndexes(t *testing.T, s lease.Store, o Options) {
	a, b, c := Make(10), Make(11), Make(12)
	// b: same client as a, in another subnet, expiring later.
	b.HWAddr, b.ClientID = a.HWAddr, a.ClientID
	b.SubnetID, b.CLTT = 2, a.CLTT+50
	// c: same client as a in the same subnet, expiring later; no client id.
	c.HWAddr, c.ClientID, c.CLTT = a.HWAddr, nil, a.CLTT+10
	c.Hostname = "HOST-10"
	for _, l := range []*lease.Lease{&a, &b, &c} {
		if err := s.Add(ctx, l, lease.Async); err != nil {
			t.Fatal(err)
		}
	}
	var got lease.Lease
	if ok, _ := s.GetByHWAddr(ctx, 1, a.HWAddr, &got); !ok || got.Addr != c.Addr {
		t.Errorf("GetByHWAddr(1) = %v %v, want %v (latest expiry)", ok, got.Addr, c.Addr)
	}
	if ok, _ := s.GetByHWAddr(ctx, 2, a.HWAddr, &got); !ok || got.Addr != b.Addr {
		t.Errorf("GetByHWAddr(2) = %v %v, want %v", ok, got.Addr, b.Addr)
	}
	if ok, _ := s.GetByHWAddr(ctx, 3, a.HWAddr, &got); ok {
		t.Errorf("GetByHWAddr(3) found %v", got.Addr)
	}
	if ok, _ := s.GetByClientID(ctx, 1, a.ClientID, &got); !ok || got.Addr != a.Addr {
		t.Errorf("GetByClientID(1) = %v %v, want %v", ok, got.Addr, a.Addr)
	}
	if ok, _ := s.GetByClientID(ctx, 1, nil, &got); ok {
		t.Errorf("GetByClientID(empty) found %v", got.Addr)
	}
	all, _ := s.FindByHWAddr(ctx, a.HWAddr)
	if addrs(all) != fmt.Sprint([]netip.Addr{a.Addr, b.Addr, c.Addr}) {
		t.Errorf("FindByHWAddr = %v", addrs(all))
	}
	all, _ = s.FindByClientID(ctx, a.ClientID)
	if addrs(all) != fmt.Sprint([]netip.Addr{a.Addr, b.Addr}) {
		t.Errorf("FindByClientID = %v", addrs(all))
	}
	all, _ = s.FindByHostname(ctx, "host-10")
	if addrs(all) != fmt.Sprint([]netip.Addr{a.Addr, c.Addr}) {
		t.Errorf("FindByHostname = %v", addrs(all))
	}

	// Moving a lease to another client updates both indexes.
	a2 := a.Clone()
	a2.HWAddr, a2.ClientID = []byte{7, 7, 7, 7, 7, 7}, []byte{0, 7}
	if err := s.Put(ctx, &a2, lease.Async); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.GetByClientID(ctx, 1, a.ClientID, &got); ok {
		t.Errorf("old client id still finds %v", got.Addr)
	}
	if ok, _ := s.GetByHWAddr(ctx, 1, a2.HWAddr, &got); !ok || got.Addr != a.Addr {
		t.Errorf("new hardware address finds %v %v", ok, got.Addr)
	}
	all, _ = s.FindByHWAddr(ctx, a.HWAddr)
	if addrs(all) != fmt.Sprint([]netip.Addr{b.Addr, c.Addr}) {
		t.Errorf("FindByHWAddr after the move = %v", addrs(all))
	}
	if err := s.Delete(ctx, c.Addr, nil, lease.Async); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.GetByHWAddr(ctx, 1, a.HWAddr, &got); ok {
		t.Errorf("deleted lease still found by hardware address: %v", got.Addr)
	}
}

func addrs(ls []lease.Lease) string {
	out := make([]netip.Addr, len(ls))
	for i := range ls {
		out[i] = ls[i].Addr
	}
	return fmt.Sprint(out)
}

func testPage(t *testing.T, s lease.Store, o Options) {
	// Addresses across several /24s and /16s, added out of order.
	var want []netip.Addr
	for _, a := range []string{"10.1.0.5", "10.0.0.1", "10.0.1.0", "10.0.0.255", "192.168.0.1", "255.255.255.255", "0.0.0.1"} {
		want = append(want, netip.MustParseAddr(a))
	}
	for i, a := range want {
		l := Make(100 + i)
		l.Addr = a
		if a.String() == "10.0.1.0" {
			l.SubnetID = 7
		}
		if err := s.Add(ctx, &l, lease.Async); err != nil {
			t.Fatal(err)
		}
	}
	var got []netip.Addr
	after := netip.Addr{}
	for {
		page, err := s.Page(ctx, after, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("page of %d leases, limit 2", len(page))
		}
		for _, l := range page {
			got = append(got, l.Addr)
		}
		after = page[len(page)-1].Addr
	}
	sortAddrs(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paged = %v\nwant    %v", got, want)
	}
	page, _ := s.Page(ctx, netip.Addr{}, 7, 10)
	if addrs(page) != "[10.0.1.0]" {
		t.Errorf("Page of subnet 7 = %v", addrs(page))
	}
}

func sortAddrs(a []netip.Addr) {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if a[j].Less(a[i]) {
				a[i], a[j] = a[j], a[i]
			}
		}
	}
}

func testExpired(t *testing.T, s lease.Store, o Options) {
	const now = 1_800_000_000
	mk := func(i int, expire int64, st lease.State) {
		l := Make(i)
		l.ValidLifetime = 100
		l.CLTT = expire - 100
		l.State = st
		err := s.Add(ctx, &l, lease.Async)
		if st == lease.StateReleased && o.NoReleased {
			if err == nil {
				t.Errorf("Add of a released lease succeeded; the store says it keeps none")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	mk(1, now-10, lease.StateDefault)
	mk(2, now-30, lease.StateDefault)
	mk(3, now, lease.StateDeclined)
	mk(4, now+1, lease.StateDefault)
	mk(5, now-50, lease.StateExpiredReclaimed)
	mk(6, now-20, lease.StateReleased)
	inf := Make(7)
	// CLTT 1, not 0: MySQL's TIMESTAMP, where Kea stores an infinite
	// lease's CLTT, begins one second after the epoch.
	inf.ValidLifetime, inf.CLTT = lease.InfiniteLifetime, 1
	if err := s.Add(ctx, &inf, lease.Async); err != nil {
		t.Fatal(err)
	}
	// released drops the released lease 10.0.0.6 from a list of addresses
	// when the store keeps no released leases.
	released := func(want string) string {
		if o.NoReleased {
			return strings.Replace(want, "10.0.0.6 ", "", 1)
		}
		return want
	}
	got, err := s.Expired(ctx, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := released("[10.0.0.2 10.0.0.6 10.0.0.1 10.0.0.3]")
	if addrs(got) != want {
		t.Errorf("Expired = %v, want %v", addrs(got), want)
	}
	got, _ = s.Expired(ctx, now, 2)
	want = "[10.0.0.2 10.0.0.6]"
	if o.NoReleased {
		want = "[10.0.0.2 10.0.0.1]"
	}
	if addrs(got) != want {
		t.Errorf("Expired limit 2 = %v, want %v", addrs(got), want)
	}
	// Reclaiming moves a lease out of Expired and into DeleteReclaimed.
	l := mustGet(t, s, netip.MustParseAddr("10.0.0.2"))
	r := l.Clone()
	r.State = lease.StateExpiredReclaimed
	if err := s.Update(ctx, &l, &r, lease.Async); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Expired(ctx, now, 0)
	if want := released("[10.0.0.6 10.0.0.1 10.0.0.3]"); addrs(got) != want {
		t.Errorf("Expired after reclaiming = %v, want %v", addrs(got), want)
	}
	n, err := s.DeleteReclaimed(ctx, now-40, lease.Durable)
	if err != nil || n != 1 {
		t.Errorf("DeleteReclaimed(now-40) = %d, %v; want 1", n, err)
	}
	n, _ = s.DeleteReclaimed(ctx, now, lease.Durable)
	if n != 1 {
		t.Errorf("DeleteReclaimed(now) = %d; want 1", n)
	}
	wantLen := 5
	if o.NoReleased {
		wantLen = 4
	}
	if c, _ := s.Len(ctx); c != wantLen {
		t.Errorf("Len = %d, want %d", c, wantLen)
	}
}

func testWipeAndStats(t *testing.T, s lease.Store, o Options) {
	// want counts the leases written, by the pool the store gives them.
	want := map[lease.PoolKey]lease.Counts{}
	for i := 0; i < 10; i++ {
		l := Make(i)
		l.SubnetID = uint32(1 + i%2)
		l.PoolID = uint32(i % 3)
		if i == 4 {
			l.State = lease.StateDeclined
		}
		if err := s.Add(ctx, &l, lease.Async); err != nil {
			t.Fatal(err)
		}
		w := o.want(l)
		c := want[lease.PoolKey{SubnetID: w.SubnetID, PoolID: w.PoolID}]
		c.Add(w.State, 1)
		want[lease.PoolKey{SubnetID: w.SubnetID, PoolID: w.PoolID}] = c
	}
	st, _ := s.Stats(ctx)
	sum := func(sub uint32) (n lease.Counts) {
		for k, c := range st {
			if k.SubnetID == sub {
				n.Default += c.Default
				n.Declined += c.Declined
			}
		}
		return n
	}
	if c := sum(1); c.Default != 4 || c.Declined != 1 {
		t.Errorf("subnet 1 counts = %+v", c)
	}
	if o.PoolID == nil {
		if c := st[lease.PoolKey{SubnetID: 2, PoolID: 0}]; c.Default != 2 {
			t.Errorf("subnet 2 pool 0 = %+v, want 2 assigned (leases 3 and 9)", c)
		}
	}
	for k, w := range want {
		if st[k] != w {
			t.Errorf("Stats[%+v] = %+v, want %+v", k, st[k], w)
		}
	}
	if len(st) != len(want) {
		t.Errorf("Stats has %d pools, want %d: %v", len(st), len(want), st)
	}
	n, err := s.WipeSubnet(ctx, 1, lease.Durable)
	if err != nil || n != 5 {
		t.Errorf("WipeSubnet = %d, %v", n, err)
	}
	st, _ = s.Stats(ctx)
	if c := sum(1); c != (lease.Counts{}) {
		t.Errorf("subnet 1 after wipe = %+v", c)
	}
	if c := sum(2); c.Default != 5 {
		t.Errorf("subnet 2 after wipe = %+v", c)
	}
}

func testValidate(t *testing.T, s lease.Store, o Options) {
	bad := []lease.Lease{
		{Addr: netip.MustParseAddr("2001:db8::1")},
		{},
		func() lease.Lease { l := Make(1); l.UserContext = "[1]"; return l }(),
		func() lease.Lease { l := Make(1); l.HWAddr = make([]byte, 21); return l }(),
		func() lease.Lease { l := Make(1); l.State = 4; return l }(),
		func() lease.Lease { l := Make(1); l.Hostname = "\xff"; return l }(),
	}
	for i := range bad {
		if err := s.Put(ctx, &bad[i], lease.Durable); err == nil {
			t.Errorf("Put(%v) accepted an invalid lease", &bad[i])
		}
	}
	if n, _ := s.Len(ctx); n != 0 {
		t.Errorf("Len = %d after invalid writes", n)
	}
}

// testConcurrentAdd races writers for the same addresses: each address
// goes to exactly one of them.
func testConcurrentAdd(t *testing.T, s lease.Store, o Options) {
	const writers, addrsN = 8, 200
	wins := make([]int, addrsN)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < addrsN; i++ {
				l := Make(i)
				l.HWAddr = []byte{0xaa, byte(w), 0, 0, 0, byte(i)}
				l.ClientID = nil
				d := lease.Async
				if i%20 == 0 {
					d = lease.Durable
				}
				err := s.Add(ctx, &l, d)
				switch {
				case err == nil:
					mu.Lock()
					wins[i]++
					mu.Unlock()
				case !errors.Is(err, lease.ErrExists):
					t.Errorf("Add: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	for i, n := range wins {
		if n != 1 {
			t.Errorf("address %d added %d times", i, n)
		}
	}
	if n, _ := s.Len(ctx); n != addrsN {
		t.Errorf("Len = %d, want %d", n, addrsN)
	}
}
