//go:build linux

package pgsql

import (
	"context"
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
)

// kea is a kea-dhcp4 2.2 from Debian on a test database: no interfaces,
// its leases in PostgreSQL, lease_cmds on a unix control socket.
type kea struct {
	sock string
}

func startKea(t *testing.T, o Options) *kea {
	t.Helper()
	testnet.RequireBinaries(t, "kea-dhcp4")
	hooks := testnet.KeaHooksDir(t, "libdhcp_lease_cmds.so")
	dir := filepath.Join(o.Host, "kea-"+o.Name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	k := &kea{sock: filepath.Join(dir, "ctrl")}
	cfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": []},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
		            {"id": 2, "subnet": "198.51.100.0/24"}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		k.sock, o.Name, o.Host, o.Port, o.User, o.Password, filepath.Join(hooks, "libdhcp_lease_cmds.so"))
	// kea-dhcp4 writes expire in its local time zone: the server's.
	p := testnet.StartKea(t, dir, "kea-dhcp4", cfg, testnet.KeaOptions{Env: []string{"TZ=" + testTZ}})
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
// JSON (jsonb's spelling), not as text.
func rawRow(t *testing.T, db string, addr netip.Addr) string {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, db)
	defer conn.Close(ctx)
	var s string
	err := conn.QueryRow(ctx, `SELECT concat_ws(' | ', encode(hwaddr, 'hex'), hwaddr IS NULL, encode(client_id, 'hex'), client_id IS NULL,
		valid_lifetime, extract(epoch from expire)::bigint, to_char(expire AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
		subnet_id, fqdn_fwd, fqdn_rev, hostname, hostname IS NULL, state, coalesce(nullif(user_context, '')::jsonb::text, user_context), user_context IS NULL)
		FROM lease4 WHERE address = $1`, addrInt(addr)).Scan(&s)
	if err != nil {
		t.Fatalf("row of %v: %v", addr, err)
	}
	return s
}

// TestExpireTimeZone: the expiry stored is the lease's instant whatever
// the time zones of the process (testTZ), the server (testTZ) and the
// store's session (another one).
func TestExpireTimeZone(t *testing.T) {
	if _, off := time.Now().Zone(); off != 5*3600+45*60 {
		t.Fatalf("the test process runs at UTC%+d s, not in %s", off, testTZ)
	}
	o := newDB(t)
	t.Setenv("PGTZ", "America/St_Johns")
	s := openStore(t, o)
	l := lease.Lease{Addr: netip.MustParseAddr("192.0.2.9"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 9},
		ValidLifetime: 3600, CLTT: 1_800_000_000, SubnetID: 1}
	if err := s.Add(t.Context(), &l, lease.Durable); err != nil {
		t.Fatal(err)
	}
	// 1800003600 is 2027-01-15 09:00:00 UTC (date -u -d @1800003600).
	want := " | f |  | f | 3600 | 1800003600 | 2027-01-15 09:00:00 | 1 | f | f |  | f | 0 |  | f"
	if raw := rawRow(t, o.Name, l.Addr); !strings.HasPrefix(raw, "020000000009") || raw[len("020000000009"):] != want {
		t.Errorf("row %q\nwant %q", raw, "020000000009"+want)
	}
	var got lease.Lease
	if ok, err := s.Get(t.Context(), l.Addr, &got); !ok || err != nil || !got.Equal(&l) {
		t.Errorf("Get = %v (%v, %v), want %v", &got, ok, err, &l)
	}
}

// TestKeaDhcp4 shares a database with kea-dhcp4 2.2: each reads the
// other's leases as written, their rows are byte for byte alike, and each
// renews the other's lease through its expiry guard. The store's session
// runs in a third time zone, so a wall-clock expiry would show.
func TestKeaDhcp4(t *testing.T) {
	o := newDB(t)
	k := startKea(t, o)
	t.Setenv("PGTZ", "America/St_Johns") // the store's session: UTC-03:30
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
			want := keaView(&leases[i])
			for key, v := range want {
				if fmt.Sprint(got[key]) != fmt.Sprint(v) {
					t.Errorf("%v: Kea's %s = %v, want %v", leases[i].Addr, key, got[key], v)
				}
			}
		}
	})

	t.Run("KeaReadsOurDeclined", func(t *testing.T) {
		// A declined lease has no client: Kea writes empty bytes, not
		// NULL, and reads them back as an empty hardware address.
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
		want := fmt.Sprintf(" | f |  | f | 86400 | %d | %s | 1 | f | f |  | f | 1 |  | f", d.Expire(),
			time.Unix(d.Expire(), 0).UTC().Format(time.DateTime))
		if raw := rawRow(t, o.Name, d.Addr); raw != want {
			t.Errorf("declined row\n%q\nwant\n%q", raw, want)
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
			// Kea writes the user context as its Element::str() spells
			// it: the same JSON, spaced.
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
		// Kea updates the lease we wrote: its guard is the expiry it
		// reads, which must be the instant we stored.
		mine := leases[0]
		upd := keaView(&mine)
		delete(upd, "cltt")
		upd["valid-lft"] = float64(7200)
		upd["expire"] = float64(mine.CLTT + 7200)
		k.command(t, "lease4-update", upd, 0)
		var got lease.Lease
		if ok, err := s.Get(ctx, mine.Addr, &got); !ok || err != nil || got.ValidLifetime != 7200 || got.CLTT != mine.CLTT {
			t.Errorf("after Kea's lease4-update we read %v (%v, %v)", &got, ok, err)
		}
		// And our stale copy of it now loses.
		stale := mine.Clone()
		stale.Hostname = "stale.example.org."
		if err := s.Update(ctx, &mine, &stale, lease.Durable); !errorsIs(err, lease.ErrConflict) {
			t.Errorf("Update from before Kea's change = %v, want ErrConflict", err)
		}
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}
