//go:build linux

package manager_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/client/internal/e2e"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/client/manager"
	"github.com/leased/leased/client6"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv6"
	"github.com/leased/leased/internal/testnet"
)

// TestE2EDualStackCrashRecovery: one interface runs DHCPv4 (dnsmasq) and
// DHCPv6 (kea-dhcp6: an address and a /56, whose first /64 goes to a
// downstream link); a second interface, on a link of its own, runs
// DHCPv4 alone. The manager renews the DHCPv6 leases at T1, and when
// kea-dhcp6 is replaced by another with another DUID it rebinds them
// there. kill -9 of the manager and a restart: the DHCPv6 client rebinds
// every IA (RFC 8415 §18.2.12), sends no Solicit and keeps its address
// and prefix, and the downstream /64 never leaves its link. Then the
// DHCPv6 lease file is corrupted while the manager is down: it is moved
// aside and DHCPv6 starts afresh, while the DHCPv4 leases of the same
// interface and of the other one resume. `leased ctl status` shows both
// families; `leased ctl release` gives back both.
func TestE2EDualStackCrashRecovery(t *testing.T) {
	n := testnet.NewNet6(t)
	const otherIf, otherSrvIf = "cli6b", "srv6b"
	testnet.Veth(t, n.Server, otherSrvIf, n.Client, otherIf)
	n.Server.AddAddr(t, testnet.Net6ServerIf, testnet.ServerAddr+"/24")
	n.Server.AddAddr(t, otherSrvIf, "198.51.100.1/24")
	n.Client.MustRun(t, "ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan0p")
	n.Client.SetUp(t, "lan0")
	n.Client.SetUp(t, "lan0p")
	testnet.StartDnsmasq(t, n.Server, testnet.DnsmasqConfig{Iface: testnet.Net6ServerIf, Args: []string{"--interface=" + otherSrvIf},
		Ranges: []string{testnet.DirectPoolFirst + "," + testnet.DirectPoolLast + ",255.255.255.0,10m", "198.51.100.100,198.51.100.199,255.255.255.0,10m"}})
	k1 := testnet.StartKea6(t, n, testnet.Kea6Config{T1: 3, T2: 6, Preferred: 15, Valid: 20, ServerID: "0102"})

	dir := t.TempDir()
	name := testnet.Net6ClientIf
	e := &env{t: t, dir: dir, cfg: filepath.Join(dir, "client.json"), sock: filepath.Join(dir, "client.sock"),
		leases: filepath.Join(dir, "leases"), ifaces: []string{name, otherIf}, n: &e2e.Net{Pair: &testnet.Pair{Client: n.Client, Server: n.Server}}}
	cfg := map[string]any{"Client4": map[string]any{
		"lease-directory": e.leases,
		"control-socket":  map[string]any{"socket-type": "unix", "socket-name": e.sock},
		"restart-backoff": map[string]any{"initial": 0.3, "max": 1.2, "reset-after": 60},
		"interfaces": []any{map[string]any{
			"interface": name, "init-delay": 0, "arp-probe": false,
			"dhcp6": map[string]any{
				"ia-na":      []any{map[string]any{"iaid": 1}},
				"ia-pd":      []any{map[string]any{"iaid": 2, "hints": []string{"::/56"}}},
				"downstream": []string{"lan0"},
			},
		}, map[string]any{"interface": otherIf, "init-delay": 0, "arp-probe": false}},
	}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(e.cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	bothBound := func(s manager.Status) bool {
		return s.State == "BOUND" && s.DHCP6 != nil && s.DHCP6.State == "BOUND" && len(s.DHCP6.Addresses) == 1 && len(s.DHCP6.Prefixes) == 1
	}
	allBound := func() map[string]manager.Status {
		e.waitFor(30*time.Second, "the other interface bound", isBound, otherIf)
		return e.waitFor(30*time.Second, "both families bound", bothBound, name)
	}
	e.start()
	all := allBound()
	st := all[name]
	addr4, other4 := addrOf(t, st), addrOf(t, all[otherIf])
	addr6, pfx := st.DHCP6.Addresses[0], st.DHCP6.Prefixes[0]
	lanAddr := downstreamAddr(t, pfx)
	if !onLink(t, n.Client, "lan0", lanAddr) {
		t.Fatalf("lan0 lacks %v", lanAddr)
	}
	d, err := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := d.Load6(name)
	if err != nil || rec.Binding.Addrs()[0].String() != addr6 || rec.Binding.DelegatedPrefixes()[0].String() != pfx {
		t.Fatalf("DHCPv6 lease file: %v %+v", err, rec)
	}

	// Renewed at T1 (3 s) by the server that granted them.
	firstServer, firstReply := st.DHCP6.ServerDUID, received6(t, st)
	st = e.waitFor(15*time.Second, "DHCPv6 renewed", func(s manager.Status) bool {
		return bothBound(s) && s.DHCP6.Sent["RENEW"] > 0 && received6(t, s).After(firstReply)
	}, name)[name]
	if st.DHCP6.ServerDUID != firstServer || st.DHCP6.Addresses[0] != addr6 || st.DHCP6.Prefixes[0] != pfx {
		t.Errorf("renewed %v %v from %s; had %s %s from %s", st.DHCP6.Addresses, st.DHCP6.Prefixes, st.DHCP6.ServerDUID, addr6, pfx, firstServer)
	}
	// The server goes and another, with another DUID, takes its place:
	// the Renews go unanswered, a Rebind finds the new one.
	k1.Stop()
	testnet.StartKea6(t, n, testnet.Kea6Config{T1: 3, T2: 6, Preferred: 15, Valid: 20, ServerID: "0a0b"})
	st = e.waitFor(30*time.Second, "DHCPv6 rebound to the new server", func(s manager.Status) bool {
		return bothBound(s) && s.DHCP6.ServerDUID != firstServer && s.DHCP6.Sent["REBIND"] > 0
	}, name)[name]
	if st.DHCP6.Addresses[0] != addr6 || st.DHCP6.Prefixes[0] != pfx {
		t.Errorf("rebound to %v %v; had %s %s", st.DHCP6.Addresses, st.DHCP6.Prefixes, addr6, pfx)
	}

	// Watch lan0 through the crash: its /64 must never go.
	var lost atomic.Bool
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	var once sync.Once
	endWatch := func() { once.Do(func() { close(stopWatch); <-watched }) }
	t.Cleanup(endWatch) // before the namespace goes, also when the test fails early
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if !onLink(t, n.Client, "lan0", lanAddr) {
				lost.Store(true)
			}
		}
	}()
	cp := n.Client.CaptureUDP(t, name, 546, 547)
	e.kill9()
	time.Sleep(300 * time.Millisecond)
	e.start()
	st = e.waitFor(20*time.Second, "DHCPv6 resumed", func(s manager.Status) bool {
		return bothBound(s) && s.DHCP6.Sent["REBIND"] > 0
	}, name)[name]
	endWatch()
	if lost.Load() {
		t.Errorf("lan0 lost %v during the crash and restart", lanAddr)
	}
	if st.DHCP6.Addresses[0] != addr6 || st.DHCP6.Prefixes[0] != pfx {
		t.Errorf("after the restart %v %v; before %s %s", st.DHCP6.Addresses, st.DHCP6.Prefixes, addr6, pfx)
	}
	if seq := wire6(t, cp); len(seq) < 2 || seq[0] != "REBIND" || seq[1] != "REPLY" || slices.Contains(seq, "SOLICIT") {
		t.Errorf("DHCPv6 on the wire after the restart: %v; want REBIND, REPLY and no SOLICIT", seq)
	}

	// A corrupt DHCPv6 lease file: moved aside, DHCPv6 starts afresh; the
	// DHCPv4 leases of the same interface and of the other resume.
	e.kill9()
	raw, err := os.ReadFile(d.File6(name))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x40
	if err := os.WriteFile(d.File6(name), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cp = n.Client.CaptureUDP(t, name, 546, 547)
	e.start()
	all = allBound()
	if got := addrOf(t, all[name]); got != addr4 {
		t.Errorf("DHCPv4 resumed %v, had %v", got, addr4)
	}
	if got := addrOf(t, all[otherIf]); got != other4 {
		t.Errorf("%s resumed %v, had %v", otherIf, got, other4)
	}
	if _, err := os.Stat(d.File6(name) + leasefile.CorruptSuffix); err != nil {
		t.Errorf("corrupt DHCPv6 lease file not moved aside: %v", err)
	}
	for _, f := range []string{d.File(name), d.File(otherIf)} {
		if _, err := os.Stat(f + leasefile.CorruptSuffix); err == nil {
			t.Errorf("%s moved aside too", f)
		}
	}
	if !slices.Contains(wire6(t, cp), "SOLICIT") {
		t.Error("no Solicit after the DHCPv6 lease file was found corrupt")
	}
	st = all[name]

	// leased ctl status: each interface with its families.
	out := ctl(t, e, "status", nil)
	for _, want := range []string{name + "\n", otherIf + "\n", "  dhcp4:", "  dhcp6:", "address:", addr4.String(), other4.String(),
		st.DHCP6.Addresses[0], st.DHCP6.Prefixes[0], "downstream:", "lan0="} {
		if !strings.Contains(out, want) {
			t.Errorf("leased ctl status lacks %q:\n%s", want, out)
		}
	}
	lanAddr = downstreamAddr(t, st.DHCP6.Prefixes[0])
	out = ctl(t, e, "release", map[string]any{"interface": name})
	if !strings.Contains(out, "RELEASED") {
		t.Errorf("leased ctl release answered:\n%s", out)
	}
	if onLink(t, n.Client, "lan0", lanAddr) {
		t.Errorf("lan0 keeps %v after the release", lanAddr)
	}
	if _, err := d.Load6(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DHCPv6 lease file after the release: %v", err)
	}
	e.stop()
}

// received6 is when the Reply that gave the DHCPv6 binding came.
func received6(t *testing.T, s manager.Status) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s.DHCP6.Received)
	if err != nil {
		t.Fatalf("status dhcp6 received %q: %v", s.DHCP6.Received, err)
	}
	return ts
}

