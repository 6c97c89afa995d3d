package mysql

import (
	"database/sql"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/lease"
)

// TestMeasureCommits counts what MariaDB does per lease written when 32
// writers Add 10,000 leases at once: its global status counters of
// explicit commits and of InnoDB's log writes and syncs, on a private
// server that syncs InnoDB's log at each commit, as a production one does
// (innodb_flush_log_at_trx_commit=1; the test servers sync once a
// second). It measures, it checks nothing: it runs only with
// LEASED_MEASURE_COMMITS=1 (bench/RESULTS.md).
func TestMeasureCommits(t *testing.T) {
	if os.Getenv("LEASED_MEASURE_COMMITS") != "1" {
		t.Skip("a measurement: set LEASED_MEASURE_COMMITS=1")
	}
	const writers, leases = 32, 10000
	srv := mysqltest.New(t, mysqltest.Options{TZ: testTZ})
	d := srv.NewDB(t)
	srv.Admin(t, d.Name, "SET GLOBAL innodb_flush_log_at_trx_commit = 1")
	db := srv.Open(t, d.Name)
	ctx := t.Context()
	names := []string{"Com_commit", "Innodb_log_writes", "Innodb_os_log_fsyncs", "Innodb_data_fsyncs"}
	read := func() map[string]int64 {
		rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('"+strings.Join(names, "', '")+"')")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := map[string]int64{}
		for rows.Next() {
			var name string
			var v sql.NullInt64
			if err := rows.Scan(&name, &v); err != nil {
				t.Fatal(err)
			}
			n[name] = v.Int64
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s, err := Open(ctx, Options{Host: d.Socket, Name: d.Name, User: d.User, Password: d.Password})
	if err != nil {
		t.Fatal(err)
	}
	before := read()
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
	after := read()
	s.Close()
	var b strings.Builder
	for _, n := range names {
		if _, ok := after[n]; ok {
			fmt.Fprintf(&b, ", %s %.3f", n, float64(after[n]-before[n])/leases)
		}
	}
	t.Logf("%d writers, %d leases in %v; per lease%s", writers, leases, took.Round(time.Millisecond), b.String())
}
