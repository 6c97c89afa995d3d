package pgsql

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

// testPools stands for a configuration's pools: the pool of an address is
// its last byte modulo 3, which is how leasetest numbers the pools of the
// leases it writes for the statistics.
func testPools(_ uint32, a netip.Addr) uint32 { return uint32(a.As4()[3] % 3) }

func TestConformance(t *testing.T) {
	leasetest.RunOptions(t, func(t *testing.T) lease.Store {
		o := newDB(t)
		o.PoolID = testPools
		s, err := Open(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, leasetest.Options{PoolID: testPools, NoReleased: true})
}

func TestOpenRefuses(t *testing.T) {
	ctx := t.Context()
	refused := func(t *testing.T, o Options, want ...string) {
		t.Helper()
		s, err := Open(ctx, o)
		if err == nil {
			s.Close()
			t.Fatalf("Open succeeded, want an error saying %q", want)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Open: %v\nwant it to say %q", err, w)
			}
		}
		if strings.Contains(err.Error(), testPass) || (o.Password != "" && strings.Contains(err.Error(), o.Password)) {
			t.Errorf("Open's error shows the password: %v", err)
		}
	}
	t.Run("NewerSchema", func(t *testing.T) {
		o := newDB(t)
		admin(t, o.Name, "UPDATE schema_version SET version = 14, minor = 0")
		refused(t, o, "schema version 14.0", "13.0", o.Name)
	})
	t.Run("OlderMinor", func(t *testing.T) {
		o := newDB(t)
		admin(t, o.Name, "UPDATE schema_version SET version = 13, minor = 1")
		refused(t, o, "schema version 13.1")
	})
	t.Run("NoSchema", func(t *testing.T) {
		o := newDB(t)
		admin(t, "postgres", "CREATE DATABASE "+o.Name+"_empty")
		o.Name += "_empty"
		refused(t, o, "no Kea schema", "kea-admin db-init pgsql")
	})
	t.Run("AlteredTable", func(t *testing.T) {
		o := newDB(t)
		admin(t, o.Name, "ALTER TABLE lease4 ADD COLUMN pool_id BIGINT NOT NULL DEFAULT 0")
		refused(t, o, "column pool_id")
	})
	t.Run("WrongPassword", func(t *testing.T) {
		o := newDB(t)
		o.Password = "not-the-Pa55word"
		refused(t, o, o.Name, o.User, o.Host)
	})
}

func TestOptionsHidePassword(t *testing.T) {
	o := Options{Host: "db.example.org", Name: "kea", User: "kea", Password: "hunter2-Secret"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, o); strings.Contains(s, o.Password) || !strings.Contains(s, "db.example.org") {
			t.Errorf("%s of Options = %q", f, s)
		}
		if s := fmt.Sprintf(f, &o); strings.Contains(s, o.Password) {
			t.Errorf("%s of *Options = %q", f, s)
		}
	}
}

// TestRefusesWhatKeaCannotRead: a row Kea 2.2 cannot read breaks every
// Kea query that returns it, so such leases are never written.
func TestRefusesWhatKeaCannotRead(t *testing.T) {
	s := openStore(t, newDB(t))
	ctx := t.Context()
	for name, change := range map[string]func(l *lease.Lease){
		"released state":      func(l *lease.Lease) { l.State = lease.StateReleased },
		"1-byte client id":    func(l *lease.Lease) { l.ClientID = []byte{1} },
		"131-byte client id":  func(l *lease.Lease) { l.ClientID = make([]byte, 131) },
		"expiry after 2038":   func(l *lease.Lease) { l.CLTT = MaxExpire },
		"user context a list": func(l *lease.Lease) { l.UserContext = "[]" },
	} {
		l := leasetest.Make(1)
		change(&l)
		if err := s.Put(ctx, &l, lease.Durable); err == nil {
			t.Errorf("%s: Put accepted %v", name, &l)
		}
	}
	if n, _ := s.Len(ctx); n != 0 {
		t.Errorf("Len = %d after refused writes", n)
	}
}

