package schema

import (
	"database/sql"
	"net/netip"
	"strings"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
	"github.com/leased/leased/lease/mysql"
)

// upgradedDB returns a database kea-admin made at 14.0, upgraded to 35.0
// by Upgrade, and a connection to it.
func upgradedDB(t *testing.T, s *mysqltest.Server) (mysql.Options, *sql.DB) {
	t.Helper()
	db := s.NewDB(t)
	if _, err := Upgrade(t.Context(), leasedConn(t, db)); err != nil {
		t.Fatal(err)
	}
	return mysql.Options{Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password}, s.Open(t, db.Name)
}

// TestStoreOn35: lease/mysql's store passes the lease store suite on a
// database upgraded to 35.0, which keeps each lease's pool (PoolID, set
// here, must not be what gives it) and has released leases.
func TestStoreOn35(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	o, conn := upgradedDB(t, s)
	o.PoolID = func(uint32, netip.Addr) uint32 { return 99 }
	leasetest.RunOptions(t, func(t *testing.T) lease.Store {
		if _, err := conn.Exec("DELETE FROM lease4"); err != nil {
			t.Fatal(err)
		}
		st, err := mysql.Open(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, leasetest.Options{})
}

// TestStore35Columns: a lease written on 35.0 has its pool in pool_id and
// the relay and remote identifiers of its relay information in relay_id
// and remote_id (NULL without them); the triggers count it in
// lease4_pool_stat, where Stats reads it, and move the count when a
// renewal moves it to another pool.
func TestStore35Columns(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	o, conn := upgradedDB(t, s)
	st, err := mysql.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	leases := []lease.Lease{
		{Addr: netip.MustParseAddr("192.0.2.10"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 600,
			CLTT: 1_800_000_000, SubnetID: 1, PoolID: 5,
			UserContext: `{"ISC":{"relay-agent-info":{"sub-options":"0x0104AABBCCDD0204C0000201","remote-id":"AABBCCDD","relay-id":"C0000201"}}}`},
		{Addr: netip.MustParseAddr("192.0.2.11"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 2}, ValidLifetime: 600,
			CLTT: 1_800_000_000, SubnetID: 1, PoolID: 5, UserContext: `{"ISC":{"relay-agent-info":"0x0104AABBCCDD"}}`},
		{Addr: netip.MustParseAddr("192.0.2.12"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 3}, ValidLifetime: 600,
			CLTT: 1_800_000_000, SubnetID: 1, PoolID: 6, State: lease.StateReleased},
	}
	for i := range leases {
		if err := st.Add(ctx, &leases[i], lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	for addr, want := range map[string]string{
		"192.0.2.10": "C0000201 AABBCCDD 5 0",
		"192.0.2.11": "NULL NULL 5 0",
		"192.0.2.12": "NULL NULL 6 3",
	} {
		got := queryLines(t, conn, `SELECT CONCAT_WS(' ', COALESCE(HEX(relay_id), 'NULL'), COALESCE(HEX(remote_id), 'NULL'), pool_id, state) FROM lease4 WHERE address = INET_ATON(?)`, addr)
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: relay_id remote_id pool_id state = %q, want %q", addr, got, want)
		}
	}
	if got := queryLines(t, conn, `SELECT CONCAT_WS(' ', pool_id, state, leases) FROM lease4_pool_stat WHERE subnet_id = 1 AND leases > 0 ORDER BY pool_id`); strings.Join(got, ",") != "5 0 2" {
		t.Errorf("lease4_pool_stat: %q, want pool 5 with 2 leases of state 0 (a released one is not counted there)", got)
	}
	k5, k6, k7 := lease.PoolKey{SubnetID: 1, PoolID: 5}, lease.PoolKey{SubnetID: 1, PoolID: 6}, lease.PoolKey{SubnetID: 1, PoolID: 7}
	if c, err := st.Stats(ctx); err != nil || len(c) != 2 || c[k5] != (lease.Counts{Default: 2}) || c[k6] != (lease.Counts{Released: 1}) {
		t.Errorf("Stats = %v, %v; want pool 5: 2 assigned, pool 6: 1 released", c, err)
	}
	moved := leases[0].Clone()
	moved.PoolID = 7
	if err := st.Update(ctx, &leases[0], &moved, lease.Durable); err != nil {
		t.Fatal(err)
	}
	var got lease.Lease
	if ok, err := st.Get(ctx, moved.Addr, &got); !ok || err != nil || got.PoolID != 7 {
		t.Errorf("Get after the move: pool %d (%v, %v), want 7", got.PoolID, ok, err)
	}
	if c, err := st.Stats(ctx); err != nil || c[k7].Default != 1 || c[k5].Default != 1 {
		t.Errorf("Stats after the move = %v, %v; want one assigned lease in pools 5 and 7", c, err)
	}
}

// TestOpenRefuses35: the store refuses a version it does not know, naming
// it and the ones it knows; a 14.0 table claiming 35.0; and a 35.0
// database a Kea 3.x server runs shared-flq on.
func TestOpenRefuses35(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	for name, c := range map[string]struct {
		upgrade bool
		setup   string
		want    []string
	}{
		"unknown version": {true, "UPDATE schema_version SET version = 29", []string{"29.0", "14.0", "35.0"}},
		"14.0 as 35.0":    {false, "UPDATE schema_version SET version = 35", []string{"no column"}},
		"shared-flq":      {true, "INSERT INTO flq_pool4 (start_address, end_address, subnet_id) VALUES (3221226084, 3221226183, 1)", []string{"shared-flq"}},
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			db := s.NewDB(t)
			if c.upgrade {
				if _, err := Upgrade(t.Context(), leasedConn(t, db)); err != nil {
					t.Fatal(err)
				}
			}
			s.Admin(t, db.Name, c.setup)
			st, err := mysql.Open(t.Context(), mysql.Options{Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password})
			if err == nil {
				st.Close()
				t.Fatalf("Open succeeded, want an error saying %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open: %v\nwant it to say %q", err, w)
				}
			}
		})
	}
}
