package schema

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leased/leased/internal/pgtest"
)

// upgraded returns a connection to a database Init made and Upgrade took
// to 34.0. Kea 2.2 has no 34.0 to compare with: the 34.0 functions of
// the shared free lease queue are checked against what Go computes.
func upgraded(t *testing.T) *pgx.Conn {
	t.Helper()
	conn := connect(t, emptyDB(t, pgtest.Shared(t, pgtest.Options{})))
	if err := Init(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	if _, err := Upgrade(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	return conn
}

// one runs q, which returns one text value.
func one(t *testing.T, conn *pgx.Conn, q string, args ...any) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(t.Context(), q, args...).Scan(&s); err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
	return s
}

// TestIPv6Bytes: hextobin, inettobytea, byteatoinet and incrementv6prefix
// agree with Go's strconv, netip and big-number arithmetic.
func TestIPv6Bytes(t *testing.T) {
	conn := upgraded(t)
	for _, s := range []string{"::", "::1", "2001:db8::", "2001:db8::1:0:0:1", "fe80::1:2:3:4", "1::", "0:1::", "::1:0:0:0:0:0:1",
		"1:2:3:4:5:6:7:8", "ab:cd::ef", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:192.0.2.1", "::192.0.2.1"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		if got, want := one(t, conn, "SELECT encode(inettobytea($1::inet), 'hex')", s), fmt.Sprintf("%x", b[:]); got != want {
			t.Errorf("inettobytea(%s) = %s, want %s", s, got, want)
		}
		back := netip.MustParseAddr(one(t, conn, "SELECT host(byteatoinet(decode($1, 'hex')))", fmt.Sprintf("%x", b[:])))
		if back != a {
			t.Errorf("byteatoinet(inettobytea(%s)) = %s", s, back)
		}
	}
	for _, hex := range []string{"", "00", "0001000200030004000500060007000800"} {
		if got := one(t, conn, "SELECT byteatoinet(decode($1, 'hex'))::text", hex); got != "::/128" {
			t.Errorf("byteatoinet(%q) = %s, want ::", hex, got)
		}
	}
	for code := -1; code <= 130; code++ {
		want := int64(-1)
		if code > 0 {
			if v, err := strconv.ParseInt(string(rune(code)), 16, 8); err == nil {
				want = v
			}
		}
		if got := one(t, conn, "SELECT hextobin($1::smallint)::text", code); got != strconv.FormatInt(want, 10) {
			t.Errorf("hextobin(%d) = %s, want %d", code, got, want)
		}
	}
	top := new(big.Int).Lsh(big.NewInt(1), 128)
	for _, hex := range []string{"20010db8000000000000000000000000", "ffffffffffffffffffffffffffffffff", "20010db80000ffff00000000000000ff"} {
		x, _ := new(big.Int).SetString(hex, 16)
		for n := 0; n <= 129; n++ {
			want := hex
			if n >= 1 && n <= 128 {
				next := new(big.Int).Add(x, new(big.Int).Lsh(big.NewInt(1), uint(128-n)))
				want = fmt.Sprintf("%032x", next.Mod(next, top))
			}
			if got := one(t, conn, "SELECT encode(incrementv6prefix(decode($1, 'hex'), $2::smallint), 'hex')", hex, n); got != want {
				t.Errorf("incrementv6prefix(%s, %d) = %s, want %s", hex, n, got, want)
			}
		}
	}
}

