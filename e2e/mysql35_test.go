//go:build linux

package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/internal/testnet"
)

// TestMySQL35 serves from Kea 3.x's MySQL schema 35.0, made by leased
// itself from the command line (leased db init mysql, then upgrade
// mysql, on an empty database): udhcpc's lease is a row of lease4 with
// the pool-id of its pool, which the schema's triggers count in
// lease4_pool_stat; leased db version mysql prints 35.0.
func TestMySQL35(t *testing.T) {
	needs(t, "udhcpc")
	s := mysqltest.New(t, mysqltest.Options{})
	s.Admin(t, "", "CREATE DATABASE kea35")
	db := mysqltest.DB{Socket: s.Socket(), Name: "kea35", User: mysqltest.User, Password: mysqltest.Password}
	leasedDB := func(action string) string {
		t.Helper()
		out, err := exec.Command(leasedBin, "db", action, "mysql", "-n", db.Name, "-u", db.User, "-p", db.Password, "-h", db.Socket).CombinedOutput()
		if err != nil {
			t.Fatalf("leased db %s mysql: %v\n%s", action, err, out)
		}
		return string(out)
	}
	leasedDB("init")
	if out := leasedDB("upgrade"); !strings.Contains(out, "from 14.0 to 35.0") {
		t.Errorf("leased db upgrade mysql printed %q, want the versions from and to", out)
	}
	if out := leasedDB("version"); out != "35.0\n" {
		t.Errorf("leased db version mysql after the upgrade: %q, want 35.0", out)
	}
	p := testnet.NewPair(t)
	dir := t.TempDir()
	cfg := strings.Replace(myLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""),
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
	var row string
	err = s.Open(t, db.Name).QueryRow(`SELECT CONCAT_WS(' ', LOWER(HEX(hwaddr)), state, pool_id, relay_id IS NULL, remote_id IS NULL,
		(SELECT leases FROM lease4_pool_stat WHERE subnet_id = 1 AND pool_id = 7 AND state = 0))
		FROM lease4 WHERE address = INET_ATON(?)`, got.Addr.String()).Scan(&row)
	want := strings.ReplaceAll(mac.String(), ":", "") + " 0 7 1 1 1"
	if err != nil || row != want {
		t.Errorf("lease4 row of %v: %q (%v), want %q (hwaddr state pool_id relay_id-null remote_id-null pool-count)", got.Addr, row, err, want)
	}
	r := srv.call("lease4-get", map[string]any{"ip-address": got.Addr.String()})
	if r.Result != 0 || !strings.Contains(raw(r), mac.String()) || !strings.Contains(raw(r), `"pool-id": 7`) && !strings.Contains(raw(r), `"pool-id":7`) {
		t.Errorf("lease4-get %v: %d %s", got.Addr, r.Result, raw(r))
	}
	srv.stop()
}
