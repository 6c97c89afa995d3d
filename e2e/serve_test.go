//go:build linux

package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
)

// The pools of servingConfig.
const (
	othersFirst, othersLast = "192.0.2.100", "192.0.2.149" // guarded: not member('voip')
	voipFirst, voipLast     = "192.0.2.150", "192.0.2.159" // guarded: member('voip')
	reservedAddr            = "192.0.2.10"                 // outside the pools
	relayFirst, relayLast   = "198.18.1.0", "198.18.255.254"
	foreignAddr             = "203.0.113.77" // in no subnet of the server
)

// servingConfig is a Kea Dhcp4 configuration in the current dialect for
// the Pair topology: the link's subnet with two class-guarded pools and a
// reservation for resMAC, and the relay's subnet. The lease file is
// compacted every lfcInterval seconds.
func servingConfig(leaseFile string, resMAC net.HardwareAddr, lfcInterval int) string {
	return fmt.Sprintf(`// leased e2e: the serving test, Kea's current Dhcp4 dialect.
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": %d },
    "valid-lifetime": 3600,
    "renew-timer": 900,
    "rebind-timer": 1800,
    // The test checks that each renewal is written to the store; the
    // lease cache (on by default since Kea 3.0) would answer renewals
    // this early from the stored lease without writing.
    "cache-threshold": 0,
    "option-data": [ { "name": "domain-name-servers", "data": "192.0.2.1" } ],
    /* Phones announce themselves in option 60. */
    "client-classes": [
      { "name": "voip", "test": "substring(option[60].text, 0, 4) == 'voip'" },
      { "name": "others", "test": "not member('voip')" }
    ],
    "subnet4": [
      {
        "id": 1,
        "subnet": "192.0.2.0/24",
        "interface": "srv0",
        "pools": [
          { "pool": "192.0.2.100 - 192.0.2.149", "client-classes": [ "others" ] },
          { "pool": "192.0.2.150 - 192.0.2.159", "client-classes": [ "voip" ] }
        ],
        "option-data": [ { "name": "routers", "data": "192.0.2.1" } ],
        "reservations": [
          {
            "hw-address": %q,
            "ip-address": "192.0.2.10",
            "hostname": "printer",
            "option-data": [ { "name": "domain-name", "data": "res.example" } ]
          }
        ]
      },
      {
        "id": 2,
        "subnet": "198.18.0.0/16",
        "pools": [ { "pool": "198.18.1.0 - 198.18.255.254" } ],
        "option-data": [ { "name": "routers", "data": "198.18.0.1" } ]
      }
    ]
  }
}
`, leaseFile, lfcInterval, resMAC.String())
}

// TestServe runs leased serve on a current-dialect configuration in a
// server namespace and serves, one after the other on the same server:
// every real client kind through obtain, renew and release; a reserved
// client; perfdhcp as a relay; a client of a guarded class; and an
// INIT-REBOOT request for a foreign address.
func TestServe(t *testing.T) {
	needs(t, "dhclient", "udhcpc", "dhcpcd", "perfdhcp", "unshare", "mount")
	p := testnet.NewPair(t)

	// The reserved client's link exists before the server starts: its MAC
	// is in the configuration.
	if err := p.Client.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}
	resMAC := p.Client.AddMacvlan(t, testnet.PairClientIf, "res0", testnet.NewMAC())

	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, servingConfig(leaseFile, resMAC, 3600))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	t.Run("clients", func(t *testing.T) {
		for _, kind := range testnet.ClientKinds() {
			t.Run(string(kind), func(t *testing.T) { testClientLifecycle(t, p, srv, kind) })
		}
	})
	t.Run("reservation", func(t *testing.T) { testReservation(t, p, srv, resMAC) })
	t.Run("relay-perfdhcp", func(t *testing.T) { testPerfdhcp(t, p, srv) })
	t.Run("class", func(t *testing.T) { testClass(t, p, srv) })
	t.Run("nak-init-reboot", func(t *testing.T) { testNAK(t, p, srv) })
	t.Run("nak-init-reboot-relayed", func(t *testing.T) { testRelayedNAK(t, p, srv) })

	if !srv.running() {
		t.Fatalf("leased exited while serving (%v)%s", srv.cur.ExitErr(), srv.lastLog())
	}
	srv.stop()
}

