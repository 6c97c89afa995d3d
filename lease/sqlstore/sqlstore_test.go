package sqlstore

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/leased/leased/lease"
)

func TestCheck(t *testing.T) {
	ok := lease.Lease{Addr: netip.MustParseAddr("192.0.2.1"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 1},
		ValidLifetime: 600, CLTT: 1_800_000_000, SubnetID: 1}
	if err := Check(&ok, false, "13.0"); err != nil {
		t.Fatalf("Check of a valid lease: %v", err)
	}
	rel := ok
	rel.State = lease.StateReleased
	if err := Check(&rel, false, "13.0"); !errors.Is(err, lease.ErrStateUnsupported) {
		t.Errorf("released lease without a released state: %v, want ErrStateUnsupported", err)
	}
	if err := Check(&rel, true, "34.0"); err != nil {
		t.Errorf("released lease with a released state: %v", err)
	}
	cid := ok
	cid.ClientID = []byte{1}
	if err := Check(&cid, false, "13.0"); err == nil {
		t.Error("a one-byte client identifier passed")
	}
	late := ok
	late.CLTT = MaxExpire - 599
	if err := Check(&late, false, "13.0"); err == nil {
		t.Error("an expiry after 2038-01-19 passed")
	}
	inf := ok
	inf.ValidLifetime, inf.CLTT = lease.InfiniteLifetime, MaxExpire
	if err := Check(&inf, false, "13.0"); err != nil || Expire(&inf) != MaxExpire {
		t.Errorf("an infinite lease stores its CLTT %d as expire: %d, %v", inf.CLTT, Expire(&inf), err)
	}
}

func TestRowLease(t *testing.T) {
	r := Row{Addr: 0xc0000205, Valid: 600, Expire: 1_800_000_600, Subnet: 3, State: 1,
		HW: []byte{2, 0, 0, 0, 0, 5}, Fwd: true, Hostname: "h.example.org.", UserContext: `{"a":1}`}
	var l lease.Lease
	if err := r.Lease(&l, func(s uint32, a netip.Addr) uint32 { return s*10 + uint32(a.As4()[3]) }); err != nil {
		t.Fatal(err)
	}
	want := lease.Lease{Addr: netip.MustParseAddr("192.0.2.5"), HWType: lease.HTypeEthernet, HWAddr: r.HW, ClientID: []byte{},
		ValidLifetime: 600, CLTT: 1_800_000_000, SubnetID: 3, PoolID: 35, FQDNFwd: true, Hostname: r.Hostname,
		State: lease.StateDeclined, UserContext: r.UserContext}
	if !l.Equal(&want) || l.PoolID != 35 {
		t.Errorf("read %v pool %d\nwant %v pool 35", &l, l.PoolID, &want)
	}
	r.HasPool, r.Pool = true, 7
	if err := r.Lease(&l, nil); err != nil || l.PoolID != 7 {
		t.Errorf("with a pool column: pool %d, %v; want 7", l.PoolID, err)
	}
	r.Valid, r.Expire = int64(lease.InfiniteLifetime), 1_700_000_000
	if err := r.Lease(&l, nil); err != nil || l.CLTT != 1_700_000_000 {
		t.Errorf("infinite lease: CLTT %d, %v; want the expire column", l.CLTT, err)
	}
	for _, bad := range []Row{{Addr: -1}, {Addr: 1 << 32}, {Addr: 1, Valid: -1}, {Addr: 1, Subnet: 1 << 32}, {Addr: 1, State: 9}} {
		if err := bad.Lease(&l, nil); err == nil {
			t.Errorf("row %+v read without an error", bad)
		}
	}
}

func TestStats(t *testing.T) {
	st := Stats{PoolID: func(_ uint32, a netip.Addr) uint32 { return uint32(a.As4()[3] % 2) }}
	for _, r := range [][4]int64{{1, 0xc0000201, 0, 1}, {1, 0xc0000202, 0, 1}, {1, 0xc0000203, 1, 1}, {2, 0xc0000204, 2, 0}} {
		if err := st.Add(r[0], r[1], r[2], r[3]); err != nil {
			t.Fatal(err)
		}
	}
	want := map[lease.PoolKey]lease.Counts{{SubnetID: 1, PoolID: 1}: {Default: 1, Declined: 1}, {SubnetID: 1, PoolID: 0}: {Default: 1}}
	if len(st.Counts) != len(want) {
		t.Fatalf("counts %v, want %v", st.Counts, want)
	}
	for k, c := range want {
		if st.Counts[k] != c {
			t.Errorf("%+v: %+v, want %+v", k, st.Counts[k], c)
		}
	}
	if err := st.Add(1, 0, 7, 1); err == nil {
		t.Error("state 7 counted without an error")
	}
}
