package schema

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/leased/leased/internal/mysqltest"
)

// pair is one session on a database kea-admin made and one on a database
// Init made, which the same statements run on.
type pair struct {
	t         *testing.T
	kea, ours *sql.Conn
}

func newPair(t *testing.T) *pair {
	t.Helper()
	s := mysqltest.Shared(t, mysqltest.Options{})
	keaDB := s.NewDB(t)
	_, ours := initDB(t, s)
	p := &pair{t: t}
	var err error
	if p.kea, err = s.Open(t, keaDB.Name).Conn(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kea.Close() })
	if p.ours, err = ours.Conn(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.ours.Close() })
	// NOW() is one instant in both sessions.
	p.exec("SET timestamp = 1767225600")
	return p
}

// outcome is what a statement did: its error's number and SQLSTATE (not
// its wording, which is our own), or its rows.
func outcome(rows []string, err error) string {
	var my *mysql.MySQLError
	switch {
	case errors.As(err, &my):
		return fmt.Sprintf("error %d (%s)", my.Number, string(my.SQLState[:]))
	case err != nil:
		return "error " + err.Error()
	}
	return strings.Join(rows, "\n")
}

func runOn(t *testing.T, c *sql.Conn, q string) ([]string, error) {
	rows, err := c.QueryContext(t.Context(), q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var parts []string
		for _, v := range vals {
			parts = append(parts, map[bool]string{true: v.String, false: "NULL"}[v.Valid])
		}
		lines = append(lines, strings.Join(parts, " | "))
	}
	return lines, rows.Err()
}

// exec runs q on both, which must both succeed.
func (p *pair) exec(q string) {
	p.t.Helper()
	for _, c := range []*sql.Conn{p.kea, p.ours} {
		if _, err := runOn(p.t, c, q); err != nil {
			p.t.Fatalf("%s: %v", q, err)
		}
	}
}

// same runs q on both and fails unless both did the same (the same rows,
// or errors of the same number). It returns the rows.
func (p *pair) same(q string) []string {
	p.t.Helper()
	kr, kerr := runOn(p.t, p.kea, q)
	or, oerr := runOn(p.t, p.ours, q)
	if kerr != nil {
		// Failures are part of the behaviour compared; go test -v lists them.
		p.t.Logf("%s: fails: %v", q, kerr)
	}
	if k, o := outcome(kr, kerr), outcome(or, oerr); k != o {
		p.t.Errorf("%s:\nkea-admin's database: %s (%v)\nInit's: %s (%v)", q, k, kerr, o, oerr)
	}
	return kr
}

// steps runs each statement on both and after each compares the results
// of the checks.
func (p *pair) steps(stmts []string, checks []string) {
	p.t.Helper()
	for _, q := range stmts {
		p.same(q)
		for _, c := range checks {
			if got := p.same(c); p.t.Failed() {
				p.t.Fatalf("after %s, %s: %q", q, c, got)
			}
		}
	}
}

var statChecks = []string{
	"SELECT * FROM lease4_stat ORDER BY subnet_id, state",
	"SELECT * FROM lease6_stat ORDER BY subnet_id, lease_type, state",
	"SELECT * FROM lease4_stat_by_client_class ORDER BY client_class",
	"SELECT * FROM lease6_stat_by_client_class ORDER BY client_class, lease_type",
}

func lease4(addr, subnet, state int, uc string) string {
	return fmt.Sprintf("INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (%d, x'0a0b0c0d0e0f', x'01', 3600, '2026-12-01 10:00:00', %d, 1, 0, 'a,b', %d, %s)", addr, subnet, state, uc)
}

func lease6(addr string, typ, subnet, state int, uc string) string {
	return fmt.Sprintf("INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context) VALUES ('%s', x'000100012233', 3600, '2026-12-01 10:00:00', %d, 1800, %d, 7, %d, 0, 1, 'h', x'0a0b0c', 1, 4, %d, %s)", addr, subnet, typ, map[bool]int{true: 56, false: 128}[typ == 2], state, uc)
}

