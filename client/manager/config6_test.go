package manager

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/leased/leased/client6"
	"github.com/leased/leased/dhcpv6"
)

func TestParseConfigDHCP6(t *testing.T) {
	src := `{"Client4": {"interfaces": [
  {"interface": "wan0", "dhcp6": {
    "ia-na": [{"iaid": 1, "hints": ["2001:db8::10"]}],
    "ia-pd": [{"iaid": 2, "hints": ["::/56"]}, {"iaid": 3}],
    "rapid-commit": true, "reconfigure-accept": true, "duid-type": "uuid",
    "downstream": ["lan0", "lan1"], "script-timeout": 3
  }},
  {"interface": "wan1", "dhcp4": false, "dhcp6": {"information-only": true}},
  {"interface": "wan2"}
]}}`
	cfg, err := ParseConfig("t.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &DHCP6Config{
		IANA:        []client6.IAConfig{{IAID: 1, Hints: []netip.Prefix{netip.MustParsePrefix("2001:db8::10/128")}}},
		IAPD:        []client6.IAConfig{{IAID: 2, Hints: []netip.Prefix{netip.MustParsePrefix("::/56")}}, {IAID: 3}},
		RapidCommit: true, ReconfigureAccept: true, DUIDType: dhcpv6.DUIDUUID,
		Downstream: []string{"lan0", "lan1"}, ScriptTimeout: 3e9,
	}
	if w := cfg.Interfaces[0]; !w.DHCP4 || !reflect.DeepEqual(w.DHCP6, want) {
		t.Errorf("wan0: dhcp4 %v, dhcp6 %+v", w.DHCP4, w.DHCP6)
	}
	if w := cfg.Interfaces[1]; w.DHCP4 || w.DHCP6 == nil || !w.DHCP6.InformationOnly {
		t.Errorf("wan1: dhcp4 %v, dhcp6 %+v", w.DHCP4, w.DHCP6)
	}
	if w := cfg.Interfaces[2]; !w.DHCP4 || w.DHCP6 != nil {
		t.Errorf("wan2 runs DHCPv6: %+v", w.DHCP6)
	}
	for _, c := range []struct{ name, src, want string }{
		{"neither", `{"Client4": {"interfaces": [{"interface": "a", "dhcp4": false}]}}`, `runs neither DHCPv4`},
		{"address hint", `{"Client4": {"interfaces": [{"interface": "a", "dhcp6": {"ia-na": [{"iaid": 1, "hints": ["192.0.2.1"]}]}}]}}`, `is not an IPv6 address`},
		{"no iaid", `{"Client4": {"interfaces": [{"interface": "a", "dhcp6": {"ia-pd": [{"hints": ["::/56"]}]}}]}}`, `has no "iaid"`},
		{"iaid twice", `{"Client4": {"interfaces": [{"interface": "a", "dhcp6": {"ia-na": [{"iaid": 1}, {"iaid": 1}]}}]}}`, `IAID 1 listed twice`},
		{"duid type", `{"Client4": {"interfaces": [{"interface": "a", "dhcp6": {"duid-type": "en"}}]}}`, `duid-type must be`},
		{"stateless with IAs", `{"Client4": {"interfaces": [{"interface": "a", "dhcp6": {"information-only": true, "ia-na": [{"iaid": 1}]}}]}}`, `asks for no IA`},
		{"unknown", `{"Client4": {"interfaces": [{"interface": "a", "dhcp6": {"ia_na": []}}]}}`, `unknown key "ia_na" in Client4.interfaces[0].dhcp6`},
	} {
		if _, err := ParseConfig("t.json", []byte(c.src)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
