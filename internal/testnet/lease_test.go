//go:build linux

package testnet

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestLeaseFromEvent(t *testing.T) {
	a := netip.MustParseAddr
	dhclientEnv := map[string]string{
		"reason": "BOUND", "new_ip_address": "192.0.2.163", "new_subnet_mask": "255.255.255.0",
		"new_routers": "192.0.2.1 192.0.2.254", "new_domain_name_servers": "192.0.2.1",
		"new_dhcp_lease_time": "7200", "new_dhcp_server_identifier": "192.0.2.1",
	}
	udhcpcEnv := map[string]string{
		"ip": "198.18.3.4", "subnet": "255.255.0.0", "mask": "16", "router": "198.18.0.1",
		"dns": "192.0.2.1 192.0.2.2", "lease": "60", "serverid": "192.0.2.1",
	}
	l, err := leaseFromEvent(Dhclient, ClientEvent{Reason: "BOUND", Env: dhclientEnv})
	if err != nil {
		t.Fatal(err)
	}
	if l.Addr != a("192.0.2.163") || l.Prefix != netip.MustParsePrefix("192.0.2.163/24") ||
		!slices.Equal(l.Routers, []netip.Addr{a("192.0.2.1"), a("192.0.2.254")}) ||
		!slices.Equal(l.DNS, []netip.Addr{a("192.0.2.1")}) || l.LeaseTime != 2*time.Hour ||
		l.ServerID != a("192.0.2.1") || l.Event != "BOUND" {
		t.Errorf("dhclient lease %+v", l)
	}
	l, err = leaseFromEvent(UdhcpcBroadcast, ClientEvent{Reason: "bound", Env: udhcpcEnv})
	if err != nil {
		t.Fatal(err)
	}
	if l.Prefix != netip.MustParsePrefix("198.18.3.4/16") || len(l.DNS) != 2 || l.LeaseTime != time.Minute {
		t.Errorf("udhcpc lease %+v", l)
	}

	bad := []map[string]string{
		{"new_ip_address": "", "new_subnet_mask": "255.255.255.0"},
		{"new_ip_address": "2001:db8::1", "new_subnet_mask": "255.255.255.0"},
		{"new_ip_address": "192.0.2.1", "new_subnet_mask": "255.0.255.0"},
		{"new_ip_address": "192.0.2.1", "new_subnet_mask": "24"},
		{"new_ip_address": "192.0.2.1", "new_subnet_mask": "255.255.255.0", "new_routers": "x"},
		{"new_ip_address": "192.0.2.1", "new_subnet_mask": "255.255.255.0", "new_dhcp_lease_time": "-1"},
		{"new_ip_address": "192.0.2.1", "new_subnet_mask": "255.255.255.0", "new_dhcp_server_identifier": "me"},
	}
	for _, env := range bad {
		if _, err := leaseFromEvent(Dhcpcd, ClientEvent{Reason: "BOUND", Env: env}); err == nil {
			t.Errorf("accepted %v", env)
		}
	}
}

func TestParseEnv(t *testing.T) {
	env := parseEnv("LT_REASON=BOUND\nA=1\nMULTI=line1\nline2\nEMPTY=\nB=x=y\n")
	want := map[string]string{"LT_REASON": "BOUND", "A": "1", "MULTI": "line1\nline2", "EMPTY": "", "B": "x=y"}
	if len(env) != len(want) {
		t.Fatalf("parseEnv = %q", env)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func FuzzParseEnv(f *testing.F) {
	f.Add("a=b\nc=d\n")
	f.Add("=x\n\n y=z\nq")
	f.Fuzz(func(t *testing.T, s string) {
		for k := range parseEnv(s) {
			if k == "" {
				t.Fatalf("empty key from %q", s)
			}
		}
	})
}

func TestClientKinds(t *testing.T) {
	bins := map[ClientKind]string{Dhclient: "dhclient", Udhcpc: "udhcpc", UdhcpcBroadcast: "udhcpc", Dhcpcd: "dhcpcd"}
	if len(ClientKinds()) != len(bins) {
		t.Fatalf("ClientKinds() = %v", ClientKinds())
	}
	for _, k := range ClientKinds() {
		if k.Binary() != bins[k] {
			t.Errorf("%s.Binary() = %q, want %q", k, k.Binary(), bins[k])
		}
	}
}
