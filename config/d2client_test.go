package config

import (
	"net/netip"
	"strings"
	"testing"
)

// dhcp-ddns with enable-updates true is read, not rejected.
func TestDHCPDDNSEnableUpdates(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"dhcp-ddns": {"enable-updates": true, "server-ip": "127.0.0.2", "server-port": 53002,
		"sender-ip": "127.0.0.3", "sender-port": 53003, "max-queue-size": 7, "ncr-protocol": "UDP", "ncr-format": "JSON"}}}`)
	want := DHCPDDNS{
		EnableUpdates: true, ServerIP: netip.MustParseAddr("127.0.0.2"), ServerPort: 53002,
		SenderIP: netip.MustParseAddr("127.0.0.3"), SenderPort: 53003, MaxQueueSize: 7, NCRProtocol: "UDP", NCRFormat: "JSON",
	}
	if c.DHCPDDNS != want {
		t.Errorf("got  %+v\nwant %+v", c.DHCPDDNS, want)
	}
	c = mustLoad(t, `{"Dhcp4": {"dhcp-ddns": {"enable-updates": true}}}`)
	if d := c.DHCPDDNS; !d.EnableUpdates || d.ServerIP != netip.MustParseAddr("127.0.0.1") || d.ServerPort != 53001 || d.MaxQueueSize != 1024 {
		t.Errorf("defaults: %+v", d)
	}
	for _, tc := range []struct{ src, want string }{
		{`{"enable-updates": true, "server-ip": "127.0.0.1", "server-port": 53001, "sender-ip": "127.0.0.1", "sender-port": 53001}`, "sender-ip and sender-port 127.0.0.1:53001 are kea-dhcp-ddns's"},
		{`{"enable-updates": true, "ncr-protocol": "TCP"}`, "ncr-protocol"},
	} {
		_, diags, err := load(t, `{"Dhcp4": {"dhcp-ddns": `+tc.src+`}}`)
		if err == nil || !strings.Contains(joinDiags(diags), tc.want) {
			t.Errorf("%s: err %v, diagnostics\n%s\nwant one containing %q", tc.src, err, joinDiags(diags), tc.want)
		}
	}
}
