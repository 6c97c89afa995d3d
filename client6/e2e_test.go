//go:build linux

package client6_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
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
