//go:build linux

package ha

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
	"golang.org/x/sys/unix"
)

// wirePartner answers Kea's commands as a load-balancing partner does,
// with this package's encoders: heartbeats in load-balancing, an empty
// lease database for Kea's sync, lease updates acknowledged.
type wirePartner struct {
	mu       sync.Mutex
	commands []string
}

func (p *wirePartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cmd, err := control.ParseCommand(body)
	var resp control.Response
	switch {
	case err != nil:
		resp = control.Errorf("%v", err)
	case cmd.Command == CmdHeartbeat:
		resp = HeartbeatResponse(StateLoadBalancing, time.Now(), []string{"server2"}, 0)
	case cmd.Command == CmdDHCPDisable || cmd.Command == CmdDHCPEnable:
		if _, err := DecodeNetworkState(cmd.Command, cmd.Arguments); err != nil {
			resp = control.Errorf("%v", err)
		} else {
			resp = control.OK("done")
		}
	case cmd.Command == CmdLease4GetPage:
		if _, _, err := DecodeGetPage(cmd.Arguments); err != nil {
			resp = control.Errorf("%v", err)
		} else {
			resp = PageResponse(Kea22, nil)
		}
	case cmd.Command == CmdSyncCompleteNotify:
		resp = SyncCompleteResponse()
	case cmd.Command == CmdLease4Update || cmd.Command == CmdLease4Del:
		if _, _, err := DecodeLease4(cmd.Command, cmd.Arguments, Kea22, time.Now()); err != nil {
			resp = control.Errorf("%v", err)
		} else {
			resp = control.OK("IPv4 lease updated.")
		}
	default:
		resp = control.Answer(control.Unsupported, fmt.Sprintf("'%s' command not supported.", cmd.Command), nil)
	}
	p.mu.Lock()
	p.commands = append(p.commands, cmd.Command)
	p.mu.Unlock()
	b, _ := EncodeAnswer(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (p *wirePartner) seen(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.commands {
		if c == name {
			return true
		}
	}
	return false
}

// TestLoadBalancingAgainstKea22 pairs kea-dhcp4 2.2 (server1, primary)
// with a partner speaking this package's wire (server2), in a network
// namespace of the test's own. Kea takes the partner's heartbeats and
// sync answers and goes load-balancing; then it must answer exactly the
// clients Relationship.Select puts in its scope, each from the pool of
// its HA_server1 class, and ignore the others.
func TestLoadBalancingAgainstKea22(t *testing.T) {
	testnet.RequireRoot(t, "kea-dhcp4")
	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	dir := testnet.UnprivilegedDir(t)
	ns := testnet.NewNS(t, "halb")

	partner := &wirePartner{}
	var ln net.Listener
	var relay *net.UDPConn
	err := ns.Do(func() error {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.2:8000"); err != nil {
			return err
		}
		relay, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 67})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	srv := &http.Server{Handler: partner, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	params := `{"high-availability": [{"this-server-name": "server1", "mode": "load-balancing",
		"heartbeat-delay": 300, "max-response-delay": 5000, "max-ack-delay": 1000, "max-unacked-clients": 0,
		"delayed-updates-limit": 0, "sync-page-limit": 10,
		"peers": [{"name": "server1", "url": "http://127.0.0.1:8001/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "secondary"}]}]}`
	cfg, err := Parse([]byte(params), Options{Dialect: Kea22})
	if err != nil {
		t.Fatal(err)
	}
	rel := cfg.Relationships[0]
	logFile := filepath.Join(dir, "kea.log")
	dhcp4 := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
		"lease-database": {"type": "memfile", "name": %q, "lfc-interval": 0},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}, {"library": %q, "parameters": %s}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "relay": {"ip-addresses": ["127.0.0.2"]},
			"pools": [{"pool": "192.0.2.100 - 192.0.2.149", "client-class": "HA_server1"},
			          {"pool": "192.0.2.150 - 192.0.2.199", "client-class": "HA_server2"}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		filepath.Join(dir, "leases4.csv"), filepath.Join(hooks, "libdhcp_lease_cmds.so"),
		filepath.Join(hooks, "libdhcp_ha.so"), params, logFile)
	// Unprivileged but for binding port 67, in the test's own namespace.
	proc := testnet.StartKea(t, dir, "kea-dhcp4", dhcp4, testnet.KeaOptions{
		LogFile: logFile, NS: ns, AmbientCaps: []uintptr{unix.CAP_NET_BIND_SERVICE},
	})

	// Kea syncs from the partner, then goes load-balancing.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, _ := os.ReadFile(logFile)
		if strings.Contains(string(b), "to LOAD-BALANCING state") {
			break
		}
		select {
		case <-proc.Done():
			t.Fatalf("kea-dhcp4 exited: %v", proc.ExitErr())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Kea did not reach load-balancing; partner saw %v", partner.commands)
		}
	}
	for _, c := range []string{CmdHeartbeat, CmdDHCPDisable, CmdLease4GetPage, CmdSyncCompleteNotify} {
		if !partner.seen(c) {
			t.Errorf("Kea's sync sent no %s", c)
		}
	}

	// Clients: half identified by chaddr only, half by option 61 too.
	rng := rand.New(rand.NewPCG(1, 2))
	type client struct {
		mac, id []byte
		mine    bool
	}
	clients := map[uint32]*client{}
	var b dhcpv4.Builder
	kea := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 67}
	for i := 0; i < 64; i++ {
		c := &client{mac: []byte{0x02, byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(i)}}
		xid := uint32(0x1000 + i)
		b.Begin(make([]byte, 600), dhcpv4.BootRequest, dhcpv4.Discover, xid)
		b.SetCHAddr(1, c.mac)
		b.SetGIAddr(netip.MustParseAddr("127.0.0.2"))
		b.SetHops(1)
		if i%2 == 1 {
			c.id = append([]byte{0xff, byte(i)}, c.mac...)
			b.AddOption(61, c.id)
		}
		raw, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		q, err := dhcpv4.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		scope, ok := rel.Select(q)
		if !ok {
			t.Fatalf("client %d: no scope", i)
		}
		c.mine = scope == "server1"
		clients[xid] = c
		if _, err := relay.WriteToUDP(raw, kea); err != nil {
			t.Fatal(err)
		}
	}
	answered := map[uint32]netip.Addr{}
	relay.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1500)
	for {
		n, _, err := relay.ReadFromUDP(buf)
		if err != nil {
			break
		}
		p, err := dhcpv4.Parse(buf[:n])
		if err != nil || p.MessageType() != dhcpv4.Offer {
			continue
		}
		answered[p.XID()] = p.YIAddr()
	}
	mine := 0
	pool1 := netip.PrefixFrom(netip.MustParseAddr("192.0.2.100"), 32)
	for xid, c := range clients {
		addr, got := answered[xid]
		if c.mine {
			mine++
		}
		switch {
		case got != c.mine:
			t.Errorf("client %x (client id %x): Kea answered %v, our split says server1 is %v (hash %d)", c.mac, c.id, got, c.mine, LoadBalanceHash(ClientKey(c.id, c.mac)))
		case got && (addr.Less(pool1.Addr()) || netip.MustParseAddr("192.0.2.149").Less(addr)):
			t.Errorf("client %x: offered %v, outside the HA_server1 pool", c.mac, addr)
		}
	}
	if mine == 0 || mine == len(clients) {
		t.Errorf("%d of %d clients in server1's scope: the test does not split", mine, len(clients))
	}
	t.Logf("Kea answered %d of %d clients, the %d our split gives server1", len(answered), len(clients), mine)
}
