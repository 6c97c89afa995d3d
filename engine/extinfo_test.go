package engine

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

func TestRelayAgentInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		rai  []byte
		want string
	}{
		{"circuit id only", []byte{1, 3, 'e', 't', 'h'},
			`{"sub-options":"0x0103657468"}`},
		{"remote and relay id, out of order",
			[]byte{12, 2, 0xab, 0xcd, 2, 3, 0x0b, 0x0c, 0x0d, 1, 1, 0x07},
			`{"relay-id":"ABCD","remote-id":"0B0C0D","sub-options":"0x01010702030B0C0D0C02ABCD"}`},
		{"two sub-options of one code keep their order",
			[]byte{2, 1, 0xbb, 1, 1, 0xaa, 2, 1, 0xcc},
			`{"remote-id":"BB","sub-options":"0x0101AA0201BB0201CC"}`},
		{"empty remote id is left out", []byte{2, 0, 1, 1, 0xff},
			`{"sub-options":"0x0101FF0200"}`},
		{"malformed is stored as received", []byte{2, 5, 1, 2},
			`{"sub-options":"0x02050102"}`},
		{"empty option", []byte{}, `{"sub-options":""}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(relayAgentInfo(dhcpv4.RelayInfo(tc.rai)))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not JSON: %s", got)
			}
		})
	}
}

func TestWithRelayAgentInfo(t *testing.T) {
	info := []byte(`{"sub-options":"0x0101AA"}`)
	for _, tc := range []struct {
		name, uc, want string
	}{
		{"empty", "", `{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA"}}}`},
		{"other keys kept",
			`{"note": "rack 4", "n": 12345678901234567890, "ISC": {"other": [1, 2], "relay-agent-info": "0x0101BB"}}`,
			`{"ISC":{"other":[1,2],"relay-agent-info":{"sub-options":"0x0101AA"}},"n":12345678901234567890,"note":"rack 4"}`},
		{"ISC not a map is replaced", `{"ISC": "x", "a&b": "<c>"}`,
			`{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA"}},"a&b":"<c>"}`},
		{"not an object is replaced", `[1]`, `{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withRelayAgentInfo(tc.uc, info)
			if err != nil || got != tc.want {
				t.Errorf("got  %s (%v)\nwant %s", got, err, tc.want)
			}
		})
	}
}

// extInfoConfig has store-extended-info on globally, off in a shared
// network (whose first subnet inherits that) and on again in the
// network's second subnet. Each subnet is reached through its own relay.
const extInfoConfig = `{"Dhcp4": {
	"valid-lifetime": 3600, "store-extended-info": true,
	"expired-leases-processing": {"hold-reclaimed-time": 600},
	"subnet4": [{"id": 1, "subnet": "10.1.0.0/24", "relay": {"ip-addresses": ["10.1.0.1"]},
		"pools": [{"pool": "10.1.0.10 - 10.1.0.20"}]}],
	"shared-networks": [{"name": "quiet", "store-extended-info": false, "subnet4": [
		{"id": 2, "subnet": "10.2.0.0/24", "relay": {"ip-addresses": ["10.2.0.1"]},
			"pools": [{"pool": "10.2.0.10 - 10.2.0.20"}]},
		{"id": 3, "subnet": "10.3.0.0/24", "relay": {"ip-addresses": ["10.3.0.1"]}, "store-extended-info": true,
			"pools": [{"pool": "10.3.0.10 - 10.3.0.20"}]}]}]
}}`

// relayedDORA runs DISCOVER and REQUEST through relay with option 82 rai
// (none when nil) and returns the acknowledged address.
func (f *fixture) relayedDORA(hw net.HardwareAddr, relay netip.Addr, rai []byte) netip.Addr {
	f.t.Helper()
	var opts []dhcptest.Option
	if rai != nil {
		opts = append(opts, dhcptest.Option{Code: dhcpv4.OptionRelayAgentInfo, Value: rai})
	}
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw, GIAddr: relay, Hops: 1, Options: opts})
	if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
		f.t.Fatalf("no OFFER via %v: %+v", relay, off)
	}
	a := off.Packet.YIAddr()
	sid, _ := off.Packet.ServerID()
	ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, GIAddr: relay, Hops: 1,
		RequestedIP: a, ServerID: sid, Options: opts})
	if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack || ack.Packet.YIAddr() != a {
		f.t.Fatalf("no ACK via %v for %v: %+v", relay, a, ack)
	}
	return a
}

// renew sends a renewing REQUEST (ciaddr set) through relay.
func (f *fixture) renew(hw net.HardwareAddr, a, relay netip.Addr, rai []byte) {
	f.t.Helper()
	var opts []dhcptest.Option
	if rai != nil {
		opts = append(opts, dhcptest.Option{Code: dhcpv4.OptionRelayAgentInfo, Value: rai})
	}
	ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, CIAddr: a, GIAddr: relay, Hops: 1, Options: opts})
	if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack || ack.Packet.YIAddr() != a {
		f.t.Fatalf("renewal of %v not acknowledged: %+v", a, ack)
	}
}

// userContext returns the lease's user context decoded, nil when empty.
func (f *fixture) userContext(a netip.Addr) map[string]any {
	f.t.Helper()
	l, ok := f.lease(a)
	if !ok {
		f.t.Fatalf("no lease of %v", a)
	}
	if l.UserContext == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(l.UserContext), &m); err != nil {
		f.t.Fatalf("lease %v: user context %q: %v", a, l.UserContext, err)
	}
	return m
}

func raiContext(info map[string]any) map[string]any {
	return map[string]any{"ISC": map[string]any{"relay-agent-info": info}}
}

func TestStoreExtendedInfo(t *testing.T) {
	f := newFixture(t, extInfoConfig)
	// circuit-id "ge-0/0/1", remote-id 0x0a0b, relay-id 0xc0ffee.
	rai := []byte{1, 8, 'g', 'e', '-', '0', '/', '0', '/', '1', 2, 2, 0x0a, 0x0b, 12, 3, 0xc0, 0xff, 0xee}
	want := raiContext(map[string]any{
		"sub-options": "0x010867652D302F302F3102020A0B0C03C0FFEE",
		"remote-id":   "0A0B",
		"relay-id":    "C0FFEE",
	})

	// Global scope: stored.
	hw1 := mac("02:00:00:00:10:01")
	a1 := f.relayedDORA(hw1, netip.MustParseAddr("10.1.0.1"), rai)
	if got := f.userContext(a1); !reflect.DeepEqual(got, want) {
		t.Errorf("subnet 1 (global on): user context %v, want %v", got, want)
	}
	// The shared network turns it off for its subnet 2...
	a2 := f.relayedDORA(mac("02:00:00:00:10:02"), netip.MustParseAddr("10.2.0.1"), rai)
	if got := f.userContext(a2); got != nil {
		t.Errorf("subnet 2 (network off): user context %v, want none", got)
	}
	// ...and subnet 3 turns it on again.
	a3 := f.relayedDORA(mac("02:00:00:00:10:03"), netip.MustParseAddr("10.3.0.1"), rai)
	if got := f.userContext(a3); !reflect.DeepEqual(got, want) {
		t.Errorf("subnet 3 (subnet on): user context %v, want %v", got, want)
	}
	// No option 82, nothing stored.
	a4 := f.relayedDORA(mac("02:00:00:00:10:04"), netip.MustParseAddr("10.1.0.1"), nil)
	if got := f.userContext(a4); got != nil {
		t.Errorf("request without option 82: user context %v, want none", got)
	}

	// An operator's key (lease4-update) stays when a renewal stores new
	// relay information; a renewal without option 82 changes nothing.
	ctx := context.Background()
	l, _ := f.lease(a1)
	next := l.Clone()
	next.UserContext = `{"note": "rack 4", "ISC": {"other": true, "relay-agent-info": "0x0101FF"}}`
	if err := f.store.Update(ctx, &l, &next, lease.Durable); err != nil {
		t.Fatal(err)
	}
	f.clock.add(30 * time.Minute) // past the lease cache (cache-threshold 0.25)
	moved := []byte{1, 2, 'x', 'y'}
	f.renew(hw1, a1, netip.MustParseAddr("10.1.0.1"), moved)
	wantMoved := map[string]any{
		"note": "rack 4",
		"ISC":  map[string]any{"other": true, "relay-agent-info": map[string]any{"sub-options": "0x01027879"}},
	}
	if got := f.userContext(a1); !reflect.DeepEqual(got, wantMoved) {
		t.Errorf("after renewal with new option 82: %v, want %v", got, wantMoved)
	}
	f.clock.add(30 * time.Minute)
	f.renew(hw1, a1, netip.MustParseAddr("10.1.0.1"), nil)
	if got := f.userContext(a1); !reflect.DeepEqual(got, wantMoved) {
		t.Errorf("after renewal without option 82: %v, want %v", got, wantMoved)
	}
	if l, _ := f.lease(a1); l.CLTT != f.clock.now().Unix() {
		t.Errorf("renewal not written: CLTT %d", l.CLTT)
	}

	// Reclamation clears the context, as Kea does.
	f.clock.add(2 * time.Hour)
	if _, err := f.srv.Reclaim(ctx); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.lease(a3); l.State != lease.StateExpiredReclaimed || l.UserContext != "" {
		t.Errorf("reclaimed lease: state %v, user context %q", l.State, l.UserContext)
	}
}

// TestExtendedInfoDefeatsLeaseCache checks that a renewal early in the
// lease's life, which the lease cache would answer without writing, is
// written when the relay agent information changed, and not when it is
// the same.
func TestExtendedInfoDefeatsLeaseCache(t *testing.T) {
	f := newFixture(t, extInfoConfig)
	relay := netip.MustParseAddr("10.1.0.1")
	hw := mac("02:00:00:00:10:09")
	a := f.relayedDORA(hw, relay, []byte{1, 1, 'a'})
	first, _ := f.lease(a)
	f.clock.add(time.Minute)
	f.renew(hw, a, relay, []byte{1, 1, 'a'})
	if l, _ := f.lease(a); l.CLTT != first.CLTT {
		t.Errorf("same option 82: the cached lease was rewritten (CLTT %d, was %d)", l.CLTT, first.CLTT)
	}
	f.renew(hw, a, relay, []byte{1, 1, 'b'})
	l, _ := f.lease(a)
	if l.CLTT == first.CLTT {
		t.Errorf("new option 82: the lease was not rewritten")
	}
	if want := `{"ISC":{"relay-agent-info":{"sub-options":"0x010162"}}}`; l.UserContext != want {
		t.Errorf("user context %s, want %s", l.UserContext, want)
	}
}

// TestDeclineClearsUserContext: a declined address keeps nothing of its
// last client.
func TestDeclineClearsUserContext(t *testing.T) {
	f := newFixture(t, extInfoConfig)
	relay := netip.MustParseAddr("10.1.0.1")
	hw := mac("02:00:00:00:10:0a")
	a := f.relayedDORA(hw, relay, []byte{1, 1, 'a'})
	if f.userContext(a) == nil {
		t.Fatal("no user context stored")
	}
	f.send(dhcptest.Message{Type: dhcpv4.Decline, XID: 4, CHAddr: hw, GIAddr: relay, Hops: 1, RequestedIP: a})
	if l, _ := f.lease(a); l.State != lease.StateDeclined || l.UserContext != "" {
		t.Errorf("declined lease: state %v, user context %q", l.State, l.UserContext)
	}
}

func TestCheckExtendedInfo(t *testing.T) {
	const (
		old      = `{"ISC": {"relay-agent-info": "0x0103657468020201AB"}, "note": 1}`
		upgraded = `{"ISC":{"relay-agent-info":{"remote-id":"01AB","sub-options":"0x0103657468020201AB"}},"note":1}`
		current  = `{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA","remote-id":"AB"}}}`
	)
	type want struct {
		out     string
		changed bool
		problem bool
	}
	keep := func(uc string) want { return want{out: uc} }
	for _, tc := range []struct {
		name  string
		uc    string
		level map[string]want // by level; a level not listed: as "fix"
	}{
		{"no context", "", map[string]want{"fix": keep("")}},
		{"Kea 2.2 string", old, map[string]want{"none": keep(old), "fix": {upgraded, true, false}}},
		{"Kea 2.2 colon form", `{"ISC": {"relay-agent-info": "01:01:aa"}}`,
			map[string]want{"fix": {`{"ISC":{"relay-agent-info":{"sub-options":"01:01:aa"}}}`, true, false}}},
		{"Kea 2.2 string, bad hex", `{"ISC": {"relay-agent-info": "0xZZ"}, "a": 1}`,
			map[string]want{"none": keep(`{"ISC": {"relay-agent-info": "0xZZ"}, "a": 1}`), "fix": {`{"a":1}`, true, true}}},
		{"Kea 2.2 string, truncated sub-option", `{"ISC": {"relay-agent-info": "0x0105AA", "x": 2}}`,
			map[string]want{"fix": {`{"ISC":{"x":2}}`, true, true}}},
		{"current form", current, map[string]want{"fix": keep(current), "strict": keep(current), "pedantic": keep(current)}},
		{"bad remote-id", `{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA","remote-id":"XY"}}}`,
			map[string]want{"fix": keep(`{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA","remote-id":"XY"}}}`), "strict": {"", true, true}}},
		{"spurious key", `{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA","extra":1}}}`,
			map[string]want{"strict": keep(`{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA","extra":1}}}`), "pedantic": {"", true, true}}},
		{"relay-agent-info a number", `{"ISC":{"relay-agent-info":5,"y":1}}`,
			map[string]want{"fix": {`{"ISC":{"y":1}}`, true, true}}},
		{"ISC not a map", `{"ISC":[1],"z":1}`, map[string]want{"fix": {`{"z":1}`, true, true}}},
		{"empty ISC", `{"ISC":{}}`, map[string]want{"fix": {"", true, false}}},
		{"empty context", `{}`, map[string]want{"fix": {"", true, false}, "none": keep(`{}`)}},
	} {
		for level, w := range tc.level {
			out, changed, problem := checkExtendedInfo(tc.uc, level)
			if out != w.out || changed != w.changed || (problem != "") != w.problem {
				t.Errorf("%s, %s: got %q changed=%v problem=%q; want %q changed=%v problem=%v",
					tc.name, level, out, changed, problem, w.out, w.changed, w.problem)
			}
		}
	}
}

// TestLoadUpgradesKea22ExtendedInfo: leases written by Kea 2.2 with
// store-extended-info get the current form when the server starts, as
// in Kea with extended-info-checks "fix" (the default); with "none" they
// are left alone.
func TestLoadUpgradesKea22ExtendedInfo(t *testing.T) {
	for _, tc := range []struct{ checks, want string }{
		{"", `{"ISC":{"relay-agent-info":{"remote-id":"0A0B","sub-options":"0x01016102020A0B"}}}`},
		{`, "sanity-checks": {"extended-info-checks": "none"}`, `{"ISC": {"relay-agent-info": "0x01016102020A0B"}}`},
	} {
		store, err := memfile.Open(memfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		a := netip.MustParseAddr("10.1.0.10")
		l := lease.Lease{Addr: a, HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 3600,
			CLTT: time.Now().Unix(), SubnetID: 1, UserContext: `{"ISC": {"relay-agent-info": "0x01016102020A0B"}}`}
		ctx := context.Background()
		if err := store.Add(ctx, &l, lease.Durable); err != nil {
			t.Fatal(err)
		}
		src := `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.1.0.0/24", "pools": [{"pool": "10.1.0.10 - 10.1.0.20"}]}]` + tc.checks + `}}`
		if _, err := New(ctx, loadConfig(t, src), store, nil); err != nil {
			t.Fatal(err)
		}
		var got lease.Lease
		if ok, err := store.Get(ctx, a, &got); !ok || err != nil {
			t.Fatalf("lease gone: %v", err)
		}
		if got.UserContext != tc.want {
			t.Errorf("checks %q: user context %s, want %s", tc.checks, got.UserContext, tc.want)
		}
	}
}

// FuzzCheckExtendedInfo: any user context gives a valid one (or none),
// and checking the result again changes nothing.
func FuzzCheckExtendedInfo(f *testing.F) {
	for _, s := range []string{
		`{"ISC": {"relay-agent-info": "0x0103657468020201AB"}, "note": 1}`,
		`{"ISC":{"relay-agent-info":{"sub-options":"0x0101AA","remote-id":"AB","x":1}}}`,
		`{"ISC": {"relay-agent-info": "01:1:aa"}}`, `{"ISC": []}`, `{}`, `[]`, `{"ISC":{"relay-agent-info":5}}`,
	} {
		for _, level := range []string{"fix", "strict", "pedantic"} {
			f.Add(s, level)
		}
	}
	f.Fuzz(func(t *testing.T, uc, level string) {
		if lease.CheckUserContext(uc) != nil {
			return // the store holds only valid contexts
		}
		out, changed, _ := checkExtendedInfo(uc, level)
		if !changed && out != uc {
			t.Fatalf("unchanged but %q became %q", uc, out)
		}
		if out != "" && lease.CheckUserContext(out) != nil {
			t.Fatalf("%q became %q, not a JSON object", uc, out)
		}
		if again, changed2, problem := checkExtendedInfo(out, level); changed2 || again != out {
			t.Fatalf("%q: checked twice: %q then %q (%s)", uc, out, again, problem)
		}
	})
}

// FuzzWithRelayAgentInfo: any stored context and any option 82 give a
// JSON object whose ISC.relay-agent-info is the new information.
func FuzzWithRelayAgentInfo(f *testing.F) {
	f.Add(`{"note": "x", "ISC": {"other": 1}}`, []byte{1, 2, 'a', 'b', 2, 1, 9})
	f.Add(``, []byte{})
	f.Add(`{"ISC": "x"}`, []byte{12, 9, 1})
	f.Fuzz(func(t *testing.T, uc string, rai []byte) {
		if uc != "" && lease.CheckUserContext(uc) != nil {
			return
		}
		info := relayAgentInfo(dhcpv4.RelayInfo(rai))
		out, err := withRelayAgentInfo(uc, info)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			ISC struct {
				RAI json.RawMessage `json:"relay-agent-info"`
			}
		}
		if lease.CheckUserContext(out) != nil || json.Unmarshal([]byte(out), &m) != nil {
			t.Fatalf("%q: not a JSON object: %q", uc, out)
		}
		var want, got any
		if json.Unmarshal(info, &want) != nil || json.Unmarshal(m.ISC.RAI, &got) != nil || !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: relay-agent-info %s, want %s", uc, m.ISC.RAI, info)
		}
	})
}
