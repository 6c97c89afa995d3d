package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strings"
	"testing"
)

func load(t *testing.T, src string) (*Config, []Diagnostic, error) {
	t.Helper()
	return Parse("t.json", []byte(src), nil)
}

func mustLoad(t *testing.T, src string) *Config {
	t.Helper()
	c, diags, err := load(t, src)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, joinDiags(diags))
	}
	return c
}

func joinDiags(ds []Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestRejects checks that each broken configuration is rejected with a
// message that names the problem and its place.
func TestRejects(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"not a map", `[1]`, `t.json:1:1: error: the configuration must be a map holding "Dhcp4"`},
		{"no Dhcp4", `{}`, `no "Dhcp4" section`},
		{"other daemon", `{"Dhcp4": {}, "Dhcp6": {}}`, `t.json:1:15: error: "Dhcp6" configures kea-dhcp6; leased reads only the "Dhcp4" section`},
		{"unknown top", `{"Dhcp4": {}, "Foo": 1}`, `unknown keyword "Foo" at the top level`},
		{"unknown keyword", `{"Dhcp4": {"valid-lifetme": 5}}`, `t.json:1:12: error: unknown keyword "valid-lifetme" in Dhcp4 (did you mean "valid-lifetime"?)`},
		{"wrong scope", `{"Dhcp4": {"pool": "1.2.3.4-1.2.3.5"}}`, `unknown keyword "pool" in Dhcp4 (Kea accepts it in pools)`},
		{"bad type", `{"Dhcp4": {"valid-lifetime": "long"}}`, `t.json:1:30: error: valid-lifetime in Dhcp4: expected an integer from 0 to 4294967295, got string "long"`},
		{"negative", `{"Dhcp4": {"renew-timer": -1}}`, `renew-timer in Dhcp4: expected an integer from 0 to 4294967295, got number -1`},
		{"bad enum", `{"Dhcp4": {"ddns-replace-client-name": "sometimes"}}`, `expected one of "never", "always", "when-present", "when-not-present"`},
		{"bad regex", `{"Dhcp4": {"hostname-char-set": "[a-"}}`, `hostname-char-set in Dhcp4: not a valid regular expression`},
		{"not supported", `{"Dhcp4": {"config-control": {}}}`, `t.json:1:12: error: not supported yet: config-control in Dhcp4 at t.json:1:12 (configuration backends`},
		{"mysql lease db without name", `{"Dhcp4": {"lease-database": {"type": "mysql"}}}`, `lease-database: a mysql database needs "name" (the database name)`},
		{"queue", `{"Dhcp4": {"dhcp-queue-control": {"enable-queue": true}}}`, `not supported yet: enable-queue true in dhcp-queue-control`},
		{"4o6", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "4o6-subnet": "2001:db8::/64"}]}}`, `not supported yet: 4o6-subnet not empty in subnet4`},
		{"same subnet twice", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}, {"id": 2, "subnet": "10.0.0.0/8"}]}}`, `t.json:1:59: error: subnet 10.0.0.0/8 (id 2) is given twice: also id 1 at t.json:1:24`},
		{"bad percent", `{"Dhcp4": {"calculate-tee-times": true, "t1-percent": 1.5}}`, `Dhcp4: t1-percent 1.5 must be greater than 0 and less than 1 when calculate-tee-times is true`},
		{"percent order", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "calculate-tee-times": true, "t1-percent": 0.9}]}}`, `subnet 10.0.0.0/8: t1-percent 0.9 must be less than t2-percent 0.875`},
		{"network subnets on two links", `{"Dhcp4": {"shared-networks": [{"name": "n", "subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "interface": "eth0"}, {"id": 2, "subnet": "11.0.0.0/8", "interface": "eth1"}]}]}}`, `subnet 11.0.0.0/8 is on interface "eth1" but subnet 10.0.0.0/8 of its shared network "n" is on "eth0"`},
		{"network authoritative", `{"Dhcp4": {"shared-networks": [{"name": "n", "subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "authoritative": true}]}]}}`, `subnet 10.0.0.0/8 has authoritative true but its shared network "n" has false`},
		{"ddns-ttl and min", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "ddns-ttl": 300, "ddns-ttl-min": 100}]}}`, `ddns-ttl-min in subnet 10.0.0.0/8 cannot be combined with ddns-ttl`},
		{"ddns-ttl-max below min", `{"Dhcp4": {"ddns-ttl-min": 100, "ddns-ttl-max": 50}}`, `Dhcp4: ddns-ttl-max 50 is less than ddns-ttl-min 100`},
		{"pool ddns-ttl and percent", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.1-10.0.0.9", "ddns-ttl": 60, "ddns-ttl-percent": 0.5}]}]}}`, `ddns-ttl-percent in pool 10.0.0.1 - 10.0.0.9 cannot be combined with ddns-ttl`},
		{"class min and max only", `{"Dhcp4": {"client-classes": [{"name": "c", "min-valid-lifetime": 10, "max-valid-lifetime": 20}]}}`, `client class "c": min-valid-lifetime and max-valid-lifetime are given but valid-lifetime is not`},
		{"option name not the code's", `{"Dhcp4": {"option-data": [{"name": "my-routers", "code": 3, "data": "10.0.0.1"}]}}`, `option 3 in space "dhcp4" is named "routers", not "my-routers"`},
		{"two unix sockets", `{"Dhcp4": {"control-sockets": [{"socket-type": "unix", "socket-name": "/a"}, {"socket-type": "unix", "socket-name": "/b"}]}}`, `a second socket of type "unix"`},
		{"class next-server broadcast", `{"Dhcp4": {"client-classes": [{"name": "c", "next-server": "255.255.255.255"}]}}`, `next-server in client-classes: 255.255.255.255 is the broadcast address`},
		{"duplicate id", `{"Dhcp4": {"subnet4": [{"id": 7, "subnet": "10.0.0.0/8"}, {"id": 7, "subnet": "11.0.0.0/8"}]}}`, `subnet id 7 is used twice: by 11.0.0.0/8 here and by 10.0.0.0/8 at t.json:1:31`},
		{"id range", `{"Dhcp4": {"subnet4": [{"id": 4294967295, "subnet": "10.0.0.0/8"}]}}`, `id in subnet4: expected an integer from 0 to 4294967294, got number 4294967295`},
		{"id negative", `{"Dhcp4": {"subnet4": [{"id": -1, "subnet": "10.0.0.0/8"}]}}`, `id in subnet4: expected an integer from 0 to 4294967294, got number -1`},
		{"pool outside", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.10 - 10.0.1.5"}]}]}}`, `pool 10.0.0.10 - 10.0.1.5 is not inside its subnet 10.0.0.0/24`},
		{"pools overlap", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.10 - 10.0.0.20"}, {"pool": "10.0.0.16/28"}]}]}}`, `pool 10.0.0.16 - 10.0.0.31 overlaps pool 10.0.0.10 - 10.0.0.20`},
		{"pool reversed", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.20 - 10.0.0.10"}]}]}}`, `the first address is after the last`},
		{"pool syntax", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.20"}]}]}}`, `is neither a range`},
		{"min > default", `{"Dhcp4": {"valid-lifetime": 100, "min-valid-lifetime": 200, "max-valid-lifetime": 300}}`, `min-valid-lifetime 200 (set at t.json:1:57) is greater than valid-lifetime 100`},
		{"default > max", `{"Dhcp4": {"shared-networks": [{"name": "n", "max-valid-lifetime": 60}]}}`, `shared network "n": valid-lifetime 7200 (default) is greater than max-valid-lifetime 60`},
		{"dup reservation id", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "reservations": [{"hw-address": "01:02:03:04:05:06"}, {"hw-address": "01-02-03-04-05-06"}]}]}}`, `duplicate reservation for hw-address 01:02:03:04:05:06 in subnet 10.0.0.0/8 (id 1)`},
		{"dup reservation addr", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "reservations": [{"hw-address": "01:02:03:04:05:06", "ip-address": "10.0.0.5"}, {"client-id": "01:02", "ip-address": "10.0.0.5"}]}]}}`, `address 10.0.0.5 is reserved twice in subnet 10.0.0.0/8 (id 1)`},
		{"reservation outside", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "reservations": [{"hw-address": "01:02:03:04:05:06", "ip-address": "11.0.0.5"}]}]}}`, `reservation for 11.0.0.5 is outside its subnet 10.0.0.0/8`},
		{"two identifiers", `{"Dhcp4": {"reservations": [{"hw-address": "01:02:03:04:05:06", "duid": "01:02"}]}}`, `reservation has two identifiers, "hw-address" and "duid"`},
		{"bad identifier", `{"Dhcp4": {"reservations": [{"hw-address": "zz:01"}]}}`, `reservation hw-address: "zz:01" is not hexadecimal bytes`},
		{"no identifier", `{"Dhcp4": {"reservations": [{"ip-address": "10.0.0.1"}]}}`, `reservation needs an identifier`},
		{"unknown member", `{"Dhcp4": {"client-classes": [{"name": "a", "test": "member('b')"}]}}`, `client class "a" tests member("b"), but no class "b" is defined`},
		{"forward member", `{"Dhcp4": {"client-classes": [{"name": "a", "test": "member('b')"}, {"name": "b", "test": "pkt4.mac == 0x01"}]}}`, `client class "a" tests member("b"), which is defined later`},
		{"class cycle", `{"Dhcp4": {"client-classes": [{"name": "a", "test": "member('b')"}, {"name": "b", "test": "member('a')"}]}}`, `client classes depend on each other in a cycle: a → b → a`},
		{"self cycle", `{"Dhcp4": {"client-classes": [{"name": "a", "test": "not member('a')"}]}}`, `cycle: a → a`},
		{"dup class", `{"Dhcp4": {"client-classes": [{"name": "a"}, {"name": "a"}]}}`, `client class "a" is defined twice`},
		{"test and template", `{"Dhcp4": {"client-classes": [{"name": "a", "test": "'a' == 'a'", "template-test": "'x'"}]}}`, `test and template-test are both given`},
		{"option unknown name", `{"Dhcp4": {"option-data": [{"name": "no-such-option", "data": "1"}]}}`, `no option named "no-such-option" in space "dhcp4"`},
		{"option bad data", `{"Dhcp4": {"option-data": [{"name": "routers", "data": "10.0.0.300"}]}}`, `t.json:1:56: error: option-data in Dhcp4: option`},
		{"option code mismatch", `{"Dhcp4": {"option-data": [{"name": "routers", "code": 4, "data": "10.0.0.1"}]}}`, `option "routers" has code 3, not 4`},
		{"option no def csv", `{"Dhcp4": {"option-data": [{"code": 250, "csv-format": true, "data": "1"}]}}`, `option dhcp4.250 has no definition`},
		{"option reserved code", `{"Dhcp4": {"option-data": [{"code": 255, "data": "1"}]}}`, `code 255 is reserved`},
		{"option-def missing", `{"Dhcp4": {"option-def": [{"name": "x", "code": 250}]}}`, `"name", "code" and "type" are required`},
		{"option-def bad type", `{"Dhcp4": {"option-def": [{"name": "x", "code": 250, "type": "int64"}]}}`, `option-def type: unknown option data type "int64"`},
		{"redefine std", `{"Dhcp4": {"option-def": [{"name": "my-routers", "code": 3, "type": "uint8"}]}}`, `option-def in Dhcp4:`},
		{"both relay forms", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "relay": {"ip-address": "1.2.3.4", "ip-addresses": ["1.2.3.4"]}}]}}`, `ip-address and ip-addresses are both given`},
		{"both socket forms", `{"Dhcp4": {"control-socket": {"socket-type": "unix", "socket-name": "/x"}, "control-sockets": []}}`, `control-socket and control-sockets are both given`},
		{"unix without name", `{"Dhcp4": {"control-sockets": [{"socket-type": "unix"}]}}`, `a unix socket needs "socket-name"`},
		{"reservation-mode and booleans", `{"Dhcp4": {"reservation-mode": "all", "reservations-global": true}}`, `reservation-mode in Dhcp4 cannot be combined with reservations-global`},
		{"network interface mismatch", `{"Dhcp4": {"shared-networks": [{"name": "n", "interface": "eth0", "subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "interface": "eth1"}]}]}}`, `subnet 10.0.0.0/8 is on interface "eth1" but its shared network "n" is on "eth0"`},
		{"dup network name", `{"Dhcp4": {"shared-networks": [{"name": "n"}, {"name": "n"}]}}`, `shared network name "n" is used twice`},
		{"lease db without type", `{"Dhcp4": {"lease-database": {"name": "x"}}}`, `lease-database: "type" is required`},
		{"secret not echoed", `{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "k", "password": 12345}}}`, `password in lease-database: expected a string, got a number`},
		{"duplicate key", `{"Dhcp4": {"valid-lifetime": 1, "valid-lifetime": 2}}`, `duplicate key "valid-lifetime"`},
		{"server-hostname too long", `{"Dhcp4": {"server-hostname": "` + strings.Repeat("x", 64) + `"}}`, `at most 63 characters fit the header field`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags, err := load(t, tc.src)
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("accepted; diagnostics:\n%s", joinDiags(diags))
			}
			all := joinDiags(diags)
			if !strings.Contains(all, tc.want) {
				t.Errorf("want a diagnostic containing\n  %s\ngot\n%s", tc.want, all)
			}
			if strings.Contains(all, "12345") {
				t.Errorf("secret value echoed:\n%s", all)
			}
		})
	}
}

