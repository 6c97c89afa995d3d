//go:build linux

package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
)

// The PostgreSQL lease-database end to end: leased in the Pair's server
// namespace keeps its leases in a private PostgreSQL cluster of the
// test's (internal/pgtest), reached through the cluster's unix socket,
// which crosses network namespaces; no network carries it. The tests read
// the lease4 table itself, not what leased says.

// pgLeasedConfig serves srv0 (192.0.2.0/24, and the relay's
// 198.18.0.0/16) from database db; dbExtra adds lease-database keywords.
func pgLeasedConfig(db pgtest.DB, sock, dbExtra string) string {
	return fmt.Sprintf(`{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "control-socket": { "socket-type": "unix", "socket-name": %q },
    "lease-database": { "type": "postgresql", "host": %q, "port": %d, "name": %q, "user": %q, "password": %q %s },
    "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
    "cache-threshold": 0,
    "subnet4": [
      { "id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ] },
      { "id": 2, "subnet": "198.18.0.0/16", "pools": [ { "pool": "198.18.1.0 - 198.18.255.254" } ] }
    ]
  }
}
`, sock, db.Host, db.Port, db.Name, db.User, db.Password, dbExtra)
}

// pgLeased is one leased process on a PostgreSQL lease-database.
type pgLeased struct {
	t    *testing.T
	proc *testnet.Proc
	sock string
}