// clientOpts are the options of every real client here: short enough that
// a server that does not answer fails the test quickly.
var clientOpts = testnet.ClientOptions{Timeout: 20 * time.Second}

// checkLinkLease checks what a real client on the link saw in its lease.
func checkLinkLease(t *testing.T, kind testnet.ClientKind, l testnet.Lease) {
	t.Helper()
	server := netip.MustParseAddr(testnet.ServerAddr)
	if l.Prefix.Bits() != 24 {
		t.Errorf("%s: prefix %v, want /24", kind, l.Prefix)
	}
	if !slices.Equal(l.Routers, []netip.Addr{server}) {
		t.Errorf("%s: routers %v, want [%v] (subnet option-data)", kind, l.Routers, server)
	}
	if !slices.Equal(l.DNS, []netip.Addr{server}) {
		t.Errorf("%s: DNS servers %v, want [%v] (global option-data)", kind, l.DNS, server)
	}
	if l.LeaseTime != time.Hour {
		t.Errorf("%s: lease time %v, want 1h (valid-lifetime 3600)", kind, l.LeaseTime)
	}
	if l.ServerID != server {
		t.Errorf("%s: server identifier %v, want %v", kind, l.ServerID, server)
	}
}

// storeHolds reports whether leases has an unexpired, assigned lease of
// addr for mac.
func storeHolds(leases []lease.Lease, addr netip.Addr, mac net.HardwareAddr) bool {
	l, ok := leaseOf(leases, addr)
	return ok && sameMAC(l.HWAddr, mac) && l.State == lease.StateDefault && !l.Expired(time.Now().Unix())
}

func describe(leases []lease.Lease, addr netip.Addr) string {
	if l, ok := leaseOf(leases, addr); ok {
		return l.String()
	}
	return fmt.Sprintf("no lease for %v (%d leases in the store)", addr, len(leases))
}

