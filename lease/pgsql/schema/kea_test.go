//go:build linux

package schema

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
)

// keaConfig is a kea-dhcp4 2.2 configuration serving relayed clients on
// lo from 192.0.2.100-199, its leases and host reservations in db.
func keaConfig(db pgtest.DB, logFile string) string {
	dbJSON := fmt.Sprintf(`{"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q}`,
		db.Name, db.Host, db.Port, db.User, db.Password)
	return fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo/127.0.0.1"], "dhcp-socket-type": "udp"},
		"lease-database": %s,
		"hosts-database": %s,
		"valid-lifetime": 600,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": ["127.0.0.2"]},
			"pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		dbJSON, dbJSON, logFile)
}

// TestKeaServesOnInit: kea-dhcp4 2.2 starts on a database leased made,
// with its leases and reservations there, and serves perfdhcp's relayed
// clients from it; the schema's triggers count what it wrote. On the same
// database upgraded to 34.0 it refuses to start, as it does on Kea 3.x's.
func TestKeaServesOnInit(t *testing.T) {
	testnet.RequireRoot(t, "kea-dhcp4", "perfdhcp")
	c := pgtest.Shared(t, pgtest.Options{})
	db := emptyDB(t, c)
	conn := connect(t, db)
	ctx := t.Context()
	if err := Init(ctx, conn); err != nil {
		t.Fatal(err)
	}

	dir := testnet.UnprivilegedDir(t)
	ns := testnet.NewNS(t, "schemakea")
	ns.AddAddr(t, "lo", "127.0.0.2/8") // perfdhcp's relay address
	logFile := filepath.Join(dir, "kea.log")
	proc := testnet.StartKea(t, dir, "kea-dhcp4", keaConfig(db, logFile), testnet.KeaOptions{
		LogFile: logFile, NS: ns, AmbientCaps: []uintptr{unix.CAP_NET_BIND_SERVICE},
	})
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := ns.WaitUDPListen(wctx, 67); err != nil {
		t.Fatalf("kea-dhcp4 is not listening on port 67 (exit %v): %v", proc.ExitErr(), err)
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
		t.Fatalf("kea-dhcp4 acknowledged nothing: %+v", rep.Exchanges)
	}
	var rows, counted int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM lease4 WHERE state = 0 AND subnet_id = 1),
		(SELECT coalesce(sum(leases), 0) FROM lease4_stat WHERE subnet_id = 1 AND state = 0)`).Scan(&rows, &counted); err != nil {
		t.Fatal(err)
	}
	t.Logf("kea-dhcp4 2.2: %d ACKs to perfdhcp, %d leases in lease4, %d counted in lease4_stat", acks, rows, counted)
	// perfdhcp's clients repeat once it has used its -R of them, and a
	// repeated client renews its one lease.
	if rows == 0 || rows > acks || rows > clients || counted != rows {
		t.Errorf("%d ACKs (perfdhcp), %d leases in lease4, %d counted in lease4_stat", acks, rows, counted)
	}
	proc.Stop()

	if _, err := Upgrade(ctx, conn); err != nil {
		t.Fatal(err)
	}
	dir2 := testnet.UnprivilegedDir(t)
	logFile2 := filepath.Join(dir2, "kea.log")
	proc = testnet.StartKea(t, dir2, "kea-dhcp4", keaConfig(db, logFile2), testnet.KeaOptions{LogFile: logFile2, NS: ns})
	exitErr, err := proc.Wait(20 * time.Second)
	if err != nil || exitErr == nil {
		t.Fatalf("kea-dhcp4 2.2 on schema 34.0: exit %v, %v; want it to refuse", exitErr, err)
	}
	if out := proc.Output(); !strings.Contains(out, "schema version mismatch") {
		t.Errorf("kea-dhcp4 2.2 on schema 34.0 did not say schema version mismatch:%s", testnet.IndentOutput(testnet.Tail(out, 2000)))
	}
}
