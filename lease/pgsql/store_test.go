package pgsql

import (
	"net/netip"
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