// TestCollectsAllErrors checks that loading goes on after an error.
func TestCollectsAllErrors(t *testing.T) {
	_, diags, err := load(t, `{"Dhcp4": {"valid-lifetime": "x", "renew-timer": "y", "bogus": 1,
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "pools": [{"pool": "11.0.0.1-11.0.0.2"}]}]}}`)
	if err == nil {
		t.Fatal("accepted")
	}
	if n := strings.Count(joinDiags(diags), "error:"); n != 4 {
		t.Errorf("want 4 errors, got %d:\n%s", n, joinDiags(diags))
	}
}

func TestDiagnosticLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Dhcp4": {`)
	for i := range 300 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"bogus-%d": 1`, i)
	}
	b.WriteString(`}}`)
	_, diags, err := Parse("t.json", []byte(b.String()), &Options{MaxDiagnostics: 20})
	if err == nil {
		t.Fatal("accepted")
	}
	if len(diags) != 21 || !strings.Contains(diags[20].Msg, "too many problems") {
		t.Errorf("got %d diagnostics, last %v", len(diags), diags[len(diags)-1])
	}
}

// TestOldNamesWarn checks the 2.2 → 3.x translations and their warnings.
func TestOldNamesWarn(t *testing.T) {
	src := `{"Dhcp4": {
  "control-socket": {"socket-type": "unix", "socket-name": "/run/kea.sock"},
  "reservation-mode": "out-of-pool",
  "ddns-use-conflict-resolution": false,
  "dhcp-ddns": {"qualifying-suffix": "example.org."},
  "client-classes": [{"name": "late", "only-if-required": true, "test": "member('ALL')"}],
  "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "stdout"}]}],
  "shared-networks": [{"name": "net", "client-class": "late", "relay": {"ip-address": "192.0.2.1"},
    "subnet4": [{"subnet": "10.0.0.0/24", "require-client-classes": ["late"],
      "pools": [{"pool": "10.0.0.10-10.0.0.20", "client-class": "late"}]}]}],
  "subnet4": [{"subnet": "10.1.0.0/24"}]
}}`
	c, diags, err := load(t, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, joinDiags(diags))
	}
	all := joinDiags(diags)
	for _, want := range []string{
		`t.json:2:3: warning: "control-socket" in Dhcp4 is the Kea 2.2 name; read as a one-entry control-sockets list`,
		`t.json:3:3: warning: "reservation-mode" in Dhcp4 is the Kea 2.2 name`,
		`t.json:4:3: warning: "ddns-use-conflict-resolution" in Dhcp4 is the Kea 2.2 name; read as ddns-conflict-resolution-mode`,
		`t.json:5:17: warning: "qualifying-suffix" inside dhcp-ddns is the Kea 2.2 form; read as the global ddns-qualifying-suffix`,
		`t.json:6:39: warning: "only-if-required" in client-classes is the Kea 2.2 name; read as only-in-additional-list`,
		`t.json:7:37: warning: "output_options" in loggers is the Kea 2.2 name; read as output-options`,
		`t.json:8:39: warning: "client-class" in shared-networks is the Kea 2.2 form; read as client-classes ["late"]`,
		`t.json:8:73: warning: "ip-address" in relay is the Kea 2.2 name; read as ip-addresses`,
		`t.json:9:43: warning: "require-client-classes" in subnet4 is the Kea 2.2 name; read as evaluate-additional-classes`,
		`t.json:10:49: warning: "client-class" in pools is the Kea 2.2 form`,
		`t.json:9:17: warning: subnet 10.0.0.0/24 has no "id"; numbered 1 as Kea 2.2 would`,
		`t.json:11:15: warning: subnet 10.1.0.0/24 has no "id"; numbered 2 as Kea 2.2 would`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing warning\n  %s\ngot\n%s", want, all)
		}
	}
	if len(c.ControlSockets) != 1 || c.ControlSockets[0].Name != "/run/kea.sock" {
		t.Errorf("control sockets: %+v", c.ControlSockets)
	}
	g := c.Global
	if !g.ReservationsInSubnet || !g.ReservationsOutOfPool || g.ReservationsGlobal {
		t.Errorf("reservation-mode out-of-pool gave %v %v %v", g.ReservationsGlobal, g.ReservationsInSubnet, g.ReservationsOutOfPool)
	}
	if g.DDNS.ConflictResolutionMode != "no-check-with-dhcid" || g.DDNS.QualifyingSuffix != "example.org." {
		t.Errorf("ddns: %+v", g.DDNS)
	}
	if !c.Class("late").Additional {
		t.Error("only-if-required not translated")
	}
	if c.Loggers[0].OutputOptions[0].Output != "stdout" {
		t.Errorf("loggers: %+v", c.Loggers)
	}
	s := c.SubnetByID(1)
	if s == nil || s.Prefix.String() != "10.0.0.0/24" || s.Network == nil {
		t.Fatalf("subnet 1: %+v", s)
	}
	if fmt.Sprint(s.ClientClasses) != "[late]" || fmt.Sprint(s.AdditionalClasses) != "[late]" || fmt.Sprint(s.Relay) != "[192.0.2.1]" {
		t.Errorf("subnet 1 guard %v additional %v relay %v", s.ClientClasses, s.AdditionalClasses, s.Relay)
	}
	if fmt.Sprint(s.Pools[0].ClientClasses) != "[late]" {
		t.Errorf("pool guard %v", s.Pools[0].ClientClasses)
	}
	if c.SubnetByID(2).Prefix.String() != "10.1.0.0/24" {
		t.Errorf("subnet 2: %v", c.SubnetByID(2).Prefix)
	}
}

// TestAutoIDsSkipExplicit checks that automatic numbering never collides
// with ids written in the file.
func TestAutoIDsSkipExplicit(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/24"}, {"id": 1, "subnet": "10.0.1.0/24"}, {"subnet": "10.0.2.0/24"}]}}`)
	got := []string{}
	for _, s := range c.Subnets {
		got = append(got, fmt.Sprintf("%d=%s", s.ID, s.Prefix))
	}
	if strings.Join(got, " ") != "2=10.0.0.0/24 1=10.0.1.0/24 3=10.0.2.0/24" {
		t.Errorf("ids: %v", got)
	}
}

