package daemon

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ddns/ncr"
)

// TestLeaseDelUpdateDDNS: lease4-del with "update-ddns": true sends the
// removal of the lease's DNS records, as Kea's does; without it (the
// form an HA partner sends) nothing is sent, and lease4-add sends
// nothing either. lease4-resend-ddns sends the add of a lease's records
// again.
func TestLeaseDelUpdateDDNS(t *testing.T) {
	needRoot(t)
	rc, err := ncr.Listen(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := receiveAsync(rc)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "leases"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": ["lo"]},
  "lease-database": {"type": "memfile", "persist": true, "name": %q},
  "valid-lifetime": 3600,
  "control-socket": {"socket-type": "unix", "socket-name": %q},
  "hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so"}],
  "dhcp-ddns": {"enable-updates": true, "server-ip": "127.0.0.1", "server-port": %d},
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]
}}`, filepath.Join(dir, "leases", "dhcp4.leases"), filepath.Join(dir, "ctl.sock"), rc.Addr().Port()))
	add := func(addr, name string) {
		t.Helper()
		p.want("lease4-add", map[string]any{"ip-address": addr, "hw-address": "02:00:00:00:00:01",
			"hostname": name, "fqdn-fwd": true, "fqdn-rev": true}, control.Success)
	}
	add("192.0.2.101", "kept.example.org")
	p.want("lease4-del", map[string]any{"ip-address": "192.0.2.101", "update-ddns": "yes"}, control.Error)
	p.want("lease4-del", map[string]any{"ip-address": "192.0.2.101"}, control.Success)
	add("192.0.2.102", "gone.example.org")
	p.want("lease4-del", map[string]any{"ip-address": "192.0.2.102", "update-ddns": true}, control.Success)
	// The sender keeps the order: had the add or the first delete sent
	// anything, it would come first.
	select {
	case r := <-got:
		if r.Type != ncr.Remove || r.FQDN != "gone.example.org." || r.Addr != netip.MustParseAddr("192.0.2.102") || !r.Forward || !r.Reverse {
			t.Fatalf("first request sent: %s, want the removal of gone.example.org. 192.0.2.102", r.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lease4-del with update-ddns sent no request")
	}

	// lease4-resend-ddns asks again for the records of a lease in use.
	add("192.0.2.103", "again.example.org")
	p.want("lease4-resend-ddns", map[string]any{"ip-address": "192.0.2.104"}, control.Empty)
	p.want("lease4-add", map[string]any{"ip-address": "192.0.2.105", "hw-address": "02:00:00:00:00:05"}, control.Success)
	p.want("lease4-resend-ddns", map[string]any{"ip-address": "192.0.2.105"}, control.Error)
	p.want("lease4-resend-ddns", map[string]any{"ip-address": "192.0.2.103"}, control.Success)
	select {
	case r := <-got:
		if r.Type != ncr.Add || r.FQDN != "again.example.org." || r.Addr != netip.MustParseAddr("192.0.2.103") {
			t.Fatalf("lease4-resend-ddns sent %s, want the add of again.example.org. 192.0.2.103", r.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lease4-resend-ddns sent no request")
	}
}
