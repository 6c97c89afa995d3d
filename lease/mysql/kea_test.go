//go:build linux

package mysql

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/sqlstore"
)

// kea is a kea-dhcp4 2.2 from Debian on a test database: no interfaces,
// its leases in MySQL, lease_cmds on a unix control socket.
type kea struct {
	sock string
}

// startKea runs kea-dhcp4 on o's database in testTZ, the server's zone:
// Kea writes expire as wall-clock time in its own zone, which the server
// reads in its session's (the server's) zone, so Kea's rows are right only
// when the two agree. It reaches the socket as "localhost", through
// MYSQL_UNIX_PORT, as libmysqlclient does.
func startKea(t *testing.T, o Options) *kea {
	t.Helper()
	testnet.RequireBinaries(t, "kea-dhcp4")
	hooks := testnet.KeaHooksDir(t, "libdhcp_lease_cmds.so")
	dir := filepath.Join(filepath.Dir(o.Host), "kea-"+o.Name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	k := &kea{sock: filepath.Join(dir, "ctrl")}
	cfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": []},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "mysql", "name": %q, "host": "localhost", "user": %q, "password": %q},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}, {"library": %q}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
		            {"id": 2, "subnet": "198.51.100.0/24"}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		k.sock, o.Name, o.User, o.Password, filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_stat_cmds.so"))
	p := testnet.StartKea(t, dir, "kea-dhcp4", cfg, testnet.KeaOptions{Env: []string{"TZ=" + testTZ, "MYSQL_UNIX_PORT=" + o.Host}})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if _, err := os.Stat(k.sock); err == nil {
			return k
		}
		select {
		case <-p.Done():
			t.Fatalf("kea-dhcp4 exited: %v", p.ExitErr())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("kea-dhcp4 made no control socket in 15 s")
		}
	}
}

