package schema

import (
	"database/sql"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
)

// upgradedConn is one session on a kea-admin 14.0 database upgraded to
// 35.0, made as leased's sessions are.
func upgradedConn(t *testing.T) *sql.Conn {
	t.Helper()
	s := mysqltest.Shared(t, mysqltest.Options{})
	db := s.NewDB(t)
	pool := leasedConn(t, db)
	if _, err := Upgrade(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	c, err := pool.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustRun(t *testing.T, c *sql.Conn, q string, args ...any) []string {
	t.Helper()
	rows, err := c.QueryContext(t.Context(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, map[bool]string{true: s.String, false: "NULL"}[s.Valid])
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// TestIncrementV6Prefix: the next prefix of each length, as Go adds
// 2^(128-length), carries across bytes included; a length outside 1 to
// 128 leaves the prefix as it is.
func TestIncrementV6Prefix(t *testing.T) {
	c := upgradedConn(t)
	for _, tc := range []struct {
		addr string
		len  int
	}{
		{"2001:db8::", 64}, {"2001:db8::", 48}, {"2001:db8::", 60}, {"2001:db8::", 61}, {"2001:db8::", 59},
		{"2001:db8::", 1}, {"2001:db8::", 127}, {"2001:db8::ff", 128}, {"2001:db8:0:ffff::", 64},
		{"2001:db8:0:fff0::", 60}, {"::ffff:ffff:ffff:ffff", 128}, {"2001:db8::", 0}, {"2001:db8::", 129},
	} {
		a := netip.MustParseAddr(tc.addr)
		want := a
		if tc.len >= 1 && tc.len <= 128 {
			b := a.As16()
			n := new(big.Int).SetBytes(b[:])
			n.Add(n, new(big.Int).Lsh(big.NewInt(1), uint(128-tc.len)))
			var out [16]byte
			n.FillBytes(out[:])
			want = netip.AddrFrom16(out)
		}
		got := mustRun(t, c, "SELECT INET6_NTOA(incrementV6Prefix(INET6_ATON(?), ?))", tc.addr, tc.len)
		if len(got) != 1 || got[0] != want.String() {
			t.Errorf("incrementV6Prefix(%s, %d) = %q, want %s", tc.addr, tc.len, got, want)
		}
	}
}

// TestSharedFreeLeaseQueue4: a pool's free list holds every address no
// lease holds or whose lease is reclaimed, across more addresses than one
// recursive query makes (the session's limit lowered to 100); picks go
// round the pool from the last one; the lease functions keep the list.
func TestSharedFreeLeaseQueue4(t *testing.T) {
	c := upgradedConn(t)
	const first, last = 3221225985, 3221226234 // 192.0.2.1 - 192.0.2.250
	mustRun(t, c, "SET @kea_recursion_limit = 100")
	mustRun(t, c, `INSERT INTO lease4 (address, hwaddr, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state)
		VALUES (3221225987, UNHEX('020000000001'), 600, '2030-01-01 00:00:00', 1, 0, 0, '', 0),
		       (3221225988, UNHEX('020000000002'), 600, '2020-01-01 00:00:00', 1, 0, 0, '', 2)`)
	mustRun(t, c, "CALL sflqCreateFlqPool4(?, ?, 1, 0)", first, last)
	if got := mustRun(t, c, "SELECT CONCAT_WS(' ', COUNT(*), MIN(address), MAX(address), SUM(address = 3221225987), SUM(address = 3221225988)) FROM free_lease4"); got[0] != "249 3221225985 3221226234 0 1" {
		t.Errorf("free list: count min max held reclaimed = %q, want 249 free, .3 held, .4 free", got)
	}
	if _, err := c.ExecContext(t.Context(), "CALL sflqCreateFlqPool4(?, ?, 1, 0)", first, last); err == nil {
		t.Error("a second pool of the same range without recreate succeeded")
	}
	mustRun(t, c, "CALL sflqCreateFlqPool4(?, ?, 1, 1)", first, last)
	if _, err := c.ExecContext(t.Context(), "CALL sflqCreateFlqPool4(?, ?, 1, 0)", last, first); err == nil || !strings.Contains(err.Error(), "Invalid range: 192.0.2.250 - 192.0.2.1") {
		t.Errorf("a reversed range: %v", err)
	}

	pick := func() string {
		return mustRun(t, c, "SELECT INET_NTOA(sflqPickFreeLease4(?, ?))", first, last)[0]
	}
	var picks []string
	for range 4 {
		picks = append(picks, pick())
	}
	if want := []string{"192.0.2.1", "192.0.2.2", "192.0.2.4", "192.0.2.5"}; !slices.Equal(picks, want) {
		t.Errorf("picks %q, want %q (a pick does not take the address off the list)", picks, want)
	}
	// Taking .6 by sflqInsertLease4 takes it off the list; the next pick
	// passes over it.
	if got := mustRun(t, c, `SELECT sflqInsertLease4(3221225990, UNHEX('020000000006'), NULL, 600, '2030-01-01 00:00:00', 1, 0, 0, '', 0, NULL, NULL, NULL, 0)`); got[0] != "1" {
		t.Errorf("sflqInsertLease4 = %q", got)
	}
	if p := pick(); p != "192.0.2.7" {
		t.Errorf("pick after .6 was taken: %s, want 192.0.2.7", p)
	}
	// Reclaimed by sflqUpdateLease4 (matched by its expiry) it is free
	// again; deleted, too.
	if got := mustRun(t, c, `SELECT sflqUpdateLease4(3221225990, UNHEX('020000000006'), NULL, 600, '2020-01-01 00:00:00', 1, 0, 0, '', 2, NULL, NULL, NULL, 0, 3221225990, '2030-01-01 00:00:00')`); got[0] != "1" {
		t.Errorf("sflqUpdateLease4 = %q", got)
	}
	if got := mustRun(t, c, `SELECT sflqUpdateLease4(3221225990, UNHEX('020000000006'), NULL, 600, '2020-01-01 00:00:00', 1, 0, 0, '', 2, NULL, NULL, NULL, 0, 3221225990, '2031-01-01 00:00:00')`); got[0] != "0" {
		t.Errorf("sflqUpdateLease4 with another expiry = %q, want 0 rows", got)
	}
	if got := mustRun(t, c, "SELECT COUNT(*) FROM free_lease4 WHERE address = 3221225990"); got[0] != "1" {
		t.Error("a reclaimed lease's address is not free")
	}
	if got := mustRun(t, c, "SELECT sflqDeleteLease4(3221225987, '2030-01-01 00:00:00')"); got[0] != "1" {
		t.Errorf("sflqDeleteLease4 = %q", got)
	}
	if got := mustRun(t, c, "SELECT COUNT(*) FROM free_lease4"); got[0] != "250" {
		t.Errorf("after the delete %s addresses are free, want all 250", got[0])
	}
	// Past the pool's end the picks go round to its start.
	mustRun(t, c, "UPDATE flq_pool4 SET last_returned_address = ?", last-1)
	if a, b := pick(), pick(); a != "192.0.2.250" || b != "192.0.2.1" {
		t.Errorf("picks at the end: %s, %s; want 192.0.2.250, 192.0.2.1", a, b)
	}
	if p := mustRun(t, c, "SELECT sflqPickFreeLease4(1, 2)")[0]; p != "0" {
		t.Errorf("a pick from an unknown pool: %s, want 0", p)
	}
}

// TestSharedFreeLeaseQueue6: a pool of prefixes of one length lists each
// prefix no unreclaimed lease holds; picks go round; a pool made again
// with another prefix length is remade.
func TestSharedFreeLeaseQueue6(t *testing.T) {
	c := upgradedConn(t)
	mustRun(t, c, `INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, state)
		VALUES (INET6_ATON('2001:db8:0:1::'), UNHEX('000102'), 600, '2030-01-01 00:00:00', 1, 300, 2, 1, 64, 0, 0, '', 0)`)
	mustRun(t, c, "CALL sflqCreateFlqPool6('2001:db8::', '2001:db8:0:3::', 2, 64, 1, 0)")
	if got := strings.Join(mustRun(t, c, "SELECT address FROM free_lease6 ORDER BY bin_address"), " "); got != "2001:db8:: 2001:db8:0:2:: 2001:db8:0:3::" {
		t.Errorf("free prefixes %q, want all but the leased 2001:db8:0:1::", got)
	}
	pick := func() string {
		return mustRun(t, c, "SELECT sflqPickFreeLease6('2001:db8::', '2001:db8:0:3::')")[0]
	}
	var picks []string
	for range 4 {
		picks = append(picks, pick())
	}
	if want := []string{"2001:db8::", "2001:db8:0:2::", "2001:db8:0:3::", "2001:db8::"}; !slices.Equal(picks, want) {
		t.Errorf("picks %q, want %q", picks, want)
	}
	if p := mustRun(t, c, "SELECT sflqPickFreeLease6('2001:db8:1::', '2001:db8:1::ff')")[0]; p != "::" {
		t.Errorf("a pick from an unknown pool: %s, want ::", p)
	}
	// The same range with /62 prefixes: remade, one prefix, which no
	// lease holds as such.
	mustRun(t, c, "CALL sflqCreateFlqPool6('2001:db8::', '2001:db8:0:3::', 2, 62, 1, 0)")
	if got := mustRun(t, c, "SELECT CONCAT_WS(' ', COUNT(*), (SELECT delegated_len FROM flq_pool6)) FROM free_lease6"); got[0] != "1 62" {
		t.Errorf("after the remake: free count and prefix length %q, want 1 62", got)
	}
	if _, err := c.ExecContext(t.Context(), "CALL sflqCreateFlqPool6('2001:db8::', '2001:db8:0:3::', 2, 0, 1, 0)"); err == nil || !strings.Contains(err.Error(), "Invalid p_delegated_len: 0") {
		t.Errorf("a prefix length of 0: %v", err)
	}
	if got := mustRun(t, c, `SELECT sflqDeleteLease6(INET6_ATON('2001:db8:0:1::'), '2030-01-01 00:00:00')`); got[0] != "1" {
		t.Errorf("sflqDeleteLease6 = %q", got)
	}
	if got := mustRun(t, c, "SELECT COUNT(*) FROM free_lease6 WHERE address = '2001:db8:0:1::'"); got[0] != "1" {
		t.Error("a deleted lease's prefix is not free")
	}
}

// TestDumpAndUpload35: the dump procedures carry the pool and lease6's
// address as text; what the upload procedures take, the dump gives back.
func TestDumpAndUpload35(t *testing.T) {
	c := upgradedConn(t)
	mustRun(t, c, "CALL lease4Upload('192.0.2.9', '02:00:00:00:00:09', '01:02:03', 600, 1893456000, 1, 0, 0, 'a&#x2cb', 0, NULL, 7)")
	mustRun(t, c, "CALL lease6Upload('2001:db8::9', '00:01:02', 600, 1893456000, 1, 300, 0, 5, 128, 0, 0, '', '', 0, NULL, 1, 0, 8)")
	for call, want := range map[string]string{
		"CALL lease4DumpHeader()": "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id",
		"CALL lease6DumpHeader()": "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id",
	} {
		if got := mustRun(t, c, call); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", call, got, want)
		}
	}
	if got, err := runOn(t, c, "CALL lease4DumpData()"); err != nil || len(got) != 1 ||
		got[0] != "192.0.2.9 | 02:00:00:00:00:09 | 01:02:03 | 600 | 1893456000 | 1 | 0 | 0 | a&#x2cb | 0 |  | 7" {
		t.Errorf("lease4DumpData = %q, %v", got, err)
	}
	if got, err := runOn(t, c, "CALL lease6DumpData()"); err != nil || len(got) != 1 ||
		got[0] != "2001:db8::9 | 00:01:02 | 600 | 1893456000 | 1 | 300 | 0 | 5 | 128 | 0 | 0 |  |  | 0 |  | 1 | 0 | 8" {
		t.Errorf("lease6DumpData = %q, %v", got, err)
	}
	if got := mustRun(t, c, "SELECT CONCAT_WS(' ', subnet_id, pool_id, state, leases) FROM lease4_pool_stat"); !slices.Equal(got, []string{"1 7 0 1"}) {
		t.Errorf("lease4_pool_stat after the upload: %q", got)
	}
}
