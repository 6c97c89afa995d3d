package schema

import (
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leased/leased/internal/pgtest"
)

// seed13 are rows in a 13.0 database that the upgrade must carry over or
// convert: leases of each state, IPv6 leases (an IA_TA one, a one-byte
// DUID), configuration-backend rows whose names and forms changed.
var seed13 = []string{
	`SELECT set_config('kea.disable_audit', 'true', false)`,
	`INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES
	 (3221226034, '\x020000000001', '\x01020000000001', 600, '2030-01-01 00:00:00+00', 1, false, false, '', 0, ''),
	 (3221226035, '\x020000000002', '', 600, '2030-01-01 00:00:00+00', 1, false, false, 'b.example.org.', 0, '{"ISC": {"client-classes": ["foo"]}}'),
	 (3221226036, '', '', 600, '2030-01-01 00:00:00+00', 1, false, false, '', 1, ''),
	 (3221226037, '\x020000000004', '', 600, '2020-01-01 00:00:00+00', 2, false, false, '', 2, '')`,
	`INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES
	 ('2001:db8::1', '\x00', 600, '2030-01-01 00:00:00+00', 1, 300, 0, 1, 128, false, false, '', 0, ''),
	 ('2001:db8::2', '\x000102', 600, '2030-01-01 00:00:00+00', 1, 300, 1, 2, 128, false, false, '', 0, ''),
	 ('2001:db8:1::', '\x000103', 600, '2030-01-01 00:00:00+00', 1, 300, 2, 3, 64, false, false, '', 1, '')`,
	`INSERT INTO dhcp4_global_parameter (name, value, parameter_type) VALUES ('reservation-mode', 'global', 4),
	 ('ddns-use-conflict-resolution', '1', 2), ('dhcp-ddns.qualifying-suffix', 'x', 4), ('valid-lifetime', '600', 0)`,
	`INSERT INTO dhcp4_shared_network (name, client_class, require_client_classes) VALUES ('net1', 'foo', '[ "bar" ]'), ('net2', NULL, NULL)`,
	`INSERT INTO dhcp4_option_def (code, name, space, type, is_array, encapsulate, record_types) VALUES
	 (200, 'rec', 'dhcp4', 254, false, '', '1, 2'), (201, 'plain', 'dhcp4', 8, false, '', NULL)`,
	`INSERT INTO dhcp4_options (code, value, space, persistent, scope_id) VALUES (6, '\xc0000201', 'dhcp4', false, 0)`,
}

