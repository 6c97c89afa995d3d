//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// haRelayNet is a segment: two servers' namespaces and a client
// namespace on a bridge, perfdhcp in the client namespace as a relay
// agent (giaddr 198.18.0.1) that broadcasts on the segment, as a relay
// with both servers as helpers would reach them: both see every packet,
// and each unicasts its replies to the relay.
type haRelayNet struct {
	t    *testing.T
	mu   sync.Mutex
	ns   [2]*testnet.NS
	cli  *testnet.NS
	keys map[string]string // client MAC → the key Kea's split hashes, from its DISCOVERs
	kea  [2]bool           // whether server i+1 is kea-dhcp4 (else leased), for the HA parameters
}

var haRelayServers = [2]string{"192.0.2.1", "192.0.2.2"}

const haRelayAddr = "198.18.0.1"

func newHARelayNet(t *testing.T, label string) *haRelayNet {
	br := testnet.NewBridge(t, label)
	n := &haRelayNet{t: t, cli: testnet.NewNS(t, label+"c"), keys: map[string]string{}}
	for i := range n.ns {
		n.ns[i] = testnet.NewNS(t, fmt.Sprintf("%s%d", label, i+1))
		br.Attach(t, n.ns[i], "lan0")
		n.ns[i].AddAddr(t, "lan0", haRelayServers[i]+"/24")
		n.ns[i].AddRoute(t, "198.18.0.0/16", "lan0")
	}
	br.Attach(t, n.cli, "cli0")
	n.cli.AddAddr(t, "cli0", "192.0.2.10/24")
	n.cli.AddAddr(t, "cli0", haRelayAddr+"/16")
	return n
}

// haRelayParams is the libdhcp_ha.so parameters of server this of a pair
// of mode on the relay net, kea[i] telling whether server i+1 is
// kea-dhcp4 (multi-threaded, HA's dedicated listener on port 8001) or
// leased (its HTTP control listener on port 8000).
func haRelayParams(this, mode string, kea [2]bool) string {
	mt := ""
	if kea[0] && this == "server1" || kea[1] && this == "server2" {
		mt = `"multi-threading": {"enable-multi-threading": true, "http-dedicated-listener": true, "http-listener-threads": 1, "http-client-threads": 1},`
	}
	role2 := map[string]string{"hot-standby": "standby", "load-balancing": "secondary", "passive-backup": "backup"}[mode]
	return fmt.Sprintf(`{"high-availability": [{
		"this-server-name": %q, "mode": %q,
		"heartbeat-delay": 300, "max-response-delay": 2000, "max-ack-delay": 1000, "max-unacked-clients": 0,
		"sync-timeout": 20000, "sync-page-limit": 500, %s
		"peers": [{"name": "server1", "url": "http://%s:%d/", "role": "primary"},
		          {"name": "server2", "url": "http://%s:%d/", "role": %q}]}]}`,
		this, mode, mt, haRelayServers[0], haPort(kea[0]), haRelayServers[1], haPort(kea[1]), role2)
}

// haPort is the port a server of the pair takes HA commands on.
func haPort(kea bool) int {
	if kea {
		return 8001
	}
	return 8000
}

// haRelaySubnet is the relayed subnet: with split pools guarded by the
// HA classes in load-balancing (each server allocates from its own),
// one pool otherwise.
func haRelaySubnet(mode string) string {
	pools := `[{"pool": "198.18.1.0 - 198.18.8.255"}]`
	if mode == "load-balancing" {
		pools = `[{"pool": "198.18.1.0 - 198.18.4.255", "client-class": "HA_server1"},
			{"pool": "198.18.5.0 - 198.18.8.255", "client-class": "HA_server2"}]`
	}
	return fmt.Sprintf(`"subnet4": [{"id": 2, "subnet": "198.18.0.0/16", "pools": %s}]`, pools)
}

