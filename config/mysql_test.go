package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestMySQLLeaseDatabase: Kea's keywords of a mysql lease-database are
// read, the PostgreSQL-only ones warned at, and what Kea's MySQL
// connection refuses is refused at the keyword.
func TestMySQLLeaseDatabase(t *testing.T) {
	c, diags, err := load(t, `{"Dhcp4": {"lease-database": {"type": "mysql", "name": "kea", "host": "db.example.org",
		"port": 3307, "user": "kea", "password": "my-Secret-88", "connect-timeout": 7, "read-timeout": 3,
		"write-timeout": 4, "max-reconnect-tries": 5, "reconnect-wait-time": 1000, "on-fail": "serve-retry-continue",
		"trust-anchor": "/etc/ca.pem", "cipher-list": "ECDHE-RSA-AES128-GCM-SHA256",
		"tcp-user-timeout": 9, "ssl-mode": "require"}}}`)
	if err != nil {
		t.Fatalf("refused: %v\n%s", err, joinDiags(diags))
	}
	db := c.LeaseDatabase
	got := fmt.Sprintln(db.Type, db.Name, db.Host, db.Port, db.User, db.ConnectTimeout, db.ReadTimeout, db.WriteTimeout,
		db.MaxReconnectTries, db.ReconnectWaitTime, db.OnFail, db.TrustAnchor, db.CipherList)
	if want := "mysql kea db.example.org 3307 kea 7 3 4 5 1000 serve-retry-continue /etc/ca.pem ECDHE-RSA-AES128-GCM-SHA256\n"; got != want {
		t.Errorf("read %s\nwant %s", got, want)
	}
	if db.Password.Reveal() != "my-Secret-88" || strings.Contains(string(c.JSON()), "my-Secret-88") {
		t.Errorf("password %q read, or shown in %s", db.Password.Reveal(), c.JSON())
	}
	all := joinDiags(diags)
	for _, w := range []string{
		`no effect in leased: tcp-user-timeout with type "mysql" in lease-database`,
		`no effect in leased: ssl-mode with type "mysql" in lease-database`,
	} {
		if !strings.Contains(all, w) {
			t.Errorf("want %s\ngot\n%s", w, all)
		}
	}
	for _, w := range []string{"read-timeout", "write-timeout", "cipher-list"} {
		if strings.Contains(all, w) {
			t.Errorf("a warning at %s, which applies to MySQL:\n%s", w, all)
		}
	}

	for _, tc := range []struct{ cfg, want string }{
		{`{"type": "mysql", "name": "k", "read-timeout": 2147483648}`, `read-timeout 2147483648 is out of range for mysql`},
		{`{"type": "mysql", "name": "k", "connect-timeout": 0}`, `connect-timeout 0 is out of range for mysql`},
		{`{"type": "mysql", "name": "k", "password": "a", "password-file": "/p"}`, `password and password-file are both given`},
		{`{"type": "mysql", "name": "k", "cert-file": "/c"}`, `needs both "cert-file" and "key-file"`},
	} {
		_, diags, err := load(t, `{"Dhcp4": {"lease-database": `+tc.cfg+`}}`)
		if err == nil || !strings.Contains(joinDiags(diags)+err.Error(), tc.want) {
			t.Errorf("%s: %v\n%s\nwant %q", tc.cfg, err, joinDiags(diags), tc.want)
		}
	}
}

// TestKea3MySQLLibrary: Kea 3.x loads its MySQL backend as a hook library
// beside a mysql lease-database; leased, which reads and writes Kea's
// MySQL schema 35.0 itself, accepts the entry with a no-effect warning,
// as it does libdhcp_pgsql.so.
func TestKea3MySQLLibrary(t *testing.T) {
	for _, lib := range []string{"libdhcp_mysql.so", "libdhcp_pgsql.so"} {
		c, diags, err := load(t, `{"Dhcp4": {"hooks-libraries": [{"library": "/usr/lib/kea/hooks/`+lib+`"}],
			"lease-database": {"type": "mysql", "name": "kea"}}}`)
		if err != nil {
			t.Fatalf("%s refused: %v\n%s", lib, err, joinDiags(diags))
		}
		if c.LeaseDatabase.Type != "mysql" {
			t.Errorf("%s: lease-database type %q", lib, c.LeaseDatabase.Type)
		}
		if all := joinDiags(diags); !strings.Contains(all, "no effect in leased") || !strings.Contains(all, "library") {
			t.Errorf("%s: no no-effect warning for the library:\n%s", lib, all)
		}
	}
}
