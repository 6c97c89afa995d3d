package config

import (
	"net/netip"
	"strings"
	"testing"
)

// TestKeaAccepts holds constructs that kea-dhcp4 accepts and leased once
// rejected. Each must load; want, when set, is a warning that must be
// reported instead.
func TestKeaAccepts(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"guard names undefined class",
			`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "client-classes": ["from-hook"]}]}}`,
			`t.json:1:77: warning: subnet 10.0.0.0/8 client-classes names class "from-hook", which is not defined`},
		{"additional list names undefined class",
			`{"Dhcp4": {"shared-networks": [{"name": "n", "evaluate-additional-classes": ["late"]}]}}`,
			`shared network "n" evaluate-additional-classes names class "late"`},
		{"option-data client-classes names undefined class",
			`{"Dhcp4": {"option-data": [{"name": "domain-name", "data": "example.org", "client-classes": ["c1"]}]}}`,
			`option-data client-classes names class "c1"`},
		{"renew above rebind",
			`{"Dhcp4": {"renew-timer": 100, "rebind-timer": 50}}`,
			`renew-timer 100 (set at t.json:1:27) is greater than rebind-timer 50 (set at t.json:1:48); T1 will not be sent`},
		{"rebind above lifetime",
			`{"Dhcp4": {"valid-lifetime": 400, "rebind-timer": 2000, "subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}]}}`,
			`t.json:1:51: warning: Dhcp4: rebind-timer 2000 (set at t.json:1:51) is not less than valid-lifetime 400`},
		{"subnet inside subnet",
			`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}, {"id": 2, "subnet": "10.1.0.0/16"}]}}`,
			`t.json:1:59: warning: subnet 10.1.0.0/16 (id 2) lies inside subnet 10.0.0.0/8 (id 1, at t.json:1:24)`},
		{"HA hook, read by the daemon",
			`{"Dhcp4": {"hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so"},
				{"library": "/usr/lib/kea/hooks/libdhcp_ha.so", "parameters": {"high-availability": []}}]}}`, ``},
		{"t1-percent unused without calculate-tee-times",
			`{"Dhcp4": {"t1-percent": 1.5, "t2-percent": 0.2}}`, ``},
		{"ddns-ttl-max above an outer ddns-ttl-min",
			`{"Dhcp4": {"ddns-ttl-min": 100, "subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "ddns-ttl-max": 50}]}}`, ``},
		{"empty boot fields",
			`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "next-server": "", "server-hostname": "", "boot-file-name": ""}]}}`, ``},
		{"boot-file-name of 128 characters",
			`{"Dhcp4": {"boot-file-name": "` + strings.Repeat("f", 128) + `"}}`, ``},
		{"code and name without definition",
			`{"Dhcp4": {"option-data": [{"code": 100, "name": "option-one", "space": "vendor-4491", "csv-format": false, "data": "ABCDEF0105"}]}}`, ``},
		{"never-send without data",
			`{"Dhcp4": {"option-data": [{"name": "domain-name-servers", "never-send": true}]}}`, ``},
		{"subnet prefix with blanks",
			`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0 / 24", "pools": [{"pool": "192.0.2.64 / 26"}, {"pool": " 192.0.2.10 -\t192.0.2.20 "}]}]}}`, ``},
		{"authentication without type",
			`{"Dhcp4": {"control-sockets": [{"socket-type": "http", "authentication": {"clients": [{"user": "u", "password-file": "/p"}]}}]}}`, ``},
		{"lower-case severity",
			`{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", "severity": "debug", "debuglevel": 10}]}}`, ``},
		{"unknown severity",
			`{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", "severity": "verbose"}]}}`,
			`loggers: unknown severity "verbose", read as INFO`},
		{"memfile with database keys",
			`{"Dhcp4": {"lease-database": {"type": "memfile", "host": "localhost", "persist": false}}}`,
			`no effect in leased: host with type "memfile" in lease-database at t.json:1:58`},
		{"DDNS keywords in any case",
			`{"Dhcp4": {"ddns-replace-client-name": "When-Present", "ddns-conflict-resolution-mode": "NO-CHECK-WITH-DHCID",
			"dhcp-ddns": {"ncr-protocol": "udp", "ncr-format": "json"}}}`, ``},
		{"ddns-replace-client-name as the string true",
			`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "ddns-replace-client-name": "TRUE"}]}}`, ``},
		{"class with only min-valid-lifetime",
			`{"Dhcp4": {"client-classes": [{"name": "c", "min-valid-lifetime": 60}]}}`, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags, err := load(t, tc.src)
			if err != nil {
				t.Fatalf("rejected: %v\n%s", err, joinDiags(diags))
			}
			if tc.want != "" && !strings.Contains(joinDiags(diags), tc.want) {
				t.Errorf("want a warning containing\n  %s\ngot\n%s", tc.want, joinDiags(diags))
			}
		})
	}
}

