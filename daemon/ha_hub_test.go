//go:build linux

package daemon

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// haRelayB is the second relay of the hub test, on the second spoke's
// subnet.
var haRelayB = netip.MustParseAddr("127.0.0.4")

// hubRelationship is one relationship of Kea 3.x hub and spoke, as
// server this sees it: hot-standby, the hub primary, the spoke standby. max-ack-delay above
// 65535 ms (which Kea 2.2 refuses) makes the configuration 3.x's, as a
// hub's is; with max-unacked-clients 0 it changes nothing.
func hubRelationship(this, hub, hubURL, spoke, spokeURL string) string {
	return fmt.Sprintf(`{"this-server-name": %q, "mode": "hot-standby",
		"heartbeat-delay": 200, "max-response-delay": 1000, "max-ack-delay": 70000, "max-unacked-clients": 0,
		"sync-timeout": 5000, "sync-page-limit": 3,
		"peers": [{"name": %q, "url": %q, "role": "primary"}, {"name": %q, "url": %q, "role": "standby"}]}`,
		this, hub, hubURL, spoke, spokeURL)
}

// haStatuses returns the daemon's status-get "high-availability" list.
func haStatuses(t *testing.T, p *testProc) []ha.Status {
	t.Helper()
	var st struct {
		HA []ha.Status `json:"high-availability"`
	}
	if err := p.want("status-get", nil, control.Success).Decode(&st); err != nil {
		t.Fatalf("status-get: %v", err)
	}
	return st.HA
}

