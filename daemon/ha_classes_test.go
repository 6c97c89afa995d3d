//go:build linux

package daemon

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// haSplitPools are the pools of Kea's documented load-balancing layout:
// one per server, each guarded by the server's HA_<name> class (Kea
// 2.2's client-class; 3.x writes client-classes, which leased reads too).
const haSplitPools = `[{"pool": "192.0.2.100 - 192.0.2.149", "client-class": "HA_server1"},
	{"pool": "192.0.2.150 - 192.0.2.199", "client-class": "HA_server2"}]`

// TestHAPairSplitPools: a load-balancing pair whose pools are guarded by
// the HA_<server> classes, as Kea's documentation sets one up. Each
// server hands out addresses of its own pool only, to the clients of its
// scope; server2 in partner-down serves server1's clients from server1's
// pool (the class follows the client, not the server). Kea 2.2 reads
// the same subnets and hook entry.
func TestHAPairSplitPools(t *testing.T) {
	needRoot(t)
	ctlA, ctlB := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	urls := [2]string{fmt.Sprintf("http://127.0.0.1:%d/", ctlA), fmt.Sprintf("http://127.0.0.2:%d/", ctlB)}
	params := func(this string) string { return haParams(this, "load-balancing", "secondary", urls, 1000) }
	a := newHANodePools(t, "server1", "127.0.0.1", ctlA, params("server1"), haSplitPools)
	b := newHANodePools(t, "server2", "127.0.0.2", ctlB, params("server2"), haSplitPools)
	keaReadsSplit(t, params("server2"))
	cfg, err := ha.Parse([]byte(params("server1")), ha.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rel := cfg.Relationships[0]
	a.start()
	b.start()
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)

	relay := newHARelay(t, a.dhcpPort, b.dhcpPort)
	port := map[string]int{"server1": a.dhcpPort, "server2": b.dhcpPort}
	first := map[string]string{"server1": "192.0.2.100", "server2": "192.0.2.150"}
	last := map[string]string{"server1": "192.0.2.149", "server2": "192.0.2.199"}
	macs := haClients(t, rel, 4, 8)
	for _, mac := range macs {
		scope, _ := rel.Select(discover(t, mac[5]))
		addr, from, ok := relay.dora(mac, 5*time.Second)
		if !ok {
			t.Fatalf("client %x of %s: no ACK from the pair", mac, scope)
		}
		if from != port[scope] || addr.Less(netip.MustParseAddr(first[scope])) || netip.MustParseAddr(last[scope]).Less(addr) {
			t.Errorf("client %x of %s: %v from port %d, want an address of %s's pool %s-%s from port %d",
				mac, scope, addr, from, scope, first[scope], last[scope], port[scope])
		}
	}

	// Each server dropped the queries of the other's scope, counted as
	// Kea 3.x counts them.
	for _, n := range []*haNode{a, b} {
		if got := haStat(t, n.p, "pkt4-not-for-us"); got < 4 {
			t.Errorf("%s: pkt4-not-for-us %d, want at least 4 (the other server's clients' DISCOVERs)", n.name, got)
		}
	}

	a.stop()
	b.waitState(ha.StatePartnerDown)
	for _, mac := range haClients(t, rel, 2, 4) {
		mac = append([]byte(nil), mac...)
		mac[4] = 9 // clients new to both servers
		scope, _ := rel.ScopeOf(ha.ClientKey(nil, mac))
		addr, from, ok := relay.dora(mac, 5*time.Second)
		if !ok || from != b.dhcpPort {
			t.Fatalf("partner-down: client %x of %s: ACK %v from port %d, want one from server2 (%d)", mac, scope, ok, from, b.dhcpPort)
		}
		if addr.Less(netip.MustParseAddr(first[scope])) || netip.MustParseAddr(last[scope]).Less(addr) {
			t.Errorf("partner-down: client %x of %s got %v, outside %s's pool", mac, scope, addr, scope)
		}
	}
}

// keaReadsSplit checks with kea-dhcp4 -t that Kea 2.2 accepts the
// subnet with the split pools and the hook entry of params (Kea's own
// control-socket in place of leased's listeners).
func keaReadsSplit(t *testing.T, params string) {
	t.Helper()
	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	dir := testnet.UnprivilegedDir(t)
	conf := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"]},
		"lease-database": {"type": "memfile", "persist": false},
		"valid-lifetime": 600,
		"hooks-libraries": [
			{"library": %q},
			{"library": %q, "parameters": %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": [%q]}, "pools": %s}]}}`,
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"), params, haRelayAddr, haSplitPools)
	path := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testnet.KeaBinary("kea-dhcp4"), "-t", path).CombinedOutput()
	if err != nil {
		t.Fatalf("kea-dhcp4 -t refuses the split configuration: %v\n%s", err, out)
	}
}

// haStat returns a statistic's latest value as statistic-get reads it.
func haStat(t *testing.T, p *testProc, name string) int64 {
	t.Helper()
	r := p.want("statistic-get", map[string]any{"name": name}, 0)
	var m map[string][][2]any
	if err := json.Unmarshal(r.Arguments.(json.RawMessage), &m); err != nil {
		t.Fatalf("statistic-get %s: %v", name, err)
	}
	if len(m[name]) == 0 {
		t.Fatalf("statistic-get %s: no such statistic", name)
	}
	v, _ := m[name][0][0].(float64)
	return int64(v)
}
