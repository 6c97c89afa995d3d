//go:build linux

package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// haRelayAddr is the relay agent address the pair tests' clients come
// from: a loopback address of its own, so that the servers' replies to
// it reach the test and nobody else.
var haRelayAddr = netip.MustParseAddr("127.0.0.3")

// haNode is one leased server of a pair test: its directory (config,
// lease file, control socket), its HTTP control listener (the URL its
// partner reaches it at) and its DHCP port on lo.
type haNode struct {
	t        *testing.T
	name     string
	dir, cfg string
	dhcpPort int
	p        *testProc
	clock    func() time.Time // the HA clock (Options.HAClock); nil: time.Now
}

// haParams are the libdhcp_ha.so parameters of a pair test: short
// delays, so that failover happens within a second or two, and pages of
// 3 leases, so that a sync takes several.
func haParams(this, mode, secondRole string, urls [2]string, maxResponseDelay int) string {
	return haParamsWith(this, mode, secondRole, urls, fmt.Sprintf(`"max-response-delay": %d, "max-unacked-clients": 0`, maxResponseDelay))
}

// haParamsWith is haParams with other parameters: extra sets
// max-response-delay and max-unacked-clients, and may add more.
func haParamsWith(this, mode, secondRole string, urls [2]string, extra string) string {
	return fmt.Sprintf(`{"high-availability": [{"this-server-name": %q, "mode": %q,
		"heartbeat-delay": 200, "max-ack-delay": 100, %s,
		"sync-timeout": 5000, "sync-page-limit": 3,
		"peers": [{"name": "server1", "url": %q, "role": "primary"},
		          {"name": "server2", "url": %q, "role": %q}]}]}`, this, mode, extra, urls[0], urls[1], secondRole)
}

// newHANode writes the configuration of a leased server whose HA
// parameters come, as an operator writes them, from a libdhcp_ha.so
// entry of hooks-libraries.
func newHANode(t *testing.T, name, ctlAddr string, ctlPort int, params string) *haNode {
	t.Helper()
	return newHANodePools(t, name, ctlAddr, ctlPort, params, `[{"pool": "192.0.2.100 - 192.0.2.199"}]`)
}

// newHANodePools is newHANode with the subnet's pools given.
func newHANodePools(t *testing.T, name, ctlAddr string, ctlPort int, params, pools string) *haNode {
	t.Helper()
	return newHANodeSubnets(t, name, ctlAddr, ctlPort, params, fmt.Sprintf(`[{"id": 1, "subnet": "192.0.2.0/24",
		"relay": {"ip-addresses": [%q]}, "pools": %s}]`, haRelayAddr, pools))
}

