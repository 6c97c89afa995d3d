//go:build linux

package dhcpserver_test

// End-to-end tests: the example server against real DHCP clients and
// perfdhcp, in network namespaces each test creates and removes
// (internal/testnet). They need root, and are skipped without it unless
// LEASED_REQUIRE_E2E=1, which makes them fail instead.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

// seen records, per client hardware address, the message types a server
// received and the interfaces they arrived on.
type seen struct {
	mu    sync.Mutex
	types map[string][]dhcpv4.MessageType
	ifs   map[string][]string
}

func (s *seen) wrap(h dhcpserver.Handler) dhcpserver.Handler {
	s.types, s.ifs = map[string][]dhcpv4.MessageType{}, map[string][]string{}
	return dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		s.mu.Lock()
		k := string(r.Packet.CHAddr())
		s.types[k] = append(s.types[k], r.Packet.MessageType())
		s.ifs[k] = append(s.ifs[k], r.IfName)
		s.mu.Unlock()
		h.ServeDHCP(w, r)
	})
}

func (s *seen) get(mac net.HardwareAddr) ([]dhcpv4.MessageType, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.types[string(mac)]), slices.Clone(s.ifs[string(mac)])
}

// startIn opens srv's sockets inside ns and serves them until the test
// ends, when it shuts the server down and checks how Serve returned.
func startIn(t *testing.T, ns *testnet.NS, srv *dhcpserver.Server) {
	t.Helper()
	if err := ns.Do(srv.Listen); err != nil {
		t.Fatalf("listen in %s: %v", ns, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-errc; !errors.Is(err, dhcpserver.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		t.Logf("server stats: %+v", srv.Stats())
	})
}

// TestE2EClients: dhclient, udhcpc (with and without -B) and dhcpcd each
// get a lease from the example server, renew it and release it, and the
// capture on the server's link shows each reply routed as RFC 2131 §4.1
// says. It runs with the server's workers, and inline with every reply
// deferred and sent from another goroutine.
func TestE2EClients(t *testing.T) {
	testnet.RequireRoot(t, "dhclient", "udhcpc", "dhcpcd", "unshare", "mount")
	t.Run("workers", func(t *testing.T) { e2eClients(t, false) })
	t.Run("inline-deferred", func(t *testing.T) { e2eClients(t, true) })
}

func e2eClients(t *testing.T, inline bool) {
	p := testnet.NewPair(t)
	srv := newServer() // the package example's server, unchanged
	var s seen
	srv.Handler = s.wrap(srv.Handler)
	if inline {
		srv.Inline = true
		inner := srv.Handler
		srv.Handler = dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			d, ok := w.(dhcpserver.Deferrer).Defer()
			inner.ServeDHCP(w, r)
			if ok {
				go func() {
					time.Sleep(time.Millisecond)
					d.Send()
				}()
			}
		})
	}
	capture := p.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
	startIn(t, p.Server, srv)

	first := netip.MustParseAddr("192.0.2.100")
	for _, kind := range testnet.ClientKinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			ifname, mac := p.AddClientLink(t)
			c := testnet.NewClient(t, kind, p.Client, ifname, testnet.ClientOptions{Timeout: 40 * time.Second})
			ctx := context.Background()

			l, err := c.Obtain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if l.Addr.Less(first) || !netip.MustParsePrefix("192.0.2.0/24").Contains(l.Addr) {
				t.Errorf("leased %v, want one from the example's pool", l.Addr)
			}
			if l.ServerID != p.ServerAddr || l.Prefix.Bits() != 24 || l.LeaseTime != time.Hour {
				t.Errorf("lease %+v: want server id %v, /24, 1h", l, p.ServerAddr)
			}
			l2, err := c.Renew(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if l2.Addr != l.Addr {
				t.Errorf("renewed %v, had %v", l2.Addr, l.Addr)
			}
			if err := c.Release(ctx); err != nil {
				t.Fatal(err)
			}
			// The RELEASE is unicast to the server; wait for it to be
			// handled.
			var types []dhcpv4.MessageType
			var ifs []string
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				types, ifs = s.get(mac)
				if slices.Contains(types, dhcpv4.Release) || time.Now().After(deadline) {
					break
				}
			}
			t.Logf("%s %v: server saw %v on %v", kind, mac, types, ifs)
			if !slices.Contains(types, dhcpv4.Discover) || !slices.Contains(types, dhcpv4.Request) || !slices.Contains(types, dhcpv4.Release) {
				t.Errorf("server saw %v, want DISCOVER, REQUEST and RELEASE", types)
			}
			for _, name := range ifs {
				if name != testnet.PairServerIf {
					t.Errorf("message from %v arrived on %q, want %s", mac, name, testnet.PairServerIf)
				}
			}
			// Without packet sockets (the dhcpserver_udp build tag)
			// every OFFER is broadcast, and each client still gets its
			// lease.
			checkOffer(t, capture, mac, l.Addr, kind == testnet.UdhcpcBroadcast || !dhcpserver.HardwareUnicast)
		})
	}
}