func testClientLifecycle(t *testing.T, p *testnet.Pair, srv *server, kind testnet.ClientKind) {
	ifname, mac := p.AddClientLink(t)
	capture := p.Client.CaptureUDP(t, ifname, 67, 68)
	c := testnet.NewClient(t, kind, p.Client, ifname, clientOpts)
	ctx := t.Context()

	start := time.Now()
	l, err := c.Obtain(ctx)
	if err != nil {
		t.Fatalf("obtain: %v%s", err, srv.lastLog())
	}
	t.Logf("%s %v: bound %v in %v", kind, mac, l.Addr, time.Since(start).Round(time.Millisecond))
	checkLinkLease(t, kind, l)
	if !inRange(l.Addr, othersFirst, othersLast) {
		t.Errorf("%s got %v, outside the pool %s-%s for clients not in class voip", kind, l.Addr, othersFirst, othersLast)
	}
	checkOfferRouting(t, kind, capture, mac, l.Addr)
	ls, ok, err := srv.waitStore(3*time.Second, func(ls []lease.Lease) bool { return storeHolds(ls, l.Addr, mac) })
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("after the ACK the store does not hold %v for %v: %s", l.Addr, mac, describe(ls, l.Addr))
	}
	bound, _ := leaseOf(ls, l.Addr)
	if bound.SubnetID != 1 {
		t.Errorf("lease %v in subnet %d, want 1", l.Addr, bound.SubnetID)
	}

	// The renewal must reach the server and be written: the CLTT moves
	// on. Wait for the clock's second to change first so it can.
	time.Sleep(time.Until(time.Unix(bound.CLTT+1, 0)))
	start = time.Now()
	l2, err := c.Renew(ctx)
	if err != nil {
		t.Fatalf("renew: %v%s", err, srv.lastLog())
	}
	t.Logf("%s: renewed (%s) %v in %v", kind, l2.Event, l2.Addr, time.Since(start).Round(time.Millisecond))
	if l2.Addr != l.Addr {
		t.Errorf("renewal gave %v; the client had %v", l2.Addr, l.Addr)
	}
	checkLinkLease(t, kind, l2)
	ls, ok, err = srv.waitStore(3*time.Second, func(ls []lease.Lease) bool {
		r, found := leaseOf(ls, l.Addr)
		return found && storeHolds(ls, l.Addr, mac) && r.CLTT > bound.CLTT
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("after the renewal the store holds %s; want %v for %v with a CLTT after %d", describe(ls, l.Addr), l.Addr, mac, bound.CLTT)
	}

	if err := c.Release(ctx); err != nil {
		t.Fatalf("release: %v%s", err, srv.lastLog())
	}
	// A released lease is kept as released; the reclaim timer may turn
	// it into expired-reclaimed before the store is read. Either way the
	// client no longer holds it.
	ls, ok, err = srv.waitStore(3*time.Second, func(ls []lease.Lease) bool {
		r, found := leaseOf(ls, l.Addr)
		return !found || r.State == lease.StateReleased || r.State == lease.StateExpiredReclaimed
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("after the release the store still holds %s", describe(ls, l.Addr))
	} else if r, found := leaseOf(ls, l.Addr); found {
		t.Logf("released lease kept: %v", r.String())
	}
	if err := c.Stop(); err != nil {
		t.Error(err)
	}
}

// checkOfferRouting checks how the server addressed its first OFFER to
// mac (RFC 2131 4.1): broadcast when the client set the broadcast flag
// (udhcpc -B), else unicast to the offered address at the client's MAC.
func checkOfferRouting(t *testing.T, kind testnet.ClientKind, capture *testnet.Capture, mac net.HardwareAddr, addr netip.Addr) {
	t.Helper()
	for _, pk := range capture.Packets() {
		m, err := dhcpv4.Parse(pk.Payload)
		if err != nil || pk.Outgoing || m.MessageType() != dhcpv4.Offer || !sameMAC(m.CHAddr(), mac) {
			continue
		}
		want, wantMAC := netip.AddrPortFrom(addr, 68), mac.String()
		if kind == testnet.UdhcpcBroadcast {
			want, wantMAC = netip.MustParseAddrPort("255.255.255.255:68"), "ff:ff:ff:ff:ff:ff"
		}
		if pk.Dst != want || pk.DstMAC.String() != wantMAC || m.Broadcast() != (kind == testnet.UdhcpcBroadcast) {
			t.Errorf("%s: OFFER (broadcast flag %v) sent to %v at %v, want %v at %s", kind, m.Broadcast(), pk.Dst, pk.DstMAC, want, wantMAC)
		}
		return
	}
	t.Errorf("%s: no OFFER to %v captured on its link (%d packets; capture error %v)", kind, mac, len(capture.Packets()), capture.Err())
}

func testReservation(t *testing.T, p *testnet.Pair, srv *server, mac net.HardwareAddr) {
	c := testnet.NewClient(t, testnet.Dhclient, p.Client, "res0", clientOpts)
	l, err := c.Obtain(t.Context())
	if err != nil {
		t.Fatalf("obtain: %v%s", err, srv.lastLog())
	}
	want := netip.MustParseAddr(reservedAddr)
	if l.Addr != want {
		t.Errorf("reserved client %v got %v, want its reservation %v", mac, l.Addr, want)
	}
	checkLinkLease(t, testnet.Dhclient, l)
	if got := l.Env["new_host_name"]; got != "printer" {
		t.Errorf("host name (option 12) %q, want the reservation's %q", got, "printer")
	}
	if got := l.Env["new_domain_name"]; got != "res.example" {
		t.Errorf("domain name (option 15) %q, want the reservation's option-data %q", got, "res.example")
	}
	ls, ok, err := srv.waitStore(3*time.Second, func(ls []lease.Lease) bool { return storeHolds(ls, want, mac) })
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("the store does not hold the reserved %v for %v: %s", want, mac, describe(ls, want))
	}
}