// newHANodeSubnets is newHANode with the whole subnet4 list given.
func newHANodeSubnets(t *testing.T, name, ctlAddr string, ctlPort int, params, subnets string) *haNode {
	t.Helper()
	n := &haNode{t: t, name: name, dir: t.TempDir(), dhcpPort: freePort(t, "udp")}
	n.cfg = filepath.Join(n.dir, "kea-dhcp4.conf")
	conf := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"]},
		"lease-database": {"type": "memfile", "persist": true, "name": %q},
		"valid-lifetime": 600,
		"control-sockets": [
			{"socket-type": "unix", "socket-name": %q},
			{"socket-type": "http", "socket-address": %q, "socket-port": %d}],
		"hooks-libraries": [
			{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"},
			{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so", "parameters": %s}],
		"subnet4": %s}}`,
		filepath.Join(n.dir, "leases", "dhcp4.leases"), filepath.Join(n.dir, "ctl.sock"), ctlAddr, ctlPort, params, subnets)
	if err := os.WriteFile(n.cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// start runs the server (again, after stop) and waits until it serves.
func (n *haNode) start() {
	n.t.Helper()
	n.p = launch(n.t, n.dir, n.cfg, Options{ServerPort: uint16(n.dhcpPort), ClientPort: uint16(freePort(n.t, "udp")), PIDFileDir: n.dir, HAClock: n.clock})
	n.p.waitFor("serving", func() bool {
		if n.p.exited() {
			n.t.Fatalf("%s: Run returned %d, %v before serving; log:\n%s", n.name, n.p.code, n.p.err, n.p.out.String())
		}
		return n.p.serving()
	})
}

// stop ends the server as SIGTERM does and waits for it.
func (n *haNode) stop() {
	n.t.Helper()
	n.p.cancel()
	select {
	case <-n.p.done:
	case <-time.After(15 * time.Second):
		n.t.Fatalf("%s did not stop within 15 s", n.name)
	}
}

// local returns the server's own part of status-get's HA report.
func (n *haNode) local() ha.StatusLocal {
	n.t.Helper()
	return haLocal(n.t, n.p)
}

// waitState waits up to 20 s for the server to be in state want.
func (n *haNode) waitState(want ha.State) {
	n.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := n.local()
		if st.State == want.String() {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s is %s (%s), want %s; log:\n%s", n.name, st.State, st.Reason, want, n.p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leases returns the server's leases as lease4-get-all shows them,
// keyed by address, each with the fields a sync or update carries.
func (n *haNode) leases() map[string]string {
	n.t.Helper()
	var all struct {
		Leases []struct {
			IP       string `json:"ip-address"`
			HW       string `json:"hw-address"`
			CLTT     int64  `json:"cltt"`
			ValidLft uint32 `json:"valid-lft"`
			SubnetID uint32 `json:"subnet-id"`
			State    int    `json:"state"`
		} `json:"leases"`
	}
	r := n.p.call("lease4-get-all", nil)
	if r.Result != control.Success && r.Result != control.Empty {
		n.t.Fatalf("%s: lease4-get-all: %d %s", n.name, r.Result, r.Text)
	}
	if r.Result == control.Success {
		if err := r.Decode(&all); err != nil {
			n.t.Fatal(err)
		}
	}
	out := map[string]string{}
	for _, l := range all.Leases {
		out[l.IP] = fmt.Sprintf("%s cltt=%d valid=%d subnet=%d state=%d", l.HW, l.CLTT, l.ValidLft, l.SubnetID, l.State)
	}
	return out
}

// hwOf returns the hardware address of the server's lease of addr, ""
// when it has none.
func (n *haNode) hwOf(addr netip.Addr) string {
	n.t.Helper()
	r := n.p.call("lease4-get", map[string]any{"ip-address": addr.String()})
	if r.Result != control.Success {
		return ""
	}
	var l struct {
		HW string `json:"hw-address"`
	}
	if err := r.Decode(&l); err != nil {
		n.t.Fatal(err)
	}
	return l.HW
}

// haRelay plays a relay agent on haRelayAddr in front of several
// servers on lo, as a relay with one helper address per server does: it
// sends each client message to every server, from a socket bound to the
// server's port (where the server answers relays), and collects the
// answers.
type haRelay struct {
	t       *testing.T
	addr    netip.Addr           // the relay's address: giaddr, and where replies come
	conns   map[int]*net.UDPConn // by server port
	replies chan haReply
	xid     uint32
}

type haReply struct {
	port int
	p    *dhcpv4.Packet
}

func newHARelay(t *testing.T, ports ...int) *haRelay {
	t.Helper()
	return newHARelayAt(t, haRelayAddr, ports...)
}

// newHARelayAt is newHARelay for a relay at addr (a loopback address).
func newHARelayAt(t *testing.T, addr netip.Addr, ports ...int) *haRelay {
	t.Helper()
	r := &haRelay{t: t, addr: addr, conns: map[int]*net.UDPConn{}, replies: make(chan haReply, 64), xid: 0x1a000000}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			// The server's own socket holds the port on every address.
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	for _, port := range ports {
		pc, err := lc.ListenPacket(context.Background(), "udp4", netip.AddrPortFrom(addr, uint16(port)).String())
		if err != nil {
			t.Fatal(err)
		}
		conn := pc.(*net.UDPConn)
		t.Cleanup(func() { conn.Close() })
		r.conns[port] = conn
		go func() {
			buf := make([]byte, 1500)
			for {
				n, _, err := conn.ReadFromUDP(buf)
				if err != nil {
					return
				}
				p, err := dhcpv4.Parse(append([]byte(nil), buf[:n]...))
				if err != nil || p.Op() != dhcpv4.BootReply {
					continue
				}
				select {
				case r.replies <- haReply{port, p}:
				default:
				}
			}
		}()
	}
	return r
}

// send relays one client message to every server.
func (r *haRelay) send(mt dhcpv4.MessageType, xid uint32, mac []byte, opts func(b *dhcpv4.Builder)) {
	r.t.Helper()
	var b dhcpv4.Builder
	b.Begin(make([]byte, 600), dhcpv4.BootRequest, mt, xid)
	b.SetCHAddr(1, mac)
	b.SetGIAddr(r.addr)
	b.SetHops(1)
	if opts != nil {
		opts(&b)
	}
	raw, err := b.Finish()
	if err != nil {
		r.t.Fatal(err)
	}
	for port, conn := range r.conns {
		// A server that is down answers with ICMP, which is no error here.
		conn.WriteToUDP(raw, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	}
}

// await returns the first answer of type want to xid within timeout,
// nil when none came.
func (r *haRelay) await(xid uint32, want dhcpv4.MessageType, timeout time.Duration) *haReply {
	deadline := time.After(timeout)
	for {
		select {
		case rep := <-r.replies:
			if rep.p.XID() == xid && rep.p.MessageType() == want {
				return &rep
			}
		case <-deadline:
			return nil
		}
	}
}

// dora runs DISCOVER, OFFER, REQUEST, ACK for mac and returns the
// address acknowledged and the port of the server that acknowledged it;
// ok is false when no OFFER or no ACK came within timeout.
func (r *haRelay) dora(mac []byte, timeout time.Duration) (addr netip.Addr, port int, ok bool) {
	r.t.Helper()
	r.xid++
	xid := r.xid
	r.send(dhcpv4.Discover, xid, mac, nil)
	offer := r.await(xid, dhcpv4.Offer, timeout)
	if offer == nil {
		return addr, 0, false
	}
	sid, _ := offer.p.OptionIP(54)
	r.send(dhcpv4.Request, xid, mac, func(b *dhcpv4.Builder) {
		b.AddIP(50, offer.p.YIAddr())
		b.AddIP(54, sid)
	})
	ack := r.await(xid, dhcpv4.Ack, timeout)
	if ack == nil {
		return addr, 0, false
	}
	return ack.p.YIAddr(), ack.port, true
}

// haClients returns the hardware addresses of perScope clients of each
// active server's scope in rel (hot-standby: all the primary's).
func haClients(t *testing.T, rel *ha.Relationship, perScope, total int) [][]byte {
	t.Helper()
	count := map[string]int{}
	var macs [][]byte
	for i := 1; i < 256 && len(macs) < total; i++ {
		scope, ok := rel.Select(discover(t, byte(i)))
		if !ok {
			t.Fatalf("client %d: no scope", i)
		}
		if count[scope] == perScope {
			continue
		}
		count[scope]++
		macs = append(macs, []byte{2, 0, 0, 0, 0, byte(i)})
	}
	if len(macs) != total {
		t.Fatalf("%d clients found, want %d", len(macs), total)
	}
	return macs
}

// TestHAPair runs two leased servers as an HA pair on loopback, each
// configured by a libdhcp_ha.so hooks-libraries entry, in hot-standby
// and in load-balancing: both reach their normal state; every lease one
// acknowledges is in its partner's store when the ACK arrives (the ACK
// waited for the partner); with server1 stopped, server2 goes
// partner-down after max-response-delay and serves server1's clients;
// server1 restarted goes waiting, syncing (several pages), ready and
// back to normal, and both stores hold the same leases.
func TestHAPair(t *testing.T) {
	needRoot(t)
	t.Run("hot-standby", func(t *testing.T) { testHAPair(t, ha.ModeHotStandby, "standby") })
	t.Run("load-balancing", func(t *testing.T) { testHAPair(t, ha.ModeLoadBalancing, "secondary") })
}

func testHAPair(t *testing.T, mode ha.Mode, secondRole string) {
	ctlA, ctlB := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	urls := [2]string{fmt.Sprintf("http://127.0.0.1:%d/", ctlA), fmt.Sprintf("http://127.0.0.2:%d/", ctlB)}
	a := newHANode(t, "server1", "127.0.0.1", ctlA, haParams("server1", mode.String(), secondRole, urls, 1000))
	b := newHANode(t, "server2", "127.0.0.2", ctlB, haParams("server2", mode.String(), secondRole, urls, 1000))
	cfg, err := ha.Parse([]byte(haParams("server1", mode.String(), secondRole, urls, 1000)), ha.Options{})
	if err != nil {
		t.Fatal(err)
	}
	normal := ha.StateHotStandby
	if mode == ha.ModeLoadBalancing {
		normal = ha.StateLoadBalancing
	}
	a.start()
	b.start()
	a.waitState(normal)
	b.waitState(normal)

	relay := newHARelay(t, a.dhcpPort, b.dhcpPort)
	served := map[int]int{}
	perScope := 6 // hot-standby: every client is the primary's
	if mode == ha.ModeLoadBalancing {
		perScope = 3
	}
	for _, mac := range haClients(t, cfg.Relationships[0], perScope, 6) {
		addr, port, ok := relay.dora(mac, 5*time.Second)
		if !ok {
			t.Fatalf("client %x: no ACK from the pair", mac)
		}
		served[port]++
		// No waiting: the ACK left only once the partner had the lease.
		hw := net.HardwareAddr(mac).String()
		if got, gotB := a.hwOf(addr), b.hwOf(addr); got != hw || gotB != hw {
			t.Errorf("client %s acknowledged %v: server1 holds it for %q, server2 for %q", hw, addr, got, gotB)
		}
	}
	switch mode {
	case ha.ModeHotStandby:
		if served[a.dhcpPort] != 6 {
			t.Errorf("hot-standby: server1 acknowledged %d of 6 clients, server2 %d", served[a.dhcpPort], served[b.dhcpPort])
		}
	case ha.ModeLoadBalancing:
		if served[a.dhcpPort] != 3 || served[b.dhcpPort] != 3 {
			t.Errorf("load-balancing: server1 acknowledged %d, server2 %d clients, want 3 each", served[a.dhcpPort], served[b.dhcpPort])
		}
	}

	// server1 goes away: server2 takes over its clients.
	a.stop()
	b.waitState(ha.StatePartnerDown)
	// A client new to both, of either scope: server2 serves every scope
	// in partner-down (auto-failover).
	mac := []byte{2, 0, 0, 0, 9, 1}
	addr, port, ok := relay.dora(mac, 5*time.Second)
	if !ok || port != b.dhcpPort {
		t.Fatalf("partner-down: client %x got an ACK %v from port %d, want one from server2 (%d)", mac, ok, port, b.dhcpPort)
	}

	// server1 comes back: it syncs from server2 and both go back to
	// normal.
	a.start()
	a.waitState(normal)
	b.waitState(normal)
	log := a.p.out.String()
	for _, step := range []string{"waiting -> syncing", "syncing -> ready", "ready -> " + normal.String()} {
		if !strings.Contains(log, step) {
			t.Errorf("server1's log after its restart has no transition %q", step)
		}
	}
	if got := a.hwOf(addr); got != net.HardwareAddr(mac).String() {
		t.Errorf("server1 after its sync: the lease server2 gave %v alone is held for %q", addr, got)
	}
	la, lb := a.leases(), b.leases()
	if fmt.Sprint(la) != fmt.Sprint(lb) {
		t.Errorf("stores differ after the sync:\nserver1 %v\nserver2 %v", sortedKeys(la), sortedKeys(lb))
		for k, v := range la {
			if lb[k] != v {
				t.Errorf("%s: server1 %q, server2 %q", k, v, lb[k])
			}
		}
	}
	if len(la) != 7 {
		t.Errorf("server1 holds %d leases, want 7", len(la))
	}

	// The operator's commands that make a server talk to its partner.
	a.p.want("ha-maintenance-start", nil, control.Success)
	a.waitState(ha.StatePartnerInMaintenance)
	b.waitState(ha.StateInMaintenance)
	if r := a.p.call("ha-maintenance-start", nil); r.Result != control.Error {
		t.Errorf("ha-maintenance-start twice: %d %q, want refused", r.Result, r.Text)
	}
	a.p.want("ha-maintenance-cancel", nil, control.Success)
	a.waitState(normal)
	b.waitState(normal)
	if r := a.p.call("ha-maintenance-cancel", nil); r.Result != control.Error {
		t.Errorf("ha-maintenance-cancel in %s: %d %q, want refused", normal, r.Result, r.Text)
	}
	if r := b.p.want("ha-sync", map[string]any{"server-name": "server1", "max-period": 5}, control.Success); r.Text != "Lease database synchronization complete." {
		t.Errorf("ha-sync: %q", r.Text)
	}
	if r := b.p.call("ha-sync", map[string]any{"server-name": "server2"}); r.Result != control.Error {
		t.Errorf("ha-sync from this server itself: %d %q, want refused", r.Result, r.Text)
	}
}

func sortedKeys(m map[string]string) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// TestHAPairCommunicationRecovery runs a load-balancing pair of leased
// servers with delayed-updates-limit and max-unacked-clients above 0:
// with server1 stopped, server2 goes communication-recovery (not
// partner-down: no client is left unanswered), acknowledges a client of
// its own scope at once and queues the lease update; server1 restarted
// syncs, goes load-balancing, and server2 sends it the queued update and
// goes back to load-balancing.
func TestHAPairCommunicationRecovery(t *testing.T) {
	needRoot(t)
	ctlA, ctlB := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	urls := [2]string{fmt.Sprintf("http://127.0.0.1:%d/", ctlA), fmt.Sprintf("http://127.0.0.2:%d/", ctlB)}
	extra := `"max-response-delay": 1000, "max-unacked-clients": 10, "delayed-updates-limit": 10`
	params := func(this string) string { return haParamsWith(this, "load-balancing", "secondary", urls, extra) }
	a := newHANode(t, "server1", "127.0.0.1", ctlA, params("server1"))
	b := newHANode(t, "server2", "127.0.0.2", ctlB, params("server2"))
	cfg, err := ha.Parse([]byte(params("server2")), ha.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.start()
	b.start()
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)

	a.stop()
	b.waitState(ha.StateCommunicationRecovery)
	var mac []byte
	for i := 1; mac == nil; i++ {
		if scope, _ := cfg.Relationships[0].Select(discover(t, byte(i))); scope == "server2" {
			mac = []byte{2, 0, 0, 0, 0, byte(i)}
		}
	}
	relay := newHARelay(t, a.dhcpPort, b.dhcpPort)
	addr, port, ok := relay.dora(mac, 5*time.Second)
	if !ok || port != b.dhcpPort {
		t.Fatalf("communication-recovery: client %x: ACK %v from port %d, want one from server2 (%d)", mac, ok, port, b.dhcpPort)
	}
	if r := b.local().Reason; !strings.Contains(r, "1 lease updates queued") {
		t.Errorf("server2's reason in communication-recovery: %q, want one queued update", r)
	}

	a.start()
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)
	if !strings.Contains(b.p.out.String(), "communication-recovery -> load-balancing") {
		t.Error("server2 did not leave communication-recovery by sending its backlog")
	}
	if got := a.hwOf(addr); got != net.HardwareAddr(mac).String() {
		t.Errorf("server1 holds %v for %q, want %v", addr, got, net.HardwareAddr(mac))
	}
}