// checkOffer finds the server's first OFFER to mac on the wire and checks
// its addressing: broadcast when the client asked for it, otherwise
// unicast to the offered address at the client's MAC; from the server's
// address and port 67.
func checkOffer(t *testing.T, c *testnet.Capture, mac net.HardwareAddr, yi netip.Addr, bcast bool) {
	t.Helper()
	for _, pk := range c.Packets() {
		m, err := dhcpv4.Parse(pk.Payload)
		if err != nil || !bytes.Equal(m.CHAddr(), mac) || m.MessageType() != dhcpv4.Offer {
			continue
		}
		if pk.Src != netip.MustParseAddrPort("192.0.2.1:67") {
			t.Errorf("OFFER from %v, want 192.0.2.1:67", pk.Src)
		}
		if bcast {
			if pk.Dst != netip.MustParseAddrPort("255.255.255.255:68") {
				t.Errorf("OFFER to %v, want a broadcast", pk.Dst)
			}
		} else if pk.Dst != netip.AddrPortFrom(yi, 68) || !bytes.Equal(pk.DstMAC, mac) {
			t.Errorf("OFFER to %v at %v, want %v:68 at %v", pk.Dst, pk.DstMAC, yi, mac)
		}
		return
	}
	t.Errorf("no OFFER to %v captured", mac)
}

// TestE2EPlainUDPFails shows why the server unicasts through a packet
// socket: a handler that sends its replies by plain UDP to yiaddr:68
// (SetDestination) leaves udhcpc without a lease, because the kernel must
// first resolve yiaddr with ARP and the client, which does not have that
// address yet, never answers. The same client then gets a lease from the
// same server with normal routing.
func TestE2EPlainUDPFails(t *testing.T) {
	testnet.RequireRoot(t, "udhcpc", "unshare", "mount")
	p := testnet.NewPair(t)
	var mu sync.Mutex
	plain := true
	yi := netip.MustParseAddr("192.0.2.150")
	srv := &dhcpserver.Server{Handler: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		mt := dhcpv4.Offer
		switch r.Packet.MessageType() {
		case dhcpv4.Discover:
		case dhcpv4.Request:
			mt = dhcpv4.Ack
		default:
			return
		}
		b := w.Reply(mt)
		b.SetYIAddr(yi)
		b.AddIP(dhcpv4.OptionServerID, r.Local)
		b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
		b.AddIP(dhcpv4.OptionSubnetMask, netip.AddrFrom4([4]byte{255, 255, 255, 0}))
		mu.Lock()
		defer mu.Unlock()
		if plain {
			w.SetDestination(netip.AddrPortFrom(yi, 68))
		}
	})}
	startIn(t, p.Server, srv)
	capture := p.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
	ifname, mac := p.AddClientLink(t)

	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 6 * time.Second})
	if l, err := c.Obtain(context.Background()); err == nil {
		t.Fatalf("udhcpc got %v although every reply was plain UDP to an address it does not have", l.Addr)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pk := range capture.Packets() {
		if m, err := dhcpv4.Parse(pk.Payload); err == nil && bytes.Equal(pk.DstMAC, mac) && m.Op() == dhcpv4.BootReply {
			t.Errorf("a reply reached the client's MAC by plain UDP: %v -> %v", pk.Src, pk.Dst)
		}
	}
	st := srv.Stats()
	t.Logf("plain UDP: server stats %+v: the kernel took the replies and dropped them when ARP for %v failed", st, yi)
	if st.Received == 0 || st.Sent == 0 {
		t.Error("the server did not receive from or answer udhcpc")
	}

	mu.Lock()
	plain = false
	mu.Unlock()
	c = testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second})
	l, err := c.Obtain(context.Background())
	if err != nil {
		t.Fatalf("with RFC 2131 routing: %v", err)
	}
	if l.Addr != yi {
		t.Errorf("leased %v, want %v", l.Addr, yi)
	}
	t.Logf("with RFC 2131 routing (packet socket to the client's MAC) udhcpc got %v", l.Addr)
}

