package memfile

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/leased/leased/lease"
)

// TestIndexesAgainstModel applies random puts and deletes, with few
// distinct identifiers so that chains and probe runs get long, and checks
// every index against a plain model after each step batch.
func TestIndexesAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := newStore(Options{})
	model := map[netip.Addr]lease.Lease{}
	const addrSpace = 3 * chunkSize // more than one chunk
	for step := 0; step < 60000; step++ {
		a := netip.AddrFrom4([4]byte{10, byte(rng.IntN(2)), byte(rng.IntN(addrSpace / 512)), byte(rng.IntN(256))})
		if rng.IntN(3) == 0 {
			if _, ok := model[a]; ok {
				if err := s.Delete(ctx, a, nil, lease.Async); err != nil {
					t.Fatal(err)
				}
				delete(model, a)
			}
			continue
		}
		l := lease.Lease{
			Addr:          a,
			HWAddr:        []byte{byte(rng.IntN(50))},
			ClientID:      []byte{byte(rng.IntN(40)), 1},
			ValidLifetime: uint32(rng.IntN(100)),
			CLTT:          int64(rng.IntN(1000)),
			SubnetID:      uint32(rng.IntN(3)),
			State:         lease.State(rng.IntN(4)),
		}
		if rng.IntN(10) == 0 {
			l.ClientID = nil
		}
		if err := s.Put(ctx, &l, lease.Async); err != nil {
			t.Fatal(err)
		}
		model[a] = l
		if step%5000 == 4999 {
			checkModel(t, s, model, int64(rng.IntN(1100)))
		}
	}
	checkModel(t, s, model, 500)
}

func checkModel(t *testing.T, s *Store, model map[netip.Addr]lease.Lease, now int64) {
	t.Helper()
	if n, _ := s.Len(ctx); n != len(model) {
		t.Fatalf("Len = %d, model %d", n, len(model))
	}
	byHW, byCID := map[string][]netip.Addr{}, map[string][]netip.Addr{}
	var expired []string
	for a, l := range model {
		byHW[string(l.HWAddr)] = append(byHW[string(l.HWAddr)], a)
		if len(l.ClientID) > 0 {
			byCID[string(l.ClientID)] = append(byCID[string(l.ClientID)], a)
		}
		if l.State != lease.StateExpiredReclaimed && l.Expire() <= now {
			expired = append(expired, fmt.Sprintf("%d/%v", l.Expire(), a))
		}
	}
	for k, want := range byHW {
		got, _ := s.FindByHWAddr(ctx, []byte(k))
		slices.SortFunc(want, netip.Addr.Compare)
		if addrsOf(got) != fmt.Sprint(want) {
			t.Fatalf("FindByHWAddr(%x) = %v, want %v", k, addrsOf(got), want)
		}
	}
	for k, want := range byCID {
		got, _ := s.FindByClientID(ctx, []byte(k))
		slices.SortFunc(want, netip.Addr.Compare)
		if addrsOf(got) != fmt.Sprint(want) {
			t.Fatalf("FindByClientID(%x) = %v, want %v", k, addrsOf(got), want)
		}
	}
	got, _ := s.Expired(ctx, now, 0)
	var gotS []string
	for _, l := range got {
		gotS = append(gotS, fmt.Sprintf("%d/%v", l.Expire(), l.Addr))
	}
	slices.Sort(expired)
	slices.Sort(gotS)
	if fmt.Sprint(gotS) != fmt.Sprint(expired) {
		t.Fatalf("Expired(%d): %d leases, model %d", now, len(gotS), len(expired))
	}
	for k := 1; k < len(got); k++ {
		if got[k].Expire() < got[k-1].Expire() {
			t.Fatalf("Expired not in expiry order at %d", k)
		}
	}
	// Stats agree with the model.
	want := map[lease.PoolKey]lease.Counts{}
	for _, l := range model {
		k := lease.PoolKey{SubnetID: l.SubnetID, PoolID: l.PoolID}
		c := want[k]
		c.Add(l.State, 1)
		want[k] = c
	}
	st, _ := s.Stats(ctx)
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Fatalf("Stats = %v, want %v", st, want)
	}
}

func addrsOf(ls []lease.Lease) string {
	out := make([]netip.Addr, len(ls))
	for i := range ls {
		out[i] = ls[i].Addr
	}
	return fmt.Sprint(out)
}
