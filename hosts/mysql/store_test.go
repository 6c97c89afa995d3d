package mysql

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/config"
	"github.com/leased/leased/hosts"
	"github.com/leased/leased/internal/mysqltest"
	leasemysql "github.com/leased/leased/lease/mysql"
	"github.com/leased/leased/lease/mysql/schema"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mysqltest.Stop()
	os.Exit(code)
}

// newDB returns the options of a new database holding Kea 2.2's empty
// MySQL schema.
func newDB(t testing.TB) (*mysqltest.Server, mysqltest.DB, Options) {
	t.Helper()
	c := mysqltest.Shared(t, mysqltest.Options{})
	db := c.NewDB(t)
	return c, db, Options{Options: leasemysql.Options{Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password}}
}

func open(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testConfig(t testing.TB) *config.Config {
	t.Helper()
	c, diags, err := config.Parse("t.json", []byte(`{"Dhcp4": {
		"option-def": [{"name": "vendor-thing", "code": 1, "space": "vendor-encapsulated-options-space", "type": "string"}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}, {"id": 2, "subnet": "198.51.100.0/24"}]}}`), nil)
	if err != nil {
		t.Fatalf("%v %v", err, diags)
	}
	return c
}

// keaRows are reservations in the encodings kea-dhcp4 2.2 writes (see
// hosts/pgsql's test; the MySQL tables hold the same values): no DHCPv6
// subnet, the addresses as integers and 0 for none, empty strings for
// absent text, classes joined by commas, options with scope 3 and either
// a formatted value or the binary payload; plus a DHCPv6-only host that
// kea-dhcp4 never returns.
var keaRows = []string{
	`INSERT INTO hosts (host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id, ipv4_address, hostname,
		dhcp4_client_classes, dhcp6_client_classes, user_context, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, auth_key)
	 VALUES (11, X'1a1b1c1d1e1f', 0, 1, NULL, 3221225994, 'printer', 'printers,known-ones', '', '{"room": 12}', 3221225985, 'tftp.example', 'pxelinux.0', NULL),
	        (12, X'01aabbccddeeff', 3, 0, NULL, 0, 'global-one', '', '', NULL, 0, '', '', NULL),
	        (13, X'616263', 4, 2, NULL, 3325256714, '', '', '', NULL, 0, '', '', NULL),
	        (14, X'1a1b1c1d1e1f', 0, NULL, 7, NULL, 'v6-only', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	        (15, X'65746830', 2, 1, NULL, 3221225995, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	`INSERT INTO dhcp4_options (option_id, code, value, formatted_value, space, persistent, user_context, host_id, scope_id)
	 VALUES (101, 6, NULL, '10.0.0.1, 10.0.0.2', 'dhcp4', false, NULL, 11, 3),
	        (102, 15, X'6578616d706c652e6f7267', NULL, 'dhcp4', true, NULL, 11, 3),
	        (103, 43, NULL, '', 'dhcp4', false, NULL, 11, 3),
	        (104, 1, NULL, 'abc', 'vendor-encapsulated-options-space', false, NULL, 11, 3),
	        (105, 12, NULL, 'ignored-v6-host', 'dhcp4', false, NULL, 14, 3),
	        (106, 252, X'0102', NULL, NULL, false, NULL, 12, 3)`,
}

func TestReadsKeaRows(t *testing.T) {
	c, db, o := newDB(t)
	c.Admin(t, db.Name, keaRows...)
	s := open(t, o)
	cfg := testConfig(t)
	ctx := context.Background()

	hw := []byte{0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}
	cid := []byte{1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	got, err := s.Find(ctx, cfg, []uint32{0, 1}, []hosts.Identifier{{Type: config.HWAddress, Value: hw}, {Type: config.ClientID, Value: cid}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Find returned %d hosts, want the subnet-1 printer and the global one: %+v", len(got), got)
	}
	p := got[0]
	if p.SubnetID != 1 || p.IDType != config.HWAddress || !bytes.Equal(p.Identifier, hw) || p.Address.String() != "192.0.2.10" ||
		p.Hostname != "printer" || strings.Join(p.ClientClasses, "|") != "printers|known-ones" ||
		p.NextServer.String() != "192.0.2.1" || p.ServerHostname != "tftp.example" || p.BootFileName != "pxelinux.0" ||
		p.UserContext == nil || string(p.UserContext.AppendJSON(nil, false, false)) != `{"room":12}` {
		t.Errorf("printer read as %+v", p)
	}
	if o := p.Options.DHCP4(6); len(o) != 1 || !bytes.Equal(o[0].Data, []byte{10, 0, 0, 1, 10, 0, 0, 2}) || o[0].AlwaysSend {
		t.Errorf("option 6 (formatted) read as %+v", o)
	}
	if o := p.Options.DHCP4(15); len(o) != 1 || string(o[0].Data) != "example.org" || !o[0].AlwaysSend {
		t.Errorf("option 15 (binary, persistent) read as %+v", o)
	}
	// Option 43 encapsulates the vendor space: it carries sub-option 1.
	if o := p.Options.DHCP4(43); len(o) != 1 || !bytes.Equal(o[0].Data, []byte{1, 3, 'a', 'b', 'c'}) {
		t.Errorf("option 43 read as %+v", o)
	}
	g := got[1]
	if g.SubnetID != 0 || g.IDType != config.ClientID || g.Address.IsValid() || g.NextServer.IsValid() || g.Hostname != "global-one" {
		t.Errorf("global host read as %+v", g)
	}
	// A NULL space is dhcp4; a code without definition keeps its bytes.
	if o := g.Options.DHCP4(252); len(o) != 1 || !bytes.Equal(o[0].Data, []byte{1, 2}) {
		t.Errorf("option 252 read as %+v", o)
	}

	// The DHCPv6-only host of the same hardware address is not found.
	if got, err := s.Find(ctx, cfg, []uint32{7}, []hosts.Identifier{{Type: config.HWAddress, Value: hw}}); err != nil || len(got) != 0 {
		t.Errorf("DHCPv6 host found: %+v, %v", got, err)
	}
	// flex-id is 4 in Kea's tables, 5 in its configuration.
	if got, err := s.Find(ctx, cfg, []uint32{2}, []hosts.Identifier{{Type: config.FlexID, Value: []byte("abc")}}); err != nil || len(got) != 1 || got[0].Address.String() != "198.51.100.10" {
		t.Errorf("flex-id host: %+v, %v", got, err)
	}
	// NULL text columns read as empty.
	got, err = s.ByAddress(ctx, cfg, []uint32{1, 0}, netip.MustParseAddr("192.0.2.11"))
	if err != nil || len(got) != 1 || got[0].IDType != config.CircuitID || got[0].Hostname != "" || got[0].ClientClasses != nil {
		t.Errorf("ByAddress 192.0.2.11: %+v, %v", got, err)
	}
	if got, err := s.ByAddress(ctx, cfg, []uint32{2}, netip.MustParseAddr("192.0.2.11")); err != nil || len(got) != 0 {
		t.Errorf("ByAddress in the wrong subnet: %+v, %v", got, err)
	}
}

// TestWritesAsKea: what Add writes is, column by column, what hosts/pgsql
// writes for the same reservation, Kea 2.2's encodings.
func TestWritesAsKea(t *testing.T) {
	c, db, o := newDB(t)
	s := open(t, o)
	cfg := testConfig(t)
	ctx := context.Background()
	h, err := cfg.ParseReservation([]byte(`{"subnet-id": 1, "hw-address": "1a:1b:1c:1d:1e:1f", "ip-address": "192.0.2.10",
		"hostname": "printer", "client-classes": ["printers", "known-ones"], "next-server": "192.0.2.1",
		"option-data": [{"name": "domain-name-servers", "data": "10.0.0.1, 10.0.0.2"},
		                {"code": 252, "csv-format": false, "data": "0102", "always-send": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, h); !errors.Is(err, hosts.ErrExists) {
		t.Errorf("adding it twice: %v, want ErrExists", err)
	}
	conn := c.Open(t, db.Name)
	var row string
	err = conn.QueryRowContext(ctx, `SELECT concat_ws('|', lower(hex(dhcp_identifier)), dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id IS NULL,
		ipv4_address, hostname, dhcp4_client_classes, dhcp6_client_classes, user_context IS NULL, dhcp4_next_server,
		dhcp4_server_hostname, dhcp4_boot_file_name, auth_key IS NULL) FROM hosts`).Scan(&row)
	if want := "1a1b1c1d1e1f|0|1|1|3221225994|printer|printers,known-ones||1|3221225985|||1"; err != nil || row != want {
		t.Errorf("hosts row:\n got %s (%v)\nwant %s", row, err, want)
	}
	rows, err := conn.QueryContext(ctx, `SELECT concat_ws('|', code, coalesce(lower(hex(value)), 'NULL'), coalesce(formatted_value, 'NULL'), space, persistent,
		user_context IS NULL, scope_id) FROM dhcp4_options ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	var opts []string
	for rows.Next() {
		rows.Scan(&row)
		opts = append(opts, row)
	}
	want := []string{"6|NULL|10.0.0.1, 10.0.0.2|dhcp4|0|1|3", "252|0102|NULL|dhcp4|1|1|3"}
	if strings.Join(opts, "\n") != strings.Join(want, "\n") {
		t.Errorf("dhcp4_options rows:\n got %q\nwant %q", opts, want)
	}
	// And it reads back as it was given.
	got, err := s.Find(ctx, cfg, []uint32{1}, []hosts.Identifier{{Type: config.HWAddress, Value: h.Identifier}})
	if err != nil || len(got) != 1 {
		t.Fatalf("Find after Add: %+v, %v", got, err)
	}
	if g := got[0]; g.Address != h.Address || g.NextServer != h.NextServer || g.Hostname != h.Hostname || g.Options.Len() != 2 {
		t.Errorf("read back as %+v", g)
	}
}

func TestPageAndDelete(t *testing.T) {
	_, _, o := newDB(t)
	s := open(t, o)
	cfg := testConfig(t)
	ctx := context.Background()
	for i, src := range []string{
		`{"subnet-id": 1, "hw-address": "00:00:00:00:00:01", "ip-address": "192.0.2.21", "option-data": [{"name": "domain-name", "data": "a.example"}, {"name": "host-name", "data": "a"}]}`,
		`{"subnet-id": 2, "hw-address": "00:00:00:00:00:02", "ip-address": "198.51.100.22"}`,
		`{"subnet-id": 1, "client-id": "01:00:00:00:00:00:03", "ip-address": "192.0.2.23"}`,
		`{"subnet-id": 0, "flex-id": "'global'"}`,
	} {
		h, err := cfg.ParseReservation([]byte(src))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if err := s.Add(ctx, h); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	// Pages of one: two options must not make a host count twice.
	var seen []string
	var after uint64
	for {
		page, err := s.Page(ctx, cfg, 0, true, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) != 1 {
			t.Fatalf("page of %d hosts, want 1", len(page))
		}
		after = page[0].ID
		seen = append(seen, hosts.FormatID(page[0].Host.Identifier))
	}
	if want := "00:00:00:00:00:01 00:00:00:00:00:02 01:00:00:00:00:00:03 67:6c:6f:62:61:6c"; strings.Join(seen, " ") != want {
		t.Errorf("pages: %s, want %s", strings.Join(seen, " "), want)
	}
	page, err := s.Page(ctx, cfg, 1, false, 0, 10)
	if err != nil || len(page) != 2 || page[0].Host.Options.Len() != 2 {
		t.Errorf("subnet 1's page: %+v, %v", page, err)
	}
	if ok, err := s.Delete(ctx, 1, hosts.Identifier{Type: config.HWAddress, Value: []byte{0, 0, 0, 0, 0, 1}}); !ok || err != nil {
		t.Errorf("Delete: %v, %v", ok, err)
	}
	if ok, err := s.Delete(ctx, 2, hosts.Identifier{Type: config.HWAddress, Value: []byte{0, 0, 0, 0, 0, 1}}); ok || err != nil {
		t.Errorf("Delete of what is not there: %v, %v", ok, err)
	}
	if ok, err := s.DeleteAddress(ctx, 1, netip.MustParseAddr("192.0.2.23")); !ok || err != nil {
		t.Errorf("DeleteAddress: %v, %v", ok, err)
	}
	if page, err := s.Page(ctx, cfg, 1, false, 0, 10); err != nil || len(page) != 0 {
		t.Errorf("subnet 1 after the deletions: %+v, %v", page, err)
	}

	o.ReadOnly = true
	ro := open(t, o)
	if err := ro.Add(ctx, &config.Host{Identifier: []byte{1}}); !errors.Is(err, hosts.ErrReadOnly) {
		t.Errorf("Add on a read-only store: %v", err)
	}
	if _, err := ro.Delete(ctx, 2, hosts.Identifier{Type: config.HWAddress, Value: []byte{0, 0, 0, 0, 0, 2}}); !errors.Is(err, hosts.ErrReadOnly) {
		t.Errorf("Delete on a read-only store: %v", err)
	}
}

func TestOpenRefusesOtherSchemas(t *testing.T) {
	c, db, o := newDB(t)
	c.Admin(t, db.Name, "UPDATE schema_version SET version = 19, minor = 0")
	if _, err := Open(context.Background(), o); err == nil || !strings.Contains(err.Error(), "schema version 19.0") {
		t.Errorf("Open on schema 19.0: %v", err)
	}
	c.Admin(t, db.Name, "UPDATE schema_version SET version = 14, minor = 0", "ALTER TABLE dhcp4_options DROP COLUMN formatted_value")
	if _, err := Open(context.Background(), o); err == nil || !strings.Contains(err.Error(), "dhcp4_options.formatted_value") {
		t.Errorf("Open without formatted_value: %v", err)
	}
	o.Password = "wrong"
	if _, err := Open(context.Background(), o); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("Open with a wrong password: %v (the password must not show)", err)
	}
}

// TestTLSSettingsApplied: the TLS settings reach the driver: a trust
// anchor that cannot be read stops Open.
func TestTLSSettingsApplied(t *testing.T) {
	_, _, o := newDB(t)
	o.Host, o.TrustAnchor = "db.invalid", filepath.Join(t.TempDir(), "no-such-ca.pem")
	if _, err := Open(context.Background(), o); err == nil || !strings.Contains(err.Error(), "no-such-ca.pem") {
		t.Errorf("Open with an unreadable trust anchor: %v", err)
	}
}

// TestSchema35: on a database Kea 2.2's rows were written in and that
// was then upgraded to 35.0 (schema.Upgrade, what `leased db upgrade
// mysql` runs), those rows read as before; reservations are written with
// 35.0's option columns as Kea 3 writes them (cancelled for never-send,
// client_classes as Kea's JSON list, "[  ]" when none), and read back
// with them; 14.0 refuses options it cannot keep.
func TestSchema35(t *testing.T) {
	c, db, o := newDB(t)
	cfg := testConfig(t)
	ctx := context.Background()
	h, err := cfg.ParseReservation([]byte(`{"subnet-id": 2, "hw-address": "02:00:00:00:00:34", "ip-address": "198.51.100.34",
		"option-data": [{"name": "domain-name", "data": "three.example", "client-classes": ["lab", "night"]},
		                {"name": "host-name", "never-send": true},
		                {"name": "domain-name-servers", "data": "10.0.0.3"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := open(t, o).Add(ctx, h); err == nil || !strings.Contains(err.Error(), "14.0 cannot keep") {
		t.Errorf("Add of never-send and option classes on 14.0: %v, want a refusal", err)
	}

	c.Admin(t, db.Name, keaRows...)
	if _, err := schema.Upgrade(ctx, c.Open(t, db.Name)); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	s := open(t, o)
	if s.SchemaVersion() != "35.0" {
		t.Fatalf("schema %s", s.SchemaVersion())
	}
	hw := []byte{0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}
	got, err := s.Find(ctx, cfg, []uint32{1}, []hosts.Identifier{{Type: config.HWAddress, Value: hw}})
	if err != nil || len(got) != 1 {
		t.Fatalf("Find after the upgrade: %+v, %v", got, err)
	}
	if p := got[0]; p.Address.String() != "192.0.2.10" || p.Options.Len() != 4 {
		t.Errorf("printer after the upgrade: %+v (%d options)", p, p.Options.Len())
	}
	if o := got[0].Options.DHCP4(6); len(o) != 1 || o[0].NeverSend || o[0].ClientClasses != nil {
		t.Errorf("an upgraded option (cancelled 0, client_classes '[  ]'): %+v", o)
	}

	if err := s.Add(ctx, h); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Open(t, db.Name).QueryContext(ctx, `SELECT CONCAT_WS('|', code, COALESCE(formatted_value, 'NULL'), persistent, cancelled, client_classes)
		FROM dhcp4_options o JOIN hosts h USING (host_id) WHERE h.ipv4_address = 3325256738 ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	var opts []string
	for rows.Next() {
		var row string
		if err := rows.Scan(&row); err != nil {
			t.Fatal(err)
		}
		opts = append(opts, row)
	}
	rows.Close()
	want := []string{`6|10.0.0.3|0|0|[  ]`, `12|NULL|0|1|[  ]`, `15|three.example|0|0|[ "lab", "night" ]`}
	if strings.Join(opts, "\n") != strings.Join(want, "\n") {
		t.Errorf("dhcp4_options rows on 35.0:\n got %q\nwant %q", opts, want)
	}
	got, err = s.ByAddress(ctx, cfg, []uint32{2}, netip.MustParseAddr("198.51.100.34"))
	if err != nil || len(got) != 1 {
		t.Fatalf("ByAddress: %+v, %v", got, err)
	}
	if o := got[0].Options.DHCP4(15); len(o) != 1 || strings.Join(o[0].ClientClasses, ",") != "lab,night" || string(o[0].Data) != "three.example" {
		t.Errorf("option 15 read back as %+v", o)
	}
	if o := got[0].Options.DHCP4(12); len(o) != 1 || !o[0].NeverSend {
		t.Errorf("option 12 read back as %+v", o)
	}
	// A 255-byte identifier fits in 35.0 (128 bytes in 14.0).
	long, err := cfg.ParseReservation([]byte(`{"subnet-id": 1, "flex-id": "'` + strings.Repeat("x", 255) + `'", "ip-address": "192.0.2.77"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, long); err != nil {
		t.Errorf("Add of a 255-byte flex-id on 35.0: %v", err)
	}
}
