//go:build linux

package testnet

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClientsAgainstDnsmasq proves the client drivers work before leased's
// own server exists: each real client gets, renews and releases a lease
// from dnsmasq, and the packets on the wire show what each client did.
func TestClientsAgainstDnsmasq(t *testing.T) {
	RequireRoot(t, "dnsmasq", "dhclient", "udhcpc", "dhcpcd", "unshare", "mount")
	p := NewPair(t)
	srv := StartDnsmasq(t, p.Server, PairDnsmasqConfig())
	capture := p.Server.CaptureUDP(t, PairServerIf, 67, 68)
	pool := netip.MustParsePrefix(DirectNet)
	first, last := netip.MustParseAddr(DirectPoolFirst), netip.MustParseAddr(DirectPoolLast)

	for _, kind := range ClientKinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			ifname, mac := p.AddClientLink(t)
			c := NewClient(t, kind, p.Client, ifname, ClientOptions{Timeout: 40 * time.Second})
			ctx := context.Background()

			l, err := c.Obtain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !pool.Contains(l.Addr) || l.Addr.Less(first) || last.Less(l.Addr) {
				t.Errorf("address %v outside the pool %v-%v", l.Addr, first, last)
			}
			if l.Prefix.Bits() != 24 || l.Mask.String() != "ffffff00" {
				t.Errorf("prefix %v, mask %v: want /24", l.Prefix, l.Mask)
			}
			srvAddr := netip.MustParseAddr(ServerAddr)
			if l.ServerID != srvAddr {
				t.Errorf("server id %v, want %v", l.ServerID, srvAddr)
			}
			if !slices.Equal(l.Routers, []netip.Addr{srvAddr}) || !slices.Equal(l.DNS, []netip.Addr{srvAddr}) {
				t.Errorf("routers %v, DNS %v: want [%v] each", l.Routers, l.DNS, srvAddr)
			}
			if l.LeaseTime != 2*time.Hour {
				t.Errorf("lease time %v, want 2h", l.LeaseTime)
			}
			if sl, ok, err := srv.LeaseFor(mac); err != nil || !ok || sl.Addr != l.Addr {
				t.Errorf("dnsmasq's lease for %v: %+v, %v, %v; want address %v", mac, sl, ok, err, l.Addr)
			}
			if kind == Dhcpcd {
				// dhcpcd identifies itself by DUID (client-id type 255).
				if sl, _, _ := srv.LeaseFor(mac); !strings.HasPrefix(sl.ClientID, "ff:") {
					t.Errorf("dhcpcd client id %q, want a DUID-based one (ff:...)", sl.ClientID)
				}
			}

			acks := countLog(srv.Log(), "DHCPACK", l.Addr, mac)
			l2, err := c.Renew(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if l2.Addr != l.Addr {
				t.Errorf("renewed address %v, had %v", l2.Addr, l.Addr)
			}
			if l2.Event == l.Event && kind != Dhclient {
				t.Errorf("renewal reported as %q again", l2.Event)
			}
			if n := countLog(srv.Log(), "DHCPACK", l.Addr, mac); n <= acks {
				t.Errorf("dnsmasq logged %d ACKs for %v %v after renewing, %d before", n, l.Addr, mac, acks)
			}

			if err := c.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if n := countLog(srv.Log(), "DHCPRELEASE", l.Addr, mac); n != 1 {
				t.Errorf("dnsmasq logged %d DHCPRELEASEs for %v %v, want 1", n, l.Addr, mac)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, ok, err := srv.LeaseFor(mac)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("dnsmasq still has a lease for %v after the release", mac)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if c.Running() {
				t.Error("client still running after Stop")
			}

			// The wire: the client's first DISCOVER (every client starts
			// without a lease here) and the server's OFFER to it.
			var disc, offer *Packet
			for _, pk := range capture.Packets() {
				if !bytes.Equal(bootpChaddr(pk.Payload), mac) {
					continue
				}
				switch dhcpMsgType(pk.Payload) {
				case 1:
					if disc == nil {
						disc = &pk
					}
				case 2:
					if offer == nil {
						offer = &pk
					}
				}
			}
			if disc == nil || offer == nil {
				t.Fatalf("capture lacks the DISCOVER (%v) or OFFER (%v) for %v", disc != nil, offer != nil, mac)
			}
			wantBcast := kind == UdhcpcBroadcast
			if got := bootpBroadcast(disc.Payload); got != wantBcast {
				t.Errorf("DISCOVER broadcast flag %v, want %v", got, wantBcast)
			}
			if disc.Src.Addr() != netip.IPv4Unspecified() || disc.Src.Port() != 68 || disc.Dst.Port() != 67 {
				t.Errorf("DISCOVER %v -> %v, want 0.0.0.0:68 -> :67", disc.Src, disc.Dst)
			}
			// RFC 2131 4.1: broadcast flag set -> broadcast reply,
			// else unicast to yiaddr at chaddr.
			if wantBcast {
				if offer.Dst.Addr() != netip.MustParseAddr("255.255.255.255") {
					t.Errorf("OFFER to %v for a client asking for broadcast", offer.Dst)
				}
			} else if offer.Dst.Addr() != l.Addr || !bytes.Equal(offer.DstMAC, mac) {
				t.Errorf("OFFER to %v at %v, want %v at %v", offer.Dst, offer.DstMAC, l.Addr, mac)
			}
		})
	}
}

