package engine

import (
	"context"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/lease/pgsql"
)

// BenchmarkRestartToServingPostgreSQL1M is BenchmarkRestartToServing1M on
// a PostgreSQL lease-database (Kea's schema 13.0, a private cluster with
// fsync on): 1,000,000 live leases in lease4, rows as kea-dhcp4 writes
// them, and a server started on them: connecting (pgsql.Open checks the
// schema), reading every lease to build the allocators (New), and
// answering a first DISCOVER. It reports the seconds from the start to
// that OFFER.
func BenchmarkRestartToServingPostgreSQL1M(b *testing.B) {
	const n = 1_000_000
	c := pgtest.New(b, pgtest.Options{Fsync: true})
	db := c.NewDB(b)
	// 10.0.0.1 up, as kea-dhcp4 2.2 writes rows: a MAC, a client
	// identifier, the expiry an hour from now.
	// Kea's triggers count every row in lease4_stat, one update of one
	// counter row per insert, which takes many minutes for a million:
	// they are off for the load, and the count is written once.
	c.Admin(b, db.Name, "ALTER TABLE lease4 DISABLE TRIGGER USER", `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context)
		SELECT (10 << 24) + i, '\x525400'::bytea || substring(int4send(i) from 2), '\x01525400'::bytea || substring(int4send(i) from 2),
		       7200, now() + interval '1 hour', 1, false, false, '', 0, ''
		FROM generate_series(1, `+strconv.Itoa(n)+`) AS i`,
		"INSERT INTO lease4_stat (subnet_id, state, leases) VALUES (1, 0, "+strconv.Itoa(n)+")",
		"ALTER TABLE lease4 ENABLE TRIGGER USER", "ANALYZE lease4", "CHECKPOINT")
	cfg := loadConfig(b, `{"Dhcp4": {"valid-lifetime": 7200,
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.1 - 10.255.255.254"}]}]}}`)
	opts := pgsql.Options{Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password}
	ctx := context.Background()
	for b.Loop() {
		start := time.Now()
		st, err := pgsql.Open(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		srv, err := New(ctx, cfg, st, nil)
		if err != nil {
			b.Fatal(err)
		}
		req, _ := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: []byte{2, 0, 0, 0, 0, 1},
			GIAddr: netip.MustParseAddr("10.0.0.1")}).MustBuild())
		rec := dhcptest.NewRecorder(req)
		srv.ServeDHCP(rec, req)
		took := time.Since(start)
		rep, _ := rec.Result()
		if rep == nil || rep.Packet.MessageType() != dhcpv4.Offer {
			b.Fatal("the restarted server does not answer")
		}
		if a := rep.Packet.YIAddr(); a.Compare(netip.MustParseAddr("10.15.66.64")) <= 0 {
			b.Fatalf("offered %v, which a lease holds", a)
		}
		b.ReportMetric(took.Seconds(), "s/restart")
		st.Close()
	}
}
