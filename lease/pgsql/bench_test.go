package pgsql

import (
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/leased/leased/lease"
)

// BenchmarkAddParallel: durable inserts of new leases from many
// goroutines, committed in groups (the fsync of the test server is off:
// this measures the round trips, not the disk; TestMeasureCommits counts
// the commits and WAL syncs a lease costs).
func BenchmarkAddParallel(b *testing.B) {
	o := newDBB(b)
	s, err := Open(b.Context(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Uint32
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			l := lease.Lease{Addr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), HWType: 1,
				HWAddr: []byte{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}, ValidLifetime: 3600, CLTT: 1_800_000_000, SubnetID: 1}
			if err := s.Add(b.Context(), &l, lease.Durable); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGet: reads of one lease by address.
func BenchmarkGet(b *testing.B) {
	s, err := Open(b.Context(), newDBB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l := lease.Lease{Addr: netip.MustParseAddr("10.0.0.1"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 3600, CLTT: 1_800_000_000, SubnetID: 1}
	if err := s.Add(b.Context(), &l, lease.Durable); err != nil {
		b.Fatal(err)
	}
	var got lease.Lease
	for b.Loop() {
		if ok, err := s.Get(b.Context(), l.Addr, &got); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