// ctl sends a command to the manager's control socket and renders the
// answer as `leased ctl` does.
func ctl(t *testing.T, e *env, command string, args any) string {
	t.Helper()
	c := &control.Client{Target: e.sock, Timeout: 5 * time.Second}
	r, err := c.Call(context.Background(), command, args)
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	if r.Result != control.Success {
		t.Fatalf("%s: result %d: %s", command, r.Result, r.Text)
	}
	var b strings.Builder
	if err := (control.Formatter{}).Response(&b, command, r); err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return b.String()
}

// wire6 returns the DHCPv6 messages cp captured as their types, with
// "(NoBinding)" after one that carries that status in an IA.
func wire6(t *testing.T, cp *testnet.Capture) []string {
	t.Helper()
	cp.Close()
	var seq []string
	for _, p := range cp.Packets() {
		m, err := dhcpv6.Parse(p.Payload)
		if err != nil {
			continue
		}
		s := m.Type().String()
		for _, code := range []dhcpv6.OptionCode{dhcpv6.OptionIANA, dhcpv6.OptionIAPD} {
			for ia := range m.Options().IAs(code) {
				if ia.Options.StatusCode() == dhcpv6.StatusNoBinding {
					s += "(NoBinding)"
				}
			}
		}
		seq = append(seq, s)
	}
	return seq
}