// TestReadsRowsOthersWrote: NULLs where Kea writes empty values read as
// Kea reads them; NULL where Kea needs a value is an error, not a zero.
func TestReadsRowsOthersWrote(t *testing.T) {
	o := newDB(t)
	s := openStore(t, o)
	admin(t, o.Name,
		`INSERT INTO lease4 (address, valid_lifetime, expire, subnet_id, state) VALUES (3221226034, 600, to_timestamp(1800000600), 5, 0)`,
		`INSERT INTO lease4 (address, valid_lifetime, expire, subnet_id, state) VALUES (3221226035, 600, NULL, 5, 0)`)
	var l lease.Lease
	ok, err := s.Get(t.Context(), netip.MustParseAddr("192.0.2.50"), &l)
	want := lease.Lease{Addr: netip.MustParseAddr("192.0.2.50"), HWType: lease.HTypeEthernet, ValidLifetime: 600, CLTT: 1800000000, SubnetID: 5}
	if !ok || err != nil || !l.Equal(&want) {
		t.Errorf("Get = %v, %v, %v\nwant %v", ok, err, &l, &want)
	}
	if ok, err := s.Get(t.Context(), netip.MustParseAddr("192.0.2.51"), &l); err == nil {
		t.Errorf("Get of a row without expire = %v, %v; want an error", ok, err)
	}
}

// TestTwoStoresRace: two servers on one database allocate from one small
// pool at once, each walking the pool in the same order (the worst case);
// then both renew and both delete every lease from the same reading.
func TestTwoStoresRace(t *testing.T) {
	o := newDB(t)
	a, b := openStore(t, o), openStore(t, o)
	ctx := t.Context()
	const poolSize, clients = 40, 60
	first := netip.MustParseAddr("192.0.2.100")

	var mu sync.Mutex
	won := map[netip.Addr]int{} // address → client
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		s := a
		if c%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := first
			for i := 0; i < poolSize; i, addr = i+1, addr.Next() {
				l := lease.Lease{Addr: addr, HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, byte(c)},
					ValidLifetime: 600, CLTT: 1_800_000_000, SubnetID: 1}
				err := s.Add(ctx, &l, lease.Durable)
				if errors.Is(err, lease.ErrExists) {
					continue
				}
				if err != nil {
					t.Errorf("client %d: Add(%v): %v", c, addr, err)
					return
				}
				mu.Lock()
				if prev, ok := won[addr]; ok {
					t.Errorf("%v given to clients %d and %d", addr, prev, c)
				}
				won[addr] = c
				mu.Unlock()
				return
			}
		}()
	}
	wg.Wait()
	if len(won) != poolSize {
		t.Errorf("%d addresses allocated, want all %d", len(won), poolSize)
	}
	for addr, c := range won {
		var l lease.Lease
		if ok, err := a.Get(ctx, addr, &l); !ok || err != nil || l.HWAddr[5] != byte(c) {
			t.Errorf("%v: stored %v (%v, %v), want client %d's", addr, &l, ok, err, c)
		}
	}

	// Statistics: Kea's lease4_stat (and a count of reclaimed leases)
	// without pools, every row read with them; the same sums.
	extra := []lease.Lease{
		{Addr: netip.MustParseAddr("192.0.2.200"), ValidLifetime: 600, CLTT: 1_800_000_000, SubnetID: 1, State: lease.StateDeclined},
		{Addr: netip.MustParseAddr("192.0.2.201"), HWType: 1, HWAddr: []byte{2, 1, 1, 1, 1, 1}, ValidLifetime: 600, CLTT: 1_700_000_000, SubnetID: 1, State: lease.StateExpiredReclaimed},
	}
	for i := range extra {
		if err := b.Put(ctx, &extra[i], lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	wantCounts := lease.Counts{Default: poolSize, Declined: 1, ExpiredReclaimed: 1}
	if st, err := a.Stats(ctx); err != nil || len(st) != 1 || st[lease.PoolKey{SubnetID: 1}] != wantCounts {
		t.Errorf("Stats = %v, %v; want subnet 1 pool 0 %+v", st, err, wantCounts)
	}
	po := o
	po.PoolID = testPools
	var sum lease.Counts
	st, err := openStore(t, po).Stats(ctx)
	for k, c := range st {
		if k.SubnetID != 1 {
			t.Errorf("Stats with pools: subnet %d", k.SubnetID)
		}
		sum.Default += c.Default
		sum.Declined += c.Declined
		sum.ExpiredReclaimed += c.ExpiredReclaimed
	}
	if err != nil || len(st) != 3 || sum != wantCounts {
		t.Errorf("Stats with pools = %v, %v; want 3 pools summing to %+v", st, err, wantCounts)
	}
	for i := range extra {
		if err := a.Delete(ctx, extra[i].Addr, &extra[i], lease.Durable); err != nil {
			t.Fatal(err)
		}
	}

	// Both servers read each lease, then both renew it: one wins.
	race := func(op func(s *Store, read *lease.Lease, i int) error, allowed error) {
		for addr := range won {
			var ra, rb lease.Lease
			if _, err := a.Get(ctx, addr, &ra); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Get(ctx, addr, &rb); err != nil {
				t.Fatal(err)
			}
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, s := range []*Store{a, b} {
				read := []*lease.Lease{&ra, &rb}[i]
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = op(s, read, i) }()
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, lease.ErrConflict) && !errors.Is(err, allowed):
					t.Errorf("%v: %v", addr, err)
				}
			}
			if wins != 1 {
				t.Errorf("%v: %d writers won (%v), want 1", addr, wins, errs)
			}
		}
	}
	race(func(s *Store, read *lease.Lease, i int) error {
		renewed := read.Clone()
		renewed.CLTT += int64(10 + i)
		return s.Update(ctx, read, &renewed, lease.Durable)
	}, lease.ErrConflict)
	checkStats(t, o.Name)
	race(func(s *Store, read *lease.Lease, _ int) error {
		return s.Delete(ctx, read.Addr, read, lease.Durable)
	}, lease.ErrNotFound)
	if n, _ := a.Len(ctx); n != 0 {
		t.Errorf("Len = %d after deleting every lease", n)
	}
	checkStats(t, o.Name)
}

