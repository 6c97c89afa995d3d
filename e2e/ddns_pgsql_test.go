//go:build linux

package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
)

// TestDDNSKeaPeerOnSharedDatabase: leased and kea-dhcp4 2.2 take turns
// on one PostgreSQL lease database, both sending their DNS updates to
// kea-dhcp-ddns. Each removes the records the other added, from the lease
// as stored: a client that obtained its lease (and its A, PTR and DHCID
// records) from leased releases to Kea, one that obtained it from Kea
// releases to leased, and the records of both are gone.
func TestDDNSKeaPeerOnSharedDatabase(t *testing.T) {
	needs(t, "udhcpc", "kea-dhcp4", "named", "kea-dhcp-ddns")
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	p := testnet.NewPair(t)
	named, d2Port, _ := startDDNSChain(t, p)
	dir := t.TempDir()
	ddnsKeys := fmt.Sprintf(`"ddns-qualifying-suffix": "example.org",
    "dhcp-ddns": { "enable-updates": true, "server-ip": "127.0.0.1", "server-port": %d },`, d2Port)
	leasedCfg := strings.Replace(pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""), `"cache-threshold": 0,`, `"cache-threshold": 0, `+ddnsKeys, 1)
	keaDir := testnet.UnprivilegedDir(t)
	keaCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"lease-database": {"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q},
		"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
		%s
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
		            {"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": "198.18.1.0 - 198.18.255.254"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		db.Name, db.Host, db.Port, db.User, db.Password, ddnsKeys)
	startKea := func() *testnet.KeaProc {
		return startKeaDHCP4(t, p.Server, keaDir, keaCfg)
	}
	// What both servers store for a udhcpc that sends option 12 "name"
	// and its client identifier (type 1 and its MAC).
	stored := func(got testnet.Lease, mac net.HardwareAddr, name string) lease.Lease {
		return lease.Lease{Addr: got.Addr, HWType: 1, HWAddr: mac, ClientID: append([]byte{1}, mac...),
			ValidLifetime: 3600, FQDNFwd: true, FQDNRev: true, Hostname: name + ".example.org"}
	}
	newClient := func(name string) (*testnet.Client, net.HardwareAddr) {
		ifname, mac := p.AddClientLink(t)
		return testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second, Args: []string{"-x", "hostname:" + name}}), mac
	}

	// A obtains its lease and records from leased, B from Kea.
	srv := startPgLeased(t, p.Server, dir, leasedCfg)
	a, macA := newClient("peer-a")
	ga, err := a.Obtain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	la := stored(ga, macA, "peer-a")
	waitRecords(t, named, &la, leaseDHCID(t, &la))
	srv.stop()

	kea := startKea()
	b, macB := newClient("peer-b")
	gb, err := b.Obtain(t.Context())
	if err != nil {
		t.Fatalf("B from Kea: %v", err)
	}
	lb := stored(gb, macB, "peer-b")
	waitRecords(t, named, &lb, leaseDHCID(t, &lb))

	// Kea removes what leased added.
	if err := a.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, named, &la)
	kea.Stop()

	// leased removes what Kea added.
	srv = startPgLeased(t, p.Server, dir, leasedCfg)
	if err := b.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, named, &lb)
	srv.stop()
}
