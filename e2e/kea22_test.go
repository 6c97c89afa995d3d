//go:build linux

package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
)

// kea22Config is servingConfig's setup written as for Kea 2.2: subnets
// without ids, "reservation-mode", a pool's single "client-class", and a
// relay's single "ip-address", which here is the only thing that selects
// the second subnet (the relay's address is outside it).
func kea22Config(leaseFile string, resMAC net.HardwareAddr) string {
	return fmt.Sprintf(`# leased e2e: the Kea 2.2 dialect.
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": 3600 },
    "valid-lifetime": 3600,
    "renew-timer": 900,
    "rebind-timer": 1800,
    "reservation-mode": "all",
    "option-data": [ { "name": "domain-name-servers", "data": "192.0.2.1" } ],
    "client-classes": [
      { "name": "voip", "test": "substring(option[60].text, 0, 4) == 'voip'" },
      { "name": "others", "test": "not member('voip')" }
    ],
    "subnet4": [
      {
        "subnet": "192.0.2.0/24",
        "pools": [
          { "pool": "192.0.2.100 - 192.0.2.149", "client-class": "others" },
          { "pool": "192.0.2.150 - 192.0.2.159", "client-class": "voip" }
        ],
        "option-data": [ { "name": "routers", "data": "192.0.2.1" } ],
        "reservations": [ { "hw-address": %q, "ip-address": "192.0.2.10", "hostname": "printer" } ]
      },
      {
        "subnet": "198.19.0.0/16",
        "relay": { "ip-address": "198.18.0.1" },
        "pools": [ { "pool": "198.19.1.0 - 198.19.1.255" } ]
      }
    ]
  }
}
`, leaseFile, resMAC.String())
}

// TestServeKea22 serves a configuration in Kea 2.2's dialect: `-t` accepts
// it with a warning for each old name, and the old names take effect.
func TestServeKea22(t *testing.T) {
	needs(t, "dhclient", "udhcpc", "unshare", "mount")
	p := testnet.NewPair(t)
	if err := p.Client.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}
	resMAC := p.Client.AddMacvlan(t, testnet.PairClientIf, "res0", testnet.NewMAC())
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4-2.2.conf")
	writeFile(t, cfg, kea22Config(leaseFile, resMAC))

	out, err := p.Server.Run(t.Context(), leasedBin, "serve", "-t", cfg)
	if err != nil {
		t.Fatalf("leased serve -t on the Kea 2.2 configuration: %v", err)
	}
	text := kea22Config(leaseFile, resMAC)
	for _, w := range []struct{ at, msg string }{
		{posOf(text, `"reservation-mode"`, 1), `reservation-mode`},
		{posOf(text, "{\n        \"subnet\"", 1), `subnet 192\.0\.2\.0/24 has no "id"`},
		{posOf(text, "{\n        \"subnet\"", 2), `subnet 198\.19\.0\.0/16 has no "id"`},
		{posOf(text, `"client-class"`, 1), `client-class`},
		{posOf(text, `"client-class"`, 2), `client-class`},
		{posOf(text, `"ip-address"`, 2), `"ip-address" in relay`},
	} {
		re := regexp.MustCompile("(?m)^" + regexp.QuoteMeta(cfg) + ":" + w.at + ": warning: .*" + w.msg)
		if !re.MatchString(out) {
			t.Errorf("leased serve -t: no warning matching %q in:%s", re, testnet.IndentOutput(out))
		}
	}

	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()
	ctx := t.Context()

	t.Run("udhcpc", func(t *testing.T) {
		ifname, mac := p.AddClientLink(t)
		c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, clientOpts)
		l, err := c.Obtain(ctx)
		if err != nil {
			t.Fatalf("obtain: %v%s", err, srv.lastLog())
		}
		checkLinkLease(t, testnet.Udhcpc, l)
		if !inRange(l.Addr, othersFirst, othersLast) {
			t.Errorf("got %v, outside the pool %s-%s", l.Addr, othersFirst, othersLast)
		}
		l2, err := c.Renew(ctx)
		if err != nil {
			t.Fatalf("renew: %v%s", err, srv.lastLog())
		}
		if l2.Addr != l.Addr {
			t.Errorf("renewal gave %v; the client had %v", l2.Addr, l.Addr)
		}
		checkStoredIn(t, srv, l.Addr, mac, 1)
	})
	t.Run("class", func(t *testing.T) {
		ifname, mac := p.AddClientLink(t)
		opts := clientOpts
		opts.Args = []string{"-V", "voip-phone-2.2"}
		c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, opts)
		l, err := c.Obtain(ctx)
		if err != nil {
			t.Fatalf("obtain: %v%s", err, srv.lastLog())
		}
		if !inRange(l.Addr, voipFirst, voipLast) {
			t.Errorf("client in class voip got %v, outside its pool %s-%s (pool \"client-class\")", l.Addr, voipFirst, voipLast)
		}
		checkStoredIn(t, srv, l.Addr, mac, 1)
	})
	t.Run("reservation", func(t *testing.T) {
		c := testnet.NewClient(t, testnet.Dhclient, p.Client, "res0", clientOpts)
		l, err := c.Obtain(ctx)
		if err != nil {
			t.Fatalf("obtain: %v%s", err, srv.lastLog())
		}
		if want := netip.MustParseAddr(reservedAddr); l.Addr != want {
			t.Errorf("reserved client got %v, want %v", l.Addr, want)
		}
		if got := l.Env["new_host_name"]; got != "printer" {
			t.Errorf("host name %q, want %q", got, "printer")
		}
		checkStoredIn(t, srv, l.Addr, resMAC, 1)
	})
	t.Run("relay-ip-address", func(t *testing.T) {
		r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		mac := macFor(0x22, 1)
		a, err := r.dora(ctx, mac, 500*time.Millisecond, 4)
		if err != nil {
			t.Fatalf("relayed client: %v%s", err, srv.lastLog())
		}
		if !inRange(a.addr, "198.19.1.0", "198.19.1.255") {
			t.Errorf("relayed client (giaddr %v) got %v, want one from the subnet whose relay ip-address is %v", p.RelayAddr, a.addr, p.RelayAddr)
		}
		checkStoredIn(t, srv, a.addr, mac, 2)
	})
	srv.stop()
}

// checkStoredIn checks that the store holds addr for mac in subnet id.
func checkStoredIn(t *testing.T, srv *server, addr netip.Addr, mac net.HardwareAddr, subnet uint32) {
	t.Helper()
	ls, ok, err := srv.waitStore(3*time.Second, func(ls []lease.Lease) bool { return storeHolds(ls, addr, mac) })
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("the store does not hold %v for %v: %s", addr, mac, describe(ls, addr))
		return
	}
	if l, _ := leaseOf(ls, addr); l.SubnetID != subnet {
		t.Errorf("lease %v in subnet %d, want %d (Kea 2.2 numbering)", addr, l.SubnetID, subnet)
	}
}

// posOf returns "line:col" (both from 1, col in bytes) of the nth
// occurrence of needle in text.
func posOf(text, needle string, nth int) string {
	off := -1
	for range nth {
		i := strings.Index(text[off+1:], needle)
		if i < 0 {
			panic(fmt.Sprintf("posOf: %q occurs fewer than %d times", needle, nth))
		}
		off += 1 + i
	}
	line := 1 + strings.Count(text[:off], "\n")
	col := off - strings.LastIndex(text[:off], "\n")
	return fmt.Sprintf("%d:%d", line, col)
}