// TestClassLifetimeTriplet checks Kea's rules for a class's lifetimes: a
// class inherits nothing, a missing bound is the default, and a missing
// default is the one bound given.
func TestClassLifetimeTriplet(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"valid-lifetime": 4000, "client-classes": [
		{"name": "min", "min-valid-lifetime": 60},
		{"name": "max", "max-valid-lifetime": 90},
		{"name": "def", "valid-lifetime": 300},
		{"name": "def-max", "valid-lifetime": 300, "max-valid-lifetime": 600},
		{"name": "none"}]}}`)
	want := map[string]Lifetime{
		"min":     {60, 60, 60},
		"max":     {90, 90, 90},
		"def":     {300, 300, 300},
		"def-max": {300, 300, 600},
	}
	for name, w := range want {
		cl := c.Class(name)
		if !cl.HasValidLifetime || cl.ValidLifetime != w {
			t.Errorf("class %s: lifetime %+v (set %t), want %+v", name, cl.ValidLifetime, cl.HasValidLifetime, w)
		}
	}
	if c.Class("none").HasValidLifetime {
		t.Error("class none has a lifetime")
	}
}

// TestEmptyBootFieldsInherit checks that "" and 0.0.0.0 leave a boot
// field to the outer scope, the next class or the subnet, as in Kea.
func TestEmptyBootFieldsInherit(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"next-server": "192.0.2.1", "server-hostname": "srv", "boot-file-name": "boot.efi",
		"client-classes": [{"name": "c", "next-server": "0.0.0.0", "server-hostname": "", "boot-file-name": ""}],
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "next-server": "", "server-hostname": "", "boot-file-name": "",
			"reservations": [{"hw-address": "01:02:03:04:05:06", "next-server": "0.0.0.0"}]}]}}`)
	p := c.SubnetByID(1).Params
	if p.NextServer != netip.MustParseAddr("192.0.2.1") || p.ServerHostname != "srv" || p.BootFileName != "boot.efi" {
		t.Errorf("subnet boot fields %s %q %q, want the global ones", p.NextServer, p.ServerHostname, p.BootFileName)
	}
	cl := c.Class("c")
	if cl.HasNextServer || cl.HasServerHostname || cl.HasBootFileName {
		t.Errorf("class sets boot fields from empty values: %+v", cl)
	}
	if h := c.SubnetByID(1).Reservations[0]; h.NextServer.IsValid() {
		t.Errorf("reservation next-server 0.0.0.0 read as %s, want unset", h.NextServer)
	}
}