// TestE2EPerfdhcp runs perfdhcp, which acts as a relay (giaddr = its own
// address, replies expected at port 67), against the example server at a
// fixed rate: every exchange must complete.
func TestE2EPerfdhcp(t *testing.T) {
	testnet.RequireRoot(t, "perfdhcp")
	p := testnet.NewPair(t)
	srv := newServer()
	startIn(t, p.Server, srv)
	// A modest rate: the test binary may run under the race detector on
	// a shared 2-core machine, and perfdhcp busy-waits on one core. The
	// library's throughput is measured by benchmarks, not here.
	const rate, clients, period = 200, 1000, 5 * time.Second
	rep, err := testnet.RunPerfdhcp(context.Background(), p.Client, testnet.PerfdhcpOptions{
		Server:    p.ServerAddr,
		LocalAddr: p.RelayAddr,
		Rate:      rate,
		Clients:   clients,
		Duration:  period,
		DropTime:  2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	do, ra := rep.DiscoverOffer(), rep.RequestAck()
	t.Logf("perfdhcp at %d/s for %v: rate %.1f/s; DISCOVER-OFFER sent %d received %d drops %d (avg %v max %v); REQUEST-ACK sent %d received %d drops %d (avg %v max %v); exit %d",
		rate, period, rep.Rate, do.Sent, do.Received, do.Drops, do.AvgDelay, do.MaxDelay,
		ra.Sent, ra.Received, ra.Drops, ra.AvgDelay, ra.MaxDelay, rep.ExitCode)
	if do.Sent < rate*int64(period/time.Second)*9/10 {
		t.Errorf("perfdhcp sent only %d DISCOVERs", do.Sent)
	}
	if do.Drops != 0 || ra.Drops != 0 || do.Received != do.Sent || ra.Received != ra.Sent || ra.Sent != do.Sent || rep.ExitCode != 0 {
		t.Errorf("exchanges incomplete:\n%s", rep.Output)
	}
	if rep.Malformed != 0 {
		t.Errorf("perfdhcp received %d malformed packets", rep.Malformed)
	}
	if st := srv.Stats(); st.Dropped != 0 || st.Malformed != 0 || st.SendErrors != 0 {
		t.Errorf("server stats %+v", st)
	}
}

// TestE2EMalformed sends broken messages at the server from the client
// namespace, broadcast and unicast: each is dropped and counted, and a
// real client still gets a lease afterwards.
func TestE2EMalformed(t *testing.T) {
	testnet.RequireRoot(t, "udhcpc", "unshare", "mount")
	p := testnet.NewPair(t)
	srv := newServer()
	startIn(t, p.Server, srv)

	good := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()
	badCookie := slices.Clone(good)
	badCookie[236] ^= 0xff
	overrun := append(slices.Clone(good[:240]), 53, 1, 1, 12, 200, 'x')
	loop := make([]byte, 300)
	copy(loop, good[:240])
	copy(loop[240:], []byte{53, 1, 1, 52, 1, 1, 255})
	copy(loop[108:], []byte{52, 1, 2, 255})
	bad := [][]byte{good[:10], good[:239], badCookie, overrun, loop, {}}
	for _, b := range bad {
		if err := p.Client.SendBroadcastUDP(testnet.PairClientIf, 68, 67, b); err != nil {
			t.Fatal(err)
		}
		if err := p.Client.SendUDP(netip.AddrPort{}, netip.AddrPortFrom(p.ServerAddr, 67), b); err != nil {
			t.Fatal(err)
		}
	}
	want := uint64(2 * len(bad))
	for deadline := time.Now().Add(10 * time.Second); srv.Stats().Malformed < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if st := srv.Stats(); st.Malformed != want || st.Sent != 0 {
		t.Errorf("stats %+v, want %d malformed and nothing sent", st, want)
	}

	ifname, _ := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second})
	if _, err := c.Obtain(context.Background()); err != nil {
		t.Fatalf("no lease after the malformed messages: %v", err)
	}
}

