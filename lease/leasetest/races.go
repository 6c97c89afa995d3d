package leasetest

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/leased/leased/lease"
)

// The races below are what a store shared by several servers (several
// writers at once, lease.Shared) must decide one way: the SQL stores run
// them against their group commit.

// ManyWriters: many concurrent writers of s, an empty store, each Add
// returning once its lease is stored, and every lease reading back. mk
// makes the i-th lease as the store reads it back.
func ManyWriters(t *testing.T, s lease.Store, mk func(i int) lease.Lease) {
	t.Helper()
	ctx := t.Context()
	const writers, each = 32, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				l := mk(1 + w*each + j)
				if err := s.Add(ctx, &l, lease.Durable); err != nil {
					t.Error(err)
					return
				}
				var got lease.Lease
				if ok, err := s.Get(ctx, l.Addr, &got); !ok || err != nil || !got.Equal(&l) {
					t.Errorf("Get(%v) after its Add: %v, %v, %v", l.Addr, &got, ok, err)
				}
			}
		}()
	}
	wg.Wait()
	if n, err := s.Len(ctx); n != writers*each || err != nil {
		t.Fatalf("Len = %d, %v; want %d", n, err, writers*each)
	}
}

// AddRace: writers Add leases of one address to s at once; exactly one
// wins, the others get ErrExists, and the row is the winner's.
func AddRace(t *testing.T, s lease.Store, mk func(i int) lease.Lease) {
	t.Helper()
	ctx := t.Context()
	for a := range 5 {
		const racers = 16
		errs := make([]error, racers)
		ls := make([]lease.Lease, racers)
		var wg sync.WaitGroup
		for i := range racers {
			ls[i] = mk(100 + i)
			ls[i].Addr = netip.AddrFrom4([4]byte{10, 9, 0, byte(a)})
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.Add(ctx, &ls[i], lease.Durable) }()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("%v: Adds %d and %d both won", ls[i].Addr, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, lease.ErrExists):
				t.Errorf("%v: Add %d: %v, want ErrExists", ls[i].Addr, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("%v: no Add won", ls[0].Addr)
		}
		var got lease.Lease
		if ok, err := s.Get(ctx, ls[winner].Addr, &got); !ok || err != nil || !got.Equal(&ls[winner]) {
			t.Errorf("stored %v (%v, %v), want the winner's %v", &got, ok, err, &ls[winner])
		}
	}
}

// UpdateRace: writers who read the same lease of s update it at once
// (guarded by what they read); exactly one wins, the others get
// ErrConflict. So do guarded Deletes racing with them.
func UpdateRace(t *testing.T, s lease.Store, mk func(i int) lease.Lease) {
	t.Helper()
	ctx := t.Context()
	prev := mk(1)
	if err := s.Add(ctx, &prev, lease.Durable); err != nil {
		t.Fatal(err)
	}
	const racers = 16
	errs := make([]error, racers+1)
	ls := make([]lease.Lease, racers)
	var wg sync.WaitGroup
	for i := range racers {
		ls[i] = prev
		ls[i].Hostname = fmt.Sprintf("racer-%d", i)
		ls[i].CLTT += int64(i + 1)
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Update(ctx, &prev, &ls[i], lease.Durable) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); errs[racers] = s.Delete(ctx, prev.Addr, &prev, lease.Durable) }()
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, lease.ErrConflict) && !errors.Is(err, lease.ErrNotFound):
			t.Errorf("writer %d: %v, want ErrConflict", i, err)
		case errors.Is(err, lease.ErrNotFound) && winner != racers && errs[racers] != nil:
			t.Errorf("writer %d: %v, but the Delete did not win", i, err)
		}
	}
	var got lease.Lease
	ok, err := s.Get(ctx, prev.Addr, &got)
	switch {
	case winner < 0:
		t.Fatal("no writer won")
	case err != nil:
		t.Fatal(err)
	case winner == racers && ok:
		t.Errorf("the Delete won but the lease is there: %v", &got)
	case winner < racers && (!ok || !got.Equal(&ls[winner])):
		t.Errorf("stored %v (%v), want the winner's %v", &got, ok, &ls[winner])
	}
}