// TestLeaseCounts: the same inserts, updates and deletes of leases leave
// the same counts by subnet, type, state and client class.
func TestLeaseCounts(t *testing.T) {
	p := newPair(t)
	classes := func(c ...string) string {
		return `'{"ISC": {"client-classes": ["` + strings.Join(c, `", "`) + `"]}}'`
	}
	p.steps([]string{
		lease4(1, 1, 0, "NULL"), lease4(2, 1, 0, "NULL"), lease4(3, 1, 1, "NULL"), lease4(4, 1, 2, "NULL"),
		lease4(5, 2, 0, classes("a", "b")), lease4(6, 2, 0, classes("a")), lease4(7, 2, 1, classes("c")),
		lease4(8, 3, 0, classes("d", "d")), lease4(9, 3, 0, "'not json'"), lease4(10, 3, 0, "''"),
		lease4(11, 3, 0, `'{"ISC": {"other": 1}}'`),
		lease4(12, 3, 0, `'{"ISC": {"client-classes": []}}'`),
		lease4(13, 3, 0, `'{"ISC": {"client-classes": "s"}}'`),
		lease4(14, 3, 0, `'{"ISC": {"client-classes": {"x": 1}}}'`),
		lease4(15, 3, 0, `'{"ISC": {"client-classes": [1, "b", null, {"y": 2}]}}'`),
		"DELETE FROM lease4 WHERE address BETWEEN 12 AND 15",
		"UPDATE lease4 SET state = 1 WHERE address = 1",
		"UPDATE lease4 SET state = 2 WHERE address = 1",
		"UPDATE lease4 SET subnet_id = 5 WHERE address = 2",
		"UPDATE lease4 SET valid_lifetime = 100 WHERE address = 5",
		"UPDATE lease4 SET user_context = " + classes("b", "e") + " WHERE address = 6",
		"UPDATE lease4 SET user_context = " + classes("f") + " WHERE address = 9",
		"UPDATE lease4 SET user_context = NULL WHERE address = 8",
		"UPDATE lease4 SET state = 1, user_context = " + classes("g") + " WHERE address = 11",
		"UPDATE lease4 SET state = 0 WHERE address = 11",
		"UPDATE lease4 SET state = 0, subnet_id = 9 WHERE address IN (3, 4, 7)",
		"DELETE FROM lease4 WHERE address = 5",
		"UPDATE lease4_stat SET leases = 0 WHERE subnet_id = 9",
		"UPDATE lease4_stat_by_client_class SET leases = 0 WHERE client_class = 'c'",
		"DELETE FROM lease4 WHERE address IN (3, 7)",
		"DELETE FROM lease4 WHERE address = 4",
		lease6("2001:db8::1", 0, 1, 0, "NULL"), lease6("2001:db8::2", 1, 1, 0, "NULL"),
		lease6("2001:db8:1::", 2, 1, 0, classes("p")), lease6("2001:db8::3", 0, 1, 1, classes("a")),
		lease6("2001:db8::4", 0, 2, 0, classes("a", "p")), lease6("2001:db8::5", 0, 2, 2, classes("a")),
		"UPDATE lease6 SET lease_type = 2 WHERE address = '2001:db8::4'",
		"UPDATE lease6 SET state = 0 WHERE address IN ('2001:db8::3', '2001:db8::5')",
		"UPDATE lease6 SET subnet_id = 3, user_context = " + classes("q") + " WHERE address = '2001:db8:1::'",
		"UPDATE lease6 SET state = 1 WHERE address = '2001:db8::1'",
		"DELETE FROM lease6 WHERE address IN ('2001:db8::2', '2001:db8::3')",
		"DELETE FROM lease6",
		"DELETE FROM lease4",
	}, statChecks)
}

// TestLimits: checkLease4Limits and checkLease6Limits name the same first
// exceeded limit as kea-admin's, or none.
func TestLimits(t *testing.T) {
	p := newPair(t)
	classes := `'{"ISC": {"client-classes": ["gold", "silver"]}}'`
	p.exec(lease4(1, 1, 0, classes))
	p.exec(lease4(2, 1, 0, `'{"ISC": {"client-classes": ["gold"]}}'`))
	p.exec(lease4(3, 2, 1, "NULL"))
	p.exec(lease6("2001:db8::1", 0, 1, 0, classes))
	p.exec(lease6("2001:db8:1::", 2, 1, 0, classes))
	p.exec(lease6("2001:db8:2::", 2, 1, 0, "NULL"))
	for _, uc := range []string{
		`NULL`, `''`, `'not json'`, `'{}'`, `'{"ISC": {}}'`,
		`'{"ISC": {"limits": {"client-classes": [{"name": "gold", "address-limit": 2}]}}}'`,
		`'{"ISC": {"limits": {"client-classes": [{"name": "gold", "address-limit": 3}]}}}'`,
		`'{"ISC": {"limits": {"client-classes": [{"name": "bronze", "address-limit": 0}]}}}'`,
		`'{"ISC": {"limits": {"client-classes": [{"name": "silver", "address-limit": 5}, {"name": "gold", "address-limit": 1}, {"name": "silver", "address-limit": 1}]}}}'`,
		`'{"ISC": {"limits": {"client-classes": [{"name": "silver"}, {"name": "gold", "prefix-limit": 1}]}}}'`,
		`'{"ISC": {"limits": {"client-classes": [{"name": "gold", "prefix-limit": 1, "address-limit": 1}]}}}'`,
		`'{"ISC": {"limits": {"subnet": {"id": 1, "address-limit": 2}}}}'`,
		`'{"ISC": {"limits": {"subnet": {"id": 1, "address-limit": 3}}}}'`,
		`'{"ISC": {"limits": {"subnet": {"id": 2, "address-limit": 0}}}}'`,
		`'{"ISC": {"limits": {"subnet": {"id": 1, "prefix-limit": 2}}}}'`,
		`'{"ISC": {"limits": {"subnet": {"id": 1, "prefix-limit": 3, "address-limit": 1}}}}'`,
		`'{"ISC": {"limits": {"subnet": {"address-limit": 0}}}}'`,
		`'{"ISC": {"limits": {"client-classes": [{"name": "gold", "address-limit": 9}], "subnet": {"id": 1, "address-limit": 1}}}}'`,
	} {
		for _, f := range []string{"checkLease4Limits", "checkLease6Limits"} {
			p.same("SELECT " + f + "(" + uc + ")")
		}
	}
}