// TestZeroIDIsAutomatic checks Kea 2.2's "id": 0, which asked the server
// to number the subnet itself: it is numbered like a subnet without an id,
// with a warning at the id, and never clashes with written ids.
func TestZeroIDIsAutomatic(t *testing.T) {
	src := `{"Dhcp4": {"subnet4": [
  {"id": 0, "subnet": "10.9.0.0/24", "pools": [{"pool": "10.9.0.5-10.9.0.9"}]},
  {"id": 1, "subnet": "10.9.1.0/24"},
  {"subnet": "10.9.2.0/24"}
]}}`
	c, diags, err := load(t, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, joinDiags(diags))
	}
	got := []string{}
	for _, s := range c.Subnets {
		got = append(got, fmt.Sprintf("%d=%s", s.ID, s.Prefix))
	}
	if strings.Join(got, " ") != "2=10.9.0.0/24 1=10.9.1.0/24 3=10.9.2.0/24" {
		t.Errorf("ids: %v", got)
	}
	all := joinDiags(diags)
	for _, want := range []string{
		`t.json:2:10: warning: subnet 10.9.0.0/24 has "id": 0 (Kea 2.2: number it automatically); numbered 2 as Kea 2.2 would`,
		`t.json:4:3: warning: subnet 10.9.2.0/24 has no "id"; numbered 3 as Kea 2.2 would`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing warning\n  %s\ngot\n%s", want, all)
		}
	}
}

