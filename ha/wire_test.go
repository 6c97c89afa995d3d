package ha

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/lease"
)

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommands(t *testing.T) {
	must := func(c control.Command, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return js(t, c)
	}
	for _, tc := range []struct{ got, want string }{
		{must(HeartbeatCommand(Kea22, "s1")), `{"command":"ha-heartbeat","service":["dhcp4"]}`},
		{must(HeartbeatCommand(Kea3, "s1")), `{"command":"ha-heartbeat","arguments":{"server-name":"s1"},"service":["dhcp4"]}`},
		{must(ResetCommand(Kea22, "s1")), `{"command":"ha-reset","service":["dhcp4"]}`},
		{must(ResetCommand(Kea3, "s1")), `{"command":"ha-reset","arguments":{"server-name":"s1"},"service":["dhcp4"]}`},
		{must(DisableCommand(Kea22, 60*time.Second, 2001)), `{"command":"dhcp-disable","arguments":{"max-period":60,"origin":"ha-partner"},"service":["dhcp4"]}`},
		{must(DisableCommand(Kea3, 500*time.Millisecond, 2001)), `{"command":"dhcp-disable","arguments":{"max-period":1,"origin":"ha-partner","origin-id":2001},"service":["dhcp4"]}`},
		{must(EnableCommand(Kea22, 2001)), `{"command":"dhcp-enable","arguments":{"origin":"ha-partner"},"service":["dhcp4"]}`},
		{must(EnableCommand(Kea3, 2001)), `{"command":"dhcp-enable","arguments":{"origin":"ha-partner","origin-id":2001},"service":["dhcp4"]}`},
		{must(SyncCompleteCommand(Kea22, "s1", 2001)), `{"command":"ha-sync-complete-notify","service":["dhcp4"]}`},
		{must(SyncCompleteCommand(Kea3, "s1", 2001)), `{"command":"ha-sync-complete-notify","arguments":{"server-name":"s1","origin-id":2001,"origin":2001},"service":["dhcp4"]}`},
		{must(GetPageCommand(netip.Addr{}, 50)), `{"command":"lease4-get-page","arguments":{"from":"start","limit":50},"service":["dhcp4"]}`},
		{must(GetPageCommand(netip.MustParseAddr("10.0.0.7"), 50)), `{"command":"lease4-get-page","arguments":{"from":"10.0.0.7","limit":50},"service":["dhcp4"]}`},
		{must(MaintenanceNotifyCommand(Kea22, false, "s1", StateLoadBalancing)), `{"command":"ha-maintenance-notify","arguments":{"cancel":false},"service":["dhcp4"]}`},
		{must(MaintenanceNotifyCommand(Kea3, true, "s1", StatePartnerInMaintenance)), `{"command":"ha-maintenance-notify","arguments":{"cancel":true,"server-name":"s1","state":"partner-in-maintenance"},"service":["dhcp4"]}`},
	} {
		if tc.got != tc.want {
			t.Errorf("\n got %s\nwant %s", tc.got, tc.want)
		}
	}
	l := testLease()
	l.Hostname = "a&b<c>"
	c, err := NewCommand(CmdLease4Update, LeaseToWire(Kea22, &l, true))
	if err != nil {
		t.Fatal(err)
	}
	body, err := EncodeCommand(c)
	if err != nil || !strings.Contains(string(body), `"hostname":"a&b<c>"`) || !strings.HasPrefix(string(body), `{"command":"lease4-update","arguments":{"ip-address":"192.0.2.50",`) || !strings.HasSuffix(string(body), `"force-create":true},"service":["dhcp4"]}`) {
		t.Errorf("EncodeCommand: %s %v", body, err)
	}
	if _, err := GetPageCommand(netip.Addr{}, 0); err == nil {
		t.Error("lease4-get-page with limit 0")
	}
	// What the agent and kea-dhcp4 parse must come back unchanged.
	c, _ = HeartbeatCommand(Kea3, "s1")
	parsed, err := control.ParseCommand([]byte(js(t, c)))
	if err != nil || parsed.Command != CmdHeartbeat || !reflect.DeepEqual(parsed.Service, []string{"dhcp4"}) {
		t.Errorf("control.ParseCommand: %+v %v", parsed, err)
	}
	if name, err := DecodeServerName(CmdHeartbeat, parsed.Arguments); err != nil || name != "s1" {
		t.Errorf("server-name %q %v", name, err)
	}
}

