package pgsql

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
	"github.com/leased/leased/lease/pgsql/schema"
)

// newDB34 is newDB upgraded to Kea 3.x's schema 34.0.
func newDB34(t *testing.T) Options {
	t.Helper()
	o := newDB(t)
	conn := connect(t, o.Name)
	defer conn.Close(context.Background())
	if _, err := schema.Upgrade(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestConformance34 runs the suite on schema 34.0, which keeps each
// lease's pool (Options.PoolID, set here, must not be what gives it) and
// has released leases.
func TestConformance34(t *testing.T) {
	leasetest.RunOptions(t, func(t *testing.T) lease.Store {
		o := newDB34(t)
		o.PoolID = func(uint32, netip.Addr) uint32 { return 99 }
		s, err := Open(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, leasetest.Options{})
}

// TestSchema34Columns: a lease written on 34.0 has its pool in pool_id
// and the relay and remote identifiers of its relay information in
// relay_id and remote_id (NULL without them, as Kea 3.x writes); the
// triggers count it in lease4_pool_stat, where Stats reads it.
func TestSchema34Columns(t *testing.T) {
	o := newDB34(t)
	s := openStore(t, o)
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
		if err := s.Add(ctx, &leases[i], lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	conn := connect(t, o.Name)
	defer conn.Close(context.Background())
	for addr, want := range map[string]string{
		"192.0.2.10": "c0000201 aabbccdd 5 0",
		"192.0.2.11": "NULL NULL 5 0",
		"192.0.2.12": "NULL NULL 6 3",
	} {
		var got string
		err := conn.QueryRow(ctx, `SELECT concat_ws(' ', coalesce(encode(relay_id, 'hex'), 'NULL'), coalesce(encode(remote_id, 'hex'), 'NULL'), pool_id, state) FROM lease4 WHERE address = $1`,
			addrInt(netip.MustParseAddr(addr))).Scan(&got)
		if err != nil || got != want {
			t.Errorf("%s: relay_id remote_id pool_id state = %q (%v), want %q", addr, got, err, want)
		}
	}
	var counted int64
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(leases), 0) FROM lease4_pool_stat WHERE subnet_id = 1 AND pool_id = 5 AND state = 0`).Scan(&counted); err != nil || counted != 2 {
		t.Errorf("lease4_pool_stat counts %d leases of pool 5 (%v), want 2", counted, err)
	}
	st, err := s.Stats(ctx)
	want := map[lease.PoolKey]lease.Counts{{SubnetID: 1, PoolID: 5}: {Default: 2}, {SubnetID: 1, PoolID: 6}: {Released: 1}}
	if err != nil || len(st) != len(want) || st[lease.PoolKey{SubnetID: 1, PoolID: 5}] != want[lease.PoolKey{SubnetID: 1, PoolID: 5}] ||
		st[lease.PoolKey{SubnetID: 1, PoolID: 6}] != want[lease.PoolKey{SubnetID: 1, PoolID: 6}] {
		t.Errorf("Stats = %v, %v; want %v", st, err, want)
	}
	// A renewal moving the lease to another pool moves its count.
	moved := leases[0].Clone()
	moved.PoolID = 7
	if err := s.Update(ctx, &leases[0], &moved, lease.Durable); err != nil {
		t.Fatal(err)
	}
	var got lease.Lease
	if ok, err := s.Get(ctx, moved.Addr, &got); !ok || err != nil || got.PoolID != 7 {
		t.Errorf("Get after the move: pool %d (%v, %v), want 7", got.PoolID, ok, err)
	}
	if st, err := s.Stats(ctx); err != nil || st[lease.PoolKey{SubnetID: 1, PoolID: 7}].Default != 1 || st[lease.PoolKey{SubnetID: 1, PoolID: 5}].Default != 1 {
		t.Errorf("Stats after the move = %v, %v", st, err)
	}
}

// TestOpenRefuses34: a 34.0 database whose lease4 is not 34.0's, a 13.0
// table claiming 34.0, and one a Kea 3.x server runs shared-flq on.
func TestOpenRefuses34(t *testing.T) {
	for name, c := range map[string]struct {
		setup []string
		want  string
	}{
		"13.0 table as 34.0":   {[]string{"UPDATE schema_version SET version = 34"}, "no column"},
		"shared-flq":           {[]string{"UPGRADE", "INSERT INTO flq_pool4 (start_address, end_address, subnet_id) VALUES (3221226084, 3221226183, 1)"}, "shared-flq"},
		"column type changed":  {[]string{"UPGRADE", "ALTER TABLE lease4 ALTER COLUMN pool_id TYPE integer"}, "pool_id is integer"},
		"29.0 (Kea 3.0) as is": {[]string{"UPGRADE", "UPDATE schema_version SET version = 29"}, "29.0"},
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			o := newDB(t)
			for _, q := range c.setup {
				if q == "UPGRADE" {
					o = newDB34(t)
					continue
				}
				admin(t, o.Name, q)
			}
			s, err := Open(t.Context(), o)
			if err == nil {
				s.Close()
				t.Fatalf("Open succeeded, want an error saying %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open: %v\nwant it to say %q", err, c.want)
			}
		})
	}
}