// leasedNode is the configuration and process of leased server i+1.
func (n *haRelayNet) leasedNode(i int, mode string) (*server, string) {
	hooks := testnet.KeaHooksDir(n.t, "libdhcp_ha.so")
	dir := n.t.TempDir()
	cfg, sock := filepath.Join(dir, "kea-dhcp4.conf"), filepath.Join(dir, "ctl.sock")
	writeFile(n.t, cfg, fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lan0"]},
		"lease-database": {"type": "memfile", "persist": true, "name": %q},
		"valid-lifetime": 600,
		"control-sockets": [
			{"socket-type": "unix", "socket-name": %q},
			{"socket-type": "http", "socket-address": %q, "socket-port": 8000}],
		"hooks-libraries": [{"library": %q}, {"library": %q, "parameters": %s}],
		%s}}`,
		filepath.Join(dir, "dhcp4.leases"), sock, haRelayServers[i],
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"),
		haRelayParams(fmt.Sprintf("server%d", i+1), mode, n.kea), haRelaySubnet(mode)))
	return newServer(n.t, n.ns[i], cfg, filepath.Join(dir, "dhcp4.leases")), sock
}

// startKea starts kea-dhcp4 server i+1, multi-threaded with HA's
// dedicated listener (n.kea[i] must say so).
func (n *haRelayNet) startKea(i int, mode string) *testnet.KeaProc {
	hooks := testnet.KeaHooksDir(n.t, "libdhcp_ha.so")
	dir := testnet.UnprivilegedDir(n.t)
	log := filepath.Join(dir, "kea-dhcp4.log")
	return testnet.StartKea(n.t, dir, "kea-dhcp4", fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lan0"], "dhcp-socket-type": "raw"},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "persist": true, "name": %q, "lfc-interval": 0},
		"multi-threading": {"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 64},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}, {"library": %q, "parameters": %s}],
		%s,
		"loggers": [{"name": "kea-dhcp4", "severity": "WARN", "output_options": [{"output": %q}]}]}}`,
		filepath.Join(dir, "kea4.sock"), filepath.Join(dir, "leases4.csv"),
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"),
		haRelayParams(fmt.Sprintf("server%d", i+1), mode, n.kea), haRelaySubnet(mode), log),
		testnet.KeaOptions{NS: n.ns[i], LogFile: log, Env: []string{"TZ=UTC"},
			AmbientCaps: []uintptr{unix.CAP_NET_RAW, unix.CAP_NET_BIND_SERVICE}})
}

// call sends a command over HTTP to server i+1 at port, from the other
// server's namespace, and decodes the answer as Kea's HA hook does.
func (n *haRelayNet) call(i, port int, cmd string, args any) (control.Response, error) {
	body := map[string]any{"command": cmd, "service": []string{"dhcp4"}}
	if args != nil {
		body["arguments"] = args
	}
	b, err := json.Marshal(body)
	if err != nil {
		return control.Response{}, err
	}
	url := fmt.Sprintf("http://%s:%d/", haRelayServers[i], port)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := n.ns[1-i].Run(ctx, "curl", "-sS", "-m", "10", "-H", "Content-Type: application/json", "--data-binary", string(b), url)
	if err != nil {
		return control.Response{}, fmt.Errorf("%s to %s: %w: %s", cmd, url, err, out)
	}
	return ha.DecodeAnswer([]byte(out))
}

