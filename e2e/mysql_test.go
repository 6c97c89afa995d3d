//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/internal/testnet"
)

// The MySQL lease-database end to end, on a private MariaDB of the
// test's (internal/mysqltest) reached through its unix socket, which
// crosses network namespaces. The server runs in mysqlTZ, a zone with
// daylight saving time; kea-dhcp4, whose expiry is wall-clock time, runs
// in the same zone, as it must; leased runs in UTC.
const mysqlTZ = "Europe/Berlin"

// myLeasedConfig serves srv0 (192.0.2.0/24, and the relay's
// 198.18.0.0/16) from database db; dbExtra adds lease-database keywords.
func myLeasedConfig(db mysqltest.DB, sock, dbExtra string) string {
	return fmt.Sprintf(`{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "control-socket": { "socket-type": "unix", "socket-name": %q },
    "lease-database": { "type": "mysql", "host": %q, "name": %q, "user": %q, "password": %q %s },
    "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
    "cache-threshold": 0,
    "subnet4": [
      { "id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ] },
      { "id": 2, "subnet": "198.18.0.0/16", "pools": [ { "pool": "198.18.1.0 - 198.18.255.254" } ] }
    ]
  }
}
`, sock, db.Socket, db.Name, db.User, db.Password, dbExtra)
}

// myRow is a lease4 row as stored.
type myRow struct {
	hwaddr string // as a MAC, aa:bb:...
	state  int64
	expire int64
}