// TestInheritance checks global → shared network → subnet → pool
// resolution.
func TestInheritance(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {
  "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000, "authoritative": true,
  "next-server": "192.0.2.1", "ddns-qualifying-suffix": "g.example.", "ddns-send-updates": false,
  "shared-networks": [{"name": "n", "valid-lifetime": 3000, "match-client-id": false, "interface": "eth0",
    "ddns-qualifying-suffix": "n.example.",
    "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "renew-timer": 500, "boot-file-name": "pxe.0",
      "pools": [{"pool": "10.0.0.10-10.0.0.20", "ddns-qualifying-suffix": "p.example."}, {"pool": "10.0.0.30-10.0.0.40"}]}]}],
  "subnet4": [{"id": 2, "subnet": "10.0.1.0/24", "min-valid-lifetime": 100, "max-valid-lifetime": 9000, "authoritative": false}]
}}`)
	s1, s2 := c.SubnetByID(1), c.SubnetByID(2)
	p1 := s1.Params
	if p1.ValidLifetime != (Lifetime{3000, 3000, 3000}) || p1.RenewTimer != 500 || p1.RebindTimer != 2000 ||
		!p1.Authoritative || p1.MatchClientID || p1.BootFileName != "pxe.0" || p1.NextServer.String() != "192.0.2.1" {
		t.Errorf("subnet 1 params: %+v", p1)
	}
	if s1.Interface != "eth0" || len(c.SubnetsByInterface("eth0")) != 1 {
		t.Errorf("interface not inherited: %q", s1.Interface)
	}
	if p1.DDNS.QualifyingSuffix != "n.example." || p1.DDNS.SendUpdates {
		t.Errorf("subnet 1 ddns: %+v", p1.DDNS)
	}
	if s1.Pools[0].DDNS.QualifyingSuffix != "p.example." || s1.Pools[0].DDNS.SendUpdates {
		t.Errorf("pool 1 ddns: %+v", s1.Pools[0].DDNS)
	}
	if s1.Pools[1].DDNS != p1.DDNS {
		t.Error("a pool that changes no DDNS parameter should share its subnet's")
	}
	p2 := s2.Params
	if p2.ValidLifetime != (Lifetime{100, 4000, 9000}) || p2.Authoritative || !p2.MatchClientID {
		t.Errorf("subnet 2 params: %+v", p2)
	}
	if p2.DDNS != c.Global.DDNS {
		t.Error("a subnet that changes no DDNS parameter should share the global one")
	}
	if got := p2.ValidLifetime.Clamp(50); got != 100 {
		t.Errorf("clamp 50 = %d", got)
	}
	if got := p2.ValidLifetime.Clamp(99999); got != 9000 {
		t.Errorf("clamp 99999 = %d", got)
	}
	if got := p2.ValidLifetime.Clamp(0); got != 4000 {
		t.Errorf("clamp 0 = %d", got)
	}
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {}}`)
	g := c.Global
	if g.ValidLifetime.Default != 7200 || g.HasRenewTimer || g.HasRebindTimer || g.T1Percent != 0.5 || g.T2Percent != 0.875 ||
		!g.MatchClientID || g.Authoritative || !g.ReservationsInSubnet || g.Allocator != "iterative" || g.CacheThreshold != 0.25 {
		t.Errorf("global defaults: %+v", g)
	}
	d := g.DDNS
	if !d.SendUpdates || d.ReplaceClientName != "never" || d.GeneratedPrefix != "myhost" || d.ConflictResolutionMode != "check-with-dhcid" ||
		d.HostnameCharSet == nil || d.HostnameCharSet.String() != "[^A-Za-z0-9.-]" {
		t.Errorf("ddns defaults: %+v", d)
	}
	if c.LeaseDatabase.Type != "memfile" || !c.LeaseDatabase.Persist || c.LeaseDatabase.LFCInterval != 3600 {
		t.Errorf("lease db defaults: %+v", c.LeaseDatabase)
	}
	if c.DeclineProbationPeriod != 86400 || !c.EchoClientID || !c.MultiThreading.Enable || c.DHCPDDNS.ServerPort != 53001 {
		t.Error("global-only defaults")
	}
	if fmt.Sprint(c.HostReservationIdentifiers) != "[hw-address duid circuit-id client-id]" {
		t.Errorf("identifiers: %v", c.HostReservationIdentifiers)
	}
}

