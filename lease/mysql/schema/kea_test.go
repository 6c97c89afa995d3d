//go:build linux

package schema

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/internal/testnet"
)

// TestKeaServesOnInit: kea-dhcp4 2.2 starts on a database Init made, with
// its leases there, and serves perfdhcp's relayed clients from it; the
// schema's triggers count what it wrote in lease4_stat.
func TestKeaServesOnInit(t *testing.T) {
	testnet.RequireRoot(t, "kea-dhcp4", "perfdhcp")
	s := mysqltest.Shared(t, mysqltest.Options{})
	db, conn := initDB(t, s)
	ctx := t.Context()

	dir := testnet.UnprivilegedDir(t)
	ns := testnet.NewNS(t, "myschemakea")
	ns.AddAddr(t, "lo", "127.0.0.2/8") // perfdhcp's relay address
	logFile := filepath.Join(dir, "kea.log")
	cfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo/127.0.0.1"], "dhcp-socket-type": "udp"},
		"lease-database": {"type": "mysql", "name": %q, "host": "localhost", "user": %q, "password": %q},
		"valid-lifetime": 600,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": ["127.0.0.2"]},
			"pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		db.Name, db.User, db.Password, logFile)
	proc := testnet.StartKea(t, dir, "kea-dhcp4", cfg, testnet.KeaOptions{
		LogFile: logFile, NS: ns, Env: []string{"MYSQL_UNIX_PORT=" + db.Socket},
		AmbientCaps: []uintptr{unix.CAP_NET_BIND_SERVICE},
	})
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := ns.WaitUDPListen(wctx, 67); err != nil {
		t.Fatalf("kea-dhcp4 is not listening on port 67 (exit %v): %v%s", proc.ExitErr(), err, testnet.IndentOutput(testnet.Tail(proc.Output(), 2000)))
	}
	const clients = 20
	rep, err := testnet.RunPerfdhcp(ctx, ns, testnet.PerfdhcpOptions{
		Server: netip.MustParseAddr("127.0.0.1"), LocalAddr: netip.MustParseAddr("127.0.0.2"),
		Rate: 20, Clients: clients, Requests: clients, Wait: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	acks := rep.Exchanges["REQUEST-ACK"].Received
	if acks == 0 {
		t.Fatalf("kea-dhcp4 acknowledged nothing: %+v%s", rep.Exchanges, testnet.IndentOutput(testnet.Tail(proc.Output(), 2000)))
	}
	var rows, counted int64
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM lease4 WHERE state = 0 AND subnet_id = 1),
		(SELECT COALESCE(SUM(leases), 0) FROM lease4_stat WHERE subnet_id = 1 AND state = 0)`).Scan(&rows, &counted); err != nil {
		t.Fatal(err)
	}
	t.Logf("kea-dhcp4 2.2: %d ACKs to perfdhcp, %d leases in lease4, %d counted in lease4_stat", acks, rows, counted)
	// perfdhcp's clients repeat once it has used its -R of them, and a
	// repeated client renews its one lease.
	if rows == 0 || rows > acks || rows > clients || counted != rows {
		t.Errorf("%d ACKs (perfdhcp), %d leases in lease4, %d counted in lease4_stat", acks, rows, counted)
	}
}

// keaAdminDump runs kea-admin lease-dump mysql for family (4 or 6) on db
// and returns the CSV it wrote.
func keaAdminDump(t *testing.T, db mysqltest.DB, family string) string {
	t.Helper()
	bin, err := exec.LookPath("kea-admin")
	if err != nil {
		bin = "/usr/sbin/kea-admin"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("kea-admin missing (Debian's kea-admin): %v", err)
	}
	out := filepath.Join(t.TempDir(), "dump.csv")
	cmd := exec.Command(bin, "lease-dump", "mysql", "-"+family, "-u", db.User, "-p", db.Password, "-n", db.Name,
		"-h", "localhost", "-o", out, "-x", "--socket="+db.Socket)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kea-admin lease-dump mysql -%s on %s: %v\n%s", family, db.Name, err, msg)
	}
	csv, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(csv)
}

// TestKeaAdminLeaseDump: kea-admin lease-dump mysql works on a database
// Init made and writes the same CSV as on kea-admin's own, with the same
// leases in both.
func TestKeaAdminLeaseDump(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	keaDB := s.NewDB(t)
	ourDB, _ := initDB(t, s)
	for _, db := range []mysqltest.DB{keaDB, ourDB} {
		s.Admin(t, db.Name,
			lease4(3221225985, 1, 0, `'{"ISC": {"client-classes": ["a", "b"]}}'`),
			"INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (3221225986, '', NULL, 0, '2026-12-01 11:00:00', 2, 0, 0, '', 1, NULL)",
			lease6("2001:db8::1", 0, 1, 0, "NULL"),
			lease6("2001:db8:1::", 2, 1, 0, `'{"x": 1}'`))
	}
	for _, family := range []string{"4", "6"} {
		want, got := keaAdminDump(t, keaDB, family), keaAdminDump(t, ourDB, family)
		if lines := strings.Count(got, "\n"); lines < 3 {
			t.Errorf("lease-dump -%s on Init's database wrote %d lines, want a header and two leases:\n%s", family, lines, got)
		}
		if got != want {
			t.Errorf("lease-dump -%s: Init's database gives\n%s\nkea-admin's gives\n%s", family, got, want)
		}
	}
}
