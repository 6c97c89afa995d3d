package pgsql

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

// make13 is leasetest.Make(i) as schema 13.0 reads it back (no pool).
func make13(i int) lease.Lease {
	l := leasetest.Make(i)
	l.PoolID = 0
	return l
}

// TestGroupManyWriters: many concurrent writers, each Add returns once its
// lease is stored, and every lease reads back.
func TestGroupManyWriters(t *testing.T) {
	s := openStore(t, newDB(t))
	leasetest.ManyWriters(t, s, make13)
	f, w := s.group.Stats()
	t.Logf("%d writes in %d transactions", w, f)
}

// TestGroupAddRace: writers Add leases of one address at once; exactly
// one wins, the others get ErrExists, and the row is the winner's.
func TestGroupAddRace(t *testing.T) {
	leasetest.AddRace(t, openStore(t, newDB(t)), make13)
}

// TestGroupUpdateRace: guarded Updates and a Delete of one lease at once;
// exactly one wins.
func TestGroupUpdateRace(t *testing.T) {
	leasetest.UpdateRace(t, openStore(t, newDB(t)), make13)
}

// lockRow begins a transaction on its own connection that locks the row
// of addr, so that a store's write of it waits; the returned function
// commits it.
func lockRow(t *testing.T, db string, addr netip.Addr) (*pgx.Conn, func()) {
	t.Helper()
	conn := connect(t, db)
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(t.Context(), "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "SELECT 1 FROM lease4 WHERE address = $1 FOR UPDATE", addrInt(addr)); err != nil {
		t.Fatal(err)
	}
	return conn, func() {
		if _, err := conn.Exec(t.Context(), "COMMIT"); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (the machine may be loaded).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

// lockWaits returns the number of sessions of db waiting for a lock.
func lockWaits(t *testing.T, db string) int {
	var n int
	conn := connect(t, "postgres")
	defer conn.Close(context.Background())
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", db).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// start runs f in a goroutine; the channel gives its result.
func start(f func() error) chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

// TestGroupFailingStatement: a statement that fails in a group's
// transaction fails its own writer only; the others' writes are stored.
func TestGroupFailingStatement(t *testing.T) {
	o := newDB(t)
	s := openStore(t, o)
	ctx := t.Context()
	admin(t, o.Name, "ALTER TABLE lease4 ADD CONSTRAINT leased_test_refused CHECK (hostname <> 'refused')")
	a, b, c, d := make13(1), make13(2), make13(3), make13(4)
	c.Hostname = "refused"
	if err := s.Add(ctx, &a, lease.Durable); err != nil {
		t.Fatal(err)
	}
	_, unlock := lockRow(t, o.Name, a.Addr)
	a2 := a
	a2.Hostname = "changed"
	first := start(func() error { return s.Update(ctx, nil, &a2, lease.Durable) })
	waitFor(t, "the first write to wait for the row lock", func() bool { return lockWaits(t, o.Name) > 0 })
	rb := start(func() error { return s.Add(ctx, &b, lease.Durable) })
	rc := start(func() error { return s.Add(ctx, &c, lease.Durable) })
	rd := start(func() error { return s.Put(ctx, &d, lease.Durable) })
	waitFor(t, "three writes pending", func() bool { return s.group.Pending() == 3 })
	unlock()
	if err := <-first; err != nil {
		t.Errorf("the write that waited: %v", err)
	}
	if err := <-rb; err != nil {
		t.Errorf("Add in the group with a failing statement: %v", err)
	}
	if err := <-rc; err == nil || errors.Is(err, lease.ErrExists) || ConnectionLost(err) {
		t.Errorf("Add refused by the CHECK constraint: %v", err)
	}
	if err := <-rd; err != nil {
		t.Errorf("Put in the group with a failing statement: %v", err)
	}
	// The write alone, the group of three, then each of the three alone.
	if f, w := s.group.Stats(); f != 1+1+1+3 || w != 1+1+3+3 {
		t.Errorf("%d transactions of %d writes, want 6 of 8", f, w)
	}
	for _, l := range []lease.Lease{a2, b, d} {
		var got lease.Lease
		if ok, err := s.Get(ctx, l.Addr, &got); !ok || err != nil || !got.Equal(&l) {
			t.Errorf("Get(%v) = %v, %v, %v; want %v", l.Addr, &got, ok, err, &l)
		}
	}
	if ok, err := s.Get(ctx, c.Addr, new(lease.Lease)); ok || err != nil {
		t.Errorf("the refused lease: %v, %v", ok, err)
	}
}

// TestGroupConnectionKilled: the connection of a group's transaction is
// killed while the transaction runs; every writer of the group gets a
// lost connection (not ErrExists or ErrConflict, which would read as a
// lost race), OnLost is told, none of their leases is stored, and the
// next writes succeed.
func TestGroupConnectionKilled(t *testing.T) {
	o := newDB(t)
	var lost atomic.Int32
	o.OnLost = func(error) { lost.Add(1) }
	s := openStore(t, o)
	ctx := t.Context()
	x, y := make13(1), make13(2)
	for _, l := range []*lease.Lease{&x, &y} {
		if err := s.Add(ctx, l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	_, unlockX := lockRow(t, o.Name, x.Addr)
	holder, _ := lockRow(t, o.Name, y.Addr)
	x2, y2 := x, y
	x2.Hostname, y2.Hostname = "x2", "y2"
	first := start(func() error { return s.Update(ctx, nil, &x2, lease.Durable) })
	waitFor(t, "the first write to wait for its row lock", func() bool { return lockWaits(t, o.Name) > 0 })
	group := []lease.Lease{make13(10), make13(11), make13(12)}
	results := []chan error{start(func() error { return s.Update(ctx, &y, &y2, lease.Durable) })}
	waitFor(t, "the update to be pending", func() bool { return s.group.Pending() == 1 })
	for i := range group {
		results = append(results, start(func() error { return s.Add(ctx, &group[i], lease.Durable) }))
	}
	waitFor(t, "four writes pending", func() bool { return s.group.Pending() == 4 })
	unlockX()
	if err := <-first; err != nil {
		t.Fatalf("the write that waited: %v", err)
	}
	waitFor(t, "the group to wait for its row lock", func() bool { return s.group.Pending() == 0 && lockWaits(t, o.Name) > 0 })
	var pid uint32 = holder.PgConn().PID()
	admin(t, "postgres", fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND wait_event_type = 'Lock' AND pid <> %d", o.Name, pid))
	for i, r := range results {
		if err := <-r; err == nil || !ConnectionLost(err) || errors.Is(err, lease.ErrExists) || errors.Is(err, lease.ErrConflict) {
			t.Errorf("writer %d of the killed group: %v (lost connection: %t)", i, err, ConnectionLost(err))
		}
	}
	if lost.Load() < int32(len(results)) {
		t.Errorf("OnLost called %d times for %d writers", lost.Load(), len(results))
	}
	for _, l := range group {
		if ok, err := s.Get(ctx, l.Addr, new(lease.Lease)); ok || err != nil {
			t.Errorf("a lease of the killed group is stored: %v (%v, %v)", l.Addr, ok, err)
		}
	}
	if _, err := holder.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	for _, l := range group {
		if err := s.Add(ctx, &l, lease.Durable); err != nil {
			t.Errorf("Add after the kill: %v", err)
		}
	}
	if err := s.Update(ctx, &y, &y2, lease.Durable); err != nil {
		t.Errorf("Update after the kill: %v", err)
	}
}

// TestGroupKeaStatRace: another server's transaction writes the first
// lease of a subnet and has not committed; an Add of the same subnet
// finds no lease4_stat row for it, and Kea 2.2's trigger inserts one,
// which fails on the key the other inserted once that commits. The Add
// is no lost race (its address is free): its transaction runs again and
// succeeds, and the count is right.
func TestGroupKeaStatRace(t *testing.T) {
	o := newDB(t)
	s := openStore(t, o)
	ctx := t.Context()
	other, mine := make13(1), make13(2)
	other.SubnetID, mine.SubnetID = 7, 7
	conn := connect(t, o.Name)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES ($1, $2, $3, 3600, now() + interval '1 hour', 7, false, false, '', 0, '')",
		addrInt(other.Addr), other.HWAddr, other.ClientID); err != nil {
		t.Fatal(err)
	}
	added := start(func() error { return s.Add(ctx, &mine, lease.Durable) })
	waitFor(t, "the Add to wait for the other transaction", func() bool { return lockWaits(t, o.Name) > 0 })
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-added; err != nil {
		t.Fatalf("Add racing another server's first lease of the subnet: %v", err)
	}
	var got lease.Lease
	if ok, err := s.Get(ctx, mine.Addr, &got); !ok || err != nil || !got.Equal(&mine) {
		t.Errorf("Get(%v) = %v, %v, %v", mine.Addr, &got, ok, err)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT leases FROM lease4_stat WHERE subnet_id = 7 AND state = 0").Scan(&n); err != nil || n != 2 {
		t.Errorf("lease4_stat counts %d leases of subnet 7 (%v), want 2", n, err)
	}
}
