//go:build linux

package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/internal/pgtest"
)

// hostsBackend is a database server a hosts-database test kills and
// starts again: its hosts-database map (without the reconnection
// keywords), and Crash and Restart.
type hostsBackend struct {
	name    string
	dbMap   string
	crash   func() error
	restart func() error
}

func pgHostsBackend(t *testing.T, c *pgtest.Cluster) hostsBackend {
	db := c.NewDB(t)
	return hostsBackend{name: "postgresql",
		dbMap: fmt.Sprintf(`"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q`,
			db.Name, db.Host, db.Port, db.User, db.Password),
		crash: c.Crash, restart: c.Restart}
}

func mysqlHostsBackend(t *testing.T, s *mysqltest.Server) hostsBackend {
	db := s.NewDB(t)
	return hostsBackend{name: "mysql",
		dbMap: fmt.Sprintf(`"type": "mysql", "name": %q, "host": %q, "user": %q, "password": %q`,
			db.Name, db.Socket, db.User, db.Password),
		crash: s.Crash, restart: s.Restart}
}

// hostsFailServer is a leased serving relayed clients of 192.0.2.0/24
// (pool .100 to .199) with b as its hosts database, reconnection as
// reconnect says (the keywords, or "" for Kea's defaults).
type hostsFailServer struct {
	t       *testing.T
	p       *testProc
	relay   *haRelay
	port    int
	httpURL string
}