// TestSubnetSelection checks the indexes the server selects subnets by.
func TestSubnetSelection(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {
  "shared-networks": [{"name": "n", "relay": {"ip-addresses": ["192.0.2.1"]},
    "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}, {"id": 2, "subnet": "10.0.1.0/24", "relay": {"ip-addresses": ["192.0.2.2"]}}]}],
  "subnet4": [{"id": 3, "subnet": "10.2.0.0/16", "interface": "eth1"}, {"id": 4, "subnet": "10.0.2.0/23"}]
}}`)
	for addr, want := range map[string]uint32{"10.0.0.7": 1, "10.0.1.255": 2, "10.2.200.1": 3, "10.0.3.1": 4, "10.0.2.0": 4, "10.0.4.0": 0, "9.0.0.0": 0} {
		s := c.SubnetContaining(netip.MustParseAddr(addr))
		var got uint32
		if s != nil {
			got = s.ID
		}
		if got != want {
			t.Errorf("SubnetContaining(%s) = %d, want %d", addr, got, want)
		}
	}
	if r := c.SubnetsByRelay(netip.MustParseAddr("192.0.2.1")); len(r) != 1 || r[0].ID != 1 {
		t.Errorf("relay 192.0.2.1: %v", r)
	}
	if r := c.SubnetsByRelay(netip.MustParseAddr("192.0.2.2")); len(r) != 1 || r[0].ID != 2 {
		t.Errorf("relay 192.0.2.2: %v", r)
	}
	if r := c.SubnetsByInterface("eth1"); len(r) != 1 || r[0].ID != 3 {
		t.Errorf("eth1: %v", r)
	}
	if c.SubnetByID(9) != nil {
		t.Error("id 9 found")
	}
}

func TestReservationIndex(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {
  "reservations": [{"client-id": "01:aa:bb", "hostname": "g"}, {"flex-id": "'s0mEVaLue'", "ip-address": "192.0.2.206"}],
  "subnet4": [{"id": 5, "subnet": "10.0.0.0/24", "reservations": [
    {"hw-address": "1a:1b:1c:1d:1e:1f", "ip-address": "10.0.0.9", "hostname": "h", "client-classes": ["vip"],
     "option-data": [{"name": "domain-name", "data": "h.example"}], "next-server": "10.0.0.1"},
    {"circuit-id": "0x0102", "ip-address": "10.0.0.10"}]}]
}}`)
	h := c.Reservation(5, HWAddress, []byte{0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f})
	if h == nil || h.Hostname != "h" || h.Address.String() != "10.0.0.9" || h.SubnetID != 5 || h.NextServer.String() != "10.0.0.1" {
		t.Fatalf("by hw-address: %+v", h)
	}
	if o := h.Options.DHCP4(15); len(o) != 1 || string(o[0].Data) != "h.example" {
		t.Errorf("host option: %+v", o)
	}
	if h := c.ReservationByAddress(5, netip.MustParseAddr("10.0.0.10")); h == nil || h.IDType != CircuitID {
		t.Errorf("by address: %+v", h)
	}
	if hs := c.ReservationsByAddress(5, netip.MustParseAddr("10.0.0.10")); len(hs) != 1 || hs[0].IDType != CircuitID {
		t.Errorf("by address: %+v", hs)
	}
	if c.Reservation(0, ClientID, []byte{1, 0xaa, 0xbb}) == nil {
		t.Error("global by client-id")
	}
	if g := c.Reservation(0, FlexID, []byte("s0mEVaLue")); g == nil || g.Address.String() != "192.0.2.206" {
		t.Errorf("global flex-id: %+v", g)
	}
	if c.Reservation(5, ClientID, []byte{1, 0xaa, 0xbb}) != nil {
		t.Error("global reservation found in subnet scope")
	}
	if len(c.GlobalReservations) != 2 || len(c.SubnetByID(5).Reservations) != 2 {
		t.Error("reservation lists")
	}
}

