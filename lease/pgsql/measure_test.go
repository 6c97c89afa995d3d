package pgsql

import (
	"context"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/lease"
)

// TestMeasureCommits counts what PostgreSQL does per lease written when 32
// writers Add 10,000 leases at once: the transactions committed
// (pg_stat_database.xact_commit), the WAL writes and syncs (pg_stat_wal),
// on a private cluster with fsync on. It measures, it checks nothing: it
// runs only with LEASED_MEASURE_COMMITS=1 (bench/RESULTS.md).
func TestMeasureCommits(t *testing.T) {
	if os.Getenv("LEASED_MEASURE_COMMITS") != "1" {
		t.Skip("a measurement: set LEASED_MEASURE_COMMITS=1")
	}
	const writers, leases = 32, 10000
	c := pgtest.New(t, pgtest.Options{TZ: testTZ, Fsync: true})
	d := c.NewDB(t)
	conn := c.Connect(t, "postgres")
	ctx := t.Context()
	type counts struct{ commits, walWrites, walSyncs int64 }
	read := func() counts {
		// The server's statistics of other sessions reach this one
		// within a second or so of their end.
		time.Sleep(2 * time.Second)
		if _, err := conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
			t.Fatal(err)
		}
		var n counts
		if err := conn.QueryRow(ctx, "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = $1), wal_write, wal_sync FROM pg_stat_wal", d.Name).Scan(&n.commits, &n.walWrites, &n.walSyncs); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := read()
	s, err := Open(context.Background(), Options{Host: d.Host, Port: d.Port, Name: d.Name, User: d.User, Password: d.Password})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < leases; i += writers {
				l := lease.Lease{Addr: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), HWType: 1,
					HWAddr: []byte{2, 0, 0, 1, byte(i >> 8), byte(i)}, ValidLifetime: 3600, CLTT: 1_800_000_000, SubnetID: 1}
				if err := s.Add(ctx, &l, lease.Durable); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	s.Close() // its sessions end, and report their statistics
	after := read()
	per := func(a, b int64) float64 { return float64(b-a) / leases }
	t.Logf("%d writers, %d leases in %v: per lease %.3f commits (xact_commit), %.3f WAL writes, %.3f WAL syncs",
		writers, leases, took.Round(time.Millisecond), per(before.commits, after.commits),
		per(before.walWrites, after.walWrites), per(before.walSyncs, after.walSyncs))
}
