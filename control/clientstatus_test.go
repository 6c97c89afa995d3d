package control

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestFormatClientStatus: the client manager's status answer shows, per
// interface, the DHCPv4 lease and the DHCPv6 addresses and prefixes as
// lines; an interface running DHCPv6 alone shows its DHCPv4 client as
// disabled.
func TestFormatClientStatus(t *testing.T) {
	// The shape of client/manager's Status (1700000000 is
	// 2023-11-14 22:13:20 UTC).
	raw := json.RawMessage(`{"interfaces": [
		{"interface": "wan0", "state": "BOUND", "address": "192.0.2.10", "server-id": "192.0.2.1",
		 "routers": ["192.0.2.1"], "dns": ["192.0.2.53", "192.0.2.54"], "lease-time": 3600, "t1": 1800, "t2": 3150,
		 "obtained": "2023-11-14T22:00:00Z", "expires": "2023-11-14T23:00:00Z", "remaining": 2800, "client-id": "01aabbccddeeff",
		 "runs": 1, "failures": 0, "sent": {"discovers": 1, "requests": 1, "declines": 0, "releases": 0},
		 "dhcp6": {"state": "BOUND", "duid": "00:03:00:01:aa:bb:cc:dd:ee:ff", "server-duid": "00:01:00:01:11:22:33:44:aa:bb:cc:dd:ee:01",
		   "addresses": ["2001:db8:1::10"], "prefixes": ["2001:db8:ff00::/56"], "downstream": ["lan0=2001:db8:ff00::/64"],
		   "dns": ["2001:db8:1::53"], "domains": ["example.net"], "received": "2023-11-14T22:10:00Z",
		   "renew-at": "2023-11-14T22:25:00Z", "rebind-at": "2023-11-14T22:34:00Z", "expires": "2023-11-14T22:50:00Z", "remaining": 2200,
		   "sent": {"SOLICIT": 1, "REQUEST": 1, "RENEW": 0}, "runs": 2, "failures": 1, "last-error": "client6: opening connection: port 546 in use"}},
		{"interface": "wan1", "state": "DISABLED", "runs": 0, "failures": 0, "sent": {"discovers": 0, "requests": 0, "declines": 0, "releases": 0},
		 "dhcp6": {"state": "FAILED", "runs": 1, "failures": 3, "next-restart": "2023-11-14T22:13:28Z"}}]}`)
	var b bytes.Buffer
	if err := fixedFormatter().Response(&b, "status", &Response{Result: Success, Arguments: raw}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"wan0\n" +
		"  dhcp4:         BOUND\n" +
		"    address:     192.0.2.10 from 192.0.2.1\n" +
		"    lease:       3600s, renew after 1800s, rebind after 3150s, expires 2023-11-14 23:00:00 (in 46m40s)\n" +
		"    routers:     192.0.2.1\n" +
		"    dns:         192.0.2.53, 192.0.2.54\n" +
		"    client-id:   01aabbccddeeff\n" +
		"    runs:        1 started, 0 failed\n" +
		"    sent:        discovers 1, requests 1\n" +
		"  dhcp6:         BOUND\n" +
		"    duid:        00:03:00:01:aa:bb:cc:dd:ee:ff\n" +
		"    server:      00:01:00:01:11:22:33:44:aa:bb:cc:dd:ee:01\n" +
		"    addresses:   2001:db8:1::10\n" +
		"    prefixes:    2001:db8:ff00::/56\n" +
		"    downstream:  lan0=2001:db8:ff00::/64\n" +
		"    times:       renew 2023-11-14 22:25:00 (in 11m40s), rebind 2023-11-14 22:34:00 (in 20m40s), first expiry 2023-11-14 22:50:00 (in 36m40s)\n" +
		"    dns:         2001:db8:1::53\n" +
		"    domains:     example.net\n" +
		"    runs:        2 started, 1 failed; last error: client6: opening connection: port 546 in use\n" +
		"    sent:        REQUEST 1, SOLICIT 1\n" +
		"\n" +
		"wan1\n" +
		"  dhcp4:   DISABLED\n" +
		"  dhcp6:   FAILED\n" +
		"    runs:  1 started, 3 failed; restart 2023-11-14 22:13:28 (in 8s)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
