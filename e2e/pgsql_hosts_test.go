//go:build linux

package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
)

// hostRow writes a reservation into Kea's host tables in the form
// kea-dhcp4 2.2 writes and reads (PgSqlHostDataSource): no DHCPv6 subnet,
// the address as an integer, empty text for what is absent, one
// dhcp4_options row per option with scope 3, the formatted value when
// the option is text and the payload otherwise.
func hostRow(t *testing.T, c *pgtest.Cluster, db string, mac net.HardwareAddr, subnet int, addr string, hostname string) {
	t.Helper()
	c.Admin(t, db,
		fmt.Sprintf(`INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id, ipv4_address,
			hostname, dhcp4_client_classes, dhcp6_client_classes, user_context, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, auth_key)
			VALUES ('\x%x', 0, %d, NULL, '%s'::inet - '0.0.0.0'::inet, '%s', '', '', NULL, 0, '', '', NULL)`, []byte(mac), subnet, addr, hostname),
		fmt.Sprintf(`INSERT INTO dhcp4_options (code, value, formatted_value, space, persistent, user_context, host_id, scope_id)
			SELECT 6, NULL::bytea, '192.0.2.53,192.0.2.54', 'dhcp4', false, NULL, host_id, 3 FROM hosts WHERE dhcp_identifier = '\x%x'
			UNION ALL
			SELECT 15, '\x%x'::bytea, NULL, 'dhcp4', false, NULL, host_id, 3 FROM hosts WHERE dhcp_identifier = '\x%x'`,
			[]byte(mac), []byte(hostname+".example"), []byte(mac)))
}

// TestPostgreSQLReservations: reservations in Kea's host tables are served
// alike by kea-dhcp4 2.2 from Debian and by leased. Rows written in Kea's
// form give a client its address, name servers and domain from Kea, then
// from leased; a reservation added with leased's reservation-add is
// served by leased at once, and by Kea from the rows leased wrote.
func TestPostgreSQLReservations(t *testing.T) {
	needs(t, "udhcpc", "kea-dhcp4")
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	hostsDB := fmt.Sprintf(`{"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q}`,
		db.Name, db.Host, db.Port, db.User, db.Password)
	subnets := `[{"id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]`
	leasedCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "persist": false},
		"hosts-database": %s,
		"valid-lifetime": 3600,
		"subnet4": %s}}`, filepath.Join(dir, "ctl.sock"), hostsDB, subnets)
	keaDir := testnet.UnprivilegedDir(t)
	keaCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"lease-database": {"type": "memfile", "persist": false},
		"hosts-database": %s,
		"valid-lifetime": 3600,
		"subnet4": %s,
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`, hostsDB, subnets)
	startKea := func() *testnet.KeaProc {
		t.Helper()
		return startKeaDHCP4(t, p.Server, keaDir, keaCfg)
	}
	// check obtains a lease on iface with a new client (no lease of its
	// own to ask for again) and checks it is the reservation's.
	check := func(who, iface, addr, domain string) {
		t.Helper()
		cl := testnet.NewClient(t, testnet.Udhcpc, p.Client, iface, testnet.ClientOptions{})
		l, err := cl.Obtain(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		dns := fmt.Sprint(l.DNS)
		if l.Addr.String() != addr || dns != "[192.0.2.53 192.0.2.54]" || l.Env["domain"] != domain {
			t.Errorf("%s: %v, name servers %s, domain %q; want %s, [192.0.2.53 192.0.2.54], %q", who, l.Addr, dns, l.Env["domain"], addr, domain)
		}
		if err := cl.Stop(); err != nil {
			t.Errorf("%s: stopping the client: %v", who, err)
		}
	}

	ifA, macA := p.AddClientLink(t)
	hostRow(t, c, db.Name, macA, 1, "192.0.2.50", "res-a")

	kea := startKea()
	check("A from kea-dhcp4 2.2", ifA, "192.0.2.50", "res-a.example")
	kea.Stop()

	srv := startPgLeased(t, p.Server, dir, leasedCfg)
	check("A from leased", ifA, "192.0.2.50", "res-a.example")

	// reservation-add writes the database; the next DISCOVER sees it.
	ifC, macC := p.AddClientLink(t)
	r := srv.call("reservation-add", map[string]any{"reservation": map[string]any{
		"subnet-id": 1, "hw-address": macC.String(), "ip-address": "192.0.2.60", "hostname": "res-c",
		"option-data": []any{
			map[string]any{"name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54"},
			map[string]any{"name": "domain-name", "data": "res-c.example"},
		}}})
	if r.Result != 0 {
		t.Fatalf("reservation-add: %d %s", r.Result, r.Text)
	}
	check("C from leased, just added", ifC, "192.0.2.60", "res-c.example")
	r = srv.call("reservation-get", map[string]any{"subnet-id": 1, "identifier-type": "hw-address", "identifier": macC.String()})
	if r.Result != 0 || !strings.Contains(raw(r), `"ip-address":"192.0.2.60"`) {
		t.Errorf("reservation-get: %d %s", r.Result, raw(r))
	}
	srv.stop()

	// kea-dhcp4 2.2 reads what leased wrote.
	kea = startKea()
	check("C from kea-dhcp4 2.2, added by leased", ifC, "192.0.2.60", "res-c.example")
	kea.Stop()

	// Deleted, the reservation is gone for leased at once.
	srv = startPgLeased(t, p.Server, dir, leasedCfg)
	if r := srv.call("reservation-del", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.60"}); r.Result != 0 {
		t.Fatalf("reservation-del: %d %s", r.Result, r.Text)
	}
	cl := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifC, testnet.ClientOptions{})
	l, err := cl.Obtain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !inRange(l.Addr, "192.0.2.100", "192.0.2.199") {
		t.Errorf("C after reservation-del got %v, want an address of the pool", l.Addr)
	}
	srv.stop()
}