// TestE2EInterfaces serves two links by name, one socket bound to each:
// clients on both get leases, each message is reported on its link, and
// the replies leave through the right one.
func TestE2EInterfaces(t *testing.T) {
	testnet.RequireRoot(t, "udhcpc", "unshare", "mount")
	p := testnet.NewPair(t)
	// A second link from the server namespace to a second client
	// namespace, on 203.0.113.0/24.
	cli2 := testnet.NewNS(t, "cli2")
	testnet.Veth(t, p.Server, "srv1", cli2, "cli1")
	p.Server.AddAddr(t, "srv1", "203.0.113.1/24")
	p.Server.SetUp(t, "srv1")
	cli2.SetUp(t, "cli1")

	srv := newServer()
	srv.Interfaces = []string{testnet.PairServerIf, "srv1"}
	var s seen
	srv.Handler = s.wrap(srv.Handler)
	startIn(t, p.Server, srv)

	ifname, mac1 := p.AddClientLink(t)
	mac2 := cli2.HardwareAddr(t, "cli1")
	c1 := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second})
	c2 := testnet.NewClient(t, testnet.Udhcpc, cli2, "cli1", testnet.ClientOptions{Timeout: 20 * time.Second})
	l1, err := c1.Obtain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l2, err := c2.Obtain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if l1.ServerID != p.ServerAddr || l2.ServerID != netip.MustParseAddr("203.0.113.1") {
		t.Errorf("server ids %v and %v, want each link's server address", l1.ServerID, l2.ServerID)
	}
	for mac, want := range map[string]string{string(mac1): testnet.PairServerIf, string(mac2): "srv1"} {
		_, ifs := s.get(net.HardwareAddr(mac))
		if len(ifs) == 0 {
			t.Errorf("nothing seen from %v", net.HardwareAddr(mac))
		}
		for _, name := range ifs {
			if name != want {
				t.Errorf("message from %v reported on %q, want %q", net.HardwareAddr(mac), name, want)
			}
		}
	}
}

// TestE2EZeroAllocsRaw checks that the unicast-to-chaddr path (IPv4 and
// UDP headers written by the server, sent through the packet socket)
// allocates nothing, as the loopback test checks for the UDP paths. A
// server without packet sockets (the dhcpserver_udp build tag) must
// broadcast each of those replies instead, allocating nothing either.
func TestE2EZeroAllocsRaw(t *testing.T) {
	testnet.RequireRoot(t)
	p := testnet.NewPair(t)
	srv := &dhcpserver.Server{Handler: offerAll}
	startIn(t, p.Server, srv)
	conn, err := p.Client.ListenUDP(netip.AddrPortFrom(p.ClientAddr, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A DISCOVER without the broadcast flag, answered with yiaddr set:
	// RouteHardware. The frames go to a MAC nobody on the link has.
	msg := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()
	dst := netip.AddrPortFrom(p.ServerAddr, 67)
	exchange := func() {
		n := srv.Stats().Sent
		if _, err := conn.WriteToUDPAddrPort(msg, dst); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for srv.Stats().Sent == n {
			if time.Now().After(deadline) {
				t.Fatalf("no reply sent; stats %+v", srv.Stats())
			}
			runtime.Gosched()
		}
	}
	for range 100 {
		exchange()
	}
	if n := testing.AllocsPerRun(500, exchange); n != 0 {
		t.Errorf("%v allocations per message on the raw path, want 0", n)
	}
	st := srv.Stats()
	switch {
	case st.SendErrors != 0:
		t.Errorf("stats %+v: send errors", st)
	case dhcpserver.HardwareUnicast && st.Fallbacks != 0:
		t.Errorf("stats %+v: replies did not all go through the packet socket", st)
	case !dhcpserver.HardwareUnicast && st.Fallbacks != st.Sent:
		t.Errorf("stats %+v: without packet sockets every reply must be a broadcast fallback", st)
	}
}
