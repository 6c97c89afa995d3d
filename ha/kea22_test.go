//go:build linux

package ha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
)

// These tests run Kea 2.2's kea-dhcp4 (with libdhcp_ha.so and
// libdhcp_lease_cmds.so) and kea-ctrl-agent from Debian as the partner,
// on loopback, as an unprivileged user when the test runs as root, from a
// temporary directory. They are skipped without the binaries, and fail
// under LEASED_REQUIRE_E2E=1.

// haParams is the HA hook's parameters of a hot-standby pair: server1
// (Kea, primary) behind its agent at caPort, server2 (us, standby).
func haParams(caPort, ourPort int, extra string) string {
	return fmt.Sprintf(`{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby",
		"heartbeat-delay": 500, "max-response-delay": 1500, "max-ack-delay": 1000, "max-unacked-clients": 0,
		"sync-timeout": 5000, "sync-page-limit": 10 %s,
		"peers": [{"name": "server1", "url": "http://127.0.0.1:%d/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:%d/", "role": "standby"}]}]}`, extra, caPort, ourPort)
}

func dhcp4Config(dir, hooks, params string) string {
	return fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": []},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "name": %q, "lfc-interval": 0},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}, {"library": %q, "parameters": %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		filepath.Join(dir, "kea4.sock"), filepath.Join(dir, "leases4.csv"),
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"), params)
}