// myLeaseRows reads the lease4 table of db.
func myLeaseRows(t *testing.T, s *mysqltest.Server, db string) map[netip.Addr]myRow {
	t.Helper()
	conn := s.Open(t, db)
	rows, err := conn.Query("SELECT address, hwaddr, state, UNIX_TIMESTAMP(expire) FROM lease4")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[netip.Addr]myRow{}
	for rows.Next() {
		var a, st, exp int64
		var hw []byte
		if err := rows.Scan(&a, &hw, &st, &exp); err != nil {
			t.Fatal(err)
		}
		out[dhcpv4.Uint32ToAddr(uint32(a))] = myRow{hwaddr: net.HardwareAddr(hw).String(), state: st, expire: exp}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMySQL runs leased on a MariaDB lease-database: kea-dhcp4 2.2 and
// leased take turns on one database and a link, each renewing the
// other's client, who keeps its address; two leased and a kea-dhcp4
// serve perfdhcp from one pool at once with no address to two clients;
// reservations in Kea's MySQL host tables are served alike by both, and
// one leased's reservation-add writes is served at once, then by Kea;
// MariaDB killed under load loses no acknowledged lease; on-fail holds
// every ACK while the database is down, and stop-retry-exit stops leased.
func TestMySQL(t *testing.T) {
	needs(t, "udhcpc", "kea-dhcp4")
	s := mysqltest.New(t, mysqltest.Options{TZ: mysqlTZ})
	p := testnet.NewPair(t)

	t.Run("KeaAndLeased", func(t *testing.T) {
		hooks := testnet.KeaHooksDir(t, "libdhcp_lease_cmds.so")
		db := s.NewDB(t)
		dir := t.TempDir()
		leasedCfg := myLeasedConfig(db, filepath.Join(dir, "ctl.sock"), "")
		keaDir := testnet.UnprivilegedDir(t)
		keaCfg := fmt.Sprintf(`{"Dhcp4": {
			"interfaces-config": {"interfaces": ["srv0"]},
			"control-socket": {"socket-type": "unix", "socket-name": %q},
			"lease-database": {"type": "mysql", "name": %q, "host": "localhost", "user": %q, "password": %q},
			"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
			"hooks-libraries": [{"library": %q}],
			"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
			            {"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": "198.18.1.0 - 198.18.255.254"}]}],
			"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
			filepath.Join(keaDir, "kea4.sock"), db.Name, db.User, db.Password, filepath.Join(hooks, "libdhcp_lease_cmds.so"))
		startKea := func() *testnet.KeaProc {
			t.Helper()
			k := testnet.StartKea(t, keaDir, "kea-dhcp4", keaCfg, testnet.KeaOptions{
				NS: p.Server, Env: []string{"TZ=" + mysqlTZ, "MYSQL_UNIX_PORT=" + db.Socket},
				AmbientCaps: []uintptr{unix.CAP_NET_RAW, unix.CAP_NET_BIND_SERVICE}})
			deadline := time.Now().Add(15 * time.Second)
			for !strings.Contains(k.Output(), "DHCP4_STARTED") {
				select {
				case <-k.Done():
					t.Fatalf("kea-dhcp4 exited: %v%s", k.ExitErr(), testnet.IndentOutput(k.Output()))
				case <-time.After(50 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("kea-dhcp4 not started after 15 s%s", testnet.IndentOutput(k.Output()))
				}
			}
			return k
		}

		// A obtains from leased.
		srv := startPgLeased(t, p.Server, dir, leasedCfg)
		ifA, macA := p.AddClientLink(t)
		a := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifA, testnet.ClientOptions{})
		la, err := a.Obtain(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if row, ok := myLeaseRows(t, s, db.Name)[la.Addr]; !ok || row.hwaddr != macA.String() || row.state != 0 {
			t.Fatalf("lease4 row of %v: %+v (found %t), want %v in state 0", la.Addr, row, ok, macA)
		}
		srv.stop()

		// Kea renews A's lease, and leases B.
		kea := startKea()
		time.Sleep(1100 * time.Millisecond)
		before := myLeaseRows(t, s, db.Name)[la.Addr]
		ra, err := a.Renew(t.Context())
		if err != nil {
			t.Fatalf("A's renewal with Kea: %v", err)
		}
		if ra.Addr != la.Addr {
			t.Fatalf("A renewed with Kea to %v, had %v from leased", ra.Addr, la.Addr)
		}
		after := myLeaseRows(t, s, db.Name)[la.Addr]
		if after.expire <= before.expire || after.hwaddr != macA.String() {
			t.Errorf("A's row after Kea's renewal: %+v, before %+v", after, before)
		}
		// Kea's expiry is the instant of its renewal: its wall clock and
		// the server's zone agree.
		if now := time.Now().Unix(); after.expire < now+3600-5 || after.expire > now+3600 {
			t.Errorf("Kea stored A's expiry as %d, %d s from now + 3600", after.expire, after.expire-now-3600)
		}
		ifB, macB := p.AddClientLink(t)
		b := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifB, testnet.ClientOptions{})
		lb, err := b.Obtain(t.Context())
		if err != nil {
			t.Fatalf("B from Kea: %v", err)
		}
		if lb.Addr == la.Addr {
			t.Fatalf("Kea gave B %v, A's address", lb.Addr)
		}
		kea.Stop()

		// leased renews B's lease, which Kea wrote, and shows it.
		srv = startPgLeased(t, p.Server, dir, leasedCfg)
		r := srv.call("lease4-get", map[string]any{"ip-address": lb.Addr.String()})
		if r.Result != 0 || !strings.Contains(raw(r), macB.String()) {
			t.Errorf("leased's lease4-get of Kea's lease %v: %d %s", lb.Addr, r.Result, raw(r))
		}
		time.Sleep(1100 * time.Millisecond)
		before = myLeaseRows(t, s, db.Name)[lb.Addr]
		rb, err := b.Renew(t.Context())
		if err != nil {
			t.Fatalf("B's renewal with leased: %v", err)
		}
		if rb.Addr != lb.Addr {
			t.Fatalf("B renewed with leased to %v, had %v from Kea", rb.Addr, lb.Addr)
		}
		if after := myLeaseRows(t, s, db.Name)[lb.Addr]; after.expire <= before.expire || after.hwaddr != macB.String() {
			t.Errorf("B's row after leased's renewal: %+v, before %+v", after, before)
		}
		cg := raw(srv.call("config-get", nil))
		if !strings.Contains(cg, `"mysql"`) || strings.Contains(cg, db.Password) {
			t.Errorf("config-get: %s", cg)
		}
		srv.stop()
		if strings.Contains(srv.proc.Output(), db.Password) {
			t.Error("the log shows the database password")
		}
	})

	t.Run("ThreeServers", func(t *testing.T) { threeServersOnMySQL(t, s) })
	t.Run("Reservations", func(t *testing.T) { reservationsOnMySQL(t, s, p) })

	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := uint32(0)
	dora := func() error {
		n++
		_, err := r.dora(t.Context(), macFor(0xc3, n), 300*time.Millisecond, 2)
		return err
	}

	t.Run("RestartUnderLoad", func(t *testing.T) {
		// MariaDB is killed while clients keep asking, and started
		// again: leased disables DHCP while it reconnects, resumes by
		// itself, and every lease it acknowledged, before, during and
		// after, is a row of lease4 with the client's MAC.
		db := s.NewDB(t)
		dir := t.TempDir()
		srv := startPgLeased(t, p.Server, dir, myLeasedConfig(db, filepath.Join(dir, "ctl.sock"),
			`, "on-fail": "stop-retry-exit", "max-reconnect-tries": 600, "reconnect-wait-time": 100, "connect-timeout": 2`))
		l := startLoad(t.Context(), r, 4, 0xc4)
		l.waitAcks(t, 50, 30*time.Second, "before the database stops")
		if err := s.Crash(); err != nil {
			t.Fatal(err)
		}
		crashed := l.count()
		deadline := time.Now().Add(15 * time.Second)
		for {
			st := raw(srv.call("status-get", nil))
			if strings.Contains(st, `"disabled-by-db-connection":true`) && strings.Contains(st, `"state":"failed"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("status-get 15 s after the database stopped: %s", st)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second) // clients keep asking while the database is down
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		l.waitAcks(t, l.count()+50, 30*time.Second, "after the database came back")
		acks := l.end()
		if st := raw(srv.call("status-get", nil)); !strings.Contains(st, `"disabled-by-db-connection":false`) || !strings.Contains(st, `"lease-store":{"state":"healthy"}`) {
			t.Errorf("status-get after the recovery: %s", st)
		}
		rows := myLeaseRows(t, s, db.Name)
		byAddr := map[netip.Addr]string{}
		for _, a := range acks {
			if other, dup := byAddr[a.addr]; dup && other != a.mac {
				t.Errorf("%v acknowledged to %s and to %s", a.addr, other, a.mac)
			}
			byAddr[a.addr] = a.mac
			if row, ok := rows[a.addr]; !ok {
				t.Errorf("%v acknowledged to %s at %s is not in lease4", a.addr, a.mac, a.at.Format(time.StampMilli))
			} else if row.hwaddr != a.mac {
				t.Errorf("%v acknowledged to %s is %s's in lease4", a.addr, a.mac, row.hwaddr)
			}
		}
		out := srv.proc.Output()
		for _, msg := range []string{"lease database connection lost; DHCP service disabled while reconnecting", "lease database connection recovered; DHCP service resumed"} {
			if !strings.Contains(out, msg) {
				t.Errorf("the log does not say %q", msg)
			}
		}
		t.Logf("%d ACKs, %d before the kill, %d rows, %d DORAs failed", len(acks), crashed, len(rows), l.failed)
		srv.stop()
	})

	t.Run("serve-retry-continue", func(t *testing.T) {
		db := s.NewDB(t)
		dir := t.TempDir()
		srv := startPgLeased(t, p.Server, dir, myLeasedConfig(db, filepath.Join(dir, "ctl.sock"),
			`, "on-fail": "serve-retry-continue", "connect-timeout": 1`))
		if err := dora(); err != nil {
			t.Fatal(err)
		}
		if err := s.Crash(); err != nil {
			t.Fatal(err)
		}
		if err := dora(); err == nil {
			t.Error("a client was acknowledged with the database down")
		}
		if srv.proc.Exited() {
			t.Fatalf("leased exited with serve-retry-continue: %v", srv.proc.ExitErr())
		}
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for dora() != nil {
			if time.Now().After(deadline) {
				t.Fatal("no ACK 20 s after the database came back")
			}
		}
		srv.stop()
	})

	t.Run("stop-retry-exit", func(t *testing.T) {
		db := s.NewDB(t)
		dir := t.TempDir()
		srv := startPgLeased(t, p.Server, dir, myLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""))
		if err := dora(); err != nil {
			t.Fatal(err)
		}
		if err := s.Crash(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
		}()
		if err := dora(); err == nil {
			t.Error("a client was acknowledged with the database down")
		}
		select {
		case <-srv.proc.Done():
		case <-time.After(15 * time.Second):
			t.Fatal("leased still running 15 s after the database went away")
		}
		if code := exitCode(srv.proc.ExitErr()); code != 1 {
			t.Errorf("exit status %d (%v), want 1", code, srv.proc.ExitErr())
		}
		if out := srv.proc.Output(); !strings.Contains(out, "lease database connection lost and reconnection is not configured") {
			t.Errorf("the log does not say why leased stopped")
		}
	})
}

// threeServersOnMySQL: two leased and one kea-dhcp4 2.2 keep their leases
// in one MariaDB database and serve at the same time, each its own
// perfdhcp run of 300 clients from one 1,024-address pool (multiPool).
// Every address the three runs were acknowledged went to one client
// only, and every acknowledged lease is that client's row of lease4.
func threeServersOnMySQL(t *testing.T, s *mysqltest.Server) {
	needs(t, "kea-dhcp4", "perfdhcp")
	db := s.NewDB(t)
	pairs := []*testnet.Pair{testnet.NewPair(t), testnet.NewPair(t), testnet.NewPair(t)}
	for i := range 2 {
		dir := t.TempDir()
		cfg := strings.Replace(myLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""), "198.18.1.0 - 198.18.255.254", multiPool, 1)
		if !strings.Contains(cfg, multiPool) {
			t.Fatal("the leased configuration has no relayed pool to replace")
		}
		startPgLeased(t, pairs[i].Server, dir, cfg)
	}
	keaDir := testnet.UnprivilegedDir(t)
	keaCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"lease-database": {"type": "mysql", "name": %q, "host": "localhost", "user": %q, "password": %q},
		"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
		            {"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": %q}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		db.Name, db.User, db.Password, multiPool)
	kea := testnet.StartKea(t, keaDir, "kea-dhcp4", keaCfg, testnet.KeaOptions{
		NS: pairs[2].Server, Env: []string{"TZ=" + mysqlTZ, "MYSQL_UNIX_PORT=" + db.Socket},
		AmbientCaps: []uintptr{unix.CAP_NET_RAW, unix.CAP_NET_BIND_SERVICE}})
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(kea.Output(), "DHCP4_STARTED"); {
		select {
		case <-kea.Done():
			t.Fatalf("kea-dhcp4 exited: %v%s", kea.ExitErr(), testnet.IndentOutput(kea.Output()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("kea-dhcp4 not started after 15 s%s", testnet.IndentOutput(kea.Output()))
		}
	}

	// The three runs at once, each with MACs of its own (02:0N:...).
	reports := make([]*testnet.PerfdhcpReport, len(pairs))
	errs := make([]error, len(pairs))
	var wg sync.WaitGroup
	for i, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = testnet.RunPerfdhcp(context.Background(), p.Client, testnet.PerfdhcpOptions{
				Server:    p.ServerAddr,
				LocalAddr: p.RelayAddr,
				Rate:      100,
				Clients:   300,
				Duration:  4 * time.Second,
				Args:      []string{"-b", fmt.Sprintf("mac=02:%02x:00:00:00:00", i+1), "-x", "l"},
			})
		}()
	}
	wg.Wait()
	names := []string{"leased 1", "leased 2", "kea-dhcp4"}
	holder := map[netip.Addr]string{} // address → MAC acknowledged
	for i, rep := range reports {
		if errs[i] != nil {
			t.Fatalf("perfdhcp against %s: %v", names[i], errs[i])
		}
		acks := perfdhcpLeases(t, rep.Output)
		do, ra := rep.DiscoverOffer(), rep.RequestAck()
		t.Logf("%s: DISCOVER-OFFER sent %d received %d; REQUEST-ACK sent %d received %d rejected %d; %d leases listed",
			names[i], do.Sent, do.Received, ra.Sent, ra.Received, ra.Rejected, len(acks))
		// leased must not lose its clients to the others' leases: a lost
		// race is decided again, never a NAK. The share of ACKs is left
		// loose, as in TestPostgreSQLThreeServersOneDatabase: under a CI
		// run's load perfdhcp's 1 s wait times out REQUESTs that are not
		// refused. kea-dhcp4, single-threaded with a commit per lease,
		// falls behind on a busy machine, and need only take part.
		want := ra.Sent / 2
		if i == 2 {
			want = ra.Sent / 4
		}
		if ra.Received < want || len(acks) == 0 {
			t.Errorf("%s acknowledged %d of %d REQUESTs (%d leases listed), want at least %d: the servers were to share the pool",
				names[i], ra.Received, ra.Sent, len(acks), want)
		}
		if i < 2 && ra.Rejected > ra.Sent/20 {
			t.Errorf("%s refused %d of %d REQUESTs (NAK): a race lost to another server must be decided again, not refused",
				names[i], ra.Rejected, ra.Sent)
		}
		for _, a := range acks {
			if other, ok := holder[a.addr]; ok && other != a.mac {
				t.Errorf("%v acknowledged to %s and, by %s, to %s", a.addr, other, names[i], a.mac)
			}
			holder[a.addr] = a.mac
		}
	}
	rows := myLeaseRows(t, s, db.Name)
	for a, mac := range holder {
		if r, ok := rows[a]; !ok || r.hwaddr != mac || r.state != 0 {
			t.Errorf("acknowledged lease of %v to %s: row %+v (found %t)", a, mac, r, ok)
		}
	}
	t.Logf("%d addresses acknowledged, %d rows in lease4", len(holder), len(rows))
	select {
	case <-kea.Done():
		t.Errorf("kea-dhcp4 exited during the run: %v%s", kea.ExitErr(), testnet.IndentOutput(testnet.Tail(kea.Output(), 4000)))
	default:
	}
}