// TestDecodeAnswer checks the judgement of Kea's verifyAsyncResponse.
func TestDecodeAnswer(t *testing.T) {
	for _, tc := range []struct {
		body   string
		result int
		ok     bool
		unsupp bool
		text   string
	}{
		{`[{"result": 0, "text": "fine", "arguments": {"a": 1}}]`, 0, true, false, "fine"},
		{` [ {"result": 3, "text": "IPv4 lease not found."} ] `, 3, true, false, "IPv4 lease not found."},
		{`[{"result": 1, "text": "boom"}]`, 1, false, false, "boom"},
		{`[{"result": 2, "text": "'ha-sync-complete-notify' command not supported."}]`, 2, false, true, "'ha-sync-complete-notify' command not supported."},
		{`[{"result": 4, "text": "conflict"}]`, 4, false, false, "conflict"},
		{`{"result": 401, "text": "Unauthorized"}`, 1, false, false, "Unauthorized"},
		{`{"result": 0, "text": "a bare map"}`, 1, false, false, "a bare map"},
		{`[]`, 0, false, false, ""},
		{`[{"text": "no result"}]`, 0, false, false, ""},
		{`<html>`, 0, false, false, ""},
		{``, 0, false, false, ""},
		{`[{"result": 0}`, 0, false, false, ""},
	} {
		r, err := DecodeAnswer([]byte(tc.body))
		if (err == nil) != tc.ok || r.Result != tc.result || r.Text != tc.text || errors.Is(err, ErrUnsupported) != tc.unsupp {
			t.Errorf("%s: result %d %q, err %v", tc.body, r.Result, r.Text, err)
		}
	}
	b, err := EncodeAnswer(control.OK("Server is in-maintenance state."))
	if err != nil || string(b) != `[{"result":0,"text":"Server is in-maintenance state."}]` {
		t.Errorf("EncodeAnswer: %s %v", b, err)
	}
}