// TestNestedSubnetSelection checks that an address inside nested subnets
// selects them in id order, as Kea's subnet selection walks subnets.
func TestNestedSubnetSelection(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"subnet4": [
		{"id": 5, "subnet": "10.0.0.0/8"},
		{"id": 2, "subnet": "10.1.0.0/16", "relay": {"ip-addresses": ["192.0.2.1"]}},
		{"id": 9, "subnet": "10.1.2.0/24"},
		{"id": 1, "subnet": "11.0.0.0/8", "relay": {"ip-addresses": ["192.0.2.1"]}}]}}`)
	ids := func(ss []*Subnet) []uint32 {
		var out []uint32
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	for _, tc := range []struct {
		addr  string
		first uint32
		all   []uint32
	}{
		{"10.1.2.3", 2, []uint32{2, 5, 9}},
		{"10.1.9.9", 2, []uint32{2, 5}},
		{"10.9.9.9", 5, []uint32{5}},
		{"11.0.0.1", 1, []uint32{1}},
		{"12.0.0.1", 0, nil},
	} {
		a := netip.MustParseAddr(tc.addr)
		var first uint32
		if s := c.SubnetContaining(a); s != nil {
			first = s.ID
		}
		if got := ids(c.SubnetsContaining(a)); first != tc.first || !equalIDs(got, tc.all) {
			t.Errorf("%s: first %d, all %v; want %d, %v", tc.addr, first, got, tc.first, tc.all)
		}
	}
	if got := ids(c.SubnetsByRelay(netip.MustParseAddr("192.0.2.1"))); !equalIDs(got, []uint32{1, 2}) {
		t.Errorf("relay subnets %v, want ids 1, 2 in that order", got)
	}
}

func equalIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOptionCodeFindsDefinition checks Kea's lookup of an option-data
// entry that gives both code and name: the code decides.
func TestOptionCodeFindsDefinition(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"option-data": [
		{"code": 3, "name": "routers", "data": "10.0.0.1"},
		{"code": 250, "name": "anything", "data": "0a0b"},
		{"code": 6, "never-send": true}]}}`)
	if o := c.Options.DHCP4(3); len(o) != 1 || string(o[0].Data) != "\x0a\x00\x00\x01" {
		t.Errorf("routers: %+v", o)
	}
	if o := c.Options.DHCP4(250); len(o) != 1 || string(o[0].Data) != "\x0a\x0b" {
		t.Errorf("option 250: %+v", o)
	}
	if o := c.Options.DHCP4(6); len(o) != 1 || !o[0].NeverSend || len(o[0].Data) != 0 {
		t.Errorf("cancelled option 6: %+v", o)
	}
}