// TestDumpAndUpload: the dump procedures print the same header and rows
// (kea-admin lease-dump's CSV), the upload procedures store the same rows
// from them, and colonSeparatedHex and isJsonSupported answer the same.
func TestDumpAndUpload(t *testing.T) {
	p := newPair(t)
	for _, h := range []string{"NULL", "''", "'A'", "'0A'", "'ABC'", "'0102030405'", "'" + strings.Repeat("F", 64) + "'"} {
		p.same("SELECT colonSeparatedHex(" + h + ")")
	}
	p.same("SELECT isJsonSupported()")
	p.exec(lease4(167772161, 1, 0, `'{"a": 1, "b": 2}'`))
	p.exec("INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (167772162, '', NULL, 0, '2026-12-01 11:00:00', 2, 0, 0, '', 1, NULL)")
	p.exec(lease6("2001:db8::1", 0, 1, 0, `'{"x": [1,2]}'`))
	p.exec("INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context) VALUES ('2001:db8::2', x'01', 0, '2026-12-01 10:00:00', 1, 0, 0, 1, 128, 0, 0, '', NULL, NULL, NULL, 2, NULL)")
	dumps := []string{"CALL lease4DumpHeader()", "CALL lease4DumpData()", "CALL lease6DumpHeader()", "CALL lease6DumpData()"}
	for _, q := range dumps {
		if rows := p.same(q); len(rows) == 0 {
			t.Errorf("%s: no rows", q)
		}
	}
	p.steps([]string{
		"CALL lease4Upload('10.0.0.9', '0a:0b', '01:02:03', 600, 1796000000, 4, 1, 1, 'x&#x2cy', 0, '{\"p\"&#x2c \"q\"}')",
		"CALL lease4Upload('10.0.0.10', '', '', 600, 1796000000, 4, 0, 0, '', 1, '')",
		"CALL lease4Upload('10.0.0.10', '', '', 600, 1796000000, 4, 0, 0, '', 1, '')",
		"CALL lease6Upload('2001:db8::9', '00:01:02', 600, 1796000000, 4, 300, 2, 9, 64, 1, 0, 'h&#x2c', 'aa:bb', 0, '{}', 1, 2)",
	}, append(slices.Clone(statChecks), dumps...))
}

