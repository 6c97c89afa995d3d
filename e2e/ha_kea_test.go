//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// A leased–kea-dhcp4 2.2 pair on one Ethernet segment (a bridge), with
// real clients (udhcpc) on it: Kea in namespace "kea" at 192.0.2.1,
// leased in namespace "leased" at 192.0.2.2, each reaching the other
// over HTTP on that segment.
const (
	haKeaAddr    = "192.0.2.1"
	haLeasedAddr = "192.0.2.2"
	// Failure detection: a partner is judged down max-response-delay
	// after its last answer; heartbeats every heartbeat-delay.
	haHeartbeatMs   = 300
	haMaxResponseMs = 2000
)

// haKeaPair is one run's pair: which server is the primary, how Kea is
// reached, and the processes.
type haKeaPair struct {
	t          *testing.T
	keaPrimary bool // else leased is the primary
	dedicated  bool // Kea's HA dedicated listener (multi-threaded Kea), else kea-ctrl-agent
	keaNS      *testnet.NS
	leasedNS   *testnet.NS
	cliNS      *testnet.NS
	keaDir     string
	keaLog     string
	keaCfg     string
	kea        *testnet.KeaProc
	agent      *testnet.KeaProc
	leased     *server
	sock       string // leased's unix control socket
	clients    int
}

func (p *haKeaPair) keaURL() string {
	if p.dedicated {
		return "http://" + haKeaAddr + ":8001/"
	}
	return "http://" + haKeaAddr + ":8000/"
}

func (p *haKeaPair) leasedURL() string { return "http://" + haLeasedAddr + ":8000/" }

// params is the libdhcp_ha.so parameters of server this: server1 is the
// primary, server2 the standby; Kea is whichever keaPrimary says.
func (p *haKeaPair) params(this string) string {
	urls := map[bool]string{true: p.keaURL(), false: p.leasedURL()}
	mt := ""
	if p.dedicated && this == p.keaName() {
		mt = `"multi-threading": {"enable-multi-threading": true, "http-dedicated-listener": true, "http-listener-threads": 1, "http-client-threads": 1},`
	}
	return fmt.Sprintf(`{"high-availability": [{
		"this-server-name": %q, "mode": "hot-standby",
		"heartbeat-delay": %d, "max-response-delay": %d, "max-ack-delay": 1000, "max-unacked-clients": 0,
		"sync-timeout": 10000, %s
		"peers": [{"name": "server1", "url": %q, "role": "primary"},
		          {"name": "server2", "url": %q, "role": "standby"}]}]}`,
		this, haHeartbeatMs, haMaxResponseMs, mt, urls[p.keaPrimary], urls[!p.keaPrimary])
}

func (p *haKeaPair) keaName() string {
	if p.keaPrimary {
		return "server1"
	}
	return "server2"
}

func (p *haKeaPair) leasedName() string {
	if p.keaPrimary {
		return "server2"
	}
	return "server1"
}

func newHAKeaPair(t *testing.T, keaPrimary, dedicated bool) *haKeaPair {
	br := testnet.NewBridge(t, "hk")
	p := &haKeaPair{t: t, keaPrimary: keaPrimary, dedicated: dedicated,
		keaNS: testnet.NewNS(t, "hkea"), leasedNS: testnet.NewNS(t, "hlsd"), cliNS: testnet.NewNS(t, "hkcli")}
	br.Attach(t, p.keaNS, "lan0")
	br.Attach(t, p.leasedNS, "lan0")
	br.Attach(t, p.cliNS, "cli0")
	p.keaNS.AddAddr(t, "lan0", haKeaAddr+"/24")
	p.leasedNS.AddAddr(t, "lan0", haLeasedAddr+"/24")
	if err := p.cliNS.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}

	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	p.sock = filepath.Join(dir, "ctl.sock")
	writeFile(t, cfg, fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lan0"]},
		"lease-database": {"type": "memfile", "persist": true, "name": %q},
		"valid-lifetime": 600,
		"control-sockets": [
			{"socket-type": "unix", "socket-name": %q},
			{"socket-type": "http", "socket-address": %q, "socket-port": 8000}],
		"hooks-libraries": [
			{"library": %q},
			{"library": %q, "parameters": %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]}}`,
		filepath.Join(dir, "dhcp4.leases"), p.sock, haLeasedAddr,
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"), p.params(p.leasedName())))
	p.leased = newServer(t, p.leasedNS, cfg, filepath.Join(dir, "dhcp4.leases"))

	p.keaDir = testnet.UnprivilegedDir(t)
	p.keaLog = filepath.Join(p.keaDir, "kea-dhcp4.log")
	mt := `"multi-threading": {"enable-multi-threading": false},`
	if dedicated {
		mt = `"multi-threading": {"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 16},`
	}
	p.keaCfg = fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lan0"], "dhcp-socket-type": "raw"},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "persist": true, "name": %q, "lfc-interval": 0},
		%s
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}, {"library": %q, "parameters": %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "lan0",
			"pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		filepath.Join(p.keaDir, "kea4.sock"), filepath.Join(p.keaDir, "leases4.csv"), mt,
		filepath.Join(hooks, "libdhcp_lease_cmds.so"), filepath.Join(hooks, "libdhcp_ha.so"), p.params(p.keaName()), p.keaLog)
	return p
}