// TestDDNSKeywordsCanonical checks that DDNS keywords written in another
// case, and the strings "true" and "false" Kea's lexer maps, are stored as
// the canonical values the server compares against.
func TestDDNSKeywordsCanonical(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"ddns-replace-client-name": "ALWAYS", "ddns-conflict-resolution-mode": "Check-Exists-With-DHCID",
		"dhcp-ddns": {"ncr-protocol": "udp", "ncr-format": "Json"},
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "ddns-replace-client-name": "true"},
			{"id": 2, "subnet": "11.0.0.0/8", "ddns-replace-client-name": "False"}]}}`)
	if d := c.Global.DDNS; d.ReplaceClientName != "always" || d.ConflictResolutionMode != "check-exists-with-dhcid" {
		t.Errorf("global DDNS %q %q", d.ReplaceClientName, d.ConflictResolutionMode)
	}
	if c.DHCPDDNS.NCRProtocol != "UDP" || c.DHCPDDNS.NCRFormat != "JSON" {
		t.Errorf("dhcp-ddns %q %q", c.DHCPDDNS.NCRProtocol, c.DHCPDDNS.NCRFormat)
	}
	if got := c.SubnetByID(1).Params.DDNS.ReplaceClientName; got != "when-present" {
		t.Errorf(`"true" read as %q`, got)
	}
	if got := c.SubnetByID(2).Params.DDNS.ReplaceClientName; got != "never" {
		t.Errorf(`"False" read as %q`, got)
	}
	if _, _, err := load(t, `{"Dhcp4": {"ddns-replace-client-name": true}}`); err == nil {
		t.Error("the boolean true is accepted; Kea rejects it")
	}
}

// TestSingleControlSocketHTTP checks the control-socket map of Kea 2.7 to
// 3.2, which takes everything an entry of control-sockets takes.
func TestSingleControlSocketHTTP(t *testing.T) {
	c, diags, err := load(t, `{"Dhcp4": {"control-socket": {"socket-type": "https", "socket-address": "127.0.0.1", "socket-port": 8001,
		"trust-anchor": "/ca.pem", "cert-file": "/cert.pem", "key-file": "/key.pem", "cert-required": false,
		"authentication": {"type": "basic", "realm": "r", "clients": [{"user": "u", "password-file": "/p"}]},
		"http-headers": [{"name": "Strict-Transport-Security", "value": "max-age=31536000"}]}}}`)
	if err != nil {
		t.Fatalf("rejected: %v\n%s", err, joinDiags(diags))
	}
	if !strings.Contains(joinDiags(diags), `"control-socket" in Dhcp4 is the Kea 2.2 name; read as a one-entry control-sockets list`) {
		t.Errorf("no rename warning:\n%s", joinDiags(diags))
	}
	if len(c.ControlSockets) != 1 {
		t.Fatalf("%d control sockets", len(c.ControlSockets))
	}
	cs := c.ControlSockets[0]
	if cs.Type != "https" || cs.Port != 8001 || cs.CertRequired || cs.TrustAnchor != "/ca.pem" || cs.Authentication == nil || len(cs.HTTPHeaders) != 1 {
		t.Errorf("socket %+v", cs)
	}
}

// TestSubnetGuardWithNetworkGuard checks Kea's rule for a subnet of a
// shared network when both have client-classes: the client must be in
// one class of each list.
func TestSubnetGuardWithNetworkGuard(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"client-classes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
		"shared-networks": [{"name": "n", "client-classes": ["a"], "subnet4": [
			{"id": 1, "subnet": "10.0.0.0/8", "client-classes": ["b", "c"]},
			{"id": 2, "subnet": "11.0.0.0/8"}]}],
		"subnet4": [{"id": 3, "subnet": "12.0.0.0/8"}]}}`)
	in := func(classes ...string) func(string) bool {
		return func(c string) bool {
			for _, x := range classes {
				if x == c {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		id      uint32
		classes []string
		want    bool
	}{
		{1, []string{"a", "b"}, true},
		{1, []string{"b"}, false},
		{1, []string{"a"}, false},
		{2, []string{"a"}, true},
		{2, nil, false},
		{3, nil, true},
	} {
		if got := c.SubnetByID(tc.id).Allows(in(tc.classes...)); got != tc.want {
			t.Errorf("subnet %d, classes %v: allowed %t, want %t", tc.id, tc.classes, got, tc.want)
		}
	}
}

// TestUnimplementedBehaviourRejected checks that settings which change
// what the server does, and which leased does not do yet, are rejected
// as not supported, while their default values load.
func TestUnimplementedBehaviourRejected(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`{"Dhcp4": {"stash-agent-options": true}}`, `not supported yet: stash-agent-options true in Dhcp4 at t.json:1:35`},
		{`{"Dhcp4": {"early-global-reservations-lookup": true}}`, `not supported yet: early-global-reservations-lookup true in Dhcp4`},
		{`{"Dhcp4": {"compatibility": {"exclude-first-last-24": true}}}`, `not supported yet: exclude-first-last-24 true in compatibility`},
		{`{"Dhcp4": {"compatibility": {"ignore-dhcp-server-identifier": true}}}`, `not supported yet: ignore-dhcp-server-identifier true in compatibility`},
		{`{"Dhcp4": {"compatibility": {"lenient-option-parsing": true}}}`, `not supported yet: lenient-option-parsing true in compatibility`},
		{`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "allocator": "flq", "adaptive-lease-time-threshold": 0.8}]}}`, `not supported yet: adaptive-lease-time-threshold in Dhcp4, shared-networks, subnet4`},
	} {
		_, diags, err := load(t, tc.src)
		if err == nil || !strings.Contains(joinDiags(diags), tc.want) {
			t.Errorf("%s: want %q, got %v\n%s", tc.src, tc.want, err, joinDiags(diags))
		}
	}
	mustLoad(t, `{"Dhcp4": {"stash-agent-options": false, "early-global-reservations-lookup": false,
		"compatibility": {"exclude-first-last-24": false, "ignore-dhcp-server-identifier": false, "lenient-option-parsing": false, "ignore-rai-link-selection": true}}}`)
}
