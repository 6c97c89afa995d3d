package memfile

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/lease"
)

// benchLease is a typical lease: Ethernet address, client id, a short
// hostname, no user context. i up to 2^24 gives distinct addresses.
func benchLease(i int) lease.Lease {
	return lease.Lease{
		Addr:          netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
		HWType:        1,
		HWAddr:        []byte{0x52, 0x54, 0, byte(i >> 16), byte(i >> 8), byte(i)},
		ClientID:      []byte{1, 0x52, 0x54, 0, byte(i >> 16), byte(i >> 8), byte(i)},
		ValidLifetime: 4000,
		CLTT:          1_700_000_000 + int64(i%1000),
		SubnetID:      1 + uint32(i>>16),
		Hostname:      fmt.Sprintf("host-%07d", i),
	}
}

func benchOptions(b *testing.B) Options {
	return Options{
		Path:    filepath.Join(b.TempDir(), "leases4"),
		Persist: true,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// BenchmarkCommit measures durable writes (fsync on) from concurrent
// writers, as DHCPACKs issue them: each Put returns only when its record
// is on disk. leases/fsync shows how many writers shared each fsync.
func BenchmarkCommit(b *testing.B) {
	for _, writers := range []int{1, 4, 16, 64, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, err := Open(benchOptions(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1))
						if i > b.N {
							return
						}
						l := benchLease(i % (1 << 20))
						if err := s.Put(ctx, &l, lease.Durable); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			c := s.Counters()
			b.ReportMetric(float64(b.N)/el.Seconds(), "leases/s")
			if c.Syncs > 0 {
				b.ReportMetric(float64(c.Records)/float64(c.Syncs), "leases/fsync")
			}
		})
	}
}

// BenchmarkPutAsync measures the request path without waiting for the
// disk: the in-memory update and the journal append (offers).
func BenchmarkPutAsync(b *testing.B) {
	s, err := Open(benchOptions(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ls := make([]lease.Lease, 1<<16)
	for i := range ls {
		ls[i] = benchLease(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l := &ls[i%len(ls)]
			if err := s.Put(ctx, l, lease.Async); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkGetByClientID measures the lookup a DISCOVER makes, reusing one
// Lease per goroutine.
func BenchmarkGetByClientID(b *testing.B) {
	s, _ := Open(Options{})
	const n = 1 << 16
	ls := make([]lease.Lease, n)
	for i := range ls {
		ls[i] = benchLease(i)
		s.Put(ctx, &ls[i], lease.Async)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var l lease.Lease
		i := 0
		for pb.Next() {
			q := &ls[i%n]
			if ok, _ := s.GetByClientID(ctx, q.SubnetID, q.ClientID, &l); !ok {
				b.Error("not found")
				return
			}
			i++
		}
	})
}

// BenchmarkRestart1M builds a store of 1,000,000 leases (a snapshot plus
// a journal of 100,000 renewals), then measures Open (load the snapshot,
// replay the journal, ready to serve) and the heap the leases occupy.
// Run it alone: go test -run '^$' -bench Restart1M -benchtime 3x.
func BenchmarkRestart1M(b *testing.B) {
	const n = 1_000_000
	opts := benchOptions(b)
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		l := benchLease(i)
		if err := s.Put(ctx, &l, lease.Async); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 10 {
		l := benchLease(i)
		l.CLTT += 2000
		s.Put(ctx, &l, lease.Async)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		s, err := Open(opts)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if c, _ := s.Len(ctx); c != n {
			b.Fatalf("loaded %d leases", c)
		}
		b.ReportMetric(took.Seconds(), "s/open")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/lease")
		s.Close()
		b.StartTimer()
	}
}
