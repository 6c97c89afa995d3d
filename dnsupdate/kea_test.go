//go:build linux

package dnsupdate

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/internal/testnet"
)

// TestTakeOverWithKea checks that leased and kea-dhcp-ddns 2.2 (Debian's)
// leave the same records and can take over each other's names: what
// kea-dhcp-ddns adds, leased removes; what leased adds is what
// kea-dhcp-ddns had added, and kea-dhcp-ddns removes it.
func TestTakeOverWithKea(t *testing.T) {
	testnet.RequireBinaries(t, "kea-dhcp-ddns", "named")
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	dir := testnet.UnprivilegedDir(t)
	port := testnet.FreeUDPPort(t, "127.0.0.1")
	log := filepath.Join(dir, "d2.log")
	testnet.StartKea(t, dir, "kea-dhcp-ddns", fmt.Sprintf(`{ "DhcpDdns": {
  "ip-address": "127.0.0.1", "port": %d, "dns-server-timeout": 500,
  "tsig-keys": [ { "name": %q, "algorithm": "HMAC-SHA256", "secret": %q } ],
  "forward-ddns": { "ddns-domains": [ { "name": "example.org.", "key-name": %q,
    "dns-servers": [ { "ip-address": %q, "port": %d } ] } ] },
  "reverse-ddns": { "ddns-domains": [ { "name": "2.0.192.in-addr.arpa.", "key-name": %q,
    "dns-servers": [ { "ip-address": %q, "port": %d } ] } ] },
  "loggers": [ { "name": "kea-dhcp-ddns", "severity": "DEBUG", "debuglevel": 55,
    "output_options": [ { "output": %q } ] } ] } }`,
		port, n.KeyName, n.Secret, n.KeyName, n.Addr.Addr(), n.Addr.Port(), n.KeyName, n.Addr.Addr(), n.Addr.Port(), log),
		testnet.KeaOptions{LogFile: log})
	kea, err := ncr.NewSender(ncr.SenderConfig{Server: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer kea.Close()
	h := start(t, d2For(n, "HMAC-SHA256", n.Secret, 0), Options{})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b, _ := os.ReadFile(log); strings.Contains(string(b), "DHCP_DDNS_QUEUE_MGR_STARTED") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("kea-dhcp-ddns does not receive requests")
		}
	}

	for i, mode := range []ncr.Mode{ncr.CheckWithDHCID, ncr.NoCheckWithDHCID} {
		t.Run(mode.String(), func(t *testing.T) {
			name, addr := fmt.Sprintf("kea%d.example.org", i), fmt.Sprintf("192.0.2.%d", 30+i)
			add := request(t, ncr.Add, name, addr, "08:00:27:aa:bb:cc", mode)
			add.Expires = time.Now().Add(20 * time.Minute) // kea-dhcp-ddns 2.2 requires lease-expires-on
			rm := add
			rm.Type = ncr.Remove

			if err := kea.Send(add); err != nil {
				t.Fatal(err)
			}
			var byKea string
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				if byKea = records(t, n, name, addr); strings.Count(byKea, "\n") == 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("kea-dhcp-ddns added %q", byKea)
				}
			}
			if err := h.do(t, rm); err != nil {
				t.Fatalf("leased removing kea-dhcp-ddns's records: %v", err)
			}
			if got := records(t, n, name, addr); got != "" {
				t.Fatalf("left after leased's removal:\n%s", got)
			}
			if err := h.do(t, add); err != nil {
				t.Fatalf("leased's add: %v", err)
			}
			if got := records(t, n, name, addr); got != byKea {
				t.Fatalf("leased added:\n%s\nkea-dhcp-ddns had added:\n%s", got, byKea)
			}
			if err := kea.Send(rm); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(20 * time.Second); records(t, n, name, addr) != ""; time.Sleep(100 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("kea-dhcp-ddns did not remove leased's records:\n%s", records(t, n, name, addr))
				}
			}
		})
	}
}
