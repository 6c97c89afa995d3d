package daemon

import (
	"net/netip"
	"testing"
)

// TestLeaseAddRefusesNetworkAndBroadcast: lease4-add and lease4-update
// refuse a subnet's network and broadcast addresses, which no client can
// hold, in the words Kea uses for an address outside the subnet; the
// addresses next to them are accepted.
func TestLeaseAddRefusesNetworkAndBroadcast(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := startProc(t, dir, testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199"))
	for _, c := range []struct{ cmd, addr, what string }{
		{"lease4-add", "192.0.2.0", "network"},
		{"lease4-add", "192.0.2.255", "broadcast"},
		{"lease4-update", "192.0.2.255", "broadcast"},
	} {
		args := map[string]any{"ip-address": c.addr, "hw-address": "02:00:00:00:00:01", "force-create": true}
		if c.cmd == "lease4-add" {
			delete(args, "force-create")
		}
		r := p.want(c.cmd, args, 4)
		if want := "The address " + c.addr + " is the " + c.what + " address of subnet 192.0.2.0/24, subnet-id=1"; r.Text != want {
			t.Errorf("%s %s: %q, want %q", c.cmd, c.addr, r.Text, want)
		}
		p.want("lease4-get", map[string]any{"ip-address": c.addr}, 3)
	}
	for _, a := range []string{"192.0.2.1", "192.0.2.254"} {
		p.want("lease4-add", map[string]any{"ip-address": a, "hw-address": "02:00:00:00:00:02"}, 0)
	}
}

// TestStatusGetLeaseStore: status-get reports the lease store's state
// and its journal's fsync counters.
func TestStatusGetLeaseStore(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := startProc(t, dir, testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199"))
	var st struct {
		LeaseStore map[string]any `json:"lease-store"`
	}
	if err := p.want("status-get", nil, 0).Decode(&st); err != nil {
		t.Fatal(err)
	}
	ls := st.LeaseStore
	if ls["state"] != "healthy" || ls["slow-fsyncs"] != 0.0 || len(ls) != 4 {
		t.Errorf("status-get lease-store = %v, want state healthy, no slow fsyncs, the fsync counters and nothing else", ls)
	}
	syncs, ok1 := ls["fsyncs"].(float64)
	secs, ok2 := ls["fsync-seconds"].(float64)
	if !ok1 || !ok2 || syncs < 0 || secs < 0 || (syncs == 0) != (secs == 0) {
		t.Errorf("status-get lease-store fsyncs = %v, fsync-seconds = %v", ls["fsyncs"], ls["fsync-seconds"])
	}
}

func TestNetworkOrBroadcast(t *testing.T) {
	for _, c := range []struct{ prefix, addr, want string }{
		{"10.0.0.0/8", "10.0.0.0", "network"},
		{"10.0.0.0/8", "10.255.255.255", "broadcast"},
		{"10.0.0.0/8", "10.0.0.1", ""},
		{"192.0.2.128/25", "192.0.2.128", "network"},
		{"192.0.2.128/25", "192.0.2.255", "broadcast"},
		{"192.0.2.128/25", "192.0.2.127", ""},
		{"192.0.2.0/31", "192.0.2.0", ""},
		{"192.0.2.0/31", "192.0.2.1", ""},
		{"192.0.2.7/32", "192.0.2.7", ""},
	} {
		if got := networkOrBroadcast(netip.MustParsePrefix(c.prefix), netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("networkOrBroadcast(%s, %s) = %q, want %q", c.prefix, c.addr, got, c.want)
		}
	}
}
