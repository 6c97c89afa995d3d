package engine

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// isFree reports what the allocator of a's pool thinks of a.
func (f *fixture) isFree(a netip.Addr) bool {
	f.t.Helper()
	ps := f.srv.state.Load().poolContaining(a)
	if ps == nil {
		f.t.Fatalf("%v is in no pool", a)
	}
	return ps.alloc.IsFree(a)
}

func (f *fixture) newLease(a string, hw string) *lease.Lease {
	return &lease.Lease{
		Addr: netip.MustParseAddr(a), HWType: 1, HWAddr: mac(hw),
		ValidLifetime: 3600, CLTT: f.clock.now().Unix(), SubnetID: 1, State: lease.StateDefault,
	}
}

func TestAddLeaseMarksAddressUsed(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	l := f.newLease("192.0.2.100", "02:00:00:00:00:aa")
	if !f.isFree(l.Addr) {
		t.Fatal("the first pool address is taken before anything happened")
	}
	if err := f.srv.AddLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	if f.isFree(l.Addr) {
		t.Error("the allocator still offers an address that lease4-add gave a lease")
	}
	if _, ok := f.lease(l.Addr); !ok {
		t.Error("the added lease is not in the store")
	}
	if err := f.srv.AddLease(ctx, l); !errors.Is(err, lease.ErrExists) {
		t.Errorf("adding the same address again: %v, want ErrExists", err)
	}
	// A client asking now is offered another address.
	if a := f.dora(mac("02:00:00:00:00:01")); a == l.Addr {
		t.Errorf("client got %v, which lease4-add gave to another", a)
	}
}

func TestDeleteLeaseFreesAddress(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	a := f.dora(mac("02:00:00:00:00:01"))
	if f.isFree(a) {
		t.Fatal("acknowledged address free in its allocator")
	}
	old, err := f.srv.DeleteLease(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if old.Addr != a || old.State != lease.StateDefault {
		t.Errorf("DeleteLease returned %v", old.String())
	}
	if !f.isFree(a) {
		t.Error("deleted lease's address not back in its pool")
	}
	if _, ok := f.lease(a); ok {
		t.Error("lease still in the store")
	}
	if _, err := f.srv.DeleteLease(ctx, a); !errors.Is(err, lease.ErrNotFound) {
		t.Errorf("deleting again: %v, want ErrNotFound", err)
	}
	// Another client asking for the address is offered it.
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 9, CHAddr: mac("02:00:00:00:00:02"), RequestedIP: a})
	if off == nil || off.Packet.YIAddr() != a {
		t.Errorf("a client asking for the freed %v was offered %+v", a, off)
	}
}

func TestDeleteLeaseKeepsReservedAddressUsed(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
			"pools": [{"pool": "192.0.2.100 - 192.0.2.109"}],
			"reservations": [{"hw-address": "02:00:00:00:00:99", "ip-address": "192.0.2.105"}]}]}}`)
	ctx := context.Background()
	res := netip.MustParseAddr("192.0.2.105")
	// Someone else held the reserved address (added by an operator).
	l := f.newLease("192.0.2.105", "02:00:00:00:00:aa")
	if err := f.srv.AddLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.DeleteLease(ctx, res); err != nil {
		t.Fatal(err)
	}
	if f.isFree(res) {
		t.Error("deleting a lease freed a reserved address for anyone")
	}
}

func TestUpdateLease(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	l := f.newLease("192.0.2.120", "02:00:00:00:00:aa")
	if _, err := f.srv.UpdateLease(ctx, l, false); !errors.Is(err, lease.ErrNotFound) {
		t.Fatalf("update of a missing lease: %v, want ErrNotFound", err)
	}
	if !f.isFree(l.Addr) {
		t.Error("a failed update marked the address used")
	}
	added, err := f.srv.UpdateLease(ctx, l, true)
	if err != nil || !added {
		t.Fatalf("update with force-create: added=%v err=%v", added, err)
	}
	if f.isFree(l.Addr) {
		t.Error("created lease's address still free")
	}
	rel := l.Clone()
	rel.State, rel.Hostname = lease.StateReleased, "gone"
	added, err = f.srv.UpdateLease(ctx, &rel, true)
	if err != nil || added {
		t.Fatalf("update of an existing lease: added=%v err=%v", added, err)
	}
	if got, _ := f.lease(l.Addr); got.State != lease.StateReleased || got.Hostname != "gone" {
		t.Errorf("stored lease after update: %v", got.String())
	}
	if !f.isFree(l.Addr) {
		t.Error("a lease updated to released still holds its address in the allocator")
	}
	bad := l.Clone()
	bad.State = 9
	if _, err := f.srv.UpdateLease(ctx, &bad, true); err == nil {
		t.Error("an invalid lease was accepted")
	}
}

func TestWipeLeases(t *testing.T) {
	f := newFixture(t, testConfig)
	ctx := context.Background()
	var addrs []netip.Addr
	for i := range 5 {
		addrs = append(addrs, f.dora(mac("02:00:00:00:01:0"+string(rune('0'+i)))))
	}
	other := f.newLease("198.18.1.7", "02:00:00:00:00:bb")
	other.SubnetID = 2
	if err := f.srv.AddLease(ctx, other); err != nil {
		t.Fatal(err)
	}
	n, err := f.srv.WipeLeases(ctx, 1)
	if err != nil || n != 5 {
		t.Fatalf("wipe subnet 1: %d leases, %v; want 5", n, err)
	}
	for _, a := range addrs {
		if !f.isFree(a) {
			t.Errorf("%v not free after the wipe", a)
		}
		if _, ok := f.lease(a); ok {
			t.Errorf("%v still in the store", a)
		}
	}
	if _, ok := f.lease(other.Addr); !ok {
		t.Error("wiping subnet 1 removed a lease of subnet 2")
	}
	n, err = f.srv.WipeLeases(ctx)
	if err != nil || n != 1 {
		t.Fatalf("wipe all: %d leases, %v; want 1", n, err)
	}
	if !f.isFree(other.Addr) {
		t.Error("subnet 2 address not free after wiping every subnet")
	}
}
