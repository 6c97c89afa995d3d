//go:build linux

package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/client/internal/e2e"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runClient makes and runs a client inside the client namespace, so that
// its sockets live there, and returns it once it runs.
func runClient(t *testing.T, n *e2e.Net, cfg client.Config, prober bool) *client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *client.Client, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- n.Client.Do(func() error {
			if prober {
				p, err := client.NewARPProber(cfg.Interface, client.ProbeTiming{})
				if err != nil {
					ready <- nil
					return err
				}
				defer p.Close()
				cfg.Prober = p
			}
			c, err := client.New(cfg)
			if err != nil {
				ready <- nil
				return err
			}
			ready <- c
			return c.Run(ctx)
		})
	}()
	c := <-ready
	if c == nil {
		t.Fatalf("starting client: %v", <-errc)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("client Run: %v", err)
		}
	})
	return c
}

func waitState(t *testing.T, c *client.Client, timeout time.Duration, ok func(client.Status) bool, what string) client.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.WaitFor(ctx, ok)
	if err != nil {
		t.Fatalf("%s: %v (state %v, lease %v)", what, err, st.State, st.Lease)
	}
	return st
}

func bound(s client.Status) bool { return s.State == client.StateBound }

// serverLease reports the server's view of addr: whether it holds an
// active lease for it.
type serverLease func(t *testing.T, addr netip.Addr) bool

// TestE2EGetRenewRelease runs the client against leased, Kea and dnsmasq: it gets
// a lease, installs it, renews it by unicast at T1, and releases it.
func TestE2EGetRenewRelease(t *testing.T) {
	servers := []struct {
		name  string
		start func(t *testing.T, n *e2e.Net) serverLease
	}{
		{"leased", func(t *testing.T, n *e2e.Net) serverLease {
			return e2e.StartLeased(t, n, e2e.KeaConfig{Valid: 12, Renew: 4, Rebind: 8}).Has
		}},
		{"kea", func(t *testing.T, n *e2e.Net) serverLease {
			k := e2e.StartKea(t, n.Server, e2e.KeaConfig{Valid: 12, Renew: 4, Rebind: 8})
			return func(t *testing.T, a netip.Addr) bool {
				l, ok := k.Leases(t)[a]
				return ok && l.Valid > 0 && l.State == 0
			}
		}},
		{"dnsmasq", func(t *testing.T, n *e2e.Net) serverLease {
			cfg := testnet.PairDnsmasqConfig()
			cfg.Ranges = []string{testnet.DirectPoolFirst + "," + testnet.DirectPoolLast + ",255.255.255.0,2m"}
			cfg.Options = append(cfg.Options, "option:T1,4", "option:T2,8")
			d := testnet.StartDnsmasq(t, n.Server, cfg)
			return func(t *testing.T, a netip.Addr) bool {
				ls, err := d.Leases()
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range ls {
					if l.Addr == a {
						return true
					}
				}
				return false
			}
		}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			n := e2e.NewNet(t)
			has := srv.start(t, n)
			ifname, mac := n.AddClientLink(t)
			capture := n.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
			c := runClient(t, n, client.Config{
				Interface: ifname, HostName: "e2e-" + srv.name, VendorClass: "leased-e2e",
				Action: &client.NetlinkAction{Metric: 50}, Logger: testLogger(t),
			}, false)
			st := waitState(t, c, 30*time.Second, bound, "first lease")
			addr := st.Lease.Address.Addr()
			if !n.DirectNet.Contains(addr) || st.Lease.ServerID != n.ServerAddr {
				t.Fatalf("lease %v from %v", st.Lease.Address, st.Lease.ServerID)
			}
			if a := n.AddrsOf(t, ifname); !e2e.HasAddr(a, addr) {
				t.Fatalf("address %v not on %s: %s", addr, ifname, e2e.Describe(a))
			}
			routes := n.Client.MustRun(t, "ip", "-4", "route", "show", "dev", ifname)
			if !strings.Contains(routes, "default via "+testnet.ServerAddr) || !strings.Contains(routes, "metric 50") {
				t.Errorf("routes on %s:\n%s", ifname, routes)
			}
			if !has(t, addr) {
				t.Errorf("server has no lease for %v", addr)
			}

			// Renewal at T1 (4 s): unicast from the leased address.
			first := st.Lease.Obtained
			st = waitState(t, c, 20*time.Second, func(s client.Status) bool {
				return s.State == client.StateBound && s.Lease.Obtained.After(first)
			}, "renewal")
			if st.Lease.Address.Addr() != addr {
				t.Errorf("renewed a different address %v", st.Lease.Address)
			}
			if got := st.Lease.Obtained.Sub(first); got < 3*time.Second || got > 6*time.Second {
				t.Errorf("renewed %v after the lease was obtained, want about T1 = 4s", got)
			}
			// The capture reads packets in its own goroutine: give it a
			// moment to see the renewal the client already sent.
			e2e.Eventually(t, 2*time.Second, "unicast RENEWING request in the capture", func() error {
				for _, p := range capture.Packets() {
					var m dhcpv4.Packet
					if m.Decode(p.Payload) != nil || m.MessageType() != dhcpv4.Request || m.CIAddr() != addr {
						continue
					}
					if p.Src.Addr() == addr && p.Dst.Addr() == n.ServerAddr && p.Src.Port() == 68 && p.Dst.Port() == 67 {
						return nil
					}
				}
				return fmt.Errorf("no unicast RENEWING request from %v to %v seen", addr, n.ServerAddr)
			})
			if a := n.AddrsOf(t, ifname); !e2e.HasAddr(a, addr) {
				t.Fatalf("address %v left %s during renewal: %s", addr, ifname, e2e.Describe(a))
			}

			// Release: the server forgets the lease, the interface loses it.
			if err := c.Release(context.Background()); err != nil {
				t.Fatal(err)
			}
			if a := n.AddrsOf(t, ifname); e2e.HasAddr(a, addr) {
				t.Errorf("address still on %s after release: %s", ifname, e2e.Describe(a))
			}
			e2e.Eventually(t, 5*time.Second, "server drops the released lease", func() error {
				if has(t, addr) {
					return fmt.Errorf("server still leases %v", addr)
				}
				return nil
			})
			e2e.Eventually(t, 2*time.Second, "DHCPRELEASE in the capture", func() error {
				for _, p := range capture.Packets() {
					var m dhcpv4.Packet
					if m.Decode(p.Payload) == nil && m.MessageType() == dhcpv4.Release && string(m.CHAddr()) == string(mac) && p.Dst.Addr() == n.ServerAddr {
						return nil
					}
				}
				return fmt.Errorf("no DHCPRELEASE unicast to the server seen")
			})
		})
	}
}

