package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/ha"
)

func testHAService(t *testing.T, mode, role string) *haService {
	t.Helper()
	params := fmt.Sprintf(`{"high-availability": [{"this-server-name": "server2", "mode": %q, "sync-leases": false,
		"peers": [{"name": "server1", "url": "http://127.0.0.1:8000/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:8000/", "role": %q}]}]}`, mode, role)
	s, _ := haServiceOf(t, params)
	return s
}

// haServiceOf returns the service, in waiting, of the one relationship
// of params (a libdhcp_ha.so entry's parameters, Kea 2.2's form), and the
// configuration.
func haServiceOf(t *testing.T, params string) (*haService, *ha.Config) {
	t.Helper()
	cfg, err := ha.Parse([]byte(params), ha.Options{Dialect: ha.Kea22})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newHAService(cfg, slog.New(slog.DiscardHandler), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// loadBalancing brings s to load-balancing with heartbeats of a partner
// in load-balancing: ready, then load-balancing.
func loadBalancing(t *testing.T, s *haService) {
	t.Helper()
	for range 2 {
		s.do(func(now time.Time) control.Response {
			s.m.HeartbeatDone(now, ha.Heartbeat{OK: true, State: ha.StateLoadBalancing, Time: now, Scopes: []string{"server1"}})
			return control.Response{}
		})
	}
	if st := s.m.State(); st != ha.StateLoadBalancing {
		t.Fatalf("state %s, want load-balancing", st)
	}
}

// discover is a DISCOVER from the client with this hardware address.
func discover(t *testing.T, mac byte) *dhcpv4.Packet {
	t.Helper()
	var b dhcpv4.Builder
	b.Begin(make([]byte, 600), dhcpv4.BootRequest, dhcpv4.Discover, uint32(mac))
	b.SetCHAddr(1, []byte{2, 0, 0, 0, 0, mac})
	raw, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcpv4.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHAGate checks what the packet path lets through as the state
// machine decides: nothing while waiting; in load-balancing exactly the
// clients of this server's scope (Relationship.Select); every client
// once ha-scopes names both; nothing while the partner has the service
// disabled.
func TestHAGate(t *testing.T) {
	s := testHAService(t, "load-balancing", "secondary")
	var clients []*dhcpv4.Packet
	mine := map[*dhcpv4.Packet]bool{}
	for i := 0; i < 32; i++ {
		p := discover(t, byte(i))
		scope, ok := s.rel.Select(p)
		if !ok {
			t.Fatalf("client %d has no scope", i)
		}
		clients = append(clients, p)
		mine[p] = scope == "server2"
	}
	admitted := func() (n int) {
		for _, p := range clients {
			if s.gate.admits(p) {
				n++
			}
		}
		return n
	}
	if n := admitted(); n != 0 {
		t.Errorf("waiting: %d clients admitted, want none", n)
	}
	loadBalancing(t, s)
	ours := 0
	for _, p := range clients {
		if mine[p] {
			ours++
		}
		if got := s.gate.admits(p); got != mine[p] {
			t.Errorf("client %x: admitted %v, in this server's scope %v", p.CHAddr(), got, mine[p])
		}
	}
	if ours == 0 || ours == len(clients) {
		t.Fatalf("%d of %d clients in this server's scope: the test does not split", ours, len(clients))
	}
	if r := s.cmdScopes(context.Background(), json.RawMessage(`{"scopes": ["server1", "server2"]}`)); r.Result != control.Success {
		t.Fatalf("ha-scopes: %d %s", r.Result, r.Text)
	}
	if n := admitted(); n != len(clients) {
		t.Errorf("serving both scopes: %d of %d clients admitted", n, len(clients))
	}
	s.partnerDisable(0)
	if n := admitted(); n != 0 {
		t.Errorf("disabled by the partner: %d clients admitted", n)
	}
	s.partnerEnable()
	if n := admitted(); n != len(clients) {
		t.Errorf("enabled again: %d of %d clients admitted", n, len(clients))
	}
	// A partner's disable with a max-period ends by itself, at the next
	// step after it.
	s.partnerDisable(time.Millisecond)
	if n := admitted(); n != 0 {
		t.Errorf("disabled by the partner for a while: %d clients admitted", n)
	}
	time.Sleep(5 * time.Millisecond)
	s.step()
	if n := admitted(); n != len(clients) {
		t.Errorf("after the partner's max-period: %d of %d clients admitted", n, len(clients))
	}
}

// TestHACommands drives the HA commands a partner and an operator send,
// with Kea's answers, and status-get's reason for waiting.
func TestHACommands(t *testing.T) {
	s := testHAService(t, "hot-standby", "standby")
	ctx := context.Background()
	cmds := s.commands()
	run := func(name, args string, result int, text string) control.Response {
		t.Helper()
		var raw json.RawMessage
		if args != "" {
			raw = json.RawMessage(args)
		}
		r := cmds[name](ctx, raw)
		if r.Result != result || text != "" && r.Text != text {
			t.Errorf("%s %s: %d %q, want %d %q", name, args, r.Result, r.Text, result, text)
		}
		return r
	}
	state := func() string {
		t.Helper()
		var hb ha.HeartbeatAnswer
		r := run(ha.CmdHeartbeat, "", 0, "HA peer status returned.")
		if err := r.Decode(&hb); err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(ha.DateTimeLayout, hb.DateTime); err != nil {
			t.Errorf("heartbeat date-time %q: %v", hb.DateTime, err)
		}
		return hb.State
	}
	if st := state(); st != "waiting" {
		t.Errorf("heartbeat state %s, want waiting", st)
	}
	run(ha.CmdReset, "", 0, "HA state machine already in WAITING state.")
	run(ha.CmdContinue, "", 0, "HA state machine is not paused.")
	run(ha.CmdScopes, `{"scopes": ["server3"]}`, control.Error, "")
	run(ha.CmdScopes, `{}`, control.Error, "")
	run(ha.CmdHeartbeat, `{"server-name": "server3"}`, control.Error, "")
	run(ha.CmdHeartbeat, `{"server-name": "server1"}`, 0, "")
	run(ha.CmdSyncCompleteNotify, "", 0, "Server successfully notified about the synchronization completion.")
	run(ha.CmdMaintenanceNotify, `{}`, control.Error, "")
	run(ha.CmdMaintenanceNotify, `{"cancel": true}`, control.Error, "Unable to cancel the maintenance for the server not in the in-maintenance state.")
	run(ha.CmdMaintenanceNotify, `{"cancel": false}`, 0, "Server is in-maintenance state.")
	if st := state(); st != "in-maintenance" {
		t.Errorf("heartbeat state %s, want in-maintenance", st)
	}
	run(ha.CmdReset, "", 0, "HA state machine reset.")
	if st := state(); st != "waiting" {
		t.Errorf("heartbeat state %s after ha-reset, want waiting", st)
	}
	st := s.status()
	if len(st) != 1 || st[0].Mode != "hot-standby" || st[0].Servers.Local.Role != "standby" || st[0].Servers.Remote == nil || st[0].Servers.Remote.InTouch {
		t.Fatalf("status: %+v", st)
	}
	if r := st[0].Servers.Local.Reason; r != "waiting for the first heartbeat answer from server1" {
		t.Errorf("status-get's reason for waiting: %q, want that it waits for server1's heartbeat answer", r)
	}
	if s.gate.admits(discover(t, 1)) {
		t.Error("a waiting standby admits a client")
	}
}

// TestHAPartnerNetworkState checks that dhcp-disable and dhcp-enable from
// the HA partner, with Kea 2.2's origin "ha-partner" or Kea 3.x's numeric
// origins, go to the state machine and leave the operator's network
// state alone, while the operator's go where they always went; without
// HA a numeric origin is refused as before.
func TestHAPartnerNetworkState(t *testing.T) {
	ctx := context.Background()
	s := testHAService(t, "load-balancing", "secondary")
	loadBalancing(t, s)
	p := &process{log: slog.New(slog.DiscardHandler), ha: &haSet{all: []*haService{s}, handlers: []map[string]control.Handler{s.commands()}}}
	defer p.service.stop()
	mine := discover(t, 0)
	for i := 0; !s.gate.admits(mine); i++ {
		if i == 256 {
			t.Fatal("no client of this server's scope")
		}
		mine = discover(t, byte(i))
	}
	check := func(what string, r control.Response, text string, haOff, userOff bool) {
		t.Helper()
		if r.Result != control.Success || r.Text != text {
			t.Errorf("%s: %d %q, want %q", what, r.Result, r.Text, text)
		}
		if got := !s.gate.admits(mine); got != haOff {
			t.Errorf("%s: service off for HA %v, want %v", what, got, haOff)
		}
		if got := p.service.off.Load(); got != userOff {
			t.Errorf("%s: operator's service off %v, want %v", what, got, userOff)
		}
	}
	check("Kea 2.2's dhcp-disable", p.cmdDhcpDisable(ctx, json.RawMessage(`{"max-period": 60, "origin": "ha-partner"}`)), "DHCPv4 service disabled for 60 seconds", true, false)
	check("Kea 3.x's dhcp-enable", p.cmdDhcpEnable(ctx, json.RawMessage(`{"origin": 2001}`)), "DHCP service successfully enabled", false, false)
	check("Kea 3.x's dhcp-disable", p.cmdDhcpDisable(ctx, json.RawMessage(`{"max-period": 5, "origin-id": 2001, "origin": "ha-partner"}`)), "DHCPv4 service disabled for 5 seconds", true, false)
	check("Kea 2.2's dhcp-enable", p.cmdDhcpEnable(ctx, json.RawMessage(`{"origin": "ha-partner"}`)), "DHCP service successfully enabled", false, false)
	check("the operator's dhcp-disable", p.cmdDhcpDisable(ctx, nil), "DHCPv4 service disabled", false, true)
	check("the operator's dhcp-enable", p.cmdDhcpEnable(ctx, json.RawMessage(`{"origin": "user"}`)), "DHCP service successfully enabled", false, false)

	plain := &process{log: slog.New(slog.DiscardHandler)}
	defer plain.service.stop()
	if r := plain.cmdDhcpDisable(ctx, json.RawMessage(`{"origin": 2001}`)); r.Result != control.Error || plain.service.off.Load() {
		t.Errorf("a numeric origin without HA: %d %q, off %v; want refused", r.Result, r.Text, plain.service.off.Load())
	}
	r := plain.cmdDhcpDisable(ctx, json.RawMessage(`{"origin": "ha-partner"}`))
	if r.Result != control.Success || !plain.service.off.Load() {
		t.Errorf("origin ha-partner without HA: %d %q, off %v; want the service's own disable", r.Result, r.Text, plain.service.off.Load())
	}
}

// TestHAServedLookupKept: the packet path's lookup of served scopes is
// built again only when the scopes change, not at every event (each group
// commit's Replicate and each heartbeat pass through the same sync).
func TestHAServedLookupKept(t *testing.T) {
	s, _ := haServiceOf(t, `{"high-availability": [{"this-server-name": "server2", "mode": "load-balancing", "sync-leases": false,
		"peers": [{"name": "server1", "url": "http://127.0.0.1:8000/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "secondary"}]}]}`)
	loadBalancing(t, s)
	before := s.gate.served.Load()
	for range 3 {
		s.do(func(now time.Time) control.Response {
			s.m.HeartbeatDone(now, ha.Heartbeat{OK: true, State: ha.StateLoadBalancing, Time: now, Scopes: []string{"server1"}})
			return control.Response{}
		})
	}
	if after := s.gate.served.Load(); after != before {
		t.Errorf("the lookup was built again (%v, then %v) with the scopes unchanged", *before, *after)
	}
	if r := s.cmdScopes(context.Background(), json.RawMessage(`{"scopes": ["server1", "server2"]}`)); r.Result != control.Success {
		t.Fatalf("ha-scopes: %+v", r)
	}
	if after := *s.gate.served.Load(); len(after) != 2 || !after["server1"] || !after["server2"] {
		t.Errorf("after ha-scopes the lookup is %v, want server1 and server2", after)
	}
}
