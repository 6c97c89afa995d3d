//go:build linux

package client_test

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/internal/testnet"
)

// TestNetlinkAction applies lease events to a macvlan in a namespace and
// reads the result back with ip.
func TestNetlinkAction(t *testing.T) {
	testnet.RequireRoot(t)
	p := testnet.NewPair(t)
	ifname, _ := p.AddClientLink(t)
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	a := &client.NetlinkAction{Metric: 77, ResolvConf: resolv}
	now := time.Now()
	l := &client.Lease{
		Address: netip.MustParsePrefix("192.0.2.150/24"), Routers: []netip.Addr{netip.MustParseAddr("192.0.2.1")},
		DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}, DomainName: "e2e.test",
		ServerID: netip.MustParseAddr("192.0.2.1"), LeaseTime: 600 * time.Second, T1: 300 * time.Second, T2: 525 * time.Second,
		Obtained: now,
	}
	apply := func(ev client.Event) {
		t.Helper()
		ev.Interface = ifname
		if err := p.Client.Do(func() error { return a.Apply(context.Background(), ev) }); err != nil {
			t.Fatalf("%v: %v", ev.Kind, err)
		}
	}
	show := func(args ...string) string {
		return p.Client.MustRun(t, "ip", append([]string{"-4"}, args...)...)
	}
	apply(client.Event{Kind: client.EventBound, Lease: l})
	addr := show("addr", "show", "dev", ifname)
	if !strings.Contains(addr, "inet 192.0.2.150/24 brd 192.0.2.255") || !regexp.MustCompile(`valid_lft (59[0-9]|600)sec preferred_lft (59[0-9]|600)sec`).MatchString(addr) {
		t.Errorf("address after bound:\n%s", addr)
	}
	if r := show("route", "show", "dev", ifname); !strings.Contains(r, "default via 192.0.2.1 proto dhcp src 192.0.2.150 metric 77") {
		t.Errorf("routes after bound:\n%s", r)
	}
	if b, _ := os.ReadFile(resolv); !strings.Contains(string(b), "search e2e.test\nnameserver 192.0.2.53\n") {
		t.Errorf("resolv.conf:\n%s", b)
	}

	// A renewal with a longer lease only changes the lifetime.
	renewed := *l
	renewed.LeaseTime, renewed.T1, renewed.T2 = 7200*time.Second, 3600*time.Second, 6300*time.Second
	apply(client.Event{Kind: client.EventRenew, Lease: &renewed, Old: l})
	addr = show("addr", "show", "dev", ifname)
	if strings.Count(addr, "inet ") != 1 || !regexp.MustCompile(`valid_lft 7(19[0-9]|200)sec`).MatchString(addr) {
		t.Errorf("address after renew:\n%s", addr)
	}

	// A new address and classless routes: the old address and default
	// route go once the new ones are in.
	moved := renewed
	moved.Address = netip.MustParsePrefix("192.0.2.160/24")
	moved.Routes = []client.Route{
		{Dest: netip.MustParsePrefix("198.51.100.0/24"), Gateway: netip.MustParseAddr("192.0.2.1")},
		{Dest: netip.MustParsePrefix("203.0.113.0/24"), Gateway: netip.MustParseAddr("192.0.2.1")},
	}
	apply(client.Event{Kind: client.EventRebind, Lease: &moved, Old: &renewed})
	addr = show("addr", "show", "dev", ifname)
	if strings.Contains(addr, "192.0.2.150") || !strings.Contains(addr, "192.0.2.160/24") {
		t.Errorf("addresses after the move:\n%s", addr)
	}
	r := show("route", "show", "dev", ifname)
	if strings.Contains(r, "default") || !strings.Contains(r, "198.51.100.0/24 via 192.0.2.1") || !strings.Contains(r, "203.0.113.0/24 via 192.0.2.1") {
		t.Errorf("routes after the move:\n%s", r)
	}

	// Expiry removes everything.
	apply(client.Event{Kind: client.EventExpire, Old: &moved})
	if addr := show("addr", "show", "dev", ifname); strings.Contains(addr, "inet ") {
		t.Errorf("address after expiry:\n%s", addr)
	}
	if r := show("route", "show", "dev", ifname); strings.TrimSpace(r) != "" {
		t.Errorf("routes after expiry:\n%s", r)
	}
	if _, err := os.Stat(resolv); !os.IsNotExist(err) {
		t.Errorf("resolv.conf after expiry: %v", err)
	}
	// Removing again is not an error.
	apply(client.Event{Kind: client.EventRelease, Old: &moved})
}

// TestLinkWatch follows a macvlan in a namespace going down and up with
// ip, through the kernel's link notifications.
func TestLinkWatch(t *testing.T) {
	testnet.RequireRoot(t)
	p := testnet.NewPair(t)
	ifname, _ := p.AddClientLink(t)
	var w client.LinkWatch
	if err := p.Client.Do(func() error {
		tr, err := client.NewLinkTransport(ifname)
		if err != nil {
			return err
		}
		w, err = tr.WatchLink()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		up  bool
		err error
	}
	next := func() result {
		t.Helper()
		ch := make(chan result, 1)
		go func() {
			up, err := w.Next()
			ch <- result{up, err}
		}()
		select {
		case r := <-ch:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no link event within 5s")
			return result{}
		}
	}
	if r := next(); r.err != nil || !r.up {
		t.Fatalf("first report: up %v, %v; want the link up", r.up, r.err)
	}
	p.Client.MustRun(t, "ip", "link", "set", "dev", ifname, "down")
	if r := next(); r.err != nil || r.up {
		t.Fatalf("after ip link set down: up %v, %v", r.up, r.err)
	}
	p.Client.MustRun(t, "ip", "link", "set", "dev", ifname, "up")
	if r := next(); r.err != nil || !r.up {
		t.Fatalf("after ip link set up: up %v, %v", r.up, r.err)
	}
	// An address change is no link change: nothing to report, and Close
	// ends the wait.
	p.Client.MustRun(t, "ip", "addr", "add", "192.0.2.77/24", "dev", ifname)
	ch := make(chan error, 1)
	go func() {
		_, err := w.Next()
		ch <- err
	}()
	select {
	case err := <-ch:
		t.Fatalf("Next returned %v without a link change", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ch:
		if err == nil {
			t.Error("Next after Close returned no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end Next")
	}
}