// downstreamAddr is the address the first /64 of prefix gives the first
// downstream link.
func downstreamAddr(t *testing.T, prefix string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := client6.Split64(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	a := subnets[0].Addr().As16()
	a[15] = 1
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}

func onLink(t *testing.T, ns *testnet.NS, ifname string, p netip.Prefix) bool {
	addrs, err := ns.Addrs6(ifname)
	if err != nil {
		t.Error(err)
		return false
	}
	return slices.Contains(addrs, p)
}

// TestE2EReloadDropsDHCPv6: a reload that takes the "dhcp6" map off an
// interface releases its DHCPv6 leases (a Release on the wire, the
// address off the interface, the v6 lease file gone) while its DHCPv4
// lease stays.
func TestE2EReloadDropsDHCPv6(t *testing.T) {
	n := testnet.NewNet6(t)
	n.Server.AddAddr(t, testnet.Net6ServerIf, testnet.ServerAddr+"/24")
	testnet.StartDnsmasq(t, n.Server, testnet.DnsmasqConfig{Iface: testnet.Net6ServerIf,
		Ranges: []string{testnet.DirectPoolFirst + "," + testnet.DirectPoolLast + ",255.255.255.0,10m"}})
	testnet.StartKea6(t, n, testnet.Kea6Config{T1: 30, T2: 50, Preferred: 80, Valid: 100, NoPD: true})
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cfg: filepath.Join(dir, "client.json"), sock: filepath.Join(dir, "client.sock"),
		leases: filepath.Join(dir, "leases"), ifaces: []string{testnet.Net6ClientIf}, n: &e2e.Net{Pair: &testnet.Pair{Client: n.Client, Server: n.Server}}}
	name := testnet.Net6ClientIf
	write := func(dhcp6 bool) {
		ic := map[string]any{"interface": name, "init-delay": 0, "arp-probe": false}
		if dhcp6 {
			ic["dhcp6"] = map[string]any{}
		}
		b, _ := json.Marshal(map[string]any{"Client4": map[string]any{
			"lease-directory": e.leases,
			"control-socket":  map[string]any{"socket-type": "unix", "socket-name": e.sock},
			"interfaces":      []any{ic},
		}})
		if err := os.WriteFile(e.cfg, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(true)
	e.start()
	st := e.waitFor(30*time.Second, "both families bound", func(s manager.Status) bool {
		return s.State == "BOUND" && s.DHCP6 != nil && s.DHCP6.State == "BOUND"
	})[name]
	addr4 := addrOf(t, st)
	addr6 := netip.MustParseAddr(st.DHCP6.Addresses[0])
	cp := n.Client.CaptureUDP(t, name, 546, 547)
	write(false)
	r, err := e.call("config-reload", nil)
	if err != nil || r.Result != 0 {
		t.Fatalf("config-reload: %v %+v", err, r)
	}
	st = e.waitFor(20*time.Second, "DHCPv4 bound, no DHCPv6", func(s manager.Status) bool {
		return s.State == "BOUND" && s.DHCP6 == nil
	})[name]
	if got := addrOf(t, st); got != addr4 {
		t.Errorf("DHCPv4 address %v after the reload, had %v", got, addr4)
	}
	if onLink(t, n.Client, name, netip.PrefixFrom(addr6, 128)) {
		t.Errorf("%v still on %s", addr6, name)
	}
	d, err := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load6(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DHCPv6 lease file after the reload: %v", err)
	}
	cp.Close()
	released := false
	for _, p := range cp.Packets() {
		if m, err := dhcpv6.Parse(p.Payload); err == nil && m.Type() == dhcpv6.Release {
			released = true
		}
	}
	if !released {
		t.Error("no Release on the wire")
	}
	e.stop()
}

// TestE2EDHCPv6FailsAlone: the DHCPv6 client of a dual-stack interface
// cannot open its port (another program holds UDP 546); it fails and is
// restarted on its own back-off, shown under "dhcp6", while the DHCPv4
// client of the same interface runs on undisturbed.
func TestE2EDHCPv6FailsAlone(t *testing.T) {
	n := testnet.NewNet6(t)
	n.Server.AddAddr(t, testnet.Net6ServerIf, testnet.ServerAddr+"/24")
	testnet.StartDnsmasq(t, n.Server, testnet.DnsmasqConfig{Iface: testnet.Net6ServerIf,
		Ranges: []string{testnet.DirectPoolFirst + "," + testnet.DirectPoolLast + ",255.255.255.0,10m"}})
	// A socket on [::]:546 without SO_REUSEADDR keeps the client's off.
	var squatter *net.UDPConn
	if err := n.Client.Do(func() error {
		var err error
		squatter, err = net.ListenUDP("udp6", &net.UDPAddr{Port: 546})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cfg: filepath.Join(dir, "client.json"), sock: filepath.Join(dir, "client.sock"),
		leases: filepath.Join(dir, "leases"), ifaces: []string{testnet.Net6ClientIf}, n: &e2e.Net{Pair: &testnet.Pair{Client: n.Client, Server: n.Server}}}
	b, _ := json.Marshal(map[string]any{"Client4": map[string]any{
		"lease-directory": e.leases,
		"control-socket":  map[string]any{"socket-type": "unix", "socket-name": e.sock},
		"restart-backoff": map[string]any{"initial": 0.2, "max": 0.4, "reset-after": 60},
		"interfaces": []any{map[string]any{"interface": testnet.Net6ClientIf, "init-delay": 0, "arp-probe": false,
			"dhcp6": map[string]any{}}},
	}})
	if err := os.WriteFile(e.cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e.start()
	st := e.waitFor(30*time.Second, "DHCPv4 bound, DHCPv6 failed three times", func(s manager.Status) bool {
		return s.State == "BOUND" && s.DHCP6 != nil && s.DHCP6.Failures >= 3
	})[testnet.Net6ClientIf]
	if st.Runs != 1 || st.Failures != 0 {
		t.Errorf("the DHCPv4 client ran %d times and failed %d times; want once, never", st.Runs, st.Failures)
	}
	if st.DHCP6.LastError == "" {
		t.Errorf("no DHCPv6 error in status: %+v", st.DHCP6)
	}
	e.stop()
}