// myHostRow writes a reservation into Kea's MySQL host tables in the form
// kea-dhcp4 2.2 writes and reads: no DHCPv6 subnet, the address as an
// integer, empty text for what is absent, one dhcp4_options row per
// option with scope 3, the formatted value when the option is text and
// the payload otherwise.
func myHostRow(t *testing.T, s *mysqltest.Server, db string, mac net.HardwareAddr, subnet int, addr string, hostname string) {
	t.Helper()
	s.Admin(t, db,
		fmt.Sprintf(`INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id, ipv4_address,
			hostname, dhcp4_client_classes, dhcp6_client_classes, user_context, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, auth_key)
			VALUES (X'%x', 0, %d, NULL, INET_ATON('%s'), '%s', '', '', NULL, 0, '', '', NULL)`, []byte(mac), subnet, addr, hostname),
		fmt.Sprintf(`INSERT INTO dhcp4_options (code, value, formatted_value, space, persistent, user_context, host_id, scope_id)
			SELECT 6, NULL, '192.0.2.53,192.0.2.54', 'dhcp4', 0, NULL, host_id, 3 FROM hosts WHERE dhcp_identifier = X'%x'
			UNION ALL
			SELECT 15, X'%x', NULL, 'dhcp4', 0, NULL, host_id, 3 FROM hosts WHERE dhcp_identifier = X'%x'`,
			[]byte(mac), []byte(hostname+".example"), []byte(mac)))
}

