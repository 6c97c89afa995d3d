//go:build linux

package client6_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/client6"
	"github.com/leased/leased/dhcpv6"
	"github.com/leased/leased/internal/testnet"
)

// The end-to-end tests run the client in a namespace of the test's own
// against real DHCPv6 servers: kea-dhcp6, dibbler-server and dnsmasq.

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runClient makes and runs a client inside the client namespace, so that
// its socket and netlink calls are made there, and returns it once it
// runs. stop ends it (without releasing) and waits; the test's end does
// too.
func runClient(t *testing.T, n *testnet.Net6, cfg client6.Config) (c *client6.Client, stop func()) {
	t.Helper()
	if cfg.Interface == "" {
		cfg.Interface = testnet.Net6ClientIf
	}
	if cfg.Action == nil {
		cfg.Action = &client6.NetlinkAction{}
	}
	cfg.Logger = testLogger(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *client6.Client, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- n.Client.Do(func() error {
			c, err := client6.New(cfg)
			if err != nil {
				ready <- nil
				return err
			}
			ready <- c
			return c.Run(ctx)
		})
	}()
	c = <-ready
	if c == nil {
		cancel()
		t.Fatalf("starting client: %v", <-errc)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("client Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return c, stop
}

func waitState(t *testing.T, c *client6.Client, timeout time.Duration, what string, ok func(client6.Status) bool) client6.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.WaitFor(ctx, ok)
	if err != nil {
		t.Fatalf("%s: %v (state %v, binding %+v)", what, err, st.State, st.Binding)
	}
	return st
}

// eventually polls cond until it returns nil, failing the test with its
// last error after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func bound(s client6.Status) bool { return s.State == client6.StateBound }

// hasAddr reports whether the client's interface holds a as a /128.
func hasAddr(t *testing.T, n *testnet.Net6, a netip.Addr) bool {
	t.Helper()
	addrs, err := n.Client.Addrs6(testnet.Net6ClientIf)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Contains(addrs, netip.PrefixFrom(a, 128))
}

func inPool(a netip.Addr) bool {
	first, last := netip.MustParseAddr(testnet.Net6PoolFirst), netip.MustParseAddr(testnet.Net6PoolLast)
	return a.Compare(first) >= 0 && a.Compare(last) <= 0
}

var naPD = client6.Config{
	IANA: []client6.IAConfig{{IAID: 1}},
	IAPD: []client6.IAConfig{{IAID: 2, Hints: []netip.Prefix{netip.MustParsePrefix("::/56")}}},
}

// checkBinding checks that a binding holds one pool address and one /56
// from the PD pool.
func checkBinding(t *testing.T, b *client6.Binding, wantPD bool) (netip.Addr, netip.Prefix) {
	t.Helper()
	addrs, pfx := b.Addrs(), b.DelegatedPrefixes()
	if len(addrs) != 1 || !inPool(addrs[0]) {
		t.Fatalf("addresses %v, want one from the pool", addrs)
	}
	if !wantPD {
		return addrs[0], netip.Prefix{}
	}
	if len(pfx) != 1 || pfx[0].Bits() != testnet.Net6PDLen || !netip.MustParsePrefix(testnet.Net6PDPool).Contains(pfx[0].Addr()) {
		t.Fatalf("prefixes %v, want one /56 from %s", pfx, testnet.Net6PDPool)
	}
	return addrs[0], pfx[0]
}

// TestE2EKeaObtainRenewRelease: kea-dhcp6 grants an address and a /56;
// the address goes on the interface; the client renews at T1 and
// releases, and Kea's lease file follows.
func TestE2EKeaObtainRenewRelease(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	k := testnet.StartKea6(t, n, testnet.Kea6Config{T1: 3, T2: 5, Preferred: 8, Valid: 12})
	c, _ := runClient(t, n, naPD)
	st := waitState(t, c, 20*time.Second, "binding", bound)
	addr, pfx := checkBinding(t, st.Binding, true)
	if !hasAddr(t, n, addr) {
		t.Errorf("%v not on %s", addr, testnet.Net6ClientIf)
	}
	if !slices.Equal(st.Binding.DNS, []netip.Addr{netip.MustParseAddr(testnet.Net6DNS)}) || !slices.Equal(st.Binding.Domains, []string{"example.com"}) {
		t.Errorf("configuration: DNS %v, domains %v", st.Binding.DNS, st.Binding.Domains)
	}
	leases := k.Leases(t)
	duid := c.DUID().String()
	if l, ok := leases[netip.PrefixFrom(addr, 128)]; !ok || l.DUID != duid || l.IAID != 1 || l.Valid != 12 {
		t.Errorf("Kea's lease for %v: %+v (client DUID %s)", addr, l, duid)
	}
	if l, ok := leases[pfx]; !ok || l.DUID != duid || l.IAID != 2 || l.Type != 2 {
		t.Errorf("Kea's lease for %v: %+v", pfx, l)
	}

	first := st.Binding.Received
	st = waitState(t, c, 15*time.Second, "renewal", func(s client6.Status) bool {
		return s.State == client6.StateBound && s.Binding != nil && s.Binding.Received.After(first)
	})
	if st.Counters.Sent[dhcpv6.Renew] == 0 {
		t.Errorf("extended without a Renew: %+v", st.Counters)
	}
	if a2, p2 := checkBinding(t, st.Binding, true); a2 != addr || p2 != pfx {
		t.Errorf("renewed to %v %v, had %v %v", a2, p2, addr, pfx)
	}

	if err := c.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hasAddr(t, n, addr) {
		t.Errorf("%v still on the interface after release", addr)
	}
	eventually(t, 5*time.Second, "Kea to record the release", func() error {
		leases := k.Leases(t)
		for _, p := range []netip.Prefix{netip.PrefixFrom(addr, 128), pfx} {
			if l := leases[p]; l.Valid != 0 {
				return fmt.Errorf("Kea still has %v: %+v", p, l)
			}
		}
		return nil
	})
}

// TestE2EKeaRebindServerChanged: the server that granted the leases goes
// away and another (another DUID, no record of the client) takes its
// place; the client's Renews go unanswered, and at T2 it rebinds with the
// new server, keeping its address and prefix.
func TestE2EKeaRebindServerChanged(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	k1 := testnet.StartKea6(t, n, testnet.Kea6Config{T1: 3, T2: 6, Preferred: 15, Valid: 20, ServerID: "0102"})
	c, _ := runClient(t, n, naPD)
	st := waitState(t, c, 20*time.Second, "binding", bound)
	addr, pfx := checkBinding(t, st.Binding, true)
	firstServer := st.Binding.ServerID
	k1.Stop()
	k2 := testnet.StartKea6(t, n, testnet.Kea6Config{T1: 3, T2: 6, Preferred: 15, Valid: 20, ServerID: "0a0b"})
	st = waitState(t, c, 20*time.Second, "rebinding with the new server", func(s client6.Status) bool {
		return s.State == client6.StateBound && s.Binding != nil && string(s.Binding.ServerID) != string(firstServer)
	})
	if st.Counters.Sent[dhcpv6.Renew] == 0 || st.Counters.Sent[dhcpv6.Rebind] == 0 || st.Counters.Sent[dhcpv6.Solicit] != 1 {
		t.Errorf("messages sent: %v; want Renews, then Rebinds, and only the first Solicit", st.Counters.Sent)
	}
	a2, p2 := checkBinding(t, st.Binding, true)
	if a2 != addr || p2 != pfx {
		t.Errorf("rebound to %v %v; had %v %v", a2, p2, addr, pfx)
	}
	if !hasAddr(t, n, addr) {
		t.Errorf("%v left the interface", addr)
	}
	if l, ok := k2.Leases(t)[pfx]; !ok || l.DUID != c.DUID().String() {
		t.Errorf("the new server's lease for %v: %+v", pfx, l)
	}
}

// TestE2EKeaCannotExtend: kea-dhcp6 forgets the client's leases (removed
// with lease6-del over its control socket) and, its pools holding one
// address and one prefix, gives them to another client (lease6-add).
// Kea 2.2 then answers the Renew and the Rebind with NoAddrsAvail and
// NoPrefixAvail in the IAs (not NoBinding, which it does not send here;
// dibbler does, see TestE2EDibbler). The client keeps its leases until
// their valid lifetime ends (RFC 8415 §18.2.10.1), retransmitting at the
// exchange's pace rather than at once, then drops them and solicits.
func TestE2EKeaCannotExtend(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	k := testnet.StartKea6(t, n, testnet.Kea6Config{T1: 3, T2: 6, Preferred: 8, Valid: 12, LeaseCmds: true, OneLease: true})
	c, _ := runClient(t, n, naPD)
	st := waitState(t, c, 20*time.Second, "binding", bound)
	addr, pfx := checkBinding(t, st.Binding, true)
	got := st.Binding.Received
	for _, del := range []map[string]any{
		{"ip-address": addr.String()},
		{"ip-address": pfx.Addr().String(), "type": "IA_PD"},
	} {
		if res, text := k.Command(t, "lease6-del", del); res != 0 {
			t.Fatalf("lease6-del %v: %d %s", del, res, text)
		}
	}
	other := "00:03:00:01:02:00:5e:00:00:77"
	for _, add := range []map[string]any{
		{"ip-address": addr.String(), "duid": other, "iaid": 7, "subnet-id": 1},
		{"ip-address": pfx.Addr().String(), "prefix-len": pfx.Bits(), "type": "IA_PD", "duid": other, "iaid": 8, "subnet-id": 1},
	} {
		if res, text := k.Command(t, "lease6-add", add); res != 0 {
			t.Fatalf("lease6-add %v: %d %s", add, res, text)
		}
	}
	st = waitState(t, c, 20*time.Second, "the leases to expire", func(s client6.Status) bool { return s.Binding == nil })
	if lived := st.Since.Sub(got); lived < 12*time.Second {
		t.Errorf("leases dropped %v after the Reply; want their valid lifetime, 12 s", lived)
	}
	if n := st.Counters.Sent[dhcpv6.Renew] + st.Counters.Sent[dhcpv6.Rebind]; n > 6 {
		t.Errorf("%d Renews and Rebinds in 12 s: %v", n, st.Counters.Sent)
	}
	if hasAddr(t, n, addr) {
		t.Errorf("%v still on the interface", addr)
	}
}

// TestE2EDibbler: dibbler-server grants an address and a /56, renews
// them, and, restarted without its record of the client, answers the
// Renew with NoBinding; the client requests its IAs again (RFC 8415
// §18.2.10.1) and releases them in the end.
func TestE2EDibbler(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	d := testnet.StartDibbler(t, n, testnet.DibblerConfig{T1: 3, T2: 8, Preferred: 15, Valid: 20})
	cp := n.Client.CaptureUDP(t, testnet.Net6ClientIf, 546, 547)
	c, _ := runClient(t, n, naPD)
	st := waitState(t, c, 20*time.Second, "binding", bound)
	addr, _ := checkBinding(t, st.Binding, true)
	if !hasAddr(t, n, addr) {
		t.Errorf("%v not on the interface", addr)
	}
	first := st.Binding.Received
	st = waitState(t, c, 15*time.Second, "renewal", func(s client6.Status) bool {
		return s.State == client6.StateBound && s.Binding.Received.After(first)
	})
	d.Restart(t, true)
	renewed := st.Binding.Received
	st = waitState(t, c, 20*time.Second, "the IAs requested again", func(s client6.Status) bool {
		return s.State == client6.StateBound && s.Binding.Received.After(renewed) && s.Counters.Sent[dhcpv6.Request] >= 2
	})
	checkBinding(t, st.Binding, true)
	seq := wire(t, cp)
	i := slices.IndexFunc(seq, func(s string) bool { return strings.HasPrefix(s, "REPLY(NoBinding") })
	if i < 1 || i+1 >= len(seq) || seq[i+1] != "REQUEST" || seq[i-1] != "RENEW" {
		t.Errorf("on the wire: %v; want RENEW, REPLY with NoBinding, REQUEST", seq)
	}
	if err := c.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// wire returns the captured messages as their types, with "(NoBinding)"
// after a message with that status in an IA.
func wire(t *testing.T, cp *testnet.Capture) []string {
	t.Helper()
	cp.Close()
	var seq []string
	for _, p := range cp.Packets() {
		m, err := dhcpv6.Parse(p.Payload)
		if err != nil {
			t.Fatalf("captured a malformed message: %v", err)
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

// TestE2EKeaRestart: a client stopped without releasing and started again
// from its binding (as after a crash) sends no Solicit: with an address
// only it confirms it (Confirm, no Server Identifier), with a delegated
// prefix it rebinds every IA (RFC 8415 §18.2.12), checked on the wire; it
// keeps the same address and prefix, and they never leave the interface.
func TestE2EKeaRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  client6.Config
		want dhcpv6.MessageType
	}{
		{"address only", client6.Config{IANA: []client6.IAConfig{{IAID: 1}}}, dhcpv6.Confirm},
		{"with prefix", naPD, dhcpv6.Rebind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testnet.NewNet6(t)
			testnet.StartKea6(t, n, testnet.Kea6Config{T1: 30, T2: 50, Preferred: 80, Valid: 100})
			cfg := tc.cfg
			cfg.DUIDFile = filepath.Join(t.TempDir(), "duid")
			c, stop := runClient(t, n, cfg)
			st := waitState(t, c, 20*time.Second, "binding", bound)
			addr, pfx := checkBinding(t, st.Binding, tc.want == dhcpv6.Rebind)
			stop()
			if !hasAddr(t, n, addr) {
				t.Fatalf("%v left the interface when the client stopped", addr)
			}

			cp := n.Client.CaptureUDP(t, testnet.Net6ClientIf, 546, 547)
			cfg.Resume = st.Binding
			c2, _ := runClient(t, n, cfg)
			if string(c2.DUID()) != string(c.DUID()) {
				t.Fatalf("DUID changed across the restart: %v, then %v", c.DUID(), c2.DUID())
			}
			st2 := waitState(t, c2, 20*time.Second, "resuming", func(s client6.Status) bool {
				return s.State == client6.StateBound && s.Counters.Received[dhcpv6.Reply] > 0
			})
			a2, p2 := checkBinding(t, st2.Binding, tc.want == dhcpv6.Rebind)
			if a2 != addr || p2 != pfx {
				t.Errorf("after the restart %v %v; before %v %v", a2, p2, addr, pfx)
			}
			if !hasAddr(t, n, addr) {
				t.Errorf("%v not on the interface after the restart", addr)
			}
			seq := wire(t, cp)
			if len(seq) < 2 || seq[0] != tc.want.String() || seq[1] != "REPLY" || slices.Contains(seq, "SOLICIT") {
				t.Errorf("on the wire after the restart: %v; want %v, REPLY and no SOLICIT", seq, tc.want)
			}
			for _, p := range cp.Packets() {
				m, _ := dhcpv6.Parse(p.Payload)
				if m.Type() != tc.want {
					continue
				}
				if m.Options().Has(dhcpv6.OptionServerID) || p.Dst.Addr() != client6.AllServers {
					t.Errorf("%v names a server or is not multicast (to %v)", m.Type(), p.Dst)
				}
				if n := len(slices.Collect(m.Options().IAs(dhcpv6.OptionIAPD))); (n > 0) != (tc.want == dhcpv6.Rebind) {
					t.Errorf("%v carries %d IA_PDs", m.Type(), n)
				}
			}
		})
	}
}

// TestE2EDnsmasq: dnsmasq grants an address and no prefix (it delegates
// none, though the client asks for one); the client renews the address
// and releases it.
func TestE2EDnsmasq(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	d := testnet.StartDnsmasq6(t, n, 120)
	c, _ := runClient(t, n, naPD)
	st := waitState(t, c, 20*time.Second, "binding", bound)
	addr, _ := checkBinding(t, st.Binding, false)
	if !hasAddr(t, n, addr) {
		t.Errorf("%v not on the interface", addr)
	}
	if !slices.Equal(st.Binding.DNS, []netip.Addr{netip.MustParseAddr(testnet.Net6DNS)}) {
		t.Errorf("DNS %v", st.Binding.DNS)
	}
	// dnsmasq writes its lease file after it answers.
	eventually(t, 5*time.Second, "dnsmasq to record the lease", func() error {
		if duid, ok := d.Leases(t)[addr]; !ok || !strings.EqualFold(duid, c.DUID().String()) {
			return fmt.Errorf("dnsmasq's lease for %v: DUID %q, client %s", addr, duid, c.DUID())
		}
		return nil
	})
	first := st.Binding.Received
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	st = waitState(t, c, 15*time.Second, "renewal", func(s client6.Status) bool {
		return s.State == client6.StateBound && s.Binding.Received.After(first)
	})
	if a2, _ := checkBinding(t, st.Binding, false); a2 != addr || st.Counters.Sent[dhcpv6.Renew] == 0 {
		t.Errorf("renewed to %v (had %v), messages %v", a2, addr, st.Counters.Sent)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "dnsmasq to drop the lease", func() error {
		if _, ok := d.Leases(t)[addr]; ok {
			return fmt.Errorf("dnsmasq still holds %v", addr)
		}
		return nil
	})
}

// TestE2EKeaDecline: the address kea-dhcp6 hands out first is in use on
// the link (the server's namespace holds it); the kernel's duplicate
// address detection on the client's interface fails, and the client
// removes it, declines it and gets another.
func TestE2EKeaDecline(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	if err := n.Client.SetSysctl("net.ipv6.conf."+testnet.Net6ClientIf+".accept_dad", "1"); err != nil {
		t.Fatal(err)
	}
	taken := netip.MustParseAddr(testnet.Net6PoolFirst)
	n.Server.MustRun(t, "ip", "-6", "addr", "add", taken.String()+"/64", "dev", testnet.Net6ServerIf)
	k := testnet.StartKea6(t, n, testnet.Kea6Config{T1: 30, T2: 50, Preferred: 80, Valid: 100, NoPD: true})
	cp := n.Client.CaptureUDP(t, testnet.Net6ClientIf, 546, 547)
	c, _ := runClient(t, n, client6.Config{IANA: []client6.IAConfig{{IAID: 1}}})
	st := waitState(t, c, 30*time.Second, "another address", func(s client6.Status) bool {
		return s.State == client6.StateBound && s.Binding != nil && len(s.Binding.Addrs()) == 1 && s.Binding.Addrs()[0] != taken
	})
	addr, _ := checkBinding(t, st.Binding, false)
	if hasAddr(t, n, taken) {
		t.Errorf("the declined %v is still on the interface", taken)
	}
	if !hasAddr(t, n, addr) {
		t.Errorf("%v not on the interface", addr)
	}
	declined := false
	for _, p := range cp.Packets() {
		m, _ := dhcpv6.Parse(p.Payload)
		if m.Type() != dhcpv6.Decline {
			continue
		}
		for ia := range m.Options().IAs(dhcpv6.OptionIANA) {
			for a := range ia.Addresses() {
				declined = declined || a.Addr == taken
			}
		}
	}
	if !declined {
		t.Errorf("no Decline for %v on the wire: %v", taken, wire(t, cp))
	}
	if l := k.Leases(t)[netip.PrefixFrom(taken, 128)]; l.State != 1 {
		t.Errorf("Kea's lease for %v: %+v; want declined (state 1)", taken, l)
	}
}

// TestE2EKeaRapidCommitAndInformation: with rapid commit on both sides
// kea-dhcp6 answers the Solicit with a Reply and no Request is sent; a
// stateless client gets the DNS configuration with Information-request.
func TestE2EKeaRapidCommitAndInformation(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	testnet.StartKea6(t, n, testnet.Kea6Config{T1: 30, T2: 50, Preferred: 80, Valid: 100, RapidCommit: true})
	cfg := naPD
	cfg.RapidCommit = true
	c, stop := runClient(t, n, cfg)
	st := waitState(t, c, 20*time.Second, "binding", bound)
	checkBinding(t, st.Binding, true)
	if st.Counters.Sent[dhcpv6.Request] != 0 || st.Counters.Received[dhcpv6.Advertise] != 0 {
		t.Errorf("messages: sent %v, received %v; want Solicit and Reply only", st.Counters.Sent, st.Counters.Received)
	}
	if err := c.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	stop()

	info, _ := runClient(t, n, client6.Config{InformationOnly: true})
	st = waitState(t, info, 20*time.Second, "information", func(s client6.Status) bool { return s.State == client6.StateInformed })
	if !slices.Equal(st.Binding.DNS, []netip.Addr{netip.MustParseAddr(testnet.Net6DNS)}) || !slices.Equal(st.Binding.Domains, []string{"example.com"}) {
		t.Errorf("information: DNS %v, domains %v", st.Binding.DNS, st.Binding.Domains)
	}
	if len(st.Binding.IANA)+len(st.Binding.IAPD) != 0 {
		t.Errorf("a stateless client holds IAs: %+v", st.Binding)
	}
}

// TestE2EKeaDownstream: the delegated /56 is split into /64s for two
// downstream interfaces (their ::1 addresses), which stay through a
// renewal and are withdrawn on release; a script sees the events with
// odhcp6c's and dhclient's variables.
func TestE2EKeaDownstream(t *testing.T) {
	t.Parallel()
	n := testnet.NewNet6(t)
	for _, lan := range []string{"lan0", "lan1"} { // veths, as dummy may be missing from the kernel
		n.Client.MustRun(t, "ip", "link", "add", lan, "type", "veth", "peer", "name", lan+"p")
		n.Client.SetUp(t, lan)
		n.Client.SetUp(t, lan+"p")
	}
	testnet.StartKea6(t, n, testnet.Kea6Config{T1: 3, T2: 5, Preferred: 8, Valid: 12})
	dir := t.TempDir()
	log := filepath.Join(dir, "events")
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1|$reason|$PREFIXES|$new_ip6_prefix|$old_ip6_prefix|$DOWNSTREAM\" >> "+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	lans := []string{"lan0", "lan1"}
	cfg := naPD
	cfg.Action = client6.Actions{&client6.NetlinkAction{}, &client6.DownstreamAction{Interfaces: lans}, &client6.ScriptAction{Path: script, Downstream: lans}}
	c, _ := runClient(t, n, cfg)
	st := waitState(t, c, 20*time.Second, "binding", bound)
	_, pfx := checkBinding(t, st.Binding, true)
	subnets, err := client6.Split64(pfx, 2)
	if err != nil {
		t.Fatal(err)
	}
	onLAN := func(i int) bool {
		addrs, err := n.Client.Addrs6(lans[i])
		if err != nil {
			t.Fatal(err)
		}
		a := subnets[i].Addr().As16()
		a[15] = 1
		return slices.Contains(addrs, netip.PrefixFrom(netip.AddrFrom16(a), 64))
	}
	for i := range lans {
		if !onLAN(i) {
			t.Errorf("%s lacks %v::1/64", lans[i], subnets[i].Addr())
		}
	}
	first := st.Binding.Received
	waitState(t, c, 15*time.Second, "renewal", func(s client6.Status) bool {
		return s.State == client6.StateBound && s.Binding.Received.After(first)
	})
	for i := range lans {
		if !onLAN(i) {
			t.Errorf("%s lost its subnet in the renewal", lans[i])
		}
	}
	if err := c.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range lans {
		if onLAN(i) {
			t.Errorf("%s keeps its subnet after the release", lans[i])
		}
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	down := "lan0=" + subnets[0].String() + " lan1=" + subnets[1].String()
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "bound|BOUND6|"+pfx.String()+",") || !strings.HasSuffix(lines[0], "|"+pfx.String()+"||"+down) ||
		!strings.HasPrefix(lines[1], "renew|RENEW6|") || lines[len(lines)-1] != "release|RELEASE6|||"+pfx.String()+"|" {
		t.Errorf("script saw:\n%s", b)
	}
}