// TestConfigAudit: the configuration backend's writes, in Kea's order
// (the revision first), leave the same audit entries and revisions,
// client class order and touched modification times, and fail alike.
func TestConfigAudit(t *testing.T) {
	p := newPair(t)
	ts := "'2026-06-01 12:00:00'"
	var checks []string
	for _, v := range []string{"4", "6"} {
		checks = append(checks,
			"SELECT id, object_type, object_id, modification_type, revision_id FROM dhcp"+v+"_audit ORDER BY id",
			"SELECT * FROM dhcp"+v+"_audit_revision ORDER BY id",
			"SELECT * FROM dhcp"+v+"_client_class_order ORDER BY class_id",
			"SELECT subnet_id, modification_ts, shared_network_name FROM dhcp"+v+"_subnet ORDER BY subnet_id",
			"SELECT id, name, modification_ts FROM dhcp"+v+"_shared_network ORDER BY id",
			"SELECT option_id, code, scope_id, dhcp"+v+"_subnet_id, shared_network_name, pool_id FROM dhcp"+v+"_options ORDER BY option_id",
			"SELECT id, subnet_id FROM dhcp"+v+"_pool ORDER BY id",
			"SELECT @audit_revision_id, @cascade_transaction, @client_class_id, @depend_on_known_directly, @depend_on_known_indirectly",
		)
	}
	checks = append(checks, "SELECT id, subnet_id FROM dhcp6_pd_pool ORDER BY id")
	var stmts []string
	for _, v := range []string{"4", "6"} {
		rev := func(tag, msg string, cascade int) string {
			return fmt.Sprintf("CALL createAuditRevisionDHCP%s(%s, '%s', '%s', %d)", v, ts, tag, msg, cascade)
		}
		prefix := map[string]string{"4": "'192.0.2.0/24'", "6": "'2001:db8::/64'"}[v]
		prefix2 := map[string]string{"4": "'198.51.100.0/24'", "6": "'2001:db8:1::/64'"}[v]
		pool := map[string]string{"4": "(3221225985, 3221226000", "6": "('2001:db8::10', '2001:db8::20'"}[v]
		cc := func(name string, follow string, known int) string {
			return fmt.Sprintf("INSERT INTO dhcp%s_client_class (name, test, depend_on_known_directly, follow_class_name, modification_ts) VALUES ('%s', 'true', %d, %s, %s)", v, name, known, follow, ts)
		}
		stmts = append(stmts,
			rev("all", "server", 0),
			"INSERT INTO dhcp"+v+"_server (tag, description, modification_ts) VALUES ('srv1', 'one', "+ts+")",
			"UPDATE dhcp"+v+"_server SET description = 'uno' WHERE tag = 'srv1'",
			rev("srv1", "global", 0),
			"INSERT INTO dhcp"+v+"_global_parameter (name, value, modification_ts, parameter_type) VALUES ('renew-timer', '100', "+ts+", 0)",
			"UPDATE dhcp"+v+"_global_parameter SET value = '200'",
			"DELETE FROM dhcp"+v+"_global_parameter",
			"INSERT INTO dhcp"+v+"_option_def (code, name, space, type, modification_ts, is_array, encapsulate) VALUES (222, 'foo', 'dhcp"+v+"', 8, "+ts+", 0, '')",
			"UPDATE dhcp"+v+"_option_def SET name = 'bar'",
			"DELETE FROM dhcp"+v+"_option_def",
			rev("all", "network", 0),
			"INSERT INTO dhcp"+v+"_shared_network (name, modification_ts) VALUES ('net', "+ts+")",
			"INSERT INTO dhcp"+v+"_subnet (subnet_id, subnet_prefix, modification_ts, shared_network_name) VALUES (1, "+prefix+", "+ts+", 'net')",
			"INSERT INTO dhcp"+v+"_subnet (subnet_id, subnet_prefix, modification_ts) VALUES (2, "+prefix2+", "+ts+")",
			"INSERT INTO dhcp"+v+"_pool (start_address, end_address, subnet_id, modification_ts) VALUES "+pool+", 1, "+ts+")",
			rev("all", "options", 0),
			"INSERT INTO dhcp"+v+"_options (code, value, space, persistent, scope_id, modification_ts) VALUES (6, x'01', 'dhcp"+v+"', 0, 0, '2026-06-02 00:00:00')",
			"INSERT INTO dhcp"+v+"_options (code, value, space, persistent, dhcp"+v+"_subnet_id, scope_id, modification_ts) VALUES (7, x'02', 'dhcp"+v+"', 0, 1, 1, '2026-06-03 00:00:00')",
			"INSERT INTO dhcp"+v+"_options (code, value, space, persistent, shared_network_name, scope_id, modification_ts) VALUES (8, x'03', 'dhcp"+v+"', 0, 'net', 4, '2026-06-04 00:00:00')",
			"INSERT INTO dhcp"+v+"_options (code, value, space, persistent, pool_id, scope_id, modification_ts) VALUES (9, x'04', 'dhcp"+v+"', 0, 1, 5, '2026-06-05 00:00:00')",
			"INSERT INTO dhcp"+v+"_options (code, value, space, persistent, host_id, scope_id, modification_ts) VALUES (10, x'05', 'dhcp"+v+"', 0, NULL, 3, '2026-06-06 00:00:00')",
			"UPDATE dhcp"+v+"_options SET value = x'09', modification_ts = '2026-06-07 00:00:00' WHERE code IN (6, 7)",
			"DELETE FROM dhcp"+v+"_options WHERE code = 6",
			rev("all", "cascade", 1),
			"DELETE FROM dhcp"+v+"_pool",
			"DELETE FROM dhcp"+v+"_shared_network WHERE name = 'net'",
			// Deleting a subnet whose options would touch it fails (a
			// trigger may not update its own statement's table): Kea
			// deletes them first, in a cascade.
			rev("all", "subnet", 0),
			"DELETE FROM dhcp"+v+"_subnet WHERE subnet_id = 1",
			rev("all", "subnet", 1),
			"DELETE FROM dhcp"+v+"_options WHERE scope_id = 1",
			"DELETE FROM dhcp"+v+"_subnet WHERE subnet_id = 1",
			"SET @disable_audit = 1",
			rev("all", "unaudited", 0),
			"DELETE FROM dhcp"+v+"_subnet",
			"SET @disable_audit = 0",
			rev("all", "classes", 0),
			cc("a", "NULL", 0), cc("b", "NULL", 1), cc("c", "'a'", 0), cc("d", "'zzz'", 0), cc("e", "NULL", 0),
			"INSERT INTO dhcp"+v+"_client_class_dependency VALUES ((SELECT id FROM dhcp"+v+"_client_class WHERE name = 'e'), (SELECT id FROM dhcp"+v+"_client_class WHERE name = 'b'))",
			"INSERT INTO dhcp"+v+"_client_class_dependency VALUES ((SELECT id FROM dhcp"+v+"_client_class WHERE name = 'a'), (SELECT id FROM dhcp"+v+"_client_class WHERE name = 'e'))",
			"INSERT INTO dhcp"+v+"_client_class_dependency VALUES ((SELECT id FROM dhcp"+v+"_client_class WHERE name = 'a'), (SELECT id FROM dhcp"+v+"_client_class WHERE name = 'a'))",
			"INSERT INTO dhcp"+v+"_client_class_dependency VALUES (1000, 1)",
			"INSERT INTO dhcp"+v+"_client_class_dependency VALUES ((SELECT id FROM dhcp"+v+"_client_class WHERE name = 'c'), (SELECT id FROM dhcp"+v+"_client_class WHERE name = 'a'))",
			"INSERT INTO dhcp"+v+"_client_class_server VALUES ((SELECT id FROM dhcp"+v+"_client_class WHERE name = 'e'), 2, "+ts+")",
			"INSERT INTO dhcp"+v+"_client_class_server VALUES ((SELECT id FROM dhcp"+v+"_client_class WHERE name = 'a'), 2, "+ts+")",
			"INSERT INTO dhcp"+v+"_client_class_dependency VALUES ((SELECT id FROM dhcp"+v+"_client_class WHERE name = 'e'), (SELECT id FROM dhcp"+v+"_client_class WHERE name = 'a'))",
			"UPDATE dhcp"+v+"_client_class SET test = 'false' WHERE name = 'e'",
			"CALL checkDHCPv"+v+"ClientClassKnownDependencyChange()",
			"UPDATE dhcp"+v+"_client_class SET depend_on_known_directly = 0 WHERE name = 'b'",
			"CALL checkDHCPv"+v+"ClientClassKnownDependencyChange()",
			"UPDATE dhcp"+v+"_client_class SET follow_class_name = 'e' WHERE name = 'a'",
			"UPDATE dhcp"+v+"_client_class SET follow_class_name = 'c' WHERE name = 'b'",
			"UPDATE dhcp"+v+"_client_class SET follow_class_name = 'nope' WHERE name = 'e'",
			"DELETE FROM dhcp"+v+"_client_class WHERE name = 'c'",
			"DELETE FROM dhcp"+v+"_server WHERE tag = 'srv1'",
		)
	}
	stmts = append(stmts,
		"INSERT INTO dhcp6_subnet (subnet_id, subnet_prefix, modification_ts) VALUES (3, '2001:db8:3::/64', '2026-06-01 12:00:00')",
		"INSERT INTO dhcp6_pd_pool (prefix, prefix_length, delegated_prefix_length, subnet_id, modification_ts, excluded_prefix_length) VALUES ('3000::', 48, 56, 3, '2026-06-01 12:00:00', 0)",
		"INSERT INTO dhcp6_options (code, value, space, persistent, pd_pool_id, scope_id, modification_ts) VALUES (11, x'06', 'dhcp6', 0, 1, 6, '2026-06-08 00:00:00')",
		"DELETE FROM dhcp6_pd_pool",
		"DELETE FROM dhcp6_subnet",
	)
	p.steps(stmts, checks)
}
