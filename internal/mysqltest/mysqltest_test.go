package mysqltest

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// TestCrashRestart: a row committed before Crash is there after Restart,
// the databases made from the template hold Kea 2.2's schema 14.0, and
// its triggers count the lease in lease4_stat.
func TestCrashRestart(t *testing.T) {
	s := New(t, Options{})
	db := s.NewDB(t)
	s.Admin(t, db.Name, "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (3221226034, '', '', 600, now(), 7, false, false, '', 0, '')")
	if err := s.Crash(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Socket()); err == nil {
		t.Log("the socket file stays after a kill; mariadbd replaces it on start")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	conn := s.Open(t, db.Name)
	var n, major, minor, stat int
	if err := conn.QueryRow("SELECT count(*) FROM lease4").Scan(&n); err != nil || n != 1 {
		t.Errorf("lease4 after the restart: %d rows, %v", n, err)
	}
	if err := conn.QueryRow("SELECT version, minor FROM schema_version").Scan(&major, &minor); err != nil || major != 14 || minor != 0 {
		t.Errorf("schema_version %d.%d, %v; want 14.0 (Kea 2.2's)", major, minor, err)
	}
	if err := conn.QueryRow("SELECT leases FROM lease4_stat WHERE subnet_id = 7 AND state = 0").Scan(&stat); err != nil || stat != 1 {
		t.Errorf("lease4_stat of subnet 7: %d, %v; want 1 (the schema's trigger)", stat, err)
	}
	other := s.NewDB(t)
	if err := s.Open(t, other.Name).QueryRow("SELECT count(*) FROM lease4").Scan(&n); err != nil || n != 0 {
		t.Errorf("a new database holds %d leases (%v), want none", n, err)
	}
}
