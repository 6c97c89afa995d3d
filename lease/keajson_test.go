package lease

import (
	"encoding/json"
	"net/netip"
	"testing"
)

// TestKeaJSON encodes leases as Kea's lease commands show them: hex bytes
// with colons, client-id, pool-id and user-context only when there is
// one, a user context that is not JSON left out rather than breaking the
// answer.
func TestKeaJSON(t *testing.T) {
	l := Lease{
		Addr: netip.MustParseAddr("192.0.2.50"), HWType: HTypeEthernet,
		HWAddr: []byte{0x08, 0x00, 0x27, 0x11, 0x22, 0x3a}, ClientID: []byte{1, 0x08, 0x00, 0x27, 0x11, 0x22, 0x3a},
		ValidLifetime: 3600, CLTT: 1767225600, SubnetID: 1, PoolID: 2, FQDNFwd: true, Hostname: "host",
		State: StateDeclined, UserContext: `{"ISC": {"relay-agent-info": "0x0104AABBCCDD"}}`,
	}
	bare := Lease{Addr: netip.MustParseAddr("192.0.2.51"), ValidLifetime: 60, State: StateDeclined, UserContext: "{"}
	for _, c := range []struct {
		l    Lease
		want string
	}{
		{l, `{"ip-address":"192.0.2.50","subnet-id":1,"hw-address":"08:00:27:11:22:3a","client-id":"01:08:00:27:11:22:3a","valid-lft":3600,"cltt":1767225600,"fqdn-fwd":true,"fqdn-rev":false,"hostname":"host","state":1,"user-context":{"ISC":{"relay-agent-info":"0x0104AABBCCDD"}},"pool-id":2}`},
		{bare, `{"ip-address":"192.0.2.51","subnet-id":0,"hw-address":"","valid-lft":60,"cltt":0,"fqdn-fwd":false,"fqdn-rev":false,"hostname":"","state":1}`},
	} {
		b, err := json.Marshal(c.l.KeaJSON())
		if err != nil || string(b) != c.want {
			t.Errorf("%v:\n got %s, %v\nwant %s", c.l.Addr, b, err, c.want)
		}
	}
	if got := string(AppendHex([]byte("hw="), []byte{1, 0xab, 0})); got != "hw=01:ab:00" {
		t.Errorf("AppendHex = %q", got)
	}
}
