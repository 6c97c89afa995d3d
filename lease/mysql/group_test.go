package mysql

import (
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
	"github.com/leased/leased/lease/sqlstore"
)

// make14 is leasetest.Make(i) as schema 14.0 reads it back (no pool).
func make14(i int) lease.Lease {
	l := leasetest.Make(i)
	l.PoolID = 0
	return l
}

// TestGroupManyWriters: many concurrent writers, each Add returns once its
// lease is stored, and every lease reads back.
func TestGroupManyWriters(t *testing.T) {
	s := openStore(t, newDB(t))
	leasetest.ManyWriters(t, s, make14)
	f, w := s.group.Stats()
	t.Logf("%d writes in %d transactions", w, f)
}

// TestGroupAddRace: writers Add leases of one address at once; exactly
// one wins, the others get ErrExists, and the row is the winner's.
func TestGroupAddRace(t *testing.T) {
	leasetest.AddRace(t, openStore(t, newDB(t)), make14)
}

// TestGroupUpdateRace: guarded Updates and a Delete of one lease at once;
// exactly one wins.
func TestGroupUpdateRace(t *testing.T) {
	leasetest.UpdateRace(t, openStore(t, newDB(t)), make14)
}

// lockRow begins a transaction on its own connection that locks the row
// of addr, so that a store's write of it waits; the returned function
// commits it.
func lockRow(t *testing.T, db string, addr netip.Addr) (*sql.Conn, func()) {
	t.Helper()
	conn, err := openDB(t, db).Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(t.Context(), "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "SELECT 1 FROM lease4 WHERE address = ? FOR UPDATE", sqlstore.Addr(addr)); err != nil {
		t.Fatal(err)
	}
	return conn, func() {
		if _, err := conn.ExecContext(t.Context(), "COMMIT"); err != nil {
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

// lockWaiters returns the connection ids of the sessions running an
// UPDATE of lease4, which the tests' row locks hold up.
func lockWaiters(t *testing.T, db *sql.DB) []int64 {
	rows, err := db.QueryContext(t.Context(), "SELECT id FROM information_schema.processlist WHERE info LIKE 'UPDATE lease4%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// start runs f in a goroutine; the channel gives its result.
func start(f func() error) chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

// TestGroupFailingStatement: a statement that fails in a group's
// transaction fails its own writer only; the others' writes are stored.
// A duplicate key fails its statement alone, inside the transaction; any
// other failure makes each write of the group run alone.
func TestGroupFailingStatement(t *testing.T) {
	o := newDB(t)
	s := openStore(t, o)
	ctx := t.Context()
	server(t).Admin(t, o.Name, "ALTER TABLE lease4 ADD CONSTRAINT leased_test_refused CHECK (hostname <> 'refused')")
	a, b, c, d, e := make14(1), make14(2), make14(3), make14(4), make14(5)
	c.Hostname = "refused"
	for _, l := range []*lease.Lease{&a, &e} {
		if err := s.Add(ctx, l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	watch := openDB(t, o.Name)
	_, unlock := lockRow(t, o.Name, a.Addr)
	a2 := a
	a2.Hostname = "changed"
	first := start(func() error { return s.Update(ctx, nil, &a2, lease.Durable) })
	waitFor(t, "the first write to wait for the row lock", func() bool { return len(lockWaiters(t, watch)) > 0 })
	e2 := make14(6)
	e2.Addr = e.Addr
	rb := start(func() error { return s.Add(ctx, &b, lease.Durable) })
	re := start(func() error { return s.Add(ctx, &e2, lease.Durable) })
	waitFor(t, "two writes pending", func() bool { return s.group.Pending() == 2 })
	rc := start(func() error { return s.Add(ctx, &c, lease.Durable) })
	rd := start(func() error { return s.Put(ctx, &d, lease.Durable) })
	waitFor(t, "four writes pending", func() bool { return s.group.Pending() == 4 })
	unlock()
	if err := <-first; err != nil {
		t.Errorf("the write that waited: %v", err)
	}
	if err := <-rb; err != nil {
		t.Errorf("Add in the group with a failing statement: %v", err)
	}
	if err := <-re; !errors.Is(err, lease.ErrExists) {
		t.Errorf("Add of a taken address in the group: %v, want ErrExists", err)
	}
	if err := <-rc; err == nil || errors.Is(err, lease.ErrExists) || ConnectionLost(err) {
		t.Errorf("Add refused by the CHECK constraint: %v", err)
	}
	if err := <-rd; err != nil {
		t.Errorf("Put in the group with a failing statement: %v", err)
	}
	// The two Adds alone, the write that waited, the group of four, then
	// each of the four alone.
	if f, w := s.group.Stats(); f != 2+1+1+4 || w != 2+1+4+4 {
		t.Errorf("%d transactions of %d writes, want 8 of 11", f, w)
	}
	for _, l := range []lease.Lease{a2, b, d, e} {
		var got lease.Lease
		if ok, err := s.Get(ctx, l.Addr, &got); !ok || err != nil || !got.Equal(&l) {
			t.Errorf("Get(%v) = %v, %v, %v; want %v", l.Addr, &got, ok, err, &l)
		}
	}
	if ok, err := s.Get(ctx, c.Addr, new(lease.Lease)); ok || err != nil {
		t.Errorf("the refused lease: %v, %v", ok, err)
	}
}

// TestGroupDuplicateInGroup: a duplicate key in a group's transaction
// fails that Add alone, and the group commits in one transaction.
func TestGroupDuplicateInGroup(t *testing.T) {
	o := newDB(t)
	s := openStore(t, o)
	ctx := t.Context()
	a, e := make14(1), make14(5)
	for _, l := range []*lease.Lease{&a, &e} {
		if err := s.Add(ctx, l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	watch := openDB(t, o.Name)
	_, unlock := lockRow(t, o.Name, a.Addr)
	a2 := a
	a2.Hostname = "changed"
	first := start(func() error { return s.Update(ctx, nil, &a2, lease.Durable) })
	waitFor(t, "the first write to wait for the row lock", func() bool { return len(lockWaiters(t, watch)) > 0 })
	b, e2 := make14(2), make14(6)
	e2.Addr = e.Addr
	rb := start(func() error { return s.Add(ctx, &b, lease.Durable) })
	re := start(func() error { return s.Add(ctx, &e2, lease.Durable) })
	waitFor(t, "two writes pending", func() bool { return s.group.Pending() == 2 })
	unlock()
	if err := <-first; err != nil {
		t.Errorf("the write that waited: %v", err)
	}
	if err := <-rb; err != nil {
		t.Errorf("Add in the group: %v", err)
	}
	if err := <-re; !errors.Is(err, lease.ErrExists) {
		t.Errorf("Add of a taken address in the group: %v, want ErrExists", err)
	}
	if f, w := s.group.Stats(); f != 2+1+1 || w != 2+1+2 {
		t.Errorf("%d transactions of %d writes, want 4 of 5", f, w)
	}
	for _, l := range []lease.Lease{a2, b, e} {
		var got lease.Lease
		if ok, err := s.Get(ctx, l.Addr, &got); !ok || err != nil || !got.Equal(&l) {
			t.Errorf("Get(%v) = %v, %v, %v; want %v", l.Addr, &got, ok, err, &l)
		}
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
	x, y := make14(1), make14(2)
	for _, l := range []*lease.Lease{&x, &y} {
		if err := s.Add(ctx, l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	watch := openDB(t, o.Name)
	_, unlockX := lockRow(t, o.Name, x.Addr)
	holder, _ := lockRow(t, o.Name, y.Addr)
	x2, y2 := x, y
	x2.Hostname, y2.Hostname = "x2", "y2"
	first := start(func() error { return s.Update(ctx, nil, &x2, lease.Durable) })
	waitFor(t, "the first write to wait for its row lock", func() bool { return len(lockWaiters(t, watch)) > 0 })
	group := []lease.Lease{make14(10), make14(11), make14(12)}
	var results []chan error
	for i := range group {
		results = append(results, start(func() error { return s.Add(ctx, &group[i], lease.Durable) }))
	}
	waitFor(t, "three writes pending", func() bool { return s.group.Pending() == 3 })
	results = append(results, start(func() error { return s.Update(ctx, &y, &y2, lease.Durable) }))
	waitFor(t, "four writes pending", func() bool { return s.group.Pending() == 4 })
	unlockX()
	if err := <-first; err != nil {
		t.Fatalf("the write that waited: %v", err)
	}
	var waiters []int64
	waitFor(t, "the group to wait for its row lock", func() bool {
		waiters = lockWaiters(t, watch)
		return s.group.Pending() == 0 && len(waiters) > 0
	})
	for _, id := range waiters {
		server(t).Admin(t, o.Name, fmt.Sprintf("KILL CONNECTION %d", id))
	}
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
	if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
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