func testPerfdhcp(t *testing.T, p *testnet.Pair, srv *server) {
	const rate, secs, clients = 1000, 3, 3000
	before, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := testnet.RunPerfdhcp(t.Context(), p.Client, testnet.PerfdhcpOptions{
		Server:    p.ServerAddr,
		LocalAddr: p.RelayAddr,
		Rate:      rate,
		Clients:   clients,
		Duration:  secs * time.Second,
		// An exchange counts as dropped when a reply takes longer than
		// this. Two seconds, not perfdhcp's one, so that a busy shared
		// machine (other tests run beside this one) does not count as a
		// drop; real clients wait four seconds before retransmitting.
		DropTime: 2 * time.Second,
		Wait:     2 * time.Second,
	})
	if err != nil {
		t.Fatalf("%v%s", err, srv.lastLog())
	}
	do, ra := rep.DiscoverOffer(), rep.RequestAck()
	t.Logf("perfdhcp -r %d for %d s: DISCOVER-OFFER sent %d received %d drops %d; REQUEST-ACK sent %d received %d drops %d rejected %d; rate %.0f/s; avg delay %v/%v, max %v/%v",
		rate, secs, do.Sent, do.Received, do.Drops, ra.Sent, ra.Received, ra.Drops, ra.Rejected, rep.Rate, do.AvgDelay, ra.AvgDelay, do.MaxDelay, ra.MaxDelay)
	if do.Sent < rate*secs/2 {
		// perfdhcp itself did not get the CPU to send at the rate.
		t.Errorf("perfdhcp sent %d DISCOVERs in %d s, want about %d", do.Sent, secs, rate*secs)
	}
	if do.Drops != 0 || ra.Drops != 0 || ra.Rejected != 0 || rep.ExitCode != 0 || ra.Received != do.Sent {
		t.Errorf("perfdhcp did not complete every exchange (exit %d): %s", rep.ExitCode, testnet.Tail(rep.Output, 3000))
	}
	if rep.Malformed != 0 {
		t.Errorf("perfdhcp received %d malformed packets", rep.Malformed)
	}

	ls, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}
	relayNet := netip.MustParsePrefix(testnet.RelayNet)
	var n int
	macs := map[string]netip.Addr{}
	for _, l := range ls {
		if l.SubnetID != 2 && !relayNet.Contains(l.Addr) {
			continue
		}
		n++
		if l.SubnetID != 2 || !inRange(l.Addr, relayFirst, relayLast) {
			t.Errorf("relayed lease outside the relay's pool %s-%s of subnet 2: %v", relayFirst, relayLast, l.String())
		}
		m := net.HardwareAddr(l.HWAddr).String()
		if other, dup := macs[m]; dup {
			t.Errorf("client %s holds two addresses in subnet 2: %v and %v", m, other, l.Addr)
		}
		macs[m] = l.Addr
	}
	for _, l := range before {
		if l.SubnetID == 2 {
			n-- // leases from before the run are not perfdhcp's
		}
	}
	t.Logf("subnet 2 holds %d leases from perfdhcp (%d distinct clients at most)", n, clients)
	if n <= 0 || int64(n) > ra.Sent {
		t.Errorf("subnet 2 gained %d leases from %d REQUESTs; want between 1 and the REQUEST count", n, ra.Sent)
	}
}

func testClass(t *testing.T, p *testnet.Pair, srv *server) {
	ifname, mac := p.AddClientLink(t)
	opts := clientOpts
	opts.Args = []string{"-V", "voip-phone-7"}
	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, opts)
	l, err := c.Obtain(t.Context())
	if err != nil {
		t.Fatalf("obtain: %v%s", err, srv.lastLog())
	}
	if !inRange(l.Addr, voipFirst, voipLast) {
		t.Errorf("client in class voip (option 60 %q) got %v, outside its pool %s-%s", "voip-phone-7", l.Addr, voipFirst, voipLast)
	}
	checkLinkLease(t, testnet.Udhcpc, l)
	ls, ok, err := srv.waitStore(3*time.Second, func(ls []lease.Lease) bool { return storeHolds(ls, l.Addr, mac) })
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("the store does not hold %v for %v: %s", l.Addr, mac, describe(ls, l.Addr))
	}
}