func TestClientFailsWithoutServer(t *testing.T) {
	RequireRoot(t, "udhcpc", "unshare", "mount")
	p := NewPair(t)
	ifname, _ := p.AddClientLink(t)
	c := NewClient(t, Udhcpc, p.Client, ifname, ClientOptions{Timeout: 4 * time.Second})
	start := time.Now()
	_, err := c.Obtain(context.Background())
	if err == nil {
		t.Fatal("got a lease with no server running")
	}
	if !strings.Contains(err.Error(), "udhcpc: started") {
		t.Errorf("error lacks the client's output: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Obtain took %v to give up", d)
	}
	if err := c.Release(context.Background()); err == nil {
		t.Error("Release of a client that is not running succeeded")
	}
}

// TestPerfdhcpAgainstDnsmasq runs perfdhcp as a relay against dnsmasq at a
// modest rate: dnsmasq must hand out relayed-subnet addresses. The bounds
// on replies are loose because the machine is shared: this proves the
// driver and the relay path work, not how fast dnsmasq is.
func TestPerfdhcpAgainstDnsmasq(t *testing.T) {
	RequireRoot(t, "dnsmasq", "perfdhcp")
	p := NewPair(t)
	srv := StartDnsmasq(t, p.Server, PairDnsmasqConfig())
	rep, err := RunPerfdhcp(context.Background(), p.Client, PerfdhcpOptions{
		Server:    p.ServerAddr,
		LocalAddr: p.RelayAddr,
		Rate:      50,
		Clients:   300,
		Duration:  4 * time.Second,
		DropTime:  2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	do, ra := rep.DiscoverOffer(), rep.RequestAck()
	t.Logf("perfdhcp: rate %.1f/s; DO sent %d received %d; RA sent %d received %d; exit %d",
		rep.Rate, do.Sent, do.Received, ra.Sent, ra.Received, rep.ExitCode)
	if do.Sent < 100 || do.Sent > 250 {
		t.Errorf("perfdhcp sent %d DISCOVERs in 4 s at 50/s", do.Sent)
	}
	if do.Received < do.Sent/2 || ra.Received < do.Sent/2 || do.Received > do.Sent || ra.Received > ra.Sent {
		t.Errorf("implausible replies: %d DISCOVERs, %d OFFERs, %d REQUESTs, %d ACKs", do.Sent, do.Received, ra.Sent, ra.Received)
	}
	if rep.Rate <= 0 || rep.ExpectedRate != 50 {
		t.Errorf("rate %v, expected rate %v", rep.Rate, rep.ExpectedRate)
	}
	leases, err := srv.Leases()
	if err != nil {
		t.Fatal(err)
	}
	relay := netip.MustParsePrefix(RelayNet)
	if len(leases) == 0 || len(leases) > 300 {
		t.Errorf("dnsmasq holds %d leases after 300 simulated clients", len(leases))
	}
	for _, l := range leases {
		if !relay.Contains(l.Addr) {
			t.Errorf("lease %v for %v outside the relayed subnet %v", l.Addr, l.MAC, relay)
		}
	}
}

func TestPerfdhcpOptionsBounded(t *testing.T) {
	srv := netip.MustParseAddr("192.0.2.1")
	for _, o := range []PerfdhcpOptions{
		{Server: srv, Duration: time.Second},                       // no rate: would flood
		{Server: srv, Rate: 10},                                    // unbounded
		{Rate: 10, Duration: time.Second},                          // no server
		{Server: netip.MustParseAddr("::1"), Rate: 1, Requests: 1}, // not IPv4
	} {
		if _, _, err := perfdhcpArgs(o); err == nil {
			t.Errorf("perfdhcpArgs(%+v) accepted", o)
		}
	}
	args, timeout, err := perfdhcpArgs(PerfdhcpOptions{Server: srv, Rate: 100, Requests: 50, LocalAddr: netip.MustParseAddr("198.18.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	want := "-4 -g single -r 100 -R 1000 -d 1 -W 1000000 -n 50 -l 198.18.0.1 192.0.2.1"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("args %q, want %q", got, want)
	}
	if timeout < 20*time.Second || timeout > 30*time.Second {
		t.Errorf("timeout %v", timeout)
	}
}

// countLog counts dnsmasq log lines for one message type, address and MAC.
func countLog(log, msg string, addr netip.Addr, mac net.HardwareAddr) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, msg+"(") && strings.Contains(line, " "+addr.String()+" ") && strings.Contains(line, mac.String()) {
			n++
		}
	}
	return n
}

func bootpChaddr(b []byte) []byte {
	if len(b) < 34 {
		return nil
	}
	return b[28:34]
}

func bootpBroadcast(b []byte) bool { return len(b) > 10 && b[10]&0x80 != 0 }

// dhcpMsgType returns option 53 of a BOOTP/DHCP payload, 0 if none.
func dhcpMsgType(b []byte) byte {
	if len(b) < 240 || !bytes.Equal(b[236:240], []byte{99, 130, 83, 99}) {
		return 0
	}
	for i := 240; i < len(b); {
		switch b[i] {
		case 0:
			i++
			continue
		case 255:
			return 0
		}
		if i+1 >= len(b) || i+2+int(b[i+1]) > len(b) {
			return 0
		}
		if b[i] == 53 && b[i+1] == 1 {
			return b[i+2]
		}
		i += 2 + int(b[i+1])
	}
	return 0
}
