//go:build linux

package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/leased/leased/hosts"
	"github.com/leased/leased/hosts/sqlhosts"
	"github.com/leased/leased/internal/pgtest"
)

// hostsConfig is testProcessConfig's server with a hosts database (none
// when db is empty) and one reservation in the file.
func hostsConfig(dir string, db pgtest.DB, withDB bool) string {
	hostsDB := ""
	if withDB {
		hostsDB = fmt.Sprintf(`"hosts-database": {"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q},`,
			db.Name, db.Host, db.Port, db.User, db.Password)
	}
	return fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": ["lo"]},
  "lease-database": {"type": "memfile", "persist": true, "name": %q},
  %s
  "control-sockets": [{"socket-type": "unix", "socket-name": %q}],
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
    "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.10"}]}]
}}`, filepath.Join(dir, "leases", "dhcp4.leases"), hostsDB, filepath.Join(dir, "ctl.sock"))
}

// TestReservationCommands drives reservation-add, -get, -get-all,
// -get-page and -del against Kea's host tables, in Kea 3's argument and
// answer forms; a reload without the database leaves the commands
// nothing to write to.
func TestReservationCommands(t *testing.T) {
	needRoot(t)
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	dir := t.TempDir()
	p := startProc(t, dir, hostsConfig(dir, db, true))

	add := map[string]any{"reservation": map[string]any{"subnet-id": 1, "hw-address": "1a:1b:1c:1d:1e:1f", "ip-address": "192.0.2.50",
		"hostname": "added", "option-data": []any{map[string]any{"name": "domain-name", "data": "added.example"}}}}
	if r := p.want("reservation-add", add, 0); r.Text != "Host added." {
		t.Errorf("reservation-add: %q", r.Text)
	}
	if r := p.want("reservation-add", add, 1); !strings.Contains(r.Text, "duplicate") {
		t.Errorf("adding it again: %q", r.Text)
	}
	if r := p.want("reservation-add", map[string]any{"reservation": map[string]any{"flex-id": "'global-one'", "hostname": "g"}}, 0); r.Text != "Host added. subnet-id not specified, assumed global (subnet-id 0)." {
		t.Errorf("reservation-add without subnet-id: %q", r.Text)
	}
	if r := p.want("reservation-add", map[string]any{"reservation": map[string]any{"subnet-id": 9, "hw-address": "01:02:03:04:05:06"}}, 1); !strings.Contains(r.Text, "subnet with ID of '9' is not configured") {
		t.Errorf("reservation-add in a missing subnet: %q", r.Text)
	}
	var rows int
	conn := c.Connect(t, db.Name)
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM hosts h JOIN dhcp4_options o USING (host_id) WHERE h.hostname = 'added' AND o.formatted_value = 'added.example'").Scan(&rows); err != nil || rows != 1 {
		t.Errorf("the reservation's rows in the database: %d, %v", rows, err)
	}

	r := p.want("reservation-get", map[string]any{"subnet-id": 1, "identifier-type": "hw-address", "identifier": "1A:1B:1C:1D:1E:1F"}, 0)
	var h map[string]any
	if err := r.Decode(&h); err != nil || r.Text != "Host found." || h["ip-address"] != "192.0.2.50" || h["hostname"] != "added" || h["subnet-id"] != float64(1) {
		t.Errorf("reservation-get: %s %s %v", r.Text, raw(r), err)
	}
	if !strings.Contains(raw(r), `"data":"added.example"`) {
		t.Errorf("reservation-get lacks the option: %s", raw(r))
	}
	p.want("reservation-get", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.50"}, 0)
	p.want("reservation-get", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.10"}, 0) // the file's
	if r := p.want("reservation-get", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.51"}, 3); r.Text != "Host not found." {
		t.Errorf("reservation-get of nothing: %q", r.Text)
	}
	if r := p.want("reservation-get", map[string]any{"identifier-type": "hw-address", "identifier": "1a:1b:1c:1d:1e:1f"}, 1); !strings.Contains(r.Text, "subnet-id") {
		t.Errorf("reservation-get without subnet-id: %q", r.Text)
	}

	r = p.want("reservation-get-all", map[string]any{"subnet-id": 1}, 0)
	var all struct{ Hosts []map[string]any }
	if err := r.Decode(&all); err != nil || r.Text != "2 IPv4 host(s) found." || len(all.Hosts) != 2 || all.Hosts[0]["ip-address"] != "192.0.2.10" || all.Hosts[1]["ip-address"] != "192.0.2.50" {
		t.Errorf("reservation-get-all: %s %s", r.Text, raw(r))
	}

	// Pages of one walk the file (source 0), then the database.
	var seen []string
	args := map[string]any{"limit": 1}
	for range 10 {
		r := p.call("reservation-get-page", args)
		var page struct {
			Count int
			Hosts []map[string]any
			Next  struct {
				From        uint64
				SourceIndex int `json:"source-index"`
			}
		}
		if err := r.Decode(&page); err != nil {
			t.Fatal(err)
		}
		if r.Result == 3 {
			if page.Count != 0 || r.Text != "0 IPv4 host(s) found." {
				t.Errorf("last page: %s %s", r.Text, raw(r))
			}
			break
		}
		if r.Result != 0 || page.Count != 1 || len(page.Hosts) != 1 {
			t.Fatalf("reservation-get-page: %d %s %s", r.Result, r.Text, raw(r))
		}
		seen = append(seen, fmt.Sprintf("%d:%v", page.Next.SourceIndex, page.Hosts[0]["subnet-id"]))
		args = map[string]any{"limit": 1, "from": page.Next.From, "source-index": page.Next.SourceIndex}
	}
	if got := strings.Join(seen, " "); got != "0:1 1:1 1:0" {
		t.Errorf("pages (source:subnet): %s, want 0:1 1:1 1:0", got)
	}

	del := map[string]any{"subnet-id": 1, "identifier-type": "hw-address", "identifier": "1a:1b:1c:1d:1e:1f"}
	if r := p.want("reservation-del", del, 0); r.Text != "Host deleted." {
		t.Errorf("reservation-del: %q", r.Text)
	}
	if r := p.want("reservation-del", del, 3); r.Text != "Host not deleted (not found)." {
		t.Errorf("reservation-del again: %q", r.Text)
	}
	p.want("reservation-del", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.10"}, 3) // the file's is not in the database
	p.want("reservation-del", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.10", "operation-target": "memory"}, 1)

	// Without the database, nothing can be added; the file's are read.
	p.want("config-set", map[string]any{"Dhcp4": json.RawMessage(strings.TrimSuffix(strings.TrimPrefix(hostsConfig(dir, db, false), `{"Dhcp4": `), "}"))}, 0)
	if r := p.want("reservation-add", add, 1); r.Text != "Host database not available, cannot add host." {
		t.Errorf("reservation-add without a database: %q", r.Text)
	}
	p.want("reservation-get", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.10"}, 0)
}

// TestCheckDeepHostsDatabase: `leased serve -T` connects to the hosts
// database and checks its schema, as kea-dhcp4 -T does.
func TestCheckDeepHostsDatabase(t *testing.T) {
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(cfg, []byte(hostsConfig(dir, db, true)), 0o600); err != nil {
		t.Fatal(err)
	}
	var w, errw bytes.Buffer
	if err := CheckDeep(cfg, dir, &w, &errw); err != nil || !strings.Contains(w.String(), fmt.Sprintf("hosts-database postgresql database %q", db.Name)) {
		t.Errorf("-T: %v\n%s%s", err, w.String(), errw.String())
	}
	c.Admin(t, db.Name, "UPDATE schema_version SET version = 12")
	w.Reset()
	errw.Reset()
	if err := CheckDeep(cfg, dir, &w, &errw); err == nil || !strings.Contains(errw.String(), "hosts-database") || !strings.Contains(errw.String(), "schema version 12.0") {
		t.Errorf("-T on schema 12.0: %v\n%s%s", err, w.String(), errw.String())
	}
}

// TestHostsOriginIndependent: the lease and hosts databases each keep
// the service disabled while their own connection is being recovered;
// the end of one's outage does not end the other's.
func TestHostsOriginIndependent(t *testing.T) {
	var s serviceState
	s.disable(originDBConnection, 0)
	s.disable(originHostsDBConnection, 0)
	s.enable(originDBConnection)
	if !s.off.Load() || s.status()["disabled-by-db-connection"] != true {
		t.Fatalf("the service runs while the hosts database is being recovered: %v", s.status())
	}
	s.enableAll() // a dhcp-disable's max-period running out
	if !s.off.Load() {
		t.Fatal("a max-period ended the hosts database's disable")
	}
	s.enable(originHostsDBConnection)
	if s.off.Load() {
		t.Fatalf("the service stays off after both recovered: %v", s.status())
	}
}

// TestHostsConnectionLost: a row the database returned that is not a
// reservation, a duplicate and a read-only refusal start no
// reconnection; a driver's failure to connect does.
func TestHostsConnectionLost(t *testing.T) {
	bad := fmt.Errorf("hosts-database: x: looking up: %w", &sqlhosts.DataError{Err: errors.New("client_classes 'lab' is not a JSON list")})
	for _, typ := range []string{"postgresql", "mysql"} {
		if hostsConnectionLost(typ, bad) || hostsConnectionLost(typ, hosts.ErrExists) || hostsConnectionLost(typ, hosts.ErrReadOnly) || hostsConnectionLost(typ, nil) {
			t.Errorf("%s: a data error, duplicate, read-only or nil counted as a lost connection", typ)
		}
		if !hostsConnectionLost(typ, fmt.Errorf("hosts-database: x: %w", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED})) {
			t.Errorf("%s: connection refused not counted as a lost connection", typ)
		}
	}
}

// TestHostsDatabaseSchema34: on a database `leased db upgrade` took to
// Kea 3's schema 34.0, leased serves the reservations of Kea 2.2's rows
// and reservation-add writes 34.0's option columns (cancelled for
// never-send, client_classes), which reservation-get shows again.
func TestHostsDatabaseSchema34(t *testing.T) {
	needRoot(t)
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	// A reservation kea-dhcp4 2.2 wrote (192.0.2.100 for 02:00:00:00:00:0a), then the upgrade.
	c.Admin(t, db.Name, `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname,
		dhcp4_client_classes, dhcp6_client_classes, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name)
		VALUES ('\x02000000000a', 0, 1, 3221226084, 'from-kea22', '', '', 0, '', '')`)
	var out strings.Builder
	err := DB(t.Context(), "upgrade", DBOptions{Name: db.Name, User: db.User, Password: db.Password, Host: db.Host, Port: db.Port},
		&out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || !strings.Contains(out.String(), "from 13.0 to 34.0") {
		t.Fatalf("leased db upgrade: %q, %v", out.String(), err)
	}
	s := launchHostsFail(t, hostsBackend{dbMap: fmt.Sprintf(`"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q`,
		db.Name, db.Host, db.Port, db.User, db.Password)}, "")
	s.serving()
	if a := s.dora(reserved); a.String() != reservedAddr {
		t.Errorf("the upgraded reservation: %v, want %s", a, reservedAddr)
	}
	s.p.want("reservation-add", map[string]any{"reservation": map[string]any{"subnet-id": 1, "hw-address": "02:00:00:00:00:0d",
		"ip-address": "192.0.2.150", "option-data": []any{
			map[string]any{"name": "domain-name", "data": "lab.example", "client-classes": []any{"lab"}},
			map[string]any{"name": "host-name", "never-send": true}}}}, 0)
	if a := s.dora(later); a.String() != "192.0.2.150" {
		t.Errorf("the reservation added on 34.0: %v, want 192.0.2.150", a)
	}
	var row string
	if err := c.Connect(t, db.Name).QueryRow(t.Context(), `SELECT string_agg(concat_ws('|', code, cancelled, client_classes), ' ' ORDER BY code)
		FROM dhcp4_options o JOIN hosts h USING (host_id) WHERE h.hostname = ''`).Scan(&row); err != nil || row != `12|t|[  ] 15|f|[ "lab" ]` {
		t.Errorf("dhcp4_options rows: %q, %v", row, err)
	}
	r := s.p.want("reservation-get", map[string]any{"subnet-id": 1, "ip-address": "192.0.2.150"}, 0)
	if got := raw(r); !strings.Contains(got, `"never-send":true`) || !strings.Contains(got, `"client-classes":["lab"]`) {
		t.Errorf("reservation-get: %s", got)
	}
}