// startKea starts kea-dhcp4 (again, on the same lease file), and its
// agent the first time when Kea is reached through it.
func (p *haKeaPair) startKea() {
	p.kea = testnet.StartKea(p.t, p.keaDir, "kea-dhcp4", p.keaCfg, testnet.KeaOptions{
		NS: p.keaNS, LogFile: p.keaLog, Env: []string{"TZ=UTC"},
		AmbientCaps: []uintptr{unix.CAP_NET_RAW, unix.CAP_NET_BIND_SERVICE}})
	if !p.dedicated && p.agent == nil {
		p.agent = testnet.StartKea(p.t, p.keaDir, "kea-ctrl-agent", fmt.Sprintf(`{"Control-agent": {
			"http-host": %q, "http-port": 8000,
			"control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": %q}},
			"loggers": [{"name": "kea-ctrl-agent", "severity": "WARN", "output_options": [{"output": "stdout"}]}]}}`,
			haKeaAddr, filepath.Join(p.keaDir, "kea4.sock")), testnet.KeaOptions{NS: p.keaNS})
	}
}

// call sends a command to a server of the pair over HTTP, from the
// leased namespace (Kea's URL) or the Kea namespace (leased's), as the
// partner does, and decodes the answer as Kea's HA hook does.
func (p *haKeaPair) call(kea bool, cmd string, args any) (control.Response, error) {
	body := map[string]any{"command": cmd, "service": []string{"dhcp4"}}
	if args != nil {
		body["arguments"] = args
	}
	b, err := json.Marshal(body)
	if err != nil {
		return control.Response{}, err
	}
	ns, url := p.leasedNS, p.keaURL()
	if !kea {
		ns, url = p.keaNS, p.leasedURL()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := ns.Run(ctx, "curl", "-sS", "-m", "5", "-H", "Content-Type: application/json", "--data-binary", string(b), url)
	if err != nil {
		return control.Response{}, fmt.Errorf("%s to %s: %w: %s", cmd, url, err, out)
	}
	return ha.DecodeAnswer([]byte(out))
}

// state returns a server's HA state as its heartbeat answer says, "" when
// it does not answer.
func (p *haKeaPair) state(kea bool) string {
	r, err := p.call(kea, "ha-heartbeat", nil)
	if err != nil {
		return ""
	}
	hb, err := ha.DecodeHeartbeat(r)
	if err != nil {
		return ""
	}
	return hb.State.String()
}

// waitState waits up to timeout until a server is in state want and
// returns how long it took.
func (p *haKeaPair) waitState(kea bool, want string, timeout time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	for {
		got := p.state(kea)
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			p.t.Fatalf("%s is %q after %v, want %s%s", p.name(kea), got, timeout, want, p.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *haKeaPair) name(kea bool) string {
	if kea {
		return "kea-dhcp4 (" + p.keaName() + ")"
	}
	return "leased (" + p.leasedName() + ")"
}

func (p *haKeaPair) addr(kea bool) string {
	if kea {
		return haKeaAddr
	}
	return haLeasedAddr
}

func (p *haKeaPair) logs() string {
	return p.leased.lastLog() + "\n\tkea-dhcp4's log:" + testnet.IndentOutput(testnet.Tail(readText(p.keaLog), 4000))
}

// holder returns the hardware address a server holds addr for, "" if it
// has no lease there.
func (p *haKeaPair) holder(kea bool, addr netip.Addr) string {
	p.t.Helper()
	r, err := p.call(kea, "lease4-get", map[string]any{"ip-address": addr.String()})
	if err != nil {
		p.t.Fatalf("lease4-get %v on %s: %v", addr, p.name(kea), err)
	}
	if r.Result != control.Success {
		return ""
	}
	var l struct {
		HW string `json:"hw-address"`
	}
	if err := r.Decode(&l); err != nil {
		p.t.Fatalf("lease4-get %v on %s: %v", addr, p.name(kea), err)
	}
	return l.HW
}

// all returns a server's leases as "address hw-address" lines, sorted.
func (p *haKeaPair) all(kea bool) []string {
	p.t.Helper()
	r, err := p.call(kea, "lease4-get-all", nil)
	if err != nil {
		p.t.Fatalf("lease4-get-all on %s: %v", p.name(kea), err)
	}
	var all struct {
		Leases []struct {
			IP    string `json:"ip-address"`
			HW    string `json:"hw-address"`
			State int    `json:"state"`
		} `json:"leases"`
	}
	if r.Result == control.Success {
		if err := r.Decode(&all); err != nil {
			p.t.Fatal(err)
		}
	}
	var out []string
	for _, l := range all.Leases {
		out = append(out, fmt.Sprintf("%s %s state %d", l.IP, l.HW, l.State))
	}
	sort.Strings(out)
	return out
}

// obtain runs udhcpc on a client link (a new one unless ifname is given)
// until it is bound, and returns its lease and MAC; the client is
// stopped without releasing.
func (p *haKeaPair) obtain(ifname string, timeout time.Duration) (testnet.Lease, net.HardwareAddr, error) {
	p.t.Helper()
	if ifname == "" {
		p.clients++
		ifname = fmt.Sprintf("c%d", p.clients)
		p.cliNS.AddMacvlan(p.t, "cli0", ifname, nil)
	}
	mac := p.cliNS.HardwareAddr(p.t, ifname)
	c := testnet.NewClient(p.t, testnet.Udhcpc, p.cliNS, ifname, testnet.ClientOptions{Timeout: timeout})
	defer c.Stop()
	l, err := c.Obtain(context.Background())
	return l, mac, err
}

// TestHAKea22Pair runs leased and kea-dhcp4 2.2 as a hot-standby pair on
// one segment with udhcpc clients, in both orders and both ways Kea is
// reached: leased the primary with Kea (single-threaded) behind
// kea-ctrl-agent, and Kea the primary (multi-threaded) with HA's
// dedicated listener. In each: the primary answers and the standby holds
// every lease by the time the client is bound (lease4-get); kill -9 of
// the primary → the standby goes partner-down within heartbeat-delay +
// max-response-delay (+1 s of slack) and serves the clients, each getting
// its address back, and a new one; the primary restarted → waiting,
// syncing, back to hot-standby, both stores equal (lease4-get-all); and
// with kea-dhcp4 gone behind its agent, which then refuses every lease
// update, leased acknowledges nothing.
func TestHAKea22Pair(t *testing.T) {
	needs(t, "udhcpc", "curl", "kea-dhcp4", "kea-ctrl-agent")
	t.Run("leased-primary-agent", func(t *testing.T) { testHAKea22Pair(t, false, false) })
	t.Run("kea-primary-dedicated-listener", func(t *testing.T) { testHAKea22Pair(t, true, true) })
}

func testHAKea22Pair(t *testing.T, keaPrimary, dedicated bool) {
	p := newHAKeaPair(t, keaPrimary, dedicated)
	p.startKea()
	p.leased.start()
	p.waitState(true, "hot-standby", 30*time.Second)
	p.waitState(false, "hot-standby", 30*time.Second)

	primary := keaPrimary // whether the primary is Kea
	type held struct {
		ifname string
		addr   netip.Addr
		mac    net.HardwareAddr
	}
	var clients []held
	for i := 0; i < 2; i++ {
		l, mac, err := p.obtain("", 20*time.Second)
		if err != nil {
			t.Fatalf("client %d: %v%s", i+1, err, p.logs())
		}
		if l.ServerID.String() != p.addr(primary) {
			t.Errorf("client %v served by %v, want the primary %s", mac, l.ServerID, p.name(primary))
		}
		if got := p.holder(!primary, l.Addr); got != mac.String() {
			t.Errorf("client %v bound %v: the standby %s holds it for %q", mac, l.Addr, p.name(!primary), got)
		}
		clients = append(clients, held{fmt.Sprintf("c%d", i+1), l.Addr, mac})
	}

	// kill -9 of the primary.
	killed := time.Now()
	if primary {
		p.kea.Kill()
	} else if err := p.leased.kill(); err != nil {
		t.Fatal(err)
	}
	p.waitState(!primary, "partner-down", 15*time.Second)
	detect := time.Since(killed)
	if limit := time.Duration(haHeartbeatMs+haMaxResponseMs)*time.Millisecond + time.Second; detect > limit {
		t.Errorf("the standby went partner-down %v after the primary's kill, want within %v", detect.Round(time.Millisecond), limit)
	}
	t.Logf("partner-down %v after kill -9", detect.Round(time.Millisecond))
	for _, c := range clients {
		l, _, err := p.obtain(c.ifname, 20*time.Second)
		if err != nil {
			t.Fatalf("client %v in partner-down: %v%s", c.mac, err, p.logs())
		}
		if l.Addr != c.addr || l.ServerID.String() != p.addr(!primary) {
			t.Errorf("client %v in partner-down: %v from %v, want its %v from %s", c.mac, l.Addr, l.ServerID, c.addr, p.name(!primary))
		}
	}
	l, mac, err := p.obtain("", 20*time.Second)
	if err != nil || l.ServerID.String() != p.addr(!primary) {
		t.Fatalf("a new client in partner-down: %v from %v (%v), want one from %s%s", l.Addr, l.ServerID, err, p.name(!primary), p.logs())
	}
	clients = append(clients, held{fmt.Sprintf("c%d", p.clients), l.Addr, mac})

	// The primary back: it syncs and both are hot-standby again.
	if primary {
		p.startKea()
	} else {
		p.leased.start()
	}
	p.waitState(primary, "hot-standby", 30*time.Second)
	p.waitState(!primary, "hot-standby", 30*time.Second)
	if !primary {
		out := p.leased.log()
		for _, step := range []string{"waiting -> syncing", "syncing -> ready", "ready -> hot-standby"} {
			if !strings.Contains(out, step) {
				t.Errorf("the restarted leased's log has no transition %q", step)
			}
		}
	} else if log := readText(p.keaLog); !strings.Contains(log, "HA_SYNC_SUCCESSFUL") {
		t.Errorf("the restarted Kea's log has no HA_SYNC_SUCCESSFUL")
	}
	kl, ll := p.all(true), p.all(false)
	if len(kl) != len(clients) || strings.Join(kl, "\n") != strings.Join(ll, "\n") {
		t.Errorf("stores after the restart:\nKea:\n\t%s\nleased:\n\t%s\nwant the same %d leases", strings.Join(kl, "\n\t"), strings.Join(ll, "\n\t"), len(clients))
	}
	for _, c := range clients {
		if got := p.holder(true, c.addr); got != c.mac.String() {
			t.Errorf("Kea holds %v for %q, want %v", c.addr, got, c.mac)
		}
	}

	if keaPrimary || dedicated {
		return
	}
	// Kea gone behind its agent: the agent answers every lease update
	// with an error, and leased, the primary, acknowledges nothing (its
	// partner-down comes only max-response-delay later).
	p.kea.Stop()
	l, mac, err = p.obtain("", 1500*time.Millisecond)
	if err == nil {
		t.Errorf("client %v bound %v from %v while the partner refuses every update", mac, l.Addr, l.ServerID)
	}
	if !strings.Contains(p.leased.log(), "lease update failed; the client's reply is withheld") {
		t.Error("leased's log does not say why the ACK was withheld")
	}
}

// readText returns a file's content, or what went wrong reading it.
func readText(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}