func TestHeartbeat(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	body, err := EncodeAnswer(HeartbeatResponse(StateLoadBalancing, now, []string{"server1"}, 7))
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"arguments":{"state":"load-balancing","date-time":"Thu, 01 Jan 2026 00:00:00 GMT","scopes":["server1"],"unsent-update-count":7},"result":0,"text":"HA peer status returned."}]`
	if string(body) != want {
		t.Errorf("\n got %s\nwant %s", body, want)
	}
	r, err := DecodeAnswer(body)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := DecodeHeartbeat(r)
	wantHB := Heartbeat{OK: true, State: StateLoadBalancing, Time: now, Scopes: []string{"server1"}, UnsentUpdates: 7}
	if err != nil || !reflect.DeepEqual(hb, wantHB) {
		t.Errorf("heartbeat %+v %v", hb, err)
	}
	if b, _ := EncodeAnswer(HeartbeatResponse(StateWaiting, now, nil, 0)); !strings.Contains(string(b), `"scopes":[]`) {
		t.Errorf("no scopes: %s", b)
	}
	for _, tc := range []struct{ args, want string }{
		{`{"state": "bogus", "date-time": "Thu, 01 Jan 2026 00:00:00 GMT"}`, `unknown HA state "bogus"`},
		{`{"date-time": "Thu, 01 Jan 2026 00:00:00 GMT"}`, "no state"},
		{`{"state": "ready"}`, "no date-time"},
		{`{"state": "ready", "date-time": "2026-01-01T00:00:00Z"}`, "is not of the form"},
		{`{"state": 1, "date-time": "Thu, 01 Jan 2026 00:00:00 GMT"}`, "cannot unmarshal"},
		{`{"state": "ready", "date-time": "Thu, 01 Jan 2026 00:00:00 GMT", "unsent-update-count": -1}`, "unsent-update-count -1"},
		{`[]`, "cannot unmarshal"},
	} {
		_, err := DecodeHeartbeat(control.Response{Arguments: json.RawMessage(tc.args)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := DecodeHeartbeat(control.Response{}); err == nil {
		t.Error("no arguments accepted")
	}
	hb, err = DecodeHeartbeat(control.Response{Arguments: json.RawMessage(`{"state": "unavailable", "date-time": "Thu, 01 Jan 2026 00:00:00 GMT", "scopes": ["", "s2"]}`)})
	if err != nil || hb.State != StateUnavailable || !reflect.DeepEqual(hb.Scopes, []string{"s2"}) {
		t.Errorf("%+v %v", hb, err)
	}
}

func testLease() lease.Lease {
	return lease.Lease{
		Addr: netip.MustParseAddr("192.0.2.50"), HWType: 1,
		HWAddr: []byte{0x08, 0x00, 0x27, 0x11, 0x22, 0x33}, ClientID: []byte{1, 0x08, 0x00, 0x27, 0x11, 0x22, 0x33},
		ValidLifetime: 3600, CLTT: 1767225600, SubnetID: 1, PoolID: 2, Hostname: "host",
		UserContext: `{"ISC":{"relay-agent-info":"0x0104AABBCCDD"}}`,
	}
}

func TestLeaseWire(t *testing.T) {
	l := testLease()
	now := time.Unix(1767225700, 0)
	w22 := js(t, LeaseToWire(Kea22, &l, true))
	const want22 = `{"ip-address":"192.0.2.50","subnet-id":1,"hw-address":"08:00:27:11:22:33","client-id":"01:08:00:27:11:22:33","valid-lft":3600,"expire":1767229200,"fqdn-fwd":false,"fqdn-rev":false,"hostname":"host","state":0,"user-context":{"ISC":{"relay-agent-info":"0x0104AABBCCDD"}},"force-create":true}`
	if w22 != want22 {
		t.Errorf("2.2\n got %s\nwant %s", w22, want22)
	}
	w3 := js(t, LeaseToWire(Kea3, &l, false))
	if !strings.Contains(w3, `"pool-id":2,"origin":"ha-partner"`) || strings.Contains(w3, "force-create") {
		t.Errorf("3.x delete %s", w3)
	}
	c, err := NewCommand(CmdLease4Update, LeaseToWire(Kea22, &l, true))
	if err != nil {
		t.Fatal(err)
	}
	got, force, err := DecodeLease4(CmdLease4Update, c.Arguments, Kea22, now)
	l22 := l
	l22.PoolID = 0 // 2.2 does not carry it
	if err != nil || !force || !got.Equal(&l22) {
		t.Errorf("round trip 2.2:\n got %+v %v %v\nwant %+v", got, force, err, l22)
	}
	c, _ = NewCommand(CmdLease4Update, LeaseToWire(Kea3, &l, true))
	if got, _, err := DecodeLease4(CmdLease4Update, c.Arguments, Kea3, now); err != nil || !got.Equal(&l) {
		t.Errorf("round trip 3.x: %+v %v", got, err)
	}
	del, _, err := DecodeLease4(CmdLease4Del, json.RawMessage(`{"ip-address": "192.0.2.9", "hw-address": "zz"}`), Kea22, now)
	if err != nil || del.Addr != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("lease4-del by address: %+v %v", del, err)
	}

	// Kea's other spellings of hex, and a lease without expire.
	got, _, err = DecodeLease4(CmdLease4Update, json.RawMessage(`{"ip-address": "192.0.2.1", "hw-address": "8:0:27:AA:bb:CC", "client-id": "0x01aabb", "valid-lft": 60}`), Kea22, now)
	if err != nil || string(got.HWAddr) != "\x08\x00\x27\xaa\xbb\xcc" || string(got.ClientID) != "\x01\xaa\xbb" || got.CLTT != now.Unix() {
		t.Errorf("spellings: %+v %v", got, err)
	}
	for _, tc := range []struct {
		args string
		d    Dialect
		want string
	}{
		{`{"hw-address": "01:02"}`, Kea22, "'ip-address' is missing"},
		{`{"ip-address": "2001:db8::1", "hw-address": "01:02"}`, Kea22, "not an IPv4 address"},
		{`{"ip-address": "192.0.2.1", "hw-address": "01:0g"}`, Kea22, "hw-address"},
		{`{"ip-address": "192.0.2.1", "hw-address": ""}`, Kea22, "only a declined lease"},
		{`{"ip-address": "192.0.2.1", "hw-address": "01:02", "state": 3}`, Kea22, "state 3 is not a lease state (0 to 2)"},
		{`{"ip-address": "192.0.2.1", "hw-address": "01:02", "state": 4}`, Kea3, "state 4"},
		{`{"ip-address": "192.0.2.1", "hw-address": "01:02", "valid-lft": 100, "expire": 50}`, Kea22, "earlier than valid-lft"},
		{`{"ip-address": "192.0.2.1", "hw-address": "01:02", "expire": 0}`, Kea22, "must be positive"},
		{`{"ip-address": "192.0.2.1", "hw-address": "01:02", "user-context": [1]}`, Kea22, "user-context must be a map"},
		{`{"ip-address": "192.0.2.1", "hw-address": "01:02", "subnet-id": "1"}`, Kea22, "'subnet-id' has the wrong type"},
		{`[]`, Kea22, "arguments"},
	} {
		_, _, err := DecodeLease4(CmdLease4Update, json.RawMessage(tc.args), tc.d, now)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.args, err, tc.want)
		}
	}
	// user-context passes through as Kea wrote it, whitespace aside; a
	// pool-id means nothing to Kea 2.2.
	ctx := `{"ip-address": "192.0.2.1", "hw-address": "01:02", "pool-id": 4, "user-context": { "ISC" : {"relay-agent-info": {"sub-options": "0x0104", "remote-id": "aabb"}}, "z": [1, 2.5, null] }}`
	if got, _, err := DecodeLease4(CmdLease4Update, json.RawMessage(ctx), Kea22, now); err != nil || got.PoolID != 0 ||
		got.UserContext != `{"ISC":{"relay-agent-info":{"sub-options":"0x0104","remote-id":"aabb"}},"z":[1,2.5,null]}` {
		t.Errorf("user-context: %+v %v", got, err)
	}
	if got, _, err := DecodeLease4(CmdLease4Update, json.RawMessage(ctx), Kea3, now); err != nil || got.PoolID != 4 {
		t.Errorf("3.x pool-id: %+v %v", got, err)
	}
	if got, _, err := DecodeLease4(CmdLease4Update, json.RawMessage(`{"ip-address": "192.0.2.1", "hw-address": "", "state": 1}`), Kea22, now); err != nil || got.State != lease.StateDeclined {
		t.Errorf("declined: %+v %v", got, err)
	}
	if got, _, err := DecodeLease4(CmdLease4Update, json.RawMessage(`{"ip-address": "192.0.2.1", "hw-address": "01:02", "state": 3, "valid-lft": 0}`), Kea3, now); err != nil || got.State != lease.StateReleased {
		t.Errorf("released (3.x): %+v %v", got, err)
	}
}

func TestPages(t *testing.T) {
	now := time.Unix(1767225700, 0)
	from, limit, err := DecodeGetPage(json.RawMessage(`{"from": "start", "limit": 50}`))
	if err != nil || from.IsValid() || limit != 50 {
		t.Errorf("start: %v %d %v", from, limit, err)
	}
	from, _, err = DecodeGetPage(json.RawMessage(`{"from": "10.0.0.7", "limit": 1}`))
	if err != nil || from != netip.MustParseAddr("10.0.0.7") {
		t.Errorf("from: %v %v", from, err)
	}
	for _, args := range []string{`{"limit": 1}`, `{"from": "start"}`, `{"from": "start", "limit": 0}`,
		`{"from": "start", "limit": -1}`, `{"from": "later", "limit": 1}`, `{"from": "::1", "limit": 1}`, `{"from": 1, "limit": 1}`, ``} {
		if _, _, err := DecodeGetPage(json.RawMessage(args)); err == nil {
			t.Errorf("%s accepted", args)
		}
	}

	l1, l2 := testLease(), testLease()
	l2.Addr = netip.MustParseAddr("192.0.2.51")
	l2.UserContext = ""
	r := PageResponse(Kea3, []lease.Lease{l1, l2})
	body, err := EncodeAnswer(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"cltt":1767225600`) || strings.Contains(string(body), "expire") || !strings.Contains(string(body), `"count":2`) {
		t.Errorf("page %s", body)
	}
	back, err := DecodeAnswer(body)
	if err != nil {
		t.Fatal(err)
	}
	leases, skipped, err := DecodePage(back, Kea3, now)
	if err != nil || len(skipped) != 0 || len(leases) != 2 || !leases[0].Equal(&l1) || !leases[1].Equal(&l2) {
		t.Errorf("page back: %+v %v %v", leases, skipped, err)
	}
	empty, _ := EncodeAnswer(PageResponse(Kea22, nil))
	if string(empty) != `[{"arguments":{"leases":[],"count":0},"result":3,"text":"0 IPv4 lease(s) found."}]` {
		t.Errorf("empty page %s", empty)
	}
	back, err = DecodeAnswer(empty)
	if leases, _, err2 := DecodePage(back, Kea22, now); err != nil || err2 != nil || len(leases) != 0 {
		t.Errorf("empty page back: %v %v %v", leases, err, err2)
	}
	// A lease 2.2 cannot parse is skipped, not fatal.
	mixed := control.Response{Arguments: json.RawMessage(`{"leases": [
		{"ip-address": "192.0.2.1", "hw-address": "01:02", "state": 3, "cltt": 5, "valid-lft": 0},
		{"ip-address": "192.0.2.2", "hw-address": "01:03", "cltt": 5, "valid-lft": 10},
		"junk"], "count": 3}`)}
	leases, skipped, err = DecodePage(mixed, Kea22, now)
	if err != nil || len(leases) != 1 || leases[0].CLTT != 5 || len(skipped) != 2 {
		t.Errorf("mixed page: %+v %v %v", leases, skipped, err)
	}
	if _, _, err := DecodePage(control.Response{Arguments: json.RawMessage(`{"count": 0}`)}, Kea22, now); err == nil {
		t.Error("page without leases accepted")
	}
}