// TestFreeLeaseQueue4: a shared-flq pool's queue holds the addresses of
// the range with no lease or a reclaimed one; picks go round-robin; the
// sflq lease writes keep the queue.
func TestFreeLeaseQueue4(t *testing.T) {
	conn := upgraded(t)
	ctx := t.Context()
	exec := func(q string, args ...any) error {
		_, err := conn.Exec(ctx, q, args...)
		return err
	}
	const start, end = 3221226010, 3221226020 // 192.0.2.10-20
	const expire = "2030-01-01 00:00:00+00"
	lease := func(addr int64, state int) string {
		return fmt.Sprintf("SELECT sflqinsertlease4(%d, '\\x02', NULL, 600, '%s', 1, false, false, '', %d, '', NULL, NULL, 1)", addr, expire, state)
	}
	// Leases written before the queue exists: in use, reclaimed, declined.
	for _, q := range []string{lease(start+2, 0), lease(start+5, 2), lease(start+8, 1)} {
		if err := exec(q); err != nil {
			t.Fatal(err)
		}
	}
	free := func() []int64 {
		t.Helper()
		r, err := conn.Query(ctx, "SELECT address FROM free_lease4 ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(r, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := exec("SELECT sflqcreateflqpool4($1, $2, 1, false)", start, end); err != nil {
		t.Fatal(err)
	}
	var want []int64
	for a := int64(start); a <= end; a++ {
		if a != start+2 && a != start+8 {
			want = append(want, a)
		}
	}
	if got := free(); !slices.Equal(got, want) {
		t.Fatalf("free after creating the pool: %v, want %v", got, want)
	}
	if err := exec("SELECT sflqcreateflqpool4($1, $2, 1, false)", start, end); err == nil {
		t.Error("creating the pool again (not recreate) succeeded")
	}
	if err := exec("SELECT sflqcreateflqpool4($1, $2, 1, true)", start, end); err != nil {
		t.Errorf("recreating the pool: %v", err)
	}
	for _, bad := range [][2]int64{{0, 5}, {end, start}} {
		if err := exec("SELECT sflqcreateflqpool4($1, $2, 1, true)", bad[0], bad[1]); err == nil {
			t.Errorf("pool %v made", bad)
		}
	}

	pick := func() int64 {
		t.Helper()
		n, err := strconv.ParseInt(one(t, conn, "SELECT sflqpickfreelease4($1, $2)::text", start, end), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Round-robin over the free addresses, twice around.
	for i := range 2 * len(want) {
		if got := pick(); got != want[i%len(want)] {
			t.Fatalf("pick %d: %d, want %d", i, got, want[i%len(want)])
		}
	}
	if got := one(t, conn, "SELECT sflqpickfreelease4($1, $2)::text", start, end+1); got != "0" {
		t.Errorf("pick from no pool: %s, want 0", got)
	}

	// A lease written takes its address out; reclaimed or deleted puts it back.
	if err := exec(lease(start+3, 0)); err != nil {
		t.Fatal(err)
	}
	update := func(addr int64, state int, whereExpire string) string {
		return one(t, conn, fmt.Sprintf("SELECT sflqupdatelease4(%d, '\\x02', NULL, 600, '2031-01-01 00:00:00+00', 1, false, false, '', %d, '', NULL, NULL, 1, %d, '%s')::text",
			addr, state, addr, whereExpire))
	}
	if got := update(start+2, 2, "2029-01-01 00:00:00+00"); got != "0" {
		t.Errorf("update with another expiry wrote %s leases", got)
	}
	if got := update(start+2, 2, expire); got != "1" {
		t.Errorf("update wrote %s leases", got)
	}
	if got := one(t, conn, "SELECT sflqdeletelease4($1, $2)::text", start+8, expire); got != "1" {
		t.Errorf("delete removed %s leases", got)
	}
	if got := one(t, conn, "SELECT sflqdeletelease4($1, $2)::text", start+8, expire); got != "0" {
		t.Errorf("a second delete removed %s leases", got)
	}
	want = slices.DeleteFunc(slices.Clone(append(want, start+2, start+8)), func(a int64) bool { return a == start+3 })
	slices.Sort(want)
	if got := free(); !slices.Equal(got, want) {
		t.Errorf("free after the writes: %v, want %v", got, want)
	}
	if got := one(t, conn, "SELECT string_agg(concat_ws(' ', pool_id, state, leases), ',' ORDER BY state) FROM lease4_pool_stat"); got != "1 0 1,1 1 0" {
		t.Errorf("pool counts %q, want 1 in use and 0 declined", got)
	}
	// Nothing free after the last pick: from the start again.
	if got := pick(); got != want[0] {
		t.Errorf("pick after the end: %d, want %d", got, want[0])
	}
	if got := pick(); got != want[1] {
		t.Errorf("pick: %d, want %d", got, want[1])
	}
	if err := exec("DELETE FROM free_lease4 WHERE address > $1", want[1]); err != nil {
		t.Fatal(err)
	}
	if got := pick(); got != want[0] {
		t.Errorf("pick with nothing free after the last: %d, want %d", got, want[0])
	}
	// A pool with nothing free.
	if err := exec("DELETE FROM free_lease4"); err != nil {
		t.Fatal(err)
	}
	if got := pick(); got != 0 {
		t.Errorf("pick from a full pool: %d, want 0", got)
	}
}

// TestFreeLeaseQueue6: the same for addresses and delegated prefixes.
func TestFreeLeaseQueue6(t *testing.T) {
	conn := upgraded(t)
	ctx := t.Context()
	exec := func(q string, args ...any) error {
		_, err := conn.Exec(ctx, q, args...)
		return err
	}
	const expire = "2030-01-01 00:00:00+00"
	lease := func(addr string, leaseType, prefixLen, state int) string {
		return fmt.Sprintf("SELECT sflqinsertlease6('%s', '\\x000102', 600, '%s', 1, 300, %d::smallint, 1, %d::smallint, false, false, '', NULL, NULL, NULL, %d, '', 1)",
			addr, expire, leaseType, prefixLen, state)
	}
	for _, q := range []string{lease("2001:db8::12", 0, 128, 0), lease("2001:db8::15", 0, 128, 2), lease("2001:db8:0:105::", 2, 64, 0)} {
		if err := exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// Go's list of the prefixes of a pool, without those in use.
	prefixes := func(from, to string, bits int, used ...string) []string {
		var out []string
		a, last := netip.MustParseAddr(from), netip.MustParseAddr(to)
		step := new(big.Int).Lsh(big.NewInt(1), uint(128-bits))
		for a.Compare(last) <= 0 {
			if !slices.Contains(used, a.String()) {
				out = append(out, a.String())
			}
			b := a.As16()
			n := new(big.Int).Add(new(big.Int).SetBytes(b[:]), step)
			n.FillBytes(b[:])
			a = netip.AddrFrom16(b)
		}
		return out
	}
	free := func(from, to string) []string {
		t.Helper()
		r, err := conn.Query(ctx, "SELECT host(address) FROM free_lease6 WHERE address BETWEEN $1 AND $2 ORDER BY bin_address", from, to)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(r, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, p := range []struct {
		from, to        string
		leaseType, bits int
		used            []string
	}{
		{"2001:db8::10", "2001:db8::1f", 0, 128, []string{"2001:db8::12"}},
		{"2001:db8:0:100::", "2001:db8:0:1ff::", 2, 64, []string{"2001:db8:0:105::"}},
	} {
		if err := exec("SELECT sflqcreateflqpool6($1, $2, $3::smallint, $4::smallint, 1, false)", p.from, p.to, p.leaseType, p.bits); err != nil {
			t.Fatal(err)
		}
		want := prefixes(p.from, p.to, p.bits, p.used...)
		if got := free(p.from, p.to); !slices.Equal(got, want) {
			t.Errorf("free in %s-%s/%d: %d %v, want %d %v", p.from, p.to, p.bits, len(got), got, len(want), want)
		}
		for i := range len(want) + 3 {
			if got := one(t, conn, "SELECT host(sflqpickfreelease6($1, $2))", p.from, p.to); got != want[i%len(want)] {
				t.Fatalf("pick %d from %s-%s: %s, want %s", i, p.from, p.to, got, want[i%len(want)])
			}
		}
	}
	if err := exec("SELECT sflqcreateflqpool6('2001:db8::10', '2001:db8::1f', 0::smallint, 128::smallint, 1, false)"); err == nil {
		t.Error("creating a pool again (not recreate, same length) succeeded")
	}
	// Made anew with another delegated length, the pool takes it.
	if err := exec("SELECT sflqcreateflqpool6('2001:db8:0:100::', '2001:db8:0:1ff::', 2::smallint, 60::smallint, 1, false)"); err != nil {
		t.Errorf("making a pool anew with another length: %v", err)
	}
	if got, want := free("2001:db8:0:100::", "2001:db8:0:1ff::"), prefixes("2001:db8:0:100::", "2001:db8:0:1ff::", 60); !slices.Equal(got, want) {
		t.Errorf("free /60s: %v, want %v", got, want)
	}
	if got := one(t, conn, "SELECT host(sflqpickfreelease6('2001:db8::10', '2001:db8::2f'))"); got != "::" {
		t.Errorf("pick from no pool: %s, want ::", got)
	}
	if got := one(t, conn, "SELECT sflqdeletelease6('2001:db8::12', $1)::text", expire); got != "1" {
		t.Errorf("delete removed %s leases", got)
	}
	if got := one(t, conn, "SELECT sflqupdatelease6('2001:db8::15', '\\x01', 600, $1, 1, 300, 0::smallint, 1, 128::smallint, false, false, '', NULL, NULL, NULL, 0, '', 1, '2001:db8::15', $1)::text", expire); got != "1" {
		t.Errorf("update wrote %s leases", got)
	}
	if got, want := free("2001:db8::10", "2001:db8::1f"), prefixes("2001:db8::10", "2001:db8::1f", 128, "2001:db8::15"); !slices.Equal(got, want) {
		t.Errorf("free after the writes: %v, want %v", got, want)
	}
}
