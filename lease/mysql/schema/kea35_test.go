//go:build linux

package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/internal/testnet"
)

// TestKea22RefusesUpgraded: kea-dhcp4 2.2 does not run on a database
// upgraded to 35.0, as Kea refuses any schema version but its own: it
// exits at start, naming the versions, and writes no lease.
func TestKea22RefusesUpgraded(t *testing.T) {
	testnet.RequireRoot(t, "kea-dhcp4")
	s := mysqltest.Shared(t, mysqltest.Options{})
	db := s.NewDB(t)
	if _, err := Upgrade(t.Context(), leasedConn(t, db)); err != nil {
		t.Fatal(err)
	}
	dir := testnet.UnprivilegedDir(t)
	ns := testnet.NewNS(t, "myschema35")
	logFile := filepath.Join(dir, "kea.log")
	cfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo/127.0.0.1"], "dhcp-socket-type": "udp"},
		"lease-database": {"type": "mysql", "name": %q, "host": "localhost", "user": %q, "password": %q},
		"valid-lifetime": 600,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		db.Name, db.User, db.Password, logFile)
	proc := testnet.StartKea(t, dir, "kea-dhcp4", cfg, testnet.KeaOptions{
		LogFile: logFile, NS: ns, Env: []string{"MYSQL_UNIX_PORT=" + db.Socket},
		AmbientCaps: []uintptr{unix.CAP_NET_BIND_SERVICE},
	})
	exit, err := proc.Wait(60 * time.Second)
	if err != nil {
		t.Fatalf("kea-dhcp4 2.2 still runs on schema 35.0: %v", err)
	}
	logged, _ := os.ReadFile(logFile)
	out := proc.Output() + string(logged)
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "35.0") {
			t.Logf("kea-dhcp4 2.2 on 35.0 (exit %v): %s", exit, line)
			break
		}
	}
	if exit == nil {
		t.Errorf("kea-dhcp4 2.2 exited with status 0 on schema 35.0")
	}
	if !strings.Contains(out, "14.0") || !strings.Contains(out, "35.0") {
		t.Errorf("kea-dhcp4 2.2's output names neither its version 14.0 nor the 35.0 found:%s", testnet.IndentOutput(testnet.Tail(out, 3000)))
	}
	if n := queryLines(t, s.Open(t, db.Name), "SELECT COUNT(*) FROM lease4"); n[0] != "0" {
		t.Errorf("lease4 holds %s rows after Kea's refusal", n[0])
	}
}
