//go:build linux

package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
)

// TestPostgreSQL34 serves from Kea 3.x's schema 34.0, made by leased
// itself (leased db init, then upgrade, on an empty database): udhcpc's
// lease is a row of lease4 with the pool-id of its pool, which the
// schema's triggers count in lease4_pool_stat.
func TestPostgreSQL34(t *testing.T) {
	needs(t, "udhcpc")
	c := pgtest.New(t, pgtest.Options{})
	c.Admin(t, "postgres", "CREATE DATABASE kea34")
	db := pgtest.DB{Host: c.Dir, Port: pgtest.Port, Name: "kea34", User: pgtest.User, Password: pgtest.Password}
	for _, action := range []string{"init", "upgrade"} {
		out, err := exec.Command(leasedBin, "db", action, "-n", db.Name, "-u", db.User, "-p", db.Password, "-h", db.Host).CombinedOutput()
		if err != nil {
			t.Fatalf("leased db %s: %v\n%s", action, err, out)
		}
	}
	p := testnet.NewPair(t)
	dir := t.TempDir()
	cfg := strings.Replace(pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""),
		`"pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ]`, `"pools": [ { "pool": "192.0.2.100 - 192.0.2.199", "pool-id": 7 } ]`, 1)
	if !strings.Contains(cfg, `"pool-id": 7`) {
		t.Fatal("the configuration has no pool-id")
	}
	srv := startPgLeased(t, p.Server, dir, cfg)
	iface, mac := p.AddClientLink(t)
	got, err := testnet.NewClient(t, testnet.Udhcpc, p.Client, iface, testnet.ClientOptions{}).Obtain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	conn := c.Connect(t, db.Name)
	var row string
	err = conn.QueryRow(t.Context(), `SELECT concat_ws(' ', encode(hwaddr, 'hex'), state, pool_id, relay_id IS NULL, remote_id IS NULL,
		(SELECT leases FROM lease4_pool_stat WHERE subnet_id = 1 AND pool_id = 7 AND state = 0))
		FROM lease4 WHERE address = $1::inet - '0.0.0.0'::inet`, got.Addr.String()).Scan(&row)
	want := strings.ReplaceAll(mac.String(), ":", "") + " 0 7 t t 1"
	if err != nil || row != want {
		t.Errorf("lease4 row of %v: %q (%v), want %q (hwaddr state pool_id relay_id-null remote_id-null pool-count)", got.Addr, row, err, want)
	}
	r := srv.call("lease4-get", map[string]any{"ip-address": got.Addr.String()})
	if r.Result != 0 || !strings.Contains(raw(r), mac.String()) || !strings.Contains(raw(r), `"pool-id": 7`) && !strings.Contains(raw(r), `"pool-id":7`) {
		t.Errorf("lease4-get %v: %d %s", got.Addr, r.Result, raw(r))
	}
	srv.stop()
}