func TestOptionsMergedAndEncoded(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {
  "option-data": [{"name": "domain-name-servers", "data": "192.0.2.1, 192.0.2.2", "always-send": true}],
  "option-def": [{"name": "vlanid", "code": 2, "space": "acme", "type": "uint32"},
                 {"name": "acme-flag", "code": 3, "space": "acme", "type": "uint8"}],
  "client-classes": [{"name": "acme",
    "option-def": [{"name": "vendor-encapsulated-options", "code": 43, "type": "empty", "encapsulate": "acme"}],
    "option-data": [{"name": "vendor-encapsulated-options"}, {"name": "vlanid", "space": "acme", "data": "123"},
                    {"name": "acme-flag", "space": "acme", "data": "7"}]}],
  "shared-networks": [{"name": "n", "option-data": [{"name": "routers", "data": "10.0.0.254"}, {"name": "domain-name", "data": "net.example"}],
    "subnet4": [{"id": 1, "subnet": "10.0.0.0/24",
      "option-data": [{"name": "routers", "data": "10.0.0.1"}, {"code": 250, "data": "0A0B", "csv-format": false}],
      "pools": [{"pool": "10.0.0.10-10.0.0.20", "option-data": [{"name": "domain-name", "data": "pool.example", "never-send": true}]},
                {"pool": "10.0.0.30-10.0.0.40"}]}]}]
}}`)
	if o := c.Options.DHCP4(6); len(o) != 1 || fmt.Sprint(o[0].Data) != "[192 0 2 1 192 0 2 2]" || !o[0].AlwaysSend {
		t.Errorf("global 6: %+v", o)
	}
	s := c.SubnetByID(1)
	if o := s.Options.DHCP4(3); len(o) != 2 || fmt.Sprint(o[0].Data) != "[10 0 0 1]" || fmt.Sprint(o[1].Data) != "[10 0 0 254]" {
		t.Errorf("subnet routers (own, then network's): %+v", o)
	}
	if o := s.Options.DHCP4(250); len(o) != 1 || fmt.Sprint(o[0].Data) != "[10 11]" {
		t.Errorf("raw option 250: %+v", o)
	}
	p0, p1 := s.Pools[0], s.Pools[1]
	if o := p0.Options.DHCP4(15); len(o) != 2 || string(o[0].Data) != "pool.example" || !o[0].NeverSend || string(o[1].Data) != "net.example" {
		t.Errorf("pool 0 domain-name: %+v", o)
	}
	if o := p0.Options.DHCP4(3); len(o) != 2 {
		t.Errorf("pool 0 routers inherited: %+v", o)
	}
	if p1.Options.Len() != s.Options.Len() {
		t.Error("a pool without options should share its subnet's set")
	}
	cl := c.Class("acme")
	o := cl.Options.DHCP4(43)
	if len(o) != 1 || fmt.Sprint(o[0].Data) != "[2 4 0 0 0 123 3 1 7]" {
		t.Errorf("class option 43 with encapsulated acme sub-options: %+v", o)
	}
	if got := cl.Options.Get("acme", 2); len(got) != 1 || fmt.Sprint(got[0].Data) != "[0 0 0 123]" {
		t.Errorf("acme.2: %+v", got)
	}
	d43, _ := cl.OptionDefs.LookupCode("dhcp4", 43)
	if _, ok := c.OptionDefs.LookupName("acme", "vlanid"); !ok || d43.Encapsulate != "acme" {
		t.Error("definitions not kept")
	}
	if g43, _ := c.OptionDefs.LookupCode("dhcp4", 43); g43.Encapsulate == "acme" {
		t.Error("a class's option-def leaked into the global definitions")
	}
}

func TestIncludeAndPositions(t *testing.T) {
	files := map[string]string{
		"/etc/kea/kea-dhcp4.conf": "{ \"Dhcp4\": {\n  \"subnet4\": [ <?include \"subnets.json\"?> ]\n} }",
		"/etc/kea/subnets.json":   "// subnets\n{ \"id\": 1, \"subnet\": \"10.0.0.0/24\",\n  \"pools\": [{ \"pool\": \"10.9.0.1 - 10.9.0.5\" }] }",
	}
	o := &Options{ReadFile: func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}}
	_, diags, err := Load("/etc/kea/kea-dhcp4.conf", o)
	if err == nil {
		t.Fatal("accepted")
	}
	want := "/etc/kea/subnets.json:3:23: error: pool 10.9.0.1 - 10.9.0.5 is not inside its subnet 10.0.0.0/24"
	if len(diags) != 1 || diags[0].String() != want {
		t.Errorf("got\n%swant\n%s", joinDiags(diags), want)
	}
}

func TestNonUniqueReservations(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"ip-reservations-unique": false, "subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "reservations": [
  {"hw-address": "01:02:03:04:05:06", "ip-address": "10.0.0.5"}, {"client-id": "01:02", "ip-address": "10.0.0.5"}]}]}}`)
	hs := c.ReservationsByAddress(1, netip.MustParseAddr("10.0.0.5"))
	if len(hs) != 2 || hs[0].IDType != HWAddress || hs[1].IDType != ClientID {
		t.Errorf("got %+v", hs)
	}
}