// command sends one command to Kea and returns its arguments; a result
// other than want fails the test.
func (k *kea) command(t *testing.T, cmd string, args any, want int) map[string]any {
	t.Helper()
	c, err := net.Dial("unix", k.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req, _ := json.Marshal(map[string]any{"command": cmd, "arguments": args})
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	raw, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Result    int            `json:"result"`
		Text      string         `json:"text"`
		Arguments map[string]any `json:"arguments"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("%s: reply %q: %v", cmd, raw, err)
	}
	if resp.Result != want {
		t.Fatalf("%s %s: result %d (%s), want %d", cmd, req, resp.Result, resp.Text, want)
	}
	return resp.Arguments
}

func colonHex(b []byte) string {
	var parts []string
	for _, c := range b {
		parts = append(parts, hex.EncodeToString([]byte{c}))
	}
	return strings.Join(parts, ":")
}

// keaView is a lease as Kea's lease4-get shows it.
func keaView(l *lease.Lease) map[string]any {
	m := map[string]any{
		"ip-address": l.Addr.String(),
		"hw-address": colonHex(l.HWAddr),
		"valid-lft":  float64(l.ValidLifetime),
		"cltt":       float64(l.CLTT),
		"subnet-id":  float64(l.SubnetID),
		"fqdn-fwd":   l.FQDNFwd,
		"fqdn-rev":   l.FQDNRev,
		"hostname":   l.Hostname,
		"state":      float64(l.State),
	}
	if len(l.ClientID) > 0 {
		m["client-id"] = colonHex(l.ClientID)
	}
	if l.UserContext != "" {
		var uc any
		json.Unmarshal([]byte(l.UserContext), &uc)
		m["user-context"] = uc
	}
	return m
}

// rawRow is a lease4 row as stored, NULLs and the expiry in UTC included:
// what must be the same whoever wrote it. The user context is compared as
// JSON, not as text.
func rawRow(t *testing.T, db string, addr netip.Addr) string {
	t.Helper()
	conn := openDB(t, db)
	if _, err := conn.Exec("SET time_zone = '+00:00'"); err != nil {
		t.Fatal(err)
	}
	var s, uctx string
	// One connection: the session's time zone is the one just set.
	conn.SetMaxOpenConns(1)
	err := conn.QueryRow(`SELECT concat_ws(' | ', coalesce(hex(hwaddr), 'NULL'), coalesce(hex(client_id), 'NULL'),
		valid_lifetime, UNIX_TIMESTAMP(expire), CAST(expire AS CHAR), subnet_id, fqdn_fwd, fqdn_rev,
		coalesce(hostname, 'NULL'), state, user_context IS NULL), coalesce(user_context, '')
		FROM lease4 WHERE address = ?`, sqlstore.Addr(addr)).Scan(&s, &uctx)
	if err != nil {
		t.Fatalf("row of %v: %v", addr, err)
	}
	if uctx != "" {
		var v any
		if err := json.Unmarshal([]byte(uctx), &v); err != nil {
			t.Fatalf("row of %v: user context %q: %v", addr, uctx, err)
		}
		b, _ := json.Marshal(v)
		uctx = string(b)
	}
	return s + " | " + uctx
}

// TestExpireTimeZone: the expiry stored is the lease's instant whatever
// the time zone of the process and the server (testTZ, which has daylight
// saving time), even in the hour a wall clock names twice.
func TestExpireTimeZone(t *testing.T) {
	if name, _ := time.Now().Zone(); name != "CET" && name != "CEST" {
		t.Fatalf("the test process runs in %s, not in %s", name, testTZ)
	}
	o := newDB(t)
	s := openStore(t, o)
	for i, tc := range []struct {
		cltt int64
		utc  string
	}{
		// 1800003600 is 2027-01-15 09:00:00 UTC (date -u -d @1800003600).
		{1_800_000_000, "2027-01-15 09:00:00"},
		// 1824942600 is 2027-10-31 00:30:00 UTC, 02:30 CEST; an hour
		// later it is 02:30 CET again: Berlin's wall clock names both.
		{1_824_939_000, "2027-10-31 00:30:00"},
		{1_824_942_600, "2027-10-31 01:30:00"},
	} {
		l := lease.Lease{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 9},
			ValidLifetime: 3600, CLTT: tc.cltt, SubnetID: 1}
		if err := s.Add(t.Context(), &l, lease.Durable); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("020000000009 | NULL | 3600 | %d | %s | 1 | 0 | 0 |  | 0 | 1 | ", l.Expire(), tc.utc)
		if raw := rawRow(t, o.Name, l.Addr); raw != want {
			t.Errorf("row %q\nwant %q", raw, want)
		}
		var got lease.Lease
		if ok, err := s.Get(t.Context(), l.Addr, &got); !ok || err != nil || !got.Equal(&l) {
			t.Errorf("Get = %v (%v, %v), want %v", &got, ok, err, &l)
		}
	}
}

// TestKeaDhcp4 shares a database with kea-dhcp4 2.2: each reads the
// other's leases as written, their rows are byte for byte alike, and each
// renews the other's lease through its expiry guard.
func TestKeaDhcp4(t *testing.T) {
	o := newDB(t)
	k := startKea(t, o)
	s := openStore(t, o)
	ctx := t.Context()
	cltt := time.Now().Unix() - 100

	leases := []lease.Lease{
		{Addr: netip.MustParseAddr("192.0.2.10"), HWType: 1, HWAddr: []byte{0x02, 1, 2, 3, 4, 5},
			ClientID: []byte{1, 0x02, 1, 2, 3, 4, 5}, ValidLifetime: 3600, CLTT: cltt, SubnetID: 1,
			FQDNFwd: true, FQDNRev: true, Hostname: "alpha.example.org.", UserContext: `{"ISC":{"relay-agent-info":{"sub-options":"0104AABBCCDD"}}}`},
		{Addr: netip.MustParseAddr("192.0.2.11"), HWType: 1, HWAddr: []byte{0x02, 1, 2, 3, 4, 6},
			ValidLifetime: 600, CLTT: cltt, SubnetID: 1},
		{Addr: netip.MustParseAddr("198.51.100.7"), HWType: 1, HWAddr: []byte{0x02, 1, 2, 3, 4, 7},
			ClientID: []byte{0, 'a', 'b'}, ValidLifetime: 100, CLTT: cltt - 1000, SubnetID: 2, State: lease.StateExpiredReclaimed},
	}
	t.Run("KeaReadsOurs", func(t *testing.T) {
		for i := range leases {
			if err := s.Add(ctx, &leases[i], lease.Durable); err != nil {
				t.Fatal(err)
			}
			got := k.command(t, "lease4-get", map[string]any{"ip-address": leases[i].Addr.String()}, 0)
			for key, v := range keaView(&leases[i]) {
				if fmt.Sprint(got[key]) != fmt.Sprint(v) {
					t.Errorf("%v: Kea's %s = %v, want %v", leases[i].Addr, key, got[key], v)
				}
			}
		}
	})

	t.Run("KeaReadsOurDeclined", func(t *testing.T) {
		d := lease.Lease{Addr: netip.MustParseAddr("192.0.2.20"), ValidLifetime: 86400, CLTT: cltt,
			SubnetID: 1, State: lease.StateDeclined}
		if err := s.Add(ctx, &d, lease.Durable); err != nil {
			t.Fatal(err)
		}
		got := k.command(t, "lease4-get", map[string]any{"ip-address": d.Addr.String()}, 0)
		for key, v := range keaView(&d) {
			if fmt.Sprint(got[key]) != fmt.Sprint(v) {
				t.Errorf("%v: Kea's %s = %v, want %v", d.Addr, key, got[key], v)
			}
		}
	})

	t.Run("WeReadKeas", func(t *testing.T) {
		for i := range leases {
			l := leases[i].Clone()
			l.Addr = l.Addr.Next().Next().Next().Next().Next() // .15, .16, .12
			args := keaView(&l)
			delete(args, "cltt")
			args["expire"] = float64(l.Expire())
			k.command(t, "lease4-add", args, 0)
			var got lease.Lease
			if ok, err := s.Get(ctx, l.Addr, &got); !ok || err != nil {
				t.Fatalf("Get(%v) = %v, %v", l.Addr, ok, err)
			}
			if !sameJSON(got.UserContext, l.UserContext) {
				t.Errorf("%v: user context %s, want %s", l.Addr, got.UserContext, l.UserContext)
			}
			got.UserContext = l.UserContext
			if !got.Equal(&l) {
				t.Errorf("Kea's lease read as %v\nwant %v", &got, &l)
			}
			// Kea's row and ours, byte for byte, apart from the address.
			if ours, keas := rawRow(t, o.Name, leases[i].Addr), rawRow(t, o.Name, l.Addr); ours != keas {
				t.Errorf("rows of the same lease differ:\nours  %s\nKea's %s", ours, keas)
			}
		}
	})

	t.Run("GuardsAgree", func(t *testing.T) {
		// We renew the lease kea-dhcp4 wrote, guarded by what we read.
		addr := leases[0].Addr.Next().Next().Next().Next().Next()
		var read lease.Lease
		if ok, err := s.Get(ctx, addr, &read); !ok || err != nil {
			t.Fatalf("Get(%v) = %v, %v", addr, ok, err)
		}
		renewed := read.Clone()
		renewed.CLTT += 60
		if err := s.Update(ctx, &read, &renewed, lease.Durable); err != nil {
			t.Fatalf("renewing Kea's lease: %v", err)
		}
		got := k.command(t, "lease4-get", map[string]any{"ip-address": addr.String()}, 0)
		if got["cltt"] != float64(renewed.CLTT) {
			t.Errorf("Kea reads the renewed lease's cltt as %v, want %d", got["cltt"], renewed.CLTT)
		}
		// Kea updates the lease we wrote: its guard is the expiry it
		// reads, which must be the instant we stored.
		mine := leases[0]
		upd := keaView(&mine)
		delete(upd, "cltt")
		upd["valid-lft"] = float64(7200)
		upd["expire"] = float64(mine.CLTT + 7200)
		k.command(t, "lease4-update", upd, 0)
		var after lease.Lease
		if ok, err := s.Get(ctx, mine.Addr, &after); !ok || err != nil || after.ValidLifetime != 7200 || after.CLTT != mine.CLTT {
			t.Errorf("after Kea's lease4-update we read %v (%v, %v)", &after, ok, err)
		}
		// And our stale copy of it now loses.
		stale := mine.Clone()
		stale.Hostname = "stale.example.org."
		if err := s.Update(ctx, &mine, &stale, lease.Durable); !errors.Is(err, lease.ErrConflict) {
			t.Errorf("Update from before Kea's change = %v, want ErrConflict", err)
		}
	})

	t.Run("SameStatistics", func(t *testing.T) {
		// Kea's triggers count every write in lease4_stat, ours and
		// Kea's; Kea's stat-lease4-get reads it, as our Stats does.
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := k.command(t, "stat-lease4-get", map[string]any{}, 0)
		rows, _ := got["result-set"].(map[string]any)["rows"].([]any)
		if len(rows) == 0 {
			t.Fatalf("stat-lease4-get: no rows in %v", got)
		}
		for _, r := range rows {
			cols := r.([]any) // subnet-id, total, cumulative, assigned, declined
			key := lease.PoolKey{SubnetID: uint32(cols[0].(float64))}
			c := st[key]
			if float64(c.Default) != cols[len(cols)-2].(float64) || float64(c.Declined) != cols[len(cols)-1].(float64) {
				t.Errorf("subnet %d: we count %d assigned and %d declined, Kea %v", key.SubnetID, c.Default, c.Declined, cols)
			}
		}
	})
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}