func TestNetworkStateArgs(t *testing.T) {
	for _, tc := range []struct {
		cmd, args string
		want      NetworkState
		err       string
	}{
		{CmdDHCPDisable, ``, NetworkState{}, ""},
		{CmdDHCPDisable, `{"origin": "ha-partner", "max-period": 60}`, NetworkState{FromPartner: true, OriginID: 2000, MaxPeriod: time.Minute}, ""},
		{CmdDHCPDisable, `{"origin": "user"}`, NetworkState{}, ""},
		{CmdDHCPEnable, `{"origin": "ha-partner", "origin-id": 2001}`, NetworkState{FromPartner: true, OriginID: 2001}, ""},
		{CmdDHCPEnable, `{"origin": 2002}`, NetworkState{FromPartner: true, OriginID: 2002}, ""},
		{CmdDHCPEnable, `{"origin": 1}`, NetworkState{OriginID: 1}, ""},
		{CmdDHCPDisable, `{"origin": "partner"}`, NetworkState{}, `invalid value "partner"`},
		{CmdDHCPDisable, `{"max-period": 0}`, NetworkState{}, "positive integer"},
		{CmdDHCPDisable, `{"max-period": 1.5}`, NetworkState{}, "positive integer"},
		{CmdDHCPEnable, `{"max-period": 5}`, NetworkState{}, "dhcp-disable only"},
		{CmdDHCPEnable, `{"origin": true}`, NetworkState{}, "string or an integer"},
		{CmdDHCPEnable, `{"origin-id": "x"}`, NetworkState{}, "arguments"},
	} {
		got, err := DecodeNetworkState(tc.cmd, json.RawMessage(tc.args))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: %v, want %q", tc.cmd, tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %+v %v, want %+v", tc.cmd, tc.args, got, err, tc.want)
		}
	}
}