// waitState waits until server i+1 (at port) says it is in state want.
func (n *haRelayNet) waitState(i, port int, want string, timeout time.Duration, logs func() string) time.Duration {
	n.t.Helper()
	start := time.Now()
	got := ""
	for {
		if r, err := n.call(i, port, "ha-heartbeat", nil); err == nil {
			if hb, err := ha.DecodeHeartbeat(r); err == nil {
				got = hb.State.String()
			}
		}
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			n.t.Fatalf("server%d is %q after %v, want %s%s", i+1, got, timeout, want, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leases returns server i+1's leases (lease4-get-all), address → client.
func (n *haRelayNet) leases(i, port int) map[netip.Addr]string {
	n.t.Helper()
	r, err := n.call(i, port, "lease4-get-all", nil)
	if err != nil {
		n.t.Fatalf("lease4-get-all on server%d: %v", i+1, err)
	}
	var all struct {
		Leases []struct {
			IP    netip.Addr `json:"ip-address"`
			HW    string     `json:"hw-address"`
			State int        `json:"state"`
		} `json:"leases"`
	}
	if r.Result == control.Success {
		if err := r.Decode(&all); err != nil {
			n.t.Fatal(err)
		}
	}
	out := map[netip.Addr]string{}
	for _, l := range all.Leases {
		if l.State == 0 {
			out[l.IP] = l.HW
		}
	}
	return out
}

// haMACs writes n MACs drawn from a fixed seed to a file for perfdhcp -M
// and returns it and the MACs.
func haMACs(t *testing.T, n int) (string, []net.HardwareAddr) {
	rng := rand.New(rand.NewPCG(12, 34))
	seen := map[string]bool{}
	var macs []net.HardwareAddr
	var text strings.Builder
	for len(macs) < n {
		mac := net.HardwareAddr{0x02, byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}
		if seen[mac.String()] {
			continue
		}
		seen[mac.String()] = true
		macs = append(macs, mac)
		fmt.Fprintln(&text, mac)
	}
	file := filepath.Join(t.TempDir(), "macs.txt")
	writeFile(t, file, text.String())
	return file, macs
}

// haAck is one ACK perfdhcp received: the client, its address, the
// server identifier.
type haAck struct {
	mac  string
	addr netip.Addr
	sid  netip.Addr
}

// perfdhcp runs perfdhcp in the client namespace, broadcasting as the
// relay; extra are further arguments. It returns the report and the ACKs
// captured on the client's link, in order, and records each client's key.
func (n *haRelayNet) perfdhcp(rate, requests int, extra ...string) (*testnet.PerfdhcpReport, []haAck, error) {
	capture := n.cli.CaptureUDP(n.t, "cli0", 67)
	defer capture.Close()
	// "all" is perfdhcp's broadcast target (it sets SO_BROADCAST for it
	// only); -l with an address keeps that address as giaddr.
	args := append([]string{"-4", "-g", "single", "-r", fmt.Sprint(rate), "-n", fmt.Sprint(requests),
		"-d", "2", "-W", "2000000", "-l", haRelayAddr}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(requests/rate+30)*time.Second)
	defer cancel()
	out, err := n.cli.Run(ctx, "perfdhcp", append(args, "all")...)
	if err != nil && exitCode(err) != 3 {
		return nil, nil, fmt.Errorf("perfdhcp %s all: %w%s", strings.Join(args, " "), err, testnet.IndentOutput(testnet.Tail(out, 3000)))
	}
	rep, err := testnet.ParsePerfdhcp(out)
	if err != nil {
		return nil, nil, err
	}
	time.Sleep(100 * time.Millisecond)
	capture.Close()
	var acks []haAck
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, pkt := range capture.Packets() {
		p, err := dhcpv4.Parse(pkt.Payload)
		if err != nil {
			continue
		}
		mac := net.HardwareAddr(p.CHAddr()).String()
		switch {
		case pkt.Outgoing && p.MessageType() == dhcpv4.Discover:
			// What Kea's split hashes: option 61 when sent, else chaddr.
			n.keys[mac] = string(ha.ClientKey(p.ClientID(), p.CHAddr()))
		case !pkt.Outgoing && p.MessageType() == dhcpv4.Ack:
			sid, _ := p.OptionIP(54)
			acks = append(acks, haAck{mac, p.YIAddr(), sid})
		}
	}
	return rep, acks, nil
}

// bySID returns the server identifiers of each client's ACKs.
func bySID(acks []haAck) map[string][]netip.Addr {
	out := map[string][]netip.Addr{}
	for _, a := range acks {
		out[a.mac] = append(out[a.mac], a.sid)
	}
	return out
}

// TestHALoadBalancingSplit runs perfdhcp, as a relay, over the same 1,000
// clients (MACs from a fixed seed, perfdhcp -M) through a load-balancing
// leased–leased pair and then a kea-dhcp4 2.2 pair (multi-threaded, HA's
// dedicated listener), on the same segment with split pools guarded by
// the HA_server classes, and compares per client which server
// acknowledged it: every client answered by both pairs must have been
// answered by the same server name (server1 at 192.0.2.1, server2 at
// 192.0.2.2), each always by that one server, and as Kea's hash
// predicts (ha.Relationship.ScopeOf). Each lease also reaches the partner.
func TestHALoadBalancingSplit(t *testing.T) {
	needs(t, "perfdhcp", "curl", "kea-dhcp4")
	n := newHARelayNet(t, "hlb")
	macFile, macs := haMACs(t, 1000)

	var leasedSrv [2]*server
	for i := range leasedSrv {
		leasedSrv[i], _ = n.leasedNode(i, "load-balancing")
		leasedSrv[i].start()
	}
	logs := func() string { return leasedSrv[0].lastLog() + leasedSrv[1].lastLog() }
	for i := range leasedSrv {
		n.waitState(i, 8000, "load-balancing", 30*time.Second, logs)
	}
	rep, acks, err := n.perfdhcp(300, 3000, "-M", macFile)
	if err != nil {
		t.Fatal(err)
	}
	byLeased := bySID(acks)
	t.Logf("leased pair: %d ACKs to %d clients, %.1f %% drops", rep.RequestAck().Received, len(byLeased), rep.RequestAck().DropsRatio)
	// Every lease acknowledged is in both stores once the pair is back in
	// load-balancing (under this load a server may have judged its
	// partner down for a while, and synced when it came back).
	for i := range leasedSrv {
		n.waitState(i, 8000, "load-balancing", 30*time.Second, logs)
		if strings.Contains(leasedSrv[i].log(), "-> partner-down") {
			t.Logf("server%d went partner-down during the run", i+1)
		}
	}
	stores := [2]map[string]string{}
	for i := range stores {
		stores[i] = map[string]string{}
		for a, hw := range n.leases(i, 8000) {
			stores[i][hw] = a.String()
		}
	}
	for mac := range byLeased {
		if a := stores[0][mac]; a == "" || a != stores[1][mac] {
			t.Errorf("client %s acknowledged by the leased pair: server1 holds %q for it, server2 %q", mac, a, stores[1][mac])
		}
	}
	for i := range leasedSrv {
		leasedSrv[i].stop()
	}

	n.kea = [2]bool{true, true}
	for i := range 2 {
		n.startKea(i, "load-balancing")
	}
	noLogs := func() string { return "" }
	for i := range 2 {
		n.waitState(i, 8001, "load-balancing", 30*time.Second, noLogs)
	}
	rep, acks, err = n.perfdhcp(300, 3000, "-M", macFile)
	if err != nil {
		t.Fatal(err)
	}
	byKea := bySID(acks)
	t.Logf("Kea pair: %d ACKs to %d clients, %.1f %% drops", rep.RequestAck().Received, len(byKea), rep.RequestAck().DropsRatio)

	server := func(sids []netip.Addr) (string, bool) {
		for _, s := range sids[1:] {
			if s != sids[0] {
				return "", false
			}
		}
		for i, a := range haRelayServers {
			if sids[0].String() == a {
				return fmt.Sprintf("server%d", i+1), true
			}
		}
		return "", false
	}
	cfg, err := ha.Parse([]byte(haRelayParams("server1", "load-balancing", [2]bool{})), ha.Options{Dialect: ha.Kea22})
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	both, split := 0, [2]int{}
	for _, mac := range macs {
		key, seen := n.keys[mac.String()]
		want, _ := cfg.Relationships[0].ScopeOf([]byte(key))
		l, inL := byLeased[mac.String()]
		k, inK := byKea[mac.String()]
		var ls, ks string
		if inL {
			var ok bool
			if ls, ok = server(l); !ok {
				t.Errorf("client %v acknowledged by the leased pair from %v", mac, l)
			}
		}
		if inK {
			var ok bool
			if ks, ok = server(k); !ok {
				t.Errorf("client %v acknowledged by the Kea pair from %v", mac, k)
			}
		}
		// A DISCOVER the capture missed leaves the key unknown.
		if inL && seen && ls != want {
			t.Errorf("client %v (key %x seen %v): leased's %s answered, Kea's hash says %s", mac, key, seen, ls, want)
		}
		if inL && inK {
			both++
			if ls != ks {
				t.Errorf("client %v: leased's %s answered, Kea's %s", mac, ls, ks)
			}
			if ls == "server1" {
				split[0]++
			} else {
				split[1]++
			}
		}
	}
	t.Logf("%d clients answered by both pairs: %d by server1, %d by server2", both, split[0], split[1])
	if both < 800 || split[0] < both/4 || split[1] < both/4 {
		t.Errorf("%d clients answered by both pairs (%d by server1, %d by server2): want at least 800, split between the servers", both, split[0], split[1])
	}
}

// TestHAFailoverCrashAudit runs perfdhcp, as a relay, over 1,000 clients
// against a hot-standby leased pair while the active server is killed
// twice: kill -9 of the primary under load (the standby goes
// partner-down and serves), the primary restarted (it syncs, and the
// pair is hot-standby again with the primary active), then kill -9 of
// the standby, which had taken over. Audit, against the survivor's
// lease4-get-all and against every ACK captured on the relay's link: no
// acknowledged lease is lost (each client's last ACKed address is held
// for it), and no address is held by, or was last acknowledged to, two
// clients. The standby restarted then syncs: both stores are equal.
func TestHAFailoverCrashAudit(t *testing.T) {
	needs(t, "perfdhcp", "curl")
	n := newHARelayNet(t, "hca")
	macFile, _ := haMACs(t, 1000)
	var srv [2]*server
	for i := range srv {
		srv[i], _ = n.leasedNode(i, "hot-standby")
		srv[i].start()
	}
	logs := func() string { return srv[0].lastLog() + srv[1].lastLog() }
	for i := range srv {
		n.waitState(i, 8000, "hot-standby", 30*time.Second, logs)
	}

	type result struct {
		rep  *testnet.PerfdhcpReport
		acks []haAck
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rep, acks, err := n.perfdhcp(200, 5000, "-M", macFile)
		done <- result{rep, acks, err}
	}()
	time.Sleep(3 * time.Second)
	if err := srv[0].kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("server2 partner-down %v after the primary's kill -9", n.waitState(1, 8000, "partner-down", 15*time.Second, logs).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	srv[0].start()
	for i := range srv {
		n.waitState(i, 8000, "hot-standby", 30*time.Second, logs)
	}
	time.Sleep(2 * time.Second)
	if err := srv[1].kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("server1 partner-down %v after the standby's kill -9", n.waitState(0, 8000, "partner-down", 15*time.Second, logs).Round(time.Millisecond))
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	t.Logf("perfdhcp: %d DISCOVERs, %d ACKs captured, %.1f %% drops", res.rep.DiscoverOffer().Sent, len(res.acks), res.rep.RequestAck().DropsRatio)
	sids := map[netip.Addr]int{}
	for _, a := range res.acks {
		sids[a.sid]++
	}
	t.Logf("ACKs by server: %v", sids)
	if len(sids) != 2 {
		t.Errorf("ACKs came from %v, want from both servers across the failovers", sids)
	}

	last := map[string]netip.Addr{} // client → its last ACKed address
	for _, a := range res.acks {
		last[a.mac] = a.addr
	}
	owner := map[netip.Addr]string{}
	for mac, addr := range last {
		if other, ok := owner[addr]; ok {
			t.Errorf("%v last acknowledged to both %s and %s", addr, other, mac)
		}
		owner[addr] = mac
	}
	audit := func(who string, store map[netip.Addr]string) {
		t.Helper()
		lost := 0
		for mac, addr := range last {
			if store[addr] != mac {
				lost++
				if lost <= 10 {
					t.Errorf("%s: client %s was acknowledged %v, which it holds for %q", who, mac, addr, store[addr])
				}
			}
		}
		t.Logf("%s: %d leases; %d of %d acknowledged clients' leases lost", who, len(store), lost, len(last))
	}
	survivor := n.leases(0, 8000)
	audit("server1 (the survivor)", survivor)

	srv[1].start()
	for i := range srv {
		n.waitState(i, 8000, "hot-standby", 30*time.Second, logs)
	}
	s1, s2 := n.leases(0, 8000), n.leases(1, 8000)
	audit("server2 restarted", s2)
	if fmt.Sprint(s1) != fmt.Sprint(s2) {
		t.Errorf("stores after the standby's restart differ: server1 %d leases, server2 %d", len(s1), len(s2))
	}
}

// TestHAKea22Modes runs leased and kea-dhcp4 2.2 (multi-threaded, HA's
// dedicated listener) as a pair in the other two modes, with perfdhcp as
// a relay over 300 clients: load-balancing with leased as server1 and
// Kea as server2 (each client acknowledged by the server Kea's hash
// names, from that server's pool), and passive-backup both ways (Kea
// primary with a leased backup, leased primary with a Kea backup: only
// the primary answers). In each, every lease acknowledged is in both
// servers' stores (lease4-get-all on each) for the client it was
// acknowledged to.
func TestHAKea22Modes(t *testing.T) {
	needs(t, "perfdhcp", "curl", "kea-dhcp4")
	for _, tc := range []struct {
		name string
		mode string
		kea  [2]bool
	}{
		{"load-balancing/leased-server1-kea-server2", "load-balancing", [2]bool{false, true}},
		{"passive-backup/kea-primary-leased-backup", "passive-backup", [2]bool{true, false}},
		{"passive-backup/leased-primary-kea-backup", "passive-backup", [2]bool{false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) { testHAKea22Mode(t, tc.mode, tc.kea) })
	}
}

func testHAKea22Mode(t *testing.T, mode string, kea [2]bool) {
	n := newHARelayNet(t, "hm")
	n.kea = kea
	macFile, _ := haMACs(t, 300)
	var srv []*server
	for i := range 2 {
		if kea[i] {
			n.startKea(i, mode)
		} else {
			s, _ := n.leasedNode(i, mode)
			s.start()
			srv = append(srv, s)
		}
	}
	logs := func() string {
		out := ""
		for _, s := range srv {
			out += s.lastLog()
		}
		return out
	}
	active := map[string]string{"load-balancing": "load-balancing", "passive-backup": "passive-backup"}[mode]
	n.waitState(0, haPort(kea[0]), active, 30*time.Second, logs)
	// The backup too must be up: lease updates to it do not hold the
	// ACK (wait-backup-ack is off), so a backup not yet listening would
	// miss them.
	n.waitState(1, haPort(kea[1]), map[string]string{"load-balancing": "load-balancing", "passive-backup": "backup"}[mode], 30*time.Second, logs)
	rep, acks, err := n.perfdhcp(150, 600, "-M", macFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d ACKs captured; perfdhcp: %.1f %% drops", len(acks), rep.RequestAck().DropsRatio)
	if len(acks) < 400 {
		t.Errorf("only %d of 600 exchanges acknowledged", len(acks))
	}
	cfg, err := ha.Parse([]byte(haRelayParams("server1", mode, kea)), ha.Options{Dialect: ha.Kea22})
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	keys := maps.Clone(n.keys)
	n.mu.Unlock()
	last := map[string]netip.Addr{}
	for _, a := range acks {
		want := "server1"
		if mode == "load-balancing" {
			if key, ok := keys[a.mac]; ok {
				want, _ = cfg.Relationships[0].ScopeOf([]byte(key))
			} else {
				want = ""
			}
		}
		i := map[string]int{"server1": 0, "server2": 1}[want]
		if want != "" && a.sid.String() != haRelayServers[i] {
			t.Errorf("client %s acknowledged %v by %v, want %s (%s)", a.mac, a.addr, a.sid, want, haRelayServers[i])
		}
		if mode == "load-balancing" && a.sid.String() == haRelayServers[1] && !inRange(a.addr, "198.18.5.0", "198.18.8.255") {
			t.Errorf("client %s acknowledged %v by server2, outside its HA_server2 pool", a.mac, a.addr)
		}
		last[a.mac] = a.addr
	}
	by := map[netip.Addr]int{}
	for _, a := range acks {
		by[a.sid]++
	}
	t.Logf("ACKs by server: %v", by)
	if mode == "load-balancing" && len(by) != 2 {
		t.Errorf("ACKs came from %v, want both servers of the load-balancing pair", by)
	}
	for i := range 2 {
		store := n.leases(i, haPort(kea[i]))
		missing := 0
		for mac, addr := range last {
			if store[addr] != mac {
				missing++
				if missing <= 5 {
					t.Errorf("server%d (%s) holds %v for %q, acknowledged to %s", i+1, map[bool]string{true: "kea-dhcp4", false: "leased"}[kea[i]], addr, store[addr], mac)
				}
			}
		}
		if missing > 0 {
			t.Errorf("server%d lacks %d of the %d acknowledged clients' leases%s", i+1, missing, len(last), logs())
		}
	}
}