func agentConfig(dir string, port int) string {
	return fmt.Sprintf(`{"Control-agent": {"http-host": "127.0.0.1", "http-port": %d,
		"authentication": {"type": "basic", "realm": "leased-test", "clients": [{"user": "ha", "password": "s3cret"}]},
		"control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": %q}},
		"loggers": [{"name": "kea-ctrl-agent", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		port, filepath.Join(dir, "kea4.sock"))
}

// TestClientAgainstKea22 sends every command of the peer wire to a real
// Kea 2.2 pair member through its kea-ctrl-agent, as its standby partner
// would, and checks Kea's answers: its heartbeat and state machine (alone,
// it goes partner-down as ours does), lease updates and deletes, pages,
// dhcp-disable/enable, the sync notification, maintenance, reset, and the
// agent's basic authentication.
func TestClientAgainstKea22(t *testing.T) {
	testnet.RequireBinaries(t, "kea-dhcp4", "kea-ctrl-agent")
	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	dir := testnet.UnprivilegedDir(t)
	caPort, ourPort := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	params := haParams(caPort, ourPort, "")

	// The configuration Kea runs is one we read, as the standby.
	cfg, err := Parse([]byte(strings.Replace(params, `"this-server-name": "server1"`, `"this-server-name": "server2"`, 1)), Options{Dialect: Kea22})
	if err != nil {
		t.Fatalf("Parse of the configuration Kea runs: %v", err)
	}
	rel := cfg.Relationships[0]
	partner := *rel.Partner()
	partner.BasicAuthUser, partner.BasicAuthPassword = "ha", "s3cret"

	kea := testnet.StartKea(t, dir, "kea-dhcp4", dhcp4Config(dir, hooks, params), testnet.KeaOptions{})
	testnet.StartKea(t, dir, "kea-ctrl-agent", agentConfig(dir, caPort), testnet.KeaOptions{})

	c, err := NewClient(&partner, Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// Kea alone: waiting, then partner-down once max-response-delay has
	// passed without an answer from us, as our Machine decides it too.
	var hb Heartbeat
	deadline := time.Now().Add(20 * time.Second)
	for {
		hb, err = c.Heartbeat(ctx, "server2")
		if err == nil && hb.State == StatePartnerDown {
			break
		}
		select {
		case <-kea.Done():
			t.Fatalf("kea-dhcp4 exited: %v", kea.ExitErr())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no partner-down heartbeat from Kea: last %+v, %v", hb, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if skew := time.Until(hb.Time); skew > 2*time.Second || skew < -2*time.Second {
		t.Errorf("Kea's date-time %v is %v off ours", hb.Time, skew)
	}
	if len(hb.Scopes) != 1 || hb.Scopes[0] != "server1" {
		t.Errorf("Kea in partner-down serves %v, want [server1]", hb.Scopes)
	}
	keaCfg, err := Parse([]byte(params), Options{Dialect: Kea22})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMachine(keaCfg.Relationships[0], Kea22, time.Unix(0, 0))
	m.HeartbeatDone(time.Unix(2, 0), Heartbeat{})
	if m.State() != StatePartnerDown || !equalStrings(m.Scopes(), hb.Scopes) {
		t.Errorf("our machine in Kea's place: %s serving %v; Kea: %s serving %v", m.State(), m.Scopes(), hb.State, hb.Scopes)
	}

	// Lease updates: added, then updated; the page returns the lease as
	// sent; a lease Kea 2.2 cannot hold is refused with result 1.
	l := lease.Lease{
		Addr: netip.MustParseAddr("192.0.2.150"), HWType: 1, HWAddr: []byte{8, 0, 0x27, 0x11, 0x22, 0x33},
		ClientID: []byte{1, 8, 0, 0x27, 0x11, 0x22, 0x33}, ValidLifetime: 600, CLTT: time.Now().Unix(), SubnetID: 1,
		Hostname: "host-a.example.org", FQDNFwd: true,
		UserContext: `{"ISC":{"relay-agent-info":"0x0104AABBCCDD"}}`,
	}
	expectText := func(r control.Response, err error, text string) {
		t.Helper()
		if err != nil || r.Text != text {
			t.Errorf("answer %d %q (%v), want %q", r.Result, r.Text, err, text)
		}
	}
	r, err := c.UpdateLease(ctx, &l)
	expectText(r, err, "IPv4 lease added.")
	l.Hostname, l.CLTT = "host-b.example.org", l.CLTT+10
	r, err = c.UpdateLease(ctx, &l)
	expectText(r, err, "IPv4 lease updated.")
	declined := lease.Lease{Addr: netip.MustParseAddr("192.0.2.151"), ValidLifetime: 600, CLTT: l.CLTT, SubnetID: 1, State: lease.StateDeclined}
	r, err = c.UpdateLease(ctx, &declined)
	expectText(r, err, "IPv4 lease added.")

	leases, skipped, err := c.GetPage(ctx, netip.Addr{}, 1, 5*time.Second)
	if err != nil || len(skipped) != 0 || len(leases) != 1 || !leases[0].Equal(&l) {
		t.Fatalf("first page from Kea: %+v %v %v\nwant %+v", leases, skipped, err, l)
	}
	leases, _, err = c.GetPage(ctx, leases[0].Addr, 10, 5*time.Second)
	if err != nil || len(leases) != 1 || !leases[0].Equal(&declined) {
		t.Errorf("second page from Kea: %+v %v\nwant %+v", leases, err, declined)
	}
	if leases, _, err = c.GetPage(ctx, declined.Addr, 10, 5*time.Second); err != nil || len(leases) != 0 {
		t.Errorf("page past the end: %+v %v", leases, err)
	}

	released := l
	released.Addr, released.State, released.ValidLifetime = netip.MustParseAddr("192.0.2.152"), lease.StateReleased, 0
	var ae *AnswerError
	if _, err := c.UpdateLease(ctx, &released); !errors.As(err, &ae) || ae.Result != control.Error {
		t.Errorf("a released (state 3) lease to Kea 2.2: %v, want result 1", err)
	}
	outside := l
	outside.Addr = netip.MustParseAddr("198.51.100.1")
	if _, err := c.UpdateLease(ctx, &outside); !errors.As(err, &ae) || ae.Result != control.Error {
		t.Errorf("a lease outside the subnet to Kea 2.2: %v, want result 1", err)
	}

	r, err = c.DeleteLease(ctx, &l)
	expectText(r, err, "IPv4 lease deleted.")
	r, err = c.DeleteLease(ctx, &l)
	if err != nil || r.Result != control.Empty {
		t.Errorf("deleting a lease Kea does not have: %d %q %v, want result 3 counted as success", r.Result, r.Text, err)
	}

	// The sync's network-state commands.
	r, err = c.DisableDHCP(ctx, rel.SyncTimeout, 0)
	expectText(r, err, "DHCPv4 service disabled for 5 seconds")
	r, err = c.EnableDHCP(ctx, 0)
	expectText(r, err, "DHCP service successfully enabled")
	r, err = c.SyncComplete(ctx, "server2", 0)
	expectText(r, err, textSyncCompleteNotify)

	// Maintenance and reset, mirrored on our machine in Kea's place: the
	// two must agree at every step. Kea 2.2 returns to the state before
	// in-maintenance on cancel, which after a second notify is
	// in-maintenance itself, so that only ha-reset gets it out.
	agree := func(step string, want State) {
		t.Helper()
		hb, err := c.Heartbeat(ctx, "server2")
		if err != nil || hb.State != want || m.State() != want {
			t.Errorf("after %s: Kea %s (%v), ours %s, want %s", step, hb.State, err, m.State(), want)
		}
	}
	now := time.Unix(3, 0)
	r, err = c.MaintenanceNotify(ctx, false, "server2", StateHotStandby)
	expectText(r, err, "Server is in-maintenance state.")
	if res, text := m.MaintenanceNotify(now, false); res != 0 || text != r.Text {
		t.Errorf("our notify: %d %q", res, text)
	}
	agree("ha-maintenance-notify", StateInMaintenance)
	r, err = c.MaintenanceNotify(ctx, false, "server2", StateHotStandby)
	expectText(r, err, "Server is in-maintenance state.")
	m.MaintenanceNotify(now, false)
	agree("a second ha-maintenance-notify", StateInMaintenance)
	if _, err = c.MaintenanceNotify(ctx, true, "server2", StateHotStandby); err != nil {
		t.Errorf("maintenance cancel: %v", err)
	}
	if res, _ := m.MaintenanceNotify(now, true); res != 0 {
		t.Errorf("our cancel: %d", res)
	}
	agree("the cancel", StateInMaintenance)

	r, err = c.Reset(ctx, "server2")
	expectText(r, err, "HA state machine reset.")
	m.Reset(now)
	// Waiting, and partner-down at Kea's next heartbeat to us, which fails.
	m.HeartbeatDone(now, Heartbeat{})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		hb, err := c.Heartbeat(ctx, "server2")
		if err == nil && hb.State == StatePartnerDown {
			break
		}
		if err != nil || hb.State != StateWaiting || time.Now().After(deadline) {
			t.Fatalf("Kea after ha-reset: %+v %v, want waiting then partner-down", hb, err)
		}
	}
	agree("ha-reset and a failed heartbeat", StatePartnerDown)

	// An unknown command is result 2, which the sync falls back on.
	cmd, _ := NewCommand("ha-no-such-command", nil)
	if _, err := c.Send(ctx, cmd, 0); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown command: %v, want result 2", err)
	}

	// The agent's authentication: a wrong password is a failed exchange
	// with the agent's bare-map answer.
	wrong := partner
	wrong.BasicAuthPassword = "wrong"
	cw, err := NewClient(&wrong, Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	if _, err := cw.Heartbeat(ctx, "server2"); !errors.As(err, &ae) || ae.Text != "Unauthorized" {
		t.Errorf("wrong password: %v, want a failure with the agent's Unauthorized", err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestParseAgreesWithKea22 starts kea-dhcp4 2.2 with HA parameters that
// Parse refuses, and checks that Kea refuses them too (it exits), so that
// leased never rejects what Kea runs for the rules tested here.
func TestParseAgreesWithKea22(t *testing.T) {
	testnet.RequireBinaries(t, "kea-dhcp4")
	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	const peers = `"peers": [{"name": "server1", "url": "http://127.0.0.1:8000/", "role": "primary"}, {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "standby"}]`
	for _, tc := range []struct{ name, params string }{
		{"16-bit delay", `{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby", "heartbeat-delay": 65536, ` + peers + `}]}`},
		{"unknown server", `{"high-availability": [{"this-server-name": "server3", "mode": "hot-standby", ` + peers + `}]}`},
		{"wait-backup-ack", `{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby", "wait-backup-ack": true, ` + peers + `}]}`},
		{"delayed updates", `{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby", "delayed-updates-limit": 1, ` + peers + `}]}`},
		{"host name", `{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby", "peers": [{"name": "server1", "url": "http://localhost:8000/", "role": "primary"}, {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "standby"}]}]}`},
		{"two relationships", `{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby", ` + peers + `}, {"this-server-name": "server1", "mode": "hot-standby", ` + peers + `}]}`},
		{"duplicate state", `{"high-availability": [{"this-server-name": "server1", "mode": "hot-standby", "state-machine": {"states": [{"state": "ready"}, {"state": "ready"}]}, ` + peers + `}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.params), Options{Dialect: Kea22}); err == nil {
				t.Fatal("Parse accepted it")
			}
			dir := testnet.UnprivilegedDir(t)
			p := testnet.StartKea(t, dir, "kea-dhcp4", dhcp4Config(dir, hooks, tc.params), testnet.KeaOptions{})
			exit, err := p.Wait(10 * time.Second)
			switch {
			case err != nil:
				t.Errorf("kea-dhcp4 runs with parameters Parse refuses: %v", err)
			case exit == nil || !strings.Contains(p.Output(), "HA_CONFIGURATION_FAILED"):
				t.Errorf("kea-dhcp4 exited (%v), but not refusing the HA configuration", exit)
			}
		})
	}
	// And the one it runs, Parse reads.
	var v any
	if err := json.Unmarshal([]byte(haParams(1, 2, "")), &v); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseValue(v, Options{Dialect: Kea22}); err != nil {
		t.Errorf("Parse refused the parameters Kea runs: %v", err)
	}
}