func launchHostsFail(t *testing.T, b hostsBackend, reconnect string) *hostsFailServer {
	t.Helper()
	dir := t.TempDir()
	httpPort := freePort(t, "tcp")
	if reconnect != "" {
		reconnect = ", " + reconnect
	}
	cfg := fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": ["lo"]},
  "lease-database": {"type": "memfile", "persist": true, "name": %q},
  "hosts-database": {%s%s},
  "valid-lifetime": 600,
  "control-sockets": [{"socket-type": "unix", "socket-name": %q},
    {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": %d}],
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": [%q, %q]},
    "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]
}}`, filepath.Join(dir, "leases", "dhcp4.leases"), b.dbMap, reconnect, filepath.Join(dir, "ctl.sock"), httpPort, haRelayAddr, loadRelayAddr)
	path := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t, "udp")
	p := launch(t, dir, path, Options{ServerPort: uint16(port), ClientPort: uint16(freePort(t, "udp")), PIDFileDir: dir})
	return &hostsFailServer{t: t, p: p, port: port, httpURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", httpPort)}
}

// serving waits until the server serves, and makes its relay.
func (s *hostsFailServer) serving() {
	s.t.Helper()
	s.p.waitFor("serving", func() bool {
		if s.p.exited() {
			s.t.Fatalf("Run returned %d, %v before serving; log:\n%s", s.p.code, s.p.err, s.p.out.String())
		}
		return s.p.serving()
	})
	if s.relay == nil {
		s.relay = newHARelay(s.t, s.port)
	}
}

func mac(b byte) []byte { return []byte{2, 0, 0, 0, 0, b} }

// dora runs a client's DISCOVER to ACK; the zero address when no answer
// came in 3 s.
func (s *hostsFailServer) dora(client byte) netip.Addr {
	s.t.Helper()
	a, _, ok := s.relay.dora(mac(client), 3*time.Second)
	if !ok {
		return netip.Addr{}
	}
	return a
}

func (s *hostsFailServer) reserve(client byte, addr string) {
	s.t.Helper()
	s.p.want("reservation-add", map[string]any{"reservation": map[string]any{"subnet-id": 1,
		"hw-address": fmt.Sprintf("02:00:00:00:00:%02x", client), "ip-address": addr}}, 0)
}

func (s *hostsFailServer) stat(name string) int64 {
	s.t.Helper()
	r := s.p.want("statistic-get", map[string]any{"name": name}, 0)
	var v map[string][][]any
	if err := r.Decode(&v); err != nil || len(v[name]) == 0 {
		s.t.Fatalf("statistic-get %s: %v %s", name, err, raw(r))
	}
	n, _ := v[name][0][0].(float64)
	return int64(n)
}

func (s *hostsFailServer) disabledByDB() bool {
	s.t.Helper()
	r := s.p.want("status-get", nil, 0)
	var st struct {
		State map[string]any `json:"dhcp-state"`
	}
	if err := r.Decode(&st); err != nil {
		s.t.Fatal(err)
	}
	return st.State["disabled-by-db-connection"] == true
}

func (s *hostsFailServer) metrics() string {
	s.t.Helper()
	resp, err := http.Get(s.httpURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// logged waits up to 60 s for text in the log.
func (s *hostsFailServer) logged(text string) {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.p.out.String(), text) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the log does not say %q after 60 s:\n%s", text, s.p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exits waits up to 60 s for the server to stop, and wants exit value 1.
func (s *hostsFailServer) exits() {
	s.t.Helper()
	select {
	case <-s.p.done:
	case <-time.After(60 * time.Second):
		s.t.Fatalf("still running 60 s after the hosts database was lost; log:\n%s", s.p.out.String())
	}
	if s.p.code != 1 {
		s.t.Errorf("exit value %d (%v), want 1", s.p.code, s.p.err)
	}
}

// Clients of the tests: reserved holds a reservation of the pool's first
// address (the one the allocator would give first), which no other
// client may get even while the database cannot say it is reserved.
const (
	reserved     = 0x0a
	reservedAddr = "192.0.2.100"
	other        = 0x0b
	during       = 0x0c
	later        = 0x0d
)

// hostsOutage kills b under a server whose on-fail is onFail and
// restarts it, checking what the server does meanwhile and that
// reservations are honoured afterwards.
func hostsOutage(t *testing.T, b hostsBackend, onFail string) {
	s := launchHostsFail(t, b, fmt.Sprintf(`"on-fail": %q, "max-reconnect-tries": 600, "reconnect-wait-time": 100`, onFail))
	s.serving()
	s.reserve(reserved, reservedAddr)
	if a := s.dora(reserved); a.String() != reservedAddr {
		t.Fatalf("reserved client got %v, want %s", a, reservedAddr)
	}
	if a := s.dora(other); !a.IsValid() || a.String() == reservedAddr {
		t.Fatalf("other client got %v", a)
	}

	if err := b.crash(); err != nil {
		t.Fatal(err)
	}
	// The first message that needs the database finds it gone: dropped,
	// never answered with the reserved address nor with one it could
	// not check.
	if a := s.dora(during); a.IsValid() {
		t.Errorf("client served %v while the hosts database is down", a)
	}
	if onFail == "stop-retry-exit" {
		s.logged("hosts database connection lost; DHCP service disabled while reconnecting")
		if !s.disabledByDB() {
			t.Error("status-get does not show the service disabled by the database connection")
		}
	} else {
		s.logged("hosts database connection lost; serving while reconnecting")
		if s.disabledByDB() {
			t.Errorf("service disabled with on-fail %s", onFail)
		}
		// Still serving: the next message is dropped too, counted again.
		before := s.stat(statHostsDrop)
		if a := s.dora(during); a.IsValid() {
			t.Errorf("client served %v while the hosts database is down", a)
		}
		if after := s.stat(statHostsDrop); after <= before {
			t.Errorf("%s %d after a message dropped, %d before", statHostsDrop, after, before)
		}
	}
	if a := s.dora(reserved); a.IsValid() {
		t.Errorf("reserved client served %v while the hosts database is down", a)
	}
	drops := s.stat(statHostsDrop)
	if drops < 1 || s.stat("pkt4-receive-drop") < drops {
		t.Errorf("%s %d, pkt4-receive-drop %d", statHostsDrop, drops, s.stat("pkt4-receive-drop"))
	}

	if err := b.restart(); err != nil {
		t.Fatal(err)
	}
	s.logged("hosts database connection recovered; DHCP service resumed")
	if s.disabledByDB() {
		t.Error("service still disabled after the database recovered")
	}
	if a := s.dora(reserved); a.String() != reservedAddr {
		t.Errorf("after the recovery the reserved client got %v, want %s", a, reservedAddr)
	}
	if a := s.dora(during); !a.IsValid() || a.String() == reservedAddr {
		t.Errorf("after the recovery a client got %v", a)
	}
	s.reserve(later, "192.0.2.150")
	if a := s.dora(later); a.String() != "192.0.2.150" {
		t.Errorf("a reservation added after the recovery: %v, want 192.0.2.150", a)
	}
	m := s.metrics()
	if want := fmt.Sprintf("leased_pkt4_hosts_database_drop_total %d", s.stat(statHostsDrop)); !strings.Contains(m, want) {
		t.Errorf("/metrics lacks %q", want)
	}
	if !strings.Contains(m, "leased_v4_hosts_database_address_skip_total") {
		t.Error("/metrics lacks leased_v4_hosts_database_address_skip_total")
	}
}

// hostsRunOut kills b under a server that tries to reconnect twice, and
// checks what on-fail does when the tries run out.
func hostsRunOut(t *testing.T, b hostsBackend, onFail, reconnect string) {
	s := launchHostsFail(t, b, fmt.Sprintf(`"on-fail": %q%s`, onFail, reconnect))
	s.serving()
	s.reserve(reserved, reservedAddr)
	if err := b.crash(); err != nil {
		t.Fatal(err)
	}
	if a := s.dora(during); a.IsValid() {
		t.Errorf("client served %v while the hosts database is down", a)
	}
	if onFail != "serve-retry-continue" {
		s.exits()
		if err := b.restart(); err != nil {
			t.Fatal(err)
		}
		return
	}
	s.logged("hosts database unreachable after every reconnection try; serving on (on-fail serve-retry-continue)")
	if a := s.dora(reserved); a.IsValid() {
		t.Errorf("reserved client served %v while the hosts database is down", a)
	}
	if err := b.restart(); err != nil {
		t.Fatal(err)
	}
	// Serving on, the next lookup connects again.
	deadline := time.Now().Add(60 * time.Second)
	for a := s.dora(reserved); a.String() != reservedAddr; a = s.dora(reserved) {
		if time.Now().After(deadline) {
			t.Fatalf("reserved client still got %v 60 s after the database came back", a)
		}
	}
	if s.p.exited() {
		t.Errorf("exited with on-fail serve-retry-continue: %v", s.p.err)
	}
}

// loadRelayAddr is the relay of hostsUnderLoad's clients.
var loadRelayAddr = netip.MustParseAddr("127.0.0.4")

// hostsUnderLoad kills b while clients keep arriving, one after another
// as fast as they are answered or time out, and starts it again: no
// client but the reserved one gets the reserved address, no address goes
// to two clients, and clients are served again once the database is
// back.
func hostsUnderLoad(t *testing.T, b hostsBackend, onFail string) {
	s := launchHostsFail(t, b, fmt.Sprintf(`"on-fail": %q, "max-reconnect-tries": 600, "reconnect-wait-time": 100`, onFail))
	s.serving()
	s.reserve(reserved, reservedAddr)
	load := newHARelayAt(t, loadRelayAddr, s.port)
	type grant struct {
		mac  byte
		addr netip.Addr
	}
	grants := make(chan grant, 256)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for client := byte(0x20); client < 0xf0; client++ {
			select {
			case <-stop:
				return
			default:
			}
			if a, _, ok := load.dora(mac(client), time.Second); ok {
				grants <- grant{client, a}
			}
		}
	}()
	count := func() int {
		deadline := time.Now().Add(60 * time.Second)
		n := len(grants)
		for len(grants) == n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		return len(grants) - n
	}
	if count() == 0 {
		t.Fatal("no client served before the database was killed")
	}
	if err := b.crash(); err != nil {
		t.Fatal(err)
	}
	s.logged("hosts database connection lost")
	time.Sleep(2 * time.Second) // clients arrive while it is down
	if err := b.restart(); err != nil {
		t.Fatal(err)
	}
	s.logged("hosts database connection recovered")
	if count() == 0 {
		t.Error("no client served after the database came back")
	}
	close(stop)
	<-done
	close(grants)
	byAddr := map[netip.Addr]byte{}
	for g := range grants {
		if g.addr.String() == reservedAddr {
			t.Errorf("client %02x got the reserved address", g.mac)
		}
		if prev, ok := byAddr[g.addr]; ok && prev != g.mac {
			t.Errorf("%v given to clients %02x and %02x", g.addr, prev, g.mac)
		}
		byAddr[g.addr] = g.mac
	}
	if a := s.dora(reserved); a.String() != reservedAddr {
		t.Errorf("after the load the reserved client got %v, want %s", a, reservedAddr)
	}
	t.Logf("%d clients served, %s %d, pkt4-receive-drop %d", len(byAddr), statHostsDrop, s.stat(statHostsDrop), s.stat("pkt4-receive-drop"))
}

// TestHostsDatabaseOnFail: PostgreSQL, the hosts database of a serving
// leased, is killed and started again under each on-fail mode; the tries
// running out; and absent at start, with and without retry-on-startup.
func TestHostsDatabaseOnFail(t *testing.T) {
	needRoot(t)
	c := pgtest.New(t, pgtest.Options{})
	for _, mode := range []string{"stop-retry-exit", "serve-retry-exit", "serve-retry-continue"} {
		t.Run(mode+" recovers", func(t *testing.T) { hostsOutage(t, pgHostsBackend(t, c), mode) })
	}
	for _, mode := range []string{"stop-retry-exit", "serve-retry-exit", "serve-retry-continue"} {
		t.Run(mode+" runs out", func(t *testing.T) {
			hostsRunOut(t, pgHostsBackend(t, c), mode, `, "max-reconnect-tries": 2, "reconnect-wait-time": 100`)
		})
	}
	for _, mode := range []string{"stop-retry-exit", "serve-retry-continue"} {
		t.Run(mode+" under load", func(t *testing.T) { hostsUnderLoad(t, pgHostsBackend(t, c), mode) })
	}
	// Kea's defaults: no reconnection, stop-retry-exit.
	t.Run("no reconnection", func(t *testing.T) { hostsRunOut(t, pgHostsBackend(t, c), "stop-retry-exit", "") })

	t.Run("absent at start", func(t *testing.T) {
		b := pgHostsBackend(t, c)
		if err := b.crash(); err != nil {
			t.Fatal(err)
		}
		s := launchHostsFail(t, b, "")
		s.exits()
		if s.p.err == nil || !strings.Contains(s.p.err.Error(), "hosts-database") {
			t.Errorf("Run's error: %v", s.p.err)
		}
		s = launchHostsFail(t, b, `"retry-on-startup": true, "max-reconnect-tries": 600, "reconnect-wait-time": 100`)
		s.logged("hosts database unreachable at start; retrying (retry-on-startup)")
		if s.p.serving() {
			t.Error("serving without the hosts database")
		}
		if err := b.restart(); err != nil {
			t.Fatal(err)
		}
		s.serving()
		s.reserve(reserved, reservedAddr)
		if a := s.dora(reserved); a.String() != reservedAddr {
			t.Errorf("reserved client got %v, want %s", a, reservedAddr)
		}
	})
}

// TestHostsDatabaseOnFailMySQL: the same with MariaDB, the database
// killed and started again.
func TestHostsDatabaseOnFailMySQL(t *testing.T) {
	needRoot(t)
	srv := mysqltest.New(t, mysqltest.Options{})
	for _, mode := range []string{"stop-retry-exit", "serve-retry-continue"} {
		t.Run(mode+" recovers", func(t *testing.T) { hostsOutage(t, mysqlHostsBackend(t, srv), mode) })
	}
	t.Run("serve-retry-continue under load", func(t *testing.T) { hostsUnderLoad(t, mysqlHostsBackend(t, srv), "serve-retry-continue") })
	t.Run("serve-retry-exit runs out", func(t *testing.T) {
		hostsRunOut(t, mysqlHostsBackend(t, srv), "serve-retry-exit", `, "max-reconnect-tries": 2, "reconnect-wait-time": 100`)
	})
}

// TestHostsDatabaseReloadDuringOutage: a reload that drops the hosts
// database while its connection is being recovered ends the recovery and
// the service's disable with it; the file's configuration serves.
func TestHostsDatabaseReloadDuringOutage(t *testing.T) {
	needRoot(t)
	c := pgtest.New(t, pgtest.Options{})
	b := pgHostsBackend(t, c)
	s := launchHostsFail(t, b, `"on-fail": "stop-retry-exit", "max-reconnect-tries": 600, "reconnect-wait-time": 100`)
	s.serving()
	if err := b.crash(); err != nil {
		t.Fatal(err)
	}
	if a := s.dora(during); a.IsValid() {
		t.Errorf("client served %v while the hosts database is down", a)
	}
	s.logged("hosts database connection lost; DHCP service disabled while reconnecting")
	text, err := os.ReadFile(s.p.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(text), "\n") {
		if !strings.Contains(l, `"hosts-database"`) {
			kept = append(kept, l)
		}
	}
	dhcp4 := strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(strings.Join(kept, "\n"), `{"Dhcp4": `)), "}")
	s.p.want("config-set", map[string]any{"Dhcp4": json.RawMessage(dhcp4)}, 0)
	if s.disabledByDB() {
		t.Error("the service is still disabled by a hosts database the configuration no longer has")
	}
	if a := s.dora(during); !a.IsValid() {
		t.Error("no answer after the hosts database was dropped from the configuration")
	}
	if err := b.restart(); err != nil {
		t.Fatal(err)
	}
}
