package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/logtest"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// failingStore behaves as a memfile store whose journal failed (a full
// disk): every change is made in memory, and durable writes and Sync
// report lease.ErrNotDurable.
type failingStore struct {
	lease.Store
	failing atomic.Bool
}

func (s *failingStore) result(err error, d lease.Durability) error {
	if err == nil && d == lease.Durable && s.failing.Load() {
		return fmt.Errorf("%w: write journal: no space left on device", lease.ErrNotDurable)
	}
	return err
}

func (s *failingStore) Add(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	return s.result(s.Store.Add(ctx, l, lease.Async), d)
}

func (s *failingStore) Update(ctx context.Context, prev, l *lease.Lease, d lease.Durability) error {
	return s.result(s.Store.Update(ctx, prev, l, lease.Async), d)
}

func (s *failingStore) Put(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	return s.result(s.Store.Put(ctx, l, lease.Async), d)
}

func (s *failingStore) Delete(ctx context.Context, a netip.Addr, prev *lease.Lease, d lease.Durability) error {
	return s.result(s.Store.Delete(ctx, a, prev, lease.Async), d)
}

func (s *failingStore) WipeSubnet(ctx context.Context, id uint32, d lease.Durability) (int, error) {
	n, err := s.Store.WipeSubnet(ctx, id, lease.Async)
	return n, s.result(err, d)
}

func (s *failingStore) Sync(ctx context.Context) error {
	return s.result(s.Store.Sync(ctx), lease.Durable)
}

func newFailingFixture(t *testing.T) (*fixture, *failingStore, *logtest.Buffer) {
	t.Helper()
	mem, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	st := &failingStore{Store: mem}
	logs := new(logtest.Buffer)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	srv, err := New(context.Background(), loadConfig(t, testConfig), st, &Options{
		Now: clk.now, Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, store: st, clock: clk}, st, logs
}

// TestLeaseCommandsAllOrNothing: with a store that cannot make changes
// durable, lease4-add, -update, -del and -wipe fail and leave the store
// (and the allocators) as they were, so that nothing the operator was told
// failed reaches the disk later.
func TestLeaseCommandsAllOrNothing(t *testing.T) {
	f, st, _ := newFailingFixture(t)
	ctx := context.Background()
	kept := f.newLease("192.0.2.120", "02:00:00:00:00:01")
	other := f.newLease("198.18.1.7", "02:00:00:00:00:02")
	for _, l := range []*lease.Lease{kept, other} {
		if err := f.srv.AddLease(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	st.failing.Store(true)

	added := f.newLease("192.0.2.100", "02:00:00:00:00:aa")
	if err := f.srv.AddLease(ctx, added); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("AddLease on a failing store = %v, want ErrNotDurable", err)
	}
	if _, ok := f.lease(added.Addr); ok {
		t.Error("lease4-add failed, but its lease is in the store")
	}
	if !f.isFree(added.Addr) {
		t.Error("lease4-add failed, but its address is taken in the allocator")
	}

	changed := kept.Clone()
	changed.HWAddr = mac("02:00:00:00:00:bb")
	if _, err := f.srv.UpdateLease(ctx, &changed, false); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("UpdateLease on a failing store = %v, want ErrNotDurable", err)
	}
	if l, _ := f.lease(kept.Addr); !bytes.Equal(l.HWAddr, kept.HWAddr) {
		t.Errorf("lease4-update failed, but the store holds hw %v, want %v", l.HWAddr, kept.HWAddr)
	}
	created := f.newLease("192.0.2.130", "02:00:00:00:00:cc")
	if _, err := f.srv.UpdateLease(ctx, created, true); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("UpdateLease with force-create on a failing store = %v, want ErrNotDurable", err)
	}
	if _, ok := f.lease(created.Addr); ok {
		t.Error("lease4-update with force-create failed, but its lease is in the store")
	}

	if _, err := f.srv.DeleteLease(ctx, kept.Addr); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("DeleteLease on a failing store = %v, want ErrNotDurable", err)
	}
	if l, ok := f.lease(kept.Addr); !ok || !bytes.Equal(l.HWAddr, kept.HWAddr) {
		t.Error("lease4-del failed, but the lease is gone")
	}
	if f.isFree(kept.Addr) {
		t.Error("lease4-del failed, but the address is back in its pool")
	}

	if _, err := f.srv.WipeLeases(ctx); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("WipeLeases on a failing store = %v, want ErrNotDurable", err)
	}
	for _, l := range []*lease.Lease{kept, other} {
		if _, ok := f.lease(l.Addr); !ok {
			t.Errorf("lease4-wipe failed, but the lease of %v is gone", l.Addr)
		}
	}

	// Once the store works, the same commands succeed.
	st.failing.Store(false)
	if err := f.srv.AddLease(ctx, added); err != nil {
		t.Errorf("AddLease after the store recovered: %v", err)
	}
	if n, err := f.srv.WipeLeases(ctx); err != nil || n != 3 {
		t.Errorf("WipeLeases after the store recovered = %d, %v; want 3", n, err)
	}
}

// TestWithheldRepliesLoggedOnce: while the store cannot make leases
// durable, no ACK leaves, and the log says so once, not once per reply;
// when it works again, ACKs go out and the log says that once.
func TestWithheldRepliesLoggedOnce(t *testing.T) {
	f, st, logs := newFailingFixture(t)
	st.failing.Store(true)
	for i := range 20 {
		hw := mac(fmt.Sprintf("02:00:00:00:01:%02x", i))
		off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
		if off == nil {
			t.Fatalf("client %d: no OFFER", i)
		}
		ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr})
		if ack != nil {
			t.Fatalf("client %d: %v sent while the store cannot make its lease durable", i, ack.Packet.MessageType())
		}
	}
	st.failing.Store(false)
	f.dora(mac("02:00:00:00:02:01"))
	out := logs.String()
	if n := strings.Count(out, "leases not durable"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "leases durable again"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "withheld=20") {
		t.Errorf("the recovery does not count the 20 withheld replies:\n%s", out)
	}
}
