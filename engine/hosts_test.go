package engine

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	hostspgsql "github.com/leased/leased/hosts/pgsql"
	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/lease/memfile"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// TestReservationsFromDatabase: reservations in Kea's host tables are
// served beside the file's: the client's address, host name, options and
// classes; an in-pool address reserved there is not given to anyone else;
// the file's reservation wins where both have one; and when the database
// fails, the message is dropped rather than answered as if the client had
// no reservation.
func TestReservationsFromDatabase(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	db := c.NewDB(t)
	c.Admin(t, db.Name,
		// 02:00:00:00:00:42 in subnet 1: 192.0.2.20, a name, an option
		// and a class that selects a guarded pool's options.
		`INSERT INTO hosts (host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname, dhcp4_client_classes, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name)
		 VALUES (1, '\x020000000042', 0, 1, 3221226004, 'db-host', 'voip', 0, '', 'boot.db'),
		        (2, '\x020000000043', 0, 1, 3221226084, '', '', 0, '', ''),
		        (3, '\x020000000099', 0, 1, 3221226005, 'not-this-one', '', 0, '', '')`,
		`INSERT INTO dhcp4_options (code, value, formatted_value, space, persistent, host_id, scope_id)
		 VALUES (15, NULL, 'db.example', 'dhcp4', false, 1, 3)`)
	store, err := hostspgsql.Open(context.Background(), hostspgsql.Options{Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password})
	if err != nil {
		t.Fatal(err)
	}
	leases, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leases.Close() })
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	drops := &dropRecorder{}
	srv, err := New(context.Background(), loadConfig(t, testConfig), leases, &Options{Now: clk.now, Metrics: drops})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, srv: srv, store: leases, clock: clk}
	f.srv.SetHosts(store)

	prl := dhcptest.Option{Code: dhcpv4.OptionParameterList, Value: []byte{1, 3, 6, 12, 15}}
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:42"), Options: []dhcptest.Option{prl}})
	if off == nil || off.Packet.YIAddr().String() != "192.0.2.20" {
		t.Fatalf("client with a database reservation offered %+v", off)
	}
	if d, _ := off.Packet.Option(dhcpv4.OptionDomainName); string(d) != "db.example" {
		t.Errorf("reservation's domain-name = %q", d)
	}
	if h := off.Packet.HostName(); string(h) != "db-host" {
		t.Errorf("host name %q", h)
	}
	if file := off.Packet.File(); string(file) != "boot.db" {
		t.Errorf("boot file %q", file)
	}
	if a := f.dora(mac("02:00:00:00:00:42")); a.String() != "192.0.2.20" {
		t.Errorf("ACK for %v", a)
	}
	// 192.0.2.100, the pool's first address, is reserved for :43:
	// others are given the next ones.
	for i := range 3 {
		if a := f.dora(mac("02:00:00:00:01:0" + string(rune('0'+i)))); a.String() == "192.0.2.100" {
			t.Errorf("client %d got 192.0.2.100, reserved in the database for another", i)
		}
	}
	if a := f.dora(mac("02:00:00:00:00:43")); a.String() != "192.0.2.100" {
		t.Errorf("the client reserved 192.0.2.100 got %v", a)
	}
	// The file's reservation of :99 comes first, as in Kea.
	if a := f.dora(mac("02:00:00:00:00:99")); a.String() != "192.0.2.10" {
		t.Errorf("client with both reservations got %v, want the file's 192.0.2.10", a)
	}

	// A client no subnet serves costs the database nothing: with the
	// database closed, it is dropped for want of a subnet, as before.
	store.Close()
	relayed := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 8, CHAddr: mac("02:00:00:00:02:01"), GIAddr: netip.MustParseAddr("203.0.113.1")})
	if relayed != nil {
		t.Errorf("answered a client of no subnet: %+v", relayed.Packet.MessageType())
	}
	drops.mu.Lock()
	if got := fmt.Sprint(drops.reasons); got != fmt.Sprint([]DropReason{DropNoSubnet}) {
		t.Errorf("drops %s, want one for no subnet (none for the failing database)", got)
	}
	drops.mu.Unlock()
	if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 9, CHAddr: mac("02:00:00:00:02:00")}); r != nil {
		t.Errorf("answered while the hosts database fails: %+v", r.Packet.MessageType())
	}
}

// BenchmarkDORAHostsDatabase is BenchmarkDORA with a hosts database that
// holds 10,000 reservations (half of them with an address of 198.18.0.0/16
// outside the pool, half with none, written 0 as Kea writes it), none of
// them the benchmark's clients': what
// each DORA pays in lookups (the client's identifiers at DISCOVER and at
// REQUEST; the offered address, unless reservations-out-of-pool says
// reservations are never inside the pools).
func BenchmarkDORAHostsDatabase(b *testing.B) {
	c := pgtest.Shared(b, pgtest.Options{})
	db := c.NewDB(b)
	c.Admin(b, db.Name, `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname, dhcp4_client_classes, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name)
		SELECT '\x0300'::bytea || int4send(i), 0, 2, CASE WHEN i % 2 = 0 THEN 3323068672 + i ELSE 0 END, '', '', 0, '', '' FROM generate_series(1, 10000) AS i`, "VACUUM ANALYZE hosts")
	store, err := hostspgsql.Open(context.Background(), hostspgsql.Options{Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	for _, outOfPool := range []bool{false, true} {
		b.Run(fmt.Sprintf("reservations-out-of-pool=%t", outOfPool), func(b *testing.B) {
			leases, err := memfile.Open(memfile.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer leases.Close()
			cfg := strings.Replace(benchConfig, `"valid-lifetime": 7200,`, fmt.Sprintf(`"valid-lifetime": 7200, "reservations-out-of-pool": %t,`, outOfPool), 1)
			s, err := New(context.Background(), loadConfig(b, cfg), leases, nil)
			if err != nil {
				b.Fatal(err)
			}
			s.SetHosts(store)
			cl := newBenchClient(b)
			cl.w.noDefer = true
			k := 0
			for b.Loop() {
				if !cl.dora(s, k%60000) {
					b.Fatalf("client %d got no lease", k)
				}
				k++
			}
		})
	}
}
