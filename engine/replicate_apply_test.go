package engine

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/leased/leased/lease"
)

// TestApplyLeasesOneSync: a partner's group of changes (a delete, an
// update, an add, an update without create of a lease that is not
// there) is written, each with its own outcome, and made durable with
// one Sync; the allocators follow.
func TestApplyLeasesOneSync(t *testing.T) {
	srv, store, log := newRecordingFixture(t)
	f := &fixture{t: t, srv: srv, store: store, clock: &clock{t: time.Now()}}
	ctx := context.Background()
	old := f.newLease("192.0.2.100", "02:00:00:00:00:01")
	upd := f.newLease("192.0.2.101", "02:00:00:00:00:02")
	if err := srv.AddLease(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddLease(ctx, upd); err != nil {
		t.Fatal(err)
	}
	syncs := func() int {
		n := 0
		for _, e := range log.snapshot() {
			if e.kind == "sync-start" {
				n++
			}
		}
		return n
	}
	before := syncs()
	upd2 := *upd
	upd2.ValidLifetime = 7200
	ws := []LeaseWrite{
		{Del: true, Lease: &lease.Lease{Addr: old.Addr}},
		{Create: true, Lease: &upd2},
		{Create: true, Lease: f.newLease("192.0.2.102", "02:00:00:00:00:03")},
		{Lease: f.newLease("192.0.2.103", "02:00:00:00:00:04")},
		{Del: true, Lease: &lease.Lease{Addr: netip.MustParseAddr("192.0.2.104")}},
	}
	if err := srv.ApplyLeases(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if n := syncs() - before; n != 1 {
		t.Errorf("%d Syncs for one group, want 1", n)
	}
	for i, want := range []error{nil, nil, nil, lease.ErrNotFound, lease.ErrNotFound} {
		if want == nil && ws[i].Err != nil || want != nil && !errors.Is(ws[i].Err, want) {
			t.Errorf("write %d: %v, want %v", i, ws[i].Err, want)
		}
	}
	if _, ok := f.lease(old.Addr); ok || !f.isFree(old.Addr) {
		t.Error("the deleted lease is still there, or its address not free")
	}
	if l, ok := f.lease(upd.Addr); !ok || l.ValidLifetime != 7200 {
		t.Errorf("the updated lease is %+v", l)
	}
	if _, ok := f.lease(netip.MustParseAddr("192.0.2.102")); !ok || f.isFree(netip.MustParseAddr("192.0.2.102")) {
		t.Error("the added lease is not there, or its address free")
	}
	if _, ok := f.lease(netip.MustParseAddr("192.0.2.103")); ok {
		t.Error("an update without create added a lease")
	}
}

// TestApplyLeasesUndoneWhenSyncFails: when the Sync fails, every write
// of the group is undone and fails, and ApplyLeases says so.
func TestApplyLeasesUndoneWhenSyncFails(t *testing.T) {
	f, st, _ := newFailingFixture(t)
	ctx := context.Background()
	old := f.newLease("192.0.2.100", "02:00:00:00:00:01")
	if err := f.srv.AddLease(ctx, old); err != nil {
		t.Fatal(err)
	}
	st.failing.Store(true)
	upd := *old
	upd.ValidLifetime = 7200
	ws := []LeaseWrite{
		{Create: true, Lease: &upd},
		{Create: true, Lease: f.newLease("192.0.2.102", "02:00:00:00:00:03")},
	}
	if err := f.srv.ApplyLeases(ctx, ws); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("ApplyLeases: %v, want ErrNotDurable", err)
	}
	for i := range ws {
		if ws[i].Err == nil {
			t.Errorf("write %d succeeded", i)
		}
	}
	if l, ok := f.lease(old.Addr); !ok || l.ValidLifetime != old.ValidLifetime {
		t.Errorf("the updated lease is %+v, want it as it was", l)
	}
	if _, ok := f.lease(netip.MustParseAddr("192.0.2.102")); ok || !f.isFree(netip.MustParseAddr("192.0.2.102")) {
		t.Error("the added lease is still there, or its address taken")
	}
}