func testNAK(t *testing.T, p *testnet.Pair, srv *server) {
	ifname, mac := p.AddClientLink(t)
	capture := p.Client.CaptureUDP(t, ifname, 67, 68)
	// Let the capture start before sending.
	time.Sleep(100 * time.Millisecond)

	const xid = 0x5eed0001
	var b dhcpv4.Builder
	b.Begin(make([]byte, 576), dhcpv4.BootRequest, dhcpv4.Request, xid)
	b.SetCHAddr(1, mac)
	// INIT-REBOOT: requested address, no server identifier, ciaddr 0.
	b.AddIP(dhcpv4.OptionRequestedIP, netip.MustParseAddr(foreignAddr))
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddrPort("0.0.0.0:68")
	dst := netip.MustParseAddrPort("255.255.255.255:67")
	if err := p.Client.SendRawUDP(ifname, nil, src, dst, msg); err != nil {
		t.Fatal(err)
	}

	var nak *testnet.Packet
	deadline := time.Now().Add(3 * time.Second)
	for nak == nil && time.Now().Before(deadline) {
		for _, pk := range capture.Packets() {
			if pk.Outgoing {
				continue
			}
			m, err := dhcpv4.Parse(pk.Payload)
			if err != nil || m.Op() != dhcpv4.BootReply || m.XID() != xid {
				continue
			}
			if m.MessageType() != dhcpv4.Nak {
				t.Fatalf("reply to INIT-REBOOT for foreign %v is %v, want a NAK", foreignAddr, m.MessageType())
			}
			nak = &pk
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	capture.Close()
	if nak == nil {
		t.Fatalf("no NAK within 3 s for INIT-REBOOT of %v (capture error %v; %d packets captured)%s", foreignAddr, capture.Err(), len(capture.Packets()), srv.lastLog())
	}
	m, _ := dhcpv4.Parse(nak.Payload)
	// RFC 2131 4.1: giaddr 0, so the NAK is broadcast.
	if nak.Dst != netip.MustParseAddrPort("255.255.255.255:68") {
		t.Errorf("NAK sent to %v, want 255.255.255.255:68", nak.Dst)
	}
	if nak.DstMAC.String() != "ff:ff:ff:ff:ff:ff" {
		t.Errorf("NAK sent to MAC %v, want broadcast", nak.DstMAC)
	}
	if nak.Src.Addr() != p.ServerAddr || nak.Src.Port() != 67 {
		t.Errorf("NAK from %v, want %v:67", nak.Src, p.ServerAddr)
	}
	if !sameMAC(m.CHAddr(), mac) {
		t.Errorf("NAK chaddr %v, want %v", net.HardwareAddr(m.CHAddr()), mac)
	}
	if sid, ok := m.ServerID(); !ok || sid != p.ServerAddr {
		t.Errorf("NAK server identifier %v (present %v), want %v", sid, ok, p.ServerAddr)
	}
	if y := m.YIAddr(); y.IsValid() && !y.IsUnspecified() {
		t.Errorf("NAK yiaddr %v, want 0.0.0.0", y)
	}
	ls, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if sameMAC(l.HWAddr, mac) {
			t.Errorf("the NAKed client has a lease: %v", l.String())
		}
	}
}

// testRelayedNAK sends the INIT-REBOOT request for a foreign address
// through a relay: the NAK goes back to the relay, with the broadcast bit
// set so that the relay broadcasts it to the client (RFC 2131 4.3.2).
func testRelayedNAK(t *testing.T, p *testnet.Pair, srv *server) {
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mac := macFor(0x4a, 1)
	xid := r.xid.Add(1)
	req, err := r.build(dhcpv4.Request, xid, mac, func(b *dhcpv4.Builder) {
		b.AddIP(dhcpv4.OptionRequestedIP, netip.MustParseAddr(foreignAddr))
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.exchange(t.Context(), xid, req, time.Second, 3, dhcpv4.Nak)
	if err != nil {
		t.Fatalf("relayed INIT-REBOOT for foreign %v: %v (reply %v)%s", foreignAddr, err, rep != nil, srv.lastLog())
	}
	if !rep.Broadcast() {
		t.Errorf("relayed NAK has the broadcast bit clear; RFC 2131 4.3.2 wants it set when giaddr is set")
	}
	if g := rep.GIAddr(); g != p.RelayAddr {
		t.Errorf("relayed NAK giaddr %v, want %v", g, p.RelayAddr)
	}
}