func TestOtherArgs(t *testing.T) {
	name, origin, err := DecodeSyncComplete(nil)
	if err != nil || name != "" || origin != 2001 {
		t.Errorf("2.2 sync-complete: %q %d %v", name, origin, err)
	}
	c, _ := SyncCompleteCommand(Kea3, "s2", 2003)
	if name, origin, err = DecodeSyncComplete(c.Arguments); err != nil || name != "s2" || origin != 2003 {
		t.Errorf("3.x sync-complete: %q %d %v", name, origin, err)
	}
	if body, _ := EncodeAnswer(SyncCompleteResponse()); string(body) != `[{"result":0,"text":"Server successfully notified about the synchronization completion."}]` {
		t.Errorf("%s", body)
	}
	c, _ = MaintenanceNotifyCommand(Kea3, true, "s1", StateLoadBalancing)
	if a, err := DecodeMaintenanceNotify(c.Arguments); err != nil || a != (MaintenanceNotifyArgs{Cancel: true, ServerName: "s1", State: "load-balancing"}) {
		t.Errorf("maintenance notify: %+v %v", a, err)
	}
	for _, args := range []string{`{}`, `{"cancel": "no"}`, `{"cancel": false, "state": "asleep"}`, ``} {
		if _, err := DecodeMaintenanceNotify(json.RawMessage(args)); err == nil {
			t.Errorf("maintenance notify %s accepted", args)
		}
	}
	if a, err := DecodeScopes(json.RawMessage(`{"scopes": ["s1", "s2"]}`)); err != nil || !reflect.DeepEqual(a.Scopes, []string{"s1", "s2"}) {
		t.Errorf("scopes: %+v %v", a, err)
	}
	if a, err := DecodeScopes(json.RawMessage(`{"scopes": []}`)); err != nil || len(a.Scopes) != 0 {
		t.Errorf("no scopes: %+v %v", a, err)
	}
	for _, args := range []string{`{}`, `{"scopes": "s1"}`, `{"scopes": [1]}`} {
		if _, err := DecodeScopes(json.RawMessage(args)); err == nil {
			t.Errorf("ha-scopes %s accepted", args)
		}
	}
	if a, err := DecodeSync(json.RawMessage(`{"server-name": "s2", "max-period": 30}`)); err != nil || a != (SyncArgs{"s2", 30}) {
		t.Errorf("ha-sync: %+v %v", a, err)
	}
	for _, args := range []string{`{}`, `{"server-name": "s2", "max-period": 0}`, `{"server-name": 2}`} {
		if _, err := DecodeSync(json.RawMessage(args)); err == nil {
			t.Errorf("ha-sync %s accepted", args)
		}
	}
	if _, err := DecodeServerName(CmdReset, json.RawMessage(`{"server-name": 1}`)); err == nil {
		t.Error("numeric server-name accepted")
	}
}