// TestHAHubAndSpoke: a hub with two relationships (Kea 3.x hub and
// spoke), each with its own spoke and subnet named in the subnet's
// user-context by ha-server-name. Both relationships reach hot-standby;
// the hub answers the clients of both subnets, and each lease reaches
// the spoke of its subnet only; with one spoke stopped, its relationship
// goes partner-down while the other stays in hot-standby, and the
// other subnet's clients still get leases the running spoke holds.
// Commands go to the relationship of the server they name, the first
// without one; maintenance takes in every relationship.
func TestHAHubAndSpoke(t *testing.T) {
	needRoot(t)
	ctlHub := testnet.FreeTCPPort(t, "127.0.0.1")
	ctlA, ctlB := testnet.FreeTCPPort(t, "127.0.0.2"), testnet.FreeTCPPort(t, "127.0.0.5")
	hubURL := fmt.Sprintf("http://127.0.0.1:%d/", ctlHub)
	aURL, bURL := fmt.Sprintf("http://127.0.0.2:%d/", ctlA), fmt.Sprintf("http://127.0.0.5:%d/", ctlB)
	subnetA := fmt.Sprintf(`{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": [%q]},
		"pools": [{"pool": "192.0.2.100 - 192.0.2.199"}], "user-context": {"ha-server-name": "spoke-a"}}`, haRelayAddr)
	subnetB := fmt.Sprintf(`{"id": 2, "subnet": "198.51.100.0/24", "relay": {"ip-addresses": [%q]},
		"pools": [{"pool": "198.51.100.100 - 198.51.100.199"}], "user-context": {"ha-server-name": "hub-b"}}`, haRelayB)
	hub := newHANodeSubnets(t, "hub", "127.0.0.1", ctlHub, fmt.Sprintf(`{"high-availability": [%s, %s]}`,
		hubRelationship("hub-a", "hub-a", hubURL, "spoke-a", aURL), hubRelationship("hub-b", "hub-b", hubURL, "spoke-b", bURL)),
		"["+subnetA+", "+subnetB+"]")
	a := newHANodeSubnets(t, "spoke-a", "127.0.0.2", ctlA, fmt.Sprintf(`{"high-availability": [%s]}`,
		hubRelationship("spoke-a", "hub-a", hubURL, "spoke-a", aURL)), "["+subnetA+"]")
	b := newHANodeSubnets(t, "spoke-b", "127.0.0.5", ctlB, fmt.Sprintf(`{"high-availability": [%s]}`,
		hubRelationship("spoke-b", "hub-b", hubURL, "spoke-b", bURL)), "["+subnetB+"]")
	hub.start()
	a.start()
	b.start()
	a.waitState(ha.StateHotStandby)
	b.waitState(ha.StateHotStandby)
	waitHub := func(want ...ha.State) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			st := haStatuses(t, hub.p)
			got := ""
			match := len(st) == len(want)
			for i, s := range st {
				got += s.Servers.Local.State + " (" + s.Servers.Local.Reason + "); "
				if match && s.Servers.Local.State != want[i].String() {
					match = false
				}
			}
			if match {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("hub relationships: %s want %v; log:\n%s", got, want, hub.p.out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitHub(ha.StateHotStandby, ha.StateHotStandby)

	relayA := newHARelayAt(t, haRelayAddr, hub.dhcpPort, a.dhcpPort)
	relayB := newHARelayAt(t, haRelayB, hub.dhcpPort, b.dhcpPort)
	check := func(relay *haRelay, mac []byte, spoke, other *haNode, prefix string) {
		t.Helper()
		addr, port, ok := relay.dora(mac, 5*time.Second)
		if !ok || port != hub.dhcpPort {
			t.Fatalf("client %x via %v: ACK %v from port %d, want one from the hub (%d)", mac, relay.addr, ok, port, hub.dhcpPort)
		}
		if !netip.MustParsePrefix(prefix).Contains(addr) {
			t.Errorf("client %x via %v got %v, outside %s", mac, relay.addr, addr, prefix)
		}
		hw := net.HardwareAddr(mac).String()
		if got := spoke.hwOf(addr); got != hw {
			t.Errorf("%v acknowledged to %s: %s holds it for %q", addr, hw, spoke.name, got)
		}
		if other == nil {
			return
		}
		if got := other.hwOf(addr); got != "" {
			t.Errorf("%v of %s's subnet reached %s too (held for %q)", addr, spoke.name, other.name, got)
		}
	}
	check(relayA, []byte{2, 0, 0, 0, 0xa, 1}, a, b, "192.0.2.0/24")
	check(relayB, []byte{2, 0, 0, 0, 0xb, 1}, b, a, "198.51.100.0/24")

	// A command naming no server goes to the first relationship, as in
	// Kea 3.x; one naming a server of no relationship is refused.
	if r := hub.p.call("ha-heartbeat", nil); r.Result != control.Success {
		t.Errorf("ha-heartbeat without server-name to the hub: %d %q, want the first relationship's answer", r.Result, r.Text)
	}
	if r := hub.p.call("ha-heartbeat", map[string]any{"server-name": "server9"}); r.Result != control.Error {
		t.Errorf("ha-heartbeat naming server9 to the hub: %d %q, want refused", r.Result, r.Text)
	}
	// Maintenance is started and cancelled in every relationship.
	hub.p.want("ha-maintenance-start", nil, control.Success)
	waitHub(ha.StatePartnerInMaintenance, ha.StatePartnerInMaintenance)
	a.waitState(ha.StateInMaintenance)
	b.waitState(ha.StateInMaintenance)
	hub.p.want("ha-maintenance-cancel", nil, control.Success)
	waitHub(ha.StateHotStandby, ha.StateHotStandby)
	a.waitState(ha.StateHotStandby)
	b.waitState(ha.StateHotStandby)

	b.stop()
	waitHub(ha.StateHotStandby, ha.StatePartnerDown)
	check(relayA, []byte{2, 0, 0, 0, 0xa, 2}, a, nil, "192.0.2.0/24")
	if addr, port, ok := relayB.dora([]byte{2, 0, 0, 0, 0xb, 2}, 5*time.Second); !ok || port != hub.dhcpPort || !netip.MustParsePrefix("198.51.100.0/24").Contains(addr) {
		t.Errorf("spoke-b down: its subnet's client got %v %v from port %d, want an address of 198.51.100.0/24 from the hub", addr, ok, port)
	}
}