// checkStats: Kea's triggers kept lease4_stat equal to the leases.
func checkStats(t *testing.T, db string) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, db)
	defer conn.Close(ctx)
	var diff int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM (
		(SELECT subnet_id, state, leases FROM lease4_stat WHERE leases > 0
		 EXCEPT SELECT subnet_id, state, count(*) FROM lease4 WHERE state IN (0, 1) GROUP BY 1, 2)
		UNION ALL
		(SELECT subnet_id, state, count(*) FROM lease4 WHERE state IN (0, 1) GROUP BY 1, 2
		 EXCEPT SELECT subnet_id, state, leases FROM lease4_stat)) d`).Scan(&diff)
	if err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Errorf("lease4_stat differs from the leases in %d rows", diff)
	}
}

// TestContextEnds: a write whose context has ended returns the context's
// error, and a closed store ErrClosed.
func TestContextEnds(t *testing.T) {
	s, err := Open(t.Context(), newDB(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	l := leasetest.Make(1)
	if err := s.Add(ctx, &l, lease.Durable); !errors.Is(err, context.Canceled) {
		t.Errorf("Add with a canceled context = %v", err)
	}
	s.Close()
	if err := s.Add(t.Context(), &l, lease.Durable); !errors.Is(err, lease.ErrClosed) {
		t.Errorf("Add after Close = %v, want ErrClosed", err)
	}
	var got lease.Lease
	if _, err := s.Get(t.Context(), l.Addr, &got); !errors.Is(err, lease.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
}