// reservationsOnMySQL: reservations in Kea's MySQL host tables are served
// alike by kea-dhcp4 2.2 and by leased. Rows written in Kea's form give a
// client its address, name servers and domain from Kea, then from
// leased; a reservation added with leased's reservation-add is served by
// leased at once, and by Kea from the rows leased wrote; deleted, it is
// gone for leased at once.
func reservationsOnMySQL(t *testing.T, s *mysqltest.Server, p *testnet.Pair) {
	needs(t, "udhcpc", "kea-dhcp4")
	db := s.NewDB(t)
	dir := t.TempDir()
	subnets := `[{"id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]`
	leasedCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "persist": false},
		"hosts-database": {"type": "mysql", "name": %q, "host": %q, "user": %q, "password": %q},
		"valid-lifetime": 3600,
		"subnet4": %s}}`, filepath.Join(dir, "ctl.sock"), db.Name, db.Socket, db.User, db.Password, subnets)
	keaDir := testnet.UnprivilegedDir(t)
	keaCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"lease-database": {"type": "memfile", "persist": false},
		"hosts-database": {"type": "mysql", "name": %q, "host": "localhost", "user": %q, "password": %q},
		"valid-lifetime": 3600,
		"subnet4": %s,
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`, db.Name, db.User, db.Password, subnets)
	startKea := func() *testnet.KeaProc {
		t.Helper()
		k := testnet.StartKea(t, keaDir, "kea-dhcp4", keaCfg, testnet.KeaOptions{
			NS: p.Server, Env: []string{"TZ=" + mysqlTZ, "MYSQL_UNIX_PORT=" + db.Socket},
			AmbientCaps: []uintptr{unix.CAP_NET_RAW, unix.CAP_NET_BIND_SERVICE}})
		for deadline := time.Now().Add(15 * time.Second); !strings.Contains(k.Output(), "DHCP4_STARTED"); {
			select {
			case <-k.Done():
				t.Fatalf("kea-dhcp4 exited: %v%s", k.ExitErr(), testnet.IndentOutput(k.Output()))
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("kea-dhcp4 not started after 15 s%s", testnet.IndentOutput(k.Output()))
			}
		}
		return k
	}
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
	myHostRow(t, s, db.Name, macA, 1, "192.0.2.50", "res-a")

	kea := startKea()
	check("A from kea-dhcp4 2.2", ifA, "192.0.2.50", "res-a.example")
	kea.Stop()

	srv := startPgLeased(t, p.Server, dir, leasedCfg)
	check("A from leased", ifA, "192.0.2.50", "res-a.example")

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

	kea = startKea()
	check("C from kea-dhcp4 2.2, added by leased", ifC, "192.0.2.60", "res-c.example")
	kea.Stop()

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