func TestStatusJSON(t *testing.T) {
	r := rel(t, Kea3, "load-balancing", "s1", "")
	m := NewMachine(r, Kea3, t0)
	got := js(t, m.Status(t0.Add(2*time.Second)))
	const want = `{"ha-mode":"load-balancing","ha-servers":{"local":{"role":"primary","scopes":[],"server-name":"s1","state":"waiting","system-time":"2026-01-01 00:00:02","reason":"waiting for the first heartbeat answer from s2"},"remote":{"age":2,"analyzed-packets":0,"communication-interrupted":false,"connecting-clients":0,"in-touch":false,"last-scopes":[],"last-state":"","role":"secondary","server-name":"s2","unacked-clients":0,"unacked-clients-left":0,"clock-skew":null}}}`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	now := t0.Add(3 * time.Second)
	m.HeartbeatDone(now, Heartbeat{OK: true, State: StateWaiting, Time: now.Add(-2 * time.Second), Scopes: []string{}})
	st := m.Status(now)
	if rm := st.Servers.Remote; rm.ClockSkew == nil || *rm.ClockSkew != -2 || rm.LastState != "waiting" || !rm.InTouch || rm.Age != 0 {
		t.Errorf("remote after a heartbeat %+v", rm)
	}
	if st.Servers.Local.State != "syncing" {
		t.Errorf("local %+v", st.Servers.Local)
	}
	m22 := NewMachine(rel(t, Kea22, "load-balancing", "s1", ""), Kea22, t0)
	if got := js(t, m22.Status(t0)); strings.Contains(got, "server-name") || strings.Contains(got, "clock-skew") {
		t.Errorf("2.2 status with 3.x fields: %s", got)
	}
	b := NewMachine(rel(t, Kea22, "load-balancing", "b1", ""), Kea22, t0)
	if st := b.Status(t0); st.Servers.Remote != nil || st.Servers.Local.Role != "backup" {
		t.Errorf("backup status %+v", st)
	}
}