func TestSecretsRedacted(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {
  "lease-database": {"type": "memfile", "name": "leases"},
  "control-sockets": [{"socket-type": "http", "authentication": {"type": "basic", "clients": [{"user": "a", "password": "pw-client"}]}}],
  "hooks-libraries": [{"library": "/usr/lib/x.so", "parameters": {"servers": [{"secret": "radius-secret", "shared-Secret": 9}], "api-password": {"x": "nested-pw"}}}],
  "user-context": {"db-password": "ctx-pw"}
}}`)
	secrets := []string{"pw-client", "radius-secret", "nested-pw", "ctx-pw"}
	outputs := map[string]string{
		"JSON":       string(c.JSON()),
		"Raw":        c.Raw.String(),
		"%v db":      fmt.Sprintf("%v %+v %#v", c.LeaseDatabase, c.LeaseDatabase, c.LeaseDatabase),
		"%v sockets": fmt.Sprintf("%v %+v", c.ControlSockets, c.ControlSockets[0].Authentication),
		"hooks":      fmt.Sprintf("%v", c.HooksLibraries[0].Parameters),
	}
	for what, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s leaks %q: %s", what, s, out)
			}
		}
		if !strings.Contains(out, "*****") {
			t.Errorf("%s shows no redaction: %s", what, out)
		}
	}
	if c.ControlSockets[0].Authentication.Clients[0].Password.Reveal() != "pw-client" {
		t.Error("Reveal")
	}
}

func TestHashIgnoresLayout(t *testing.T) {
	a := mustLoad(t, `{"Dhcp4": {"valid-lifetime": 10, "renew-timer": 5}}`)
	b := mustLoad(t, "// comment\n{ \"Dhcp4\" : { \"renew-timer\": 5,\n \"valid-lifetime\": 10 } }")
	d := mustLoad(t, `{"Dhcp4": {"valid-lifetime": 11, "renew-timer": 5}}`)
	if a.Hash != b.Hash {
		t.Error("same meaning, different hash")
	}
	if a.Hash == d.Hash {
		t.Error("different configs, same hash")
	}
}

func TestNotSupportedList(t *testing.T) {
	list := NotSupported()
	if len(list) == 0 {
		t.Fatal("empty")
	}
	for _, ns := range list {
		if ns.Keyword == "" || ns.Scope == "" || ns.Reason == "" {
			t.Errorf("incomplete entry %+v", ns)
		}
	}
	list[0].Reason = "changed"
	if NotSupported()[0].Reason == "changed" {
		t.Error("NotSupported returns shared state")
	}
}

func TestCheck(t *testing.T) {
	diags, err := Check("/nonexistent/kea-dhcp4.conf")
	if err == nil || len(diags) != 1 || !strings.Contains(diags[0].Msg, "cannot read configuration") {
		t.Errorf("missing file: %v %v", err, diags)
	}
}

// FuzzLoad feeds arbitrary text, with an include, to the whole loader:
// it must never panic, every diagnostic must carry a position, and a
// configuration that loads must never print a secret.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.1-10.0.0.9"}]}]}}`,
		`{"Dhcp4": {<?include "inc.json"?>}}`,
		`{"Dhcp4": {"client-classes": [{"name": "a", "test": "member('b')"}, {"name": "b"}], "option-data": [{"name": "routers", "data": "1.2.3.4"}]}}`,
		`# c
{"Dhcp4": {"shared-networks": [{"name": "n", "subnet4": [{"subnet": "192.0.2.0/24", "reservations": [{"hw-address": "01:02:03:04:05:06", "ip-address": "192.0.2.9"}]}]}],}}`,
		`{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "x", "password": "fuzz-secret"}, "option-def": [{"name": "x", "code": 224, "type": "record", "record-types": "uint8, string"}], "option-data": [{"name": "x", "data": "1, abc"}]}}`,
	}
	for _, s := range seeds {
		f.Add(s, `"valid-lifetime": 100, "renew-timer": 50`)
	}
	f.Fuzz(func(t *testing.T, src, inc string) {
		o := &Options{ReadFile: func(name string) ([]byte, error) {
			if name == "inc.json" {
				return []byte(inc), nil
			}
			return nil, fs.ErrNotExist
		}}
		c, diags, err := Parse("main.json", []byte(src), o)
		for _, d := range diags {
			if !d.Pos.IsValid() && !strings.Contains(d.Msg, "no \"Dhcp4\"") {
				t.Fatalf("diagnostic without position: %v", d)
			}
		}
		if err != nil {
			return
		}
		if strings.Contains(string(c.JSON()), "fuzz-secret") {
			t.Fatalf("secret printed: %s", c.JSON())
		}
	})
}