// TestE2EDecline gives Kea a pool whose first address another host
// already uses: the client probes it, declines it, waits and takes the
// next one.
func TestE2EDecline(t *testing.T) {
	n := e2e.NewNet(t)
	k := e2e.StartKea(t, n.Server, e2e.KeaConfig{Pool: "192.0.2.100 - 192.0.2.101"})
	n.Server.AddAddr(t, testnet.PairServerIf, "192.0.2.100/32") // the squatter
	ifname, _ := n.AddClientLink(t)
	c := runClient(t, n, client.Config{Interface: ifname, Action: &client.NetlinkAction{}, Logger: testLogger(t)}, true)
	st := waitState(t, c, 60*time.Second, bound, "lease after a decline")
	taken := netip.MustParseAddr("192.0.2.100")
	if st.Lease.Address.Addr() != netip.MustParseAddr("192.0.2.101") || st.Counters.Declines != 1 {
		t.Errorf("bound to %v after %d declines, want 192.0.2.101 after 1", st.Lease.Address, st.Counters.Declines)
	}
	if a := n.AddrsOf(t, ifname); e2e.HasAddr(a, taken) {
		t.Errorf("declined address configured: %s", e2e.Describe(a))
	}
	if l, ok := k.Leases(t)[taken]; !ok || l.State != 1 {
		t.Errorf("Kea's lease for %v: %+v, want state declined (1)", taken, l)
	}
}

// TestE2ELinkFlapWhileSelecting: the link goes down and up while the
// client looks for a server on its raw socket, which the kernel tells
// about the link going down. The client carries on and gets a lease once
// a server appears.
func TestE2ELinkFlapWhileSelecting(t *testing.T) {
	n := e2e.NewNet(t)
	ifname, _ := n.AddClientLink(t)
	c := runClient(t, n, client.Config{
		Interface: ifname, Action: &client.NetlinkAction{}, Logger: testLogger(t),
		Backoff: client.Backoff{Initial: time.Second, Max: 2 * time.Second},
	}, false)
	waitState(t, c, 5*time.Second, func(s client.Status) bool { return s.State == client.StateSelecting }, "selecting")
	n.Client.MustRun(t, "ip", "link", "set", "dev", ifname, "down")
	waitState(t, c, 5*time.Second, func(s client.Status) bool { return s.LinkDown }, "link down seen")
	time.Sleep(300 * time.Millisecond)
	n.Client.MustRun(t, "ip", "link", "set", "dev", ifname, "up")
	waitState(t, c, 5*time.Second, func(s client.Status) bool { return !s.LinkDown }, "link up seen")
	e2e.StartKea(t, n.Server, e2e.KeaConfig{})
	st := waitState(t, c, 30*time.Second, bound, "lease after the flap")
	if a := n.AddrsOf(t, ifname); !e2e.HasAddr(a, st.Lease.Address.Addr()) {
		t.Errorf("%v not on %s: %s", st.Lease.Address, ifname, e2e.Describe(a))
	}
}