// startPgLeased starts leased in ns on the configuration text and waits
// until it serves. Its PID file goes to a directory of the test's.
func startPgLeased(t *testing.T, ns *testnet.NS, dir, text string) *pgLeased {
	t.Helper()
	sock := filepath.Join(dir, "ctl.sock")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, text)
	proc, err := ns.Start(context.Background(), "env", "LEASED_PIDFILE_DIR="+dir, leasedBin, "serve", "-c", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !proc.Exited() {
			proc.Stop(5 * time.Second)
		}
		if out := proc.Output(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in leased:%s", testnet.IndentOutput(out))
		}
		if t.Failed() {
			t.Logf("leased:%s", testnet.IndentOutput(testnet.Tail(proc.Output(), 6000)))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(proc.Output(), readyLine) {
		if proc.Exited() || time.Now().After(deadline) {
			t.Fatalf("leased not serving (exited %v):%s", proc.Exited(), testnet.IndentOutput(proc.Output()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return &pgLeased{t: t, proc: proc, sock: sock}
}

func (l *pgLeased) call(cmd string, args any) *control.Response {
	l.t.Helper()
	c := &control.Client{Target: l.sock}
	r, err := c.Call(l.t.Context(), cmd, args)
	if err != nil {
		l.t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

// stop stops leased with SIGTERM and checks that it exits with status 0.
func (l *pgLeased) stop() {
	l.t.Helper()
	if err := l.proc.Stop(10 * time.Second); err != nil {
		l.t.Fatalf("leased after SIGTERM: %v", err)
	}
}

// pgRow is a lease4 row as stored.
type pgRow struct {
	hwaddr string // as a MAC, aa:bb:...
	state  int64
	expire int64
}

// leaseRows reads the lease4 table of db.
func leaseRows(t *testing.T, c *pgtest.Cluster, db string) map[netip.Addr]pgRow {
	t.Helper()
	conn := c.Connect(t, db)
	rows, err := conn.Query(t.Context(), "SELECT address, encode(hwaddr, 'hex'), state, extract(epoch from expire)::bigint FROM lease4")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[netip.Addr]pgRow{}
	for rows.Next() {
		var a, st, exp int64
		var hw string
		if err := rows.Scan(&a, &hw, &st, &exp); err != nil {
			t.Fatal(err)
		}
		b, _ := hex.DecodeString(hw)
		out[dhcpv4.Uint32ToAddr(uint32(a))] = pgRow{hwaddr: net.HardwareAddr(b).String(), state: st, expire: exp}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	return out
}

// TestPostgreSQLServesClients: dhclient and udhcpc obtain and renew
// leases from leased on a PostgreSQL lease-database; each lease is a row
// of lease4 with the client's MAC, and lease4-get reads it back.
func TestPostgreSQLServesClients(t *testing.T) {
	needs(t, "udhcpc", "dhclient")
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	srv := startPgLeased(t, p.Server, dir, pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""))
	for _, kind := range []testnet.ClientKind{testnet.Udhcpc, testnet.Dhclient} {
		t.Run(string(kind), func(t *testing.T) {
			iface, mac := p.AddClientLink(t)
			cl := testnet.NewClient(t, kind, p.Client, iface, testnet.ClientOptions{})
			got, err := cl.Obtain(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !inRange(got.Addr, "192.0.2.100", "192.0.2.199") {
				t.Fatalf("%s got %v, outside the pool", kind, got.Addr)
			}
			row, ok := leaseRows(t, c, db.Name)[got.Addr]
			if !ok || row.hwaddr != mac.String() || row.state != 0 {
				t.Fatalf("lease4 row of %v: %+v (found %t), want %v in state 0", got.Addr, row, ok, mac)
			}
			time.Sleep(1100 * time.Millisecond) // so that the renewal's expiry is later
			again, err := cl.Renew(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if again.Addr != got.Addr {
				t.Fatalf("renewal gave %v, first %v", again.Addr, got.Addr)
			}
			if after := leaseRows(t, c, db.Name)[got.Addr]; after.expire <= row.expire || after.hwaddr != mac.String() {
				t.Errorf("lease4 row after the renewal: %+v, before %+v", after, row)
			}
			r := srv.call("lease4-get", map[string]any{"ip-address": got.Addr.String()})
			if r.Result != 0 || !strings.Contains(raw(r), mac.String()) {
				t.Errorf("lease4-get %v: %d %s", got.Addr, r.Result, raw(r))
			}
		})
	}

	// The password shows nowhere the configuration does: config-get,
	// leased serve -t, the log.
	cg := raw(srv.call("config-get", nil))
	if !strings.Contains(cg, `"postgresql"`) || strings.Contains(cg, db.Password) {
		t.Errorf("config-get: %s", cg)
	}
	out, err := exec.Command(leasedBin, "serve", "-t", filepath.Join(dir, "kea-dhcp4.conf")).CombinedOutput()
	if err != nil || strings.Contains(string(out), db.Password) {
		t.Errorf("leased serve -t: %v\n%s", err, out)
	}
	srv.stop()
	if strings.Contains(srv.proc.Output(), db.Password) {
		t.Error("the log shows the database password")
	}
}

func raw(r *control.Response) string {
	b, _ := r.RawArguments()
	return string(b)
}

// load runs DORA for new clients from several goroutines over the relay
// until stop is closed, and keeps every ACK.
type load struct {
	mu     sync.Mutex
	acks   []ack
	failed int
	wg     sync.WaitGroup
	stop   chan struct{}
}

func startLoad(ctx context.Context, r *relay, workers int, prefix byte) *load {
	l := &load{stop: make(chan struct{})}
	var mu sync.Mutex
	n := uint32(0)
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				mu.Lock()
				n++
				mac := macFor(prefix, n)
				mu.Unlock()
				a, err := r.dora(ctx, mac, 300*time.Millisecond, 2)
				l.mu.Lock()
				if err != nil {
					l.failed++
				} else {
					l.acks = append(l.acks, a)
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *load) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// waitAcks waits until at least n ACKs have been received.
func (l *load) waitAcks(t *testing.T, n int, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for l.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d ACKs after %v, want %d", what, l.count(), within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *load) end() []ack {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ack(nil), l.acks...)
}

// TestPostgreSQLRestartUnderLoad: the database server is stopped as
// `pg_ctl stop -m immediate` does while clients keep asking, and started
// again. With on-fail stop-retry-exit leased disables DHCP while it
// reconnects (status-get says so), resumes by itself when the database is
// back, and every lease it acknowledged, before, during and after, is a
// row of lease4 with the client's MAC.
func TestPostgreSQLRestartUnderLoad(t *testing.T) {
	needs(t)
	c := pgtest.New(t, pgtest.Options{Fsync: true})
	db := c.NewDB(t)
	p := testnet.NewPair(t)
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := t.TempDir()
	srv := startPgLeased(t, p.Server, dir, pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"),
		`, "on-fail": "stop-retry-exit", "max-reconnect-tries": 600, "reconnect-wait-time": 100, "connect-timeout": 2`))

	l := startLoad(t.Context(), r, 4, 0xc1)
	l.waitAcks(t, 50, 30*time.Second, "before the database stops")
	if err := c.Crash(); err != nil {
		t.Fatal(err)
	}
	crashed := l.count()
	// The DHCP service is disabled while leased reconnects.
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := srv.call("status-get", nil)
		if strings.Contains(raw(st), `"disabled-by-db-connection":true`) && strings.Contains(raw(st), `"lease-store":{"error":`) &&
			strings.Contains(raw(st), `"state":"failed"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status-get 15 s after the database stopped: %s", raw(st))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // clients keep asking while the database is down
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	l.waitAcks(t, l.count()+50, 30*time.Second, "after the database came back")
	acks := l.end()
	if st := raw(srv.call("status-get", nil)); !strings.Contains(st, `"disabled-by-db-connection":false`) || !strings.Contains(st, `"lease-store":{"state":"healthy"}`) {
		t.Errorf("status-get after the recovery: %s", raw(srv.call("status-get", nil)))
	}

	rows := leaseRows(t, c, db.Name)
	byAddr := map[netip.Addr]string{}
	for _, a := range acks {
		if other, dup := byAddr[a.addr]; dup && other != a.mac {
			t.Errorf("%v acknowledged to %s and to %s", a.addr, other, a.mac)
		}
		byAddr[a.addr] = a.mac
		row, ok := rows[a.addr]
		if !ok {
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
	t.Logf("%d ACKs, %d before the stop, %d rows, %d DORAs failed", len(acks), crashed, len(rows), l.failed)
	srv.stop()
}

// TestPostgreSQLOnFail: with Kea's defaults (stop-retry-exit, no
// reconnection tries) leased exits with status 1 when it finds the
// database gone, as kea-dhcp4 does; with serve-retry-continue it serves
// on, acknowledging nothing while the database is down, and serves again
// once it is back.
func TestPostgreSQLOnFail(t *testing.T) {
	needs(t)
	c := pgtest.New(t, pgtest.Options{})
	p := testnet.NewPair(t)
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := uint32(0)
	dora := func() error {
		n++
		_, err := r.dora(t.Context(), macFor(0xc2, n), 300*time.Millisecond, 2)
		return err
	}

	t.Run("stop-retry-exit", func(t *testing.T) {
		db := c.NewDB(t)
		dir := t.TempDir()
		srv := startPgLeased(t, p.Server, dir, pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""))
		if err := dora(); err != nil {
			t.Fatal(err)
		}
		if err := c.Crash(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := c.Restart(); err != nil {
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

	t.Run("serve-retry-continue", func(t *testing.T) {
		db := c.NewDB(t)
		dir := t.TempDir()
		srv := startPgLeased(t, p.Server, dir, pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"),
			`, "on-fail": "serve-retry-continue", "connect-timeout": 1`))
		if err := dora(); err != nil {
			t.Fatal(err)
		}
		if err := c.Crash(); err != nil {
			t.Fatal(err)
		}
		if err := dora(); err == nil {
			t.Error("a client was acknowledged with the database down")
		}
		if srv.proc.Exited() {
			t.Fatalf("leased exited with serve-retry-continue: %v", srv.proc.ExitErr())
		}
		if err := c.Restart(); err != nil {
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
}

// TestPostgreSQLKeaAndLeased: kea-dhcp4 2.2 from Debian and leased on one
// database, taking turns on the same link: a client leased served renews
// with Kea and keeps its address, and one Kea served renews with leased
// and keeps its; leased's lease4-get shows Kea's lease.
func TestPostgreSQLKeaAndLeased(t *testing.T) {
	needs(t, "udhcpc", "kea-dhcp4")
	hooks := testnet.KeaHooksDir(t, "libdhcp_lease_cmds.so")
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	leasedCfg := pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"), "")
	keaDir := testnet.UnprivilegedDir(t)
	keaCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q},
		"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
		"hooks-libraries": [{"library": %q}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
		            {"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": "198.18.1.0 - 198.18.255.254"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		filepath.Join(keaDir, "kea4.sock"), db.Name, db.Host, db.Port, db.User, db.Password, filepath.Join(hooks, "libdhcp_lease_cmds.so"))
	startKea := func() *testnet.KeaProc {
		return startKeaDHCP4(t, p.Server, keaDir, keaCfg)
	}

	// A obtains from leased.
	srv := startPgLeased(t, p.Server, dir, leasedCfg)
	ifA, macA := p.AddClientLink(t)
	a := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifA, testnet.ClientOptions{})
	la, err := a.Obtain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv.stop()

	// Kea renews A's lease, and leases B.
	kea := startKea()
	time.Sleep(1100 * time.Millisecond)
	before := leaseRows(t, c, db.Name)[la.Addr]
	ra, err := a.Renew(t.Context())
	if err != nil {
		t.Fatalf("A's renewal with Kea: %v", err)
	}
	if ra.Addr != la.Addr {
		t.Fatalf("A renewed with Kea to %v, had %v from leased", ra.Addr, la.Addr)
	}
	if after := leaseRows(t, c, db.Name)[la.Addr]; after.expire <= before.expire || after.hwaddr != macA.String() {
		t.Errorf("A's row after Kea's renewal: %+v, before %+v", after, before)
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
	before = leaseRows(t, c, db.Name)[lb.Addr]
	rb, err := b.Renew(t.Context())
	if err != nil {
		t.Fatalf("B's renewal with leased: %v", err)
	}
	if rb.Addr != lb.Addr {
		t.Fatalf("B renewed with leased to %v, had %v from Kea", rb.Addr, lb.Addr)
	}
	if after := leaseRows(t, c, db.Name)[lb.Addr]; after.expire <= before.expire || after.hwaddr != macB.String() {
		t.Errorf("B's row after leased's renewal: %+v, before %+v", after, before)
	}
	srv.stop()
}

// startKeaDHCP4 runs kea-dhcp4 2.2 in ns with configuration cfg (its
// files in dir) and waits until it says it has started.
func startKeaDHCP4(t *testing.T, ns *testnet.NS, dir, cfg string) *testnet.KeaProc {
	t.Helper()
	k := testnet.StartKea(t, dir, "kea-dhcp4", cfg, testnet.KeaOptions{
		NS: ns, Env: []string{"TZ=UTC"}, AmbientCaps: []uintptr{unix.CAP_NET_RAW, unix.CAP_NET_BIND_SERVICE}})
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