// TestUpgrade takes kea-admin's 13.0, with rows, to 34.0: the version,
// the lease columns and counts, the conversions, and a schema the same
// as that of a database leased made and upgraded.
func TestUpgrade(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	ctx := t.Context()
	db := c.NewDB(t)
	c.Admin(t, db.Name, seed13...)
	conn := connect(t, db)
	from, err := Upgrade(ctx, conn)
	if err != nil || from != Kea22 {
		t.Fatalf("Upgrade = %v, %v; want from %v", from, err, Kea22)
	}
	if v, err := Read(ctx, conn); err != nil || v != Kea32 {
		t.Fatalf("after Upgrade the version is %v (%v), want %v", v, err, Kea32)
	}
	if from, err := Upgrade(ctx, conn); err != nil || from != Kea32 {
		t.Errorf("a second Upgrade = %v, %v; want %v and nothing done", from, err, Kea32)
	}

	query := func(q string) []string {
		t.Helper()
		r, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out, err := pgx.CollectRows(r, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return out
	}
	for q, want := range map[string][]string{
		`SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = 'lease4' ORDER BY ordinal_position`: {
			"address bigint", "hwaddr bytea", "client_id bytea", "valid_lifetime bigint", "expire timestamp with time zone",
			"subnet_id bigint", "fqdn_fwd boolean", "fqdn_rev boolean", "hostname character varying", "state bigint",
			"user_context text", "relay_id bytea", "remote_id bytea", "pool_id bigint"},
		`SELECT concat_ws(' ', address, relay_id IS NULL, remote_id IS NULL, pool_id) FROM lease4 ORDER BY address`: {
			"3221226034 t t 0", "3221226035 t t 0", "3221226036 t t 0", "3221226037 t t 0"},
		`SELECT concat_ws(' ', subnet_id, pool_id, state, leases) FROM lease4_pool_stat ORDER BY 1`: {"1 0 0 2", "1 0 1 1"},
		`SELECT concat_ws(' ', state, name) FROM lease_state ORDER BY state`: {
			"0 default", "1 declined", "2 expired-reclaimed", "3 released", "4 registered"},
		`SELECT concat_ws(' ', host(address), pg_typeof(address), encode(duid, 'hex'), lease_type) FROM lease6 ORDER BY address`: {
			"2001:db8::1 inet 000000 0", "2001:db8::2 inet 000102 0", "2001:db8:1:: inet 000103 2"},
		`SELECT concat_ws(' ', lease_type, name) FROM lease6_types ORDER BY 1`:                                     {"0 IA_NA", "2 IA_PD"},
		`SELECT concat_ws(' ', subnet_id, lease_type, state, leases) FROM lease6_stat WHERE leases > 0 ORDER BY 1`: {"1 0 0 2", "1 2 1 1"},
		`SELECT concat_ws(' ', name, value, parameter_type) FROM dhcp4_global_parameter ORDER BY id`: {
			"reservations-global 1 2", "ddns-conflict-resolution-mode check-with-dhcid 4", "valid-lifetime 600 0"},
		`SELECT concat_ws(' | ', name, coalesce(client_classes, 'NULL'), coalesce(evaluate_additional_classes, 'NULL')) FROM dhcp4_shared_network ORDER BY id`: {
			`net1 | [ "foo" ] | [ "bar" ]`, "net2 | NULL | NULL"},
		`SELECT concat_ws(' ', name, type) FROM dhcp4_option_def ORDER BY id`:       {"rec 254", "plain 8"},
		`SELECT concat_ws(' ', code, cancelled, client_classes) FROM dhcp4_options`: {"6 f [  ]"},
		`SELECT count(*)::text FROM schema_version`:                                 {"1"},
	} {
		if got := query(q); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", q, got, want)
		}
	}

	// The triggers keep the pool counts from here on.
	c.Admin(t, db.Name, `UPDATE lease4 SET pool_id = 7 WHERE address = 3221226034`,
		`INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context, pool_id)
		 VALUES (3221226040, '\x020000000009', '', 600, '2030-01-01 00:00:00+00', 1, false, false, '', 3, '', 7)`)
	if got, want := query(`SELECT concat_ws(' ', subnet_id, pool_id, state, leases) FROM lease4_pool_stat WHERE leases > 0 ORDER BY 1`),
		[]string{"1 0 0 1", "1 0 1 1", "1 7 0 1"}; !slices.Equal(got, want) {
		t.Errorf("pool counts after a move and a released lease: %q, want %q", got, want)
	}

	// Made by leased and upgraded, or made by kea-admin and upgraded:
	// the same schema and rows.
	ours := emptyDB(t, c)
	oconn := connect(t, ours)
	if err := Init(ctx, oconn); err != nil {
		t.Fatal(err)
	}
	if _, err := Upgrade(ctx, oconn); err != nil {
		t.Fatal(err)
	}
	kea := c.NewDB(t)
	if _, err := Upgrade(ctx, connect(t, kea)); err != nil {
		t.Fatal(err)
	}
	keaSchema := structure(t, kea, false)
	if !slices.ContainsFunc(keaSchema, func(l string) bool { return strings.Contains(l, "sflqpickfreelease4") }) {
		t.Error("the upgraded schema has no function sflqPickFreeLease4")
	}
	diffLines(t, "the structure of kea-admin's and leased's schema upgraded to 34.0", keaSchema, structure(t, ours, false))
	diffLines(t, "the rows of kea-admin's and leased's schema upgraded to 34.0", rows(t, kea), rows(t, ours))
}

// TestUpgradeIsAtomic: an upgrade that fails part way leaves 13.0 whole.
func TestUpgradeIsAtomic(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	db := c.NewDB(t)
	// A table 33.0 creates, there already: the upgrade fails near its end.
	c.Admin(t, db.Name, "CREATE TABLE free_lease4 (x int)")
	before := structure(t, db, true)
	conn := connect(t, db)
	if _, err := Upgrade(t.Context(), conn); err == nil || !strings.Contains(err.Error(), "free_lease4") {
		t.Fatalf("Upgrade = %v, want an error naming free_lease4", err)
	}
	if v, err := Read(t.Context(), conn); err != nil || v != Kea22 {
		t.Errorf("after the failed upgrade the version is %v (%v)", v, err)
	}
	if !slices.Equal(before, structure(t, db, true)) {
		t.Error("the failed upgrade changed the schema")
	}
}

// TestUpgradeTwiceAtOnce: of two upgrades started together, one upgrades
// and the other waits and finds 34.0.
func TestUpgradeTwiceAtOnce(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	db := c.NewDB(t)
	a, b := connect(t, db), connect(t, db)
	froms := make(chan Version, 2)
	errs := make(chan error, 2)
	for _, conn := range []*pgx.Conn{a, b} {
		go func() {
			v, err := Upgrade(t.Context(), conn)
			froms <- v
			errs <- err
		}()
	}
	got := map[Version]int{}
	for range 2 {
		got[<-froms]++
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got[Kea22] != 1 || got[Kea32] != 1 {
		t.Errorf("the two upgrades found %v; want one 13.0 and one 34.0", got)
	}
	if v, err := Read(t.Context(), a); err != nil || v != Kea32 {
		t.Errorf("version %v, %v", v, err)
	}
}
