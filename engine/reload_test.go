package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// pageCounter is a lease store that counts the leases Page returns, so a
// test can tell how much of the store a reload read.
type pageCounter struct {
	lease.Store
	read atomic.Int64
}

func (p *pageCounter) Page(ctx context.Context, after netip.Addr, subnetID uint32, limit int) ([]lease.Lease, error) {
	ls, err := p.Store.Page(ctx, after, subnetID, limit)
	p.read.Add(int64(len(ls)))
	return ls, err
}

const reloadBase = `{"Dhcp4": {"valid-lifetime": 3600, "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
	"reservations": [{"hw-address": "02:00:00:00:0f:01", "ip-address": "192.0.2.101"}],
	"pools": [{"pool": "192.0.2.100 - 192.0.2.149"}%s]}]}}`

// TestReloadKeepsAllocators checks that a reload keeps the allocators of
// unchanged pools, reads only the ranges of new pools, and that a new
// pool learns the leases already in its range.
func TestReloadKeepsAllocators(t *testing.T) {
	ctx := context.Background()
	mem, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	store := &pageCounter{Store: mem}
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	srv, err := New(ctx, loadConfig(t, fmt.Sprintf(reloadBase, "")), store, &Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, srv: srv, store: mem, clock: clk}
	for i := range 30 {
		f.dora(net.HardwareAddr{2, 0, 0, 0, 1, byte(i)})
	}
	// A lease in the range of the pool the reload adds, written behind
	// the server's back (as lease4-add on another server would).
	taken := netip.MustParseAddr("192.0.2.200")
	if err := mem.Add(ctx, &lease.Lease{Addr: taken, HWType: 1, HWAddr: []byte{2, 0, 0, 0, 9, 9}, ValidLifetime: 3600,
		CLTT: clk.now().Unix(), SubnetID: 1}, lease.Durable); err != nil {
		t.Fatal(err)
	}
	oldA := srv.state.Load().subnets[1].pools[0].alloc

	store.read.Store(0)
	if err := srv.Reload(ctx, loadConfig(t, fmt.Sprintf(reloadBase, `, {"pool": "192.0.2.200 - 192.0.2.201"}`))); err != nil {
		t.Fatal(err)
	}
	st := srv.state.Load()
	if st.subnets[1].pools[0].alloc != oldA {
		t.Error("the unchanged pool got a new allocator")
	}
	if !st.subnets[1].pools[1].fresh {
		t.Error("the new pool's allocator is not new")
	}
	if n := store.read.Load(); n > 1 {
		t.Errorf("the reload read %d leases; only the new pool's range (1 lease) needed reading", n)
	}
	// The new pool has one free address: the other is taken. Fill the
	// old pool first (20 left, one of them reserved).
	for i := range 19 {
		f.dora(net.HardwareAddr{2, 0, 0, 0, 2, byte(i)})
	}
	got := f.dora(mac("02:00:00:00:03:00"))
	if got != netip.MustParseAddr("192.0.2.201") {
		t.Errorf("the first client of the new pool got %v, want 192.0.2.201 (192.0.2.200 is leased)", got)
	}

	// Changing a reservation inside the pool makes its allocator new,
	// and a changed subnet set makes the reload read every lease.
	store.read.Store(0)
	changed := `{"Dhcp4": {"valid-lifetime": 3600, "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
		"reservations": [{"hw-address": "02:00:00:00:0f:01", "ip-address": "192.0.2.102"}],
		"pools": [{"pool": "192.0.2.100 - 192.0.2.149"}, {"pool": "192.0.2.200 - 192.0.2.201"}]},
		{"id": 2, "subnet": "198.51.100.0/24", "pools": [{"pool": "198.51.100.10 - 198.51.100.20"}]}]}}`
	if err := srv.Reload(ctx, loadConfig(t, changed)); err != nil {
		t.Fatal(err)
	}
	st = srv.state.Load()
	if !st.subnets[1].pools[0].fresh || st.subnets[1].pools[1].fresh {
		t.Errorf("fresh allocators: pool A %v (its reservation moved), pool B %v (unchanged)", st.subnets[1].pools[0].fresh, st.subnets[1].pools[1].fresh)
	}
	want, _ := mem.Len(ctx)
	if n := store.read.Load(); n < int64(want) {
		t.Errorf("with a new subnet the reload read %d of %d leases", n, want)
	}
}
