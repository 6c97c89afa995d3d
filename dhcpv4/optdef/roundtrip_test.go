package optdef

import (
	"bytes"
	"errors"
	"testing"
)

// samples holds a representative csv value for every standard option
// definition, keyed by space and name. TestRoundTripStandard fails if a
// standard definition has none.
var samples = map[string]string{
	"dhcp4.subnet-mask":                            "255.255.255.0",
	"dhcp4.time-offset":                            "-25200",
	"dhcp4.routers":                                "192.0.2.2, 192.0.2.3",
	"dhcp4.time-servers":                           "192.0.2.4, 192.0.2.5",
	"dhcp4.name-servers":                           "192.0.2.6",
	"dhcp4.domain-name-servers":                    "192.0.2.8, 192.0.2.9",
	"dhcp4.log-servers":                            "192.0.2.10",
	"dhcp4.cookie-servers":                         "192.0.2.12",
	"dhcp4.lpr-servers":                            "192.0.2.14",
	"dhcp4.impress-servers":                        "192.0.2.16",
	"dhcp4.resource-location-servers":              "192.0.2.18",
	"dhcp4.host-name":                              "client-7",
	"dhcp4.boot-size":                              "1024",
	"dhcp4.merit-dump":                             "/etc/crash-dump.img",
	"dhcp4.domain-name":                            "my.example.org",
	"dhcp4.swap-server":                            "192.0.2.20",
	"dhcp4.root-path":                              "/path/to/root",
	"dhcp4.extensions-path":                        "/path/to/extensions",
	"dhcp4.ip-forwarding":                          "true",
	"dhcp4.non-local-source-routing":               "false",
	"dhcp4.policy-filter":                          "192.0.2.21, 255.255.255.0",
	"dhcp4.max-dgram-reassembly":                   "2048",
	"dhcp4.default-ip-ttl":                         "248",
	"dhcp4.path-mtu-aging-timeout":                 "131072",
	"dhcp4.path-mtu-plateau-table":                 "3072, 4096",
	"dhcp4.interface-mtu":                          "5120",
	"dhcp4.all-subnets-local":                      "true",
	"dhcp4.broadcast-address":                      "192.0.2.255",
	"dhcp4.perform-mask-discovery":                 "true",
	"dhcp4.mask-supplier":                          "false",
	"dhcp4.router-discovery":                       "true",
	"dhcp4.router-solicitation-address":            "192.0.2.23",
	"dhcp4.static-routes":                          "192.0.2.24, 192.0.2.25",
	"dhcp4.trailer-encapsulation":                  "true",
	"dhcp4.arp-cache-timeout":                      "196608",
	"dhcp4.ieee802-3-encapsulation":                "true",
	"dhcp4.default-tcp-ttl":                        "124",
	"dhcp4.tcp-keepalive-interval":                 "262144",
	"dhcp4.tcp-keepalive-garbage":                  "true",
	"dhcp4.nis-domain":                             "nis.example.org",
	"dhcp4.nis-servers":                            "192.0.2.26, 192.0.2.27",
	"dhcp4.ntp-servers":                            "192.0.2.28, 192.0.2.29",
	"dhcp4.vendor-encapsulated-options":            "",
	"dhcp4.netbios-name-servers":                   "192.0.2.30, 192.0.2.31",
	"dhcp4.netbios-dd-server":                      "192.0.2.32",
	"dhcp4.netbios-node-type":                      "8",
	"dhcp4.netbios-scope":                          "scope42",
	"dhcp4.font-servers":                           "192.0.2.34",
	"dhcp4.x-display-manager":                      "192.0.2.36, 192.0.2.37",
	"dhcp4.dhcp-requested-address":                 "192.0.2.38",
	"dhcp4.dhcp-lease-time":                        "7200",
	"dhcp4.dhcp-option-overload":                   "3",
	"dhcp4.dhcp-message-type":                      "5",
	"dhcp4.dhcp-server-identifier":                 "192.0.2.39",
	"dhcp4.dhcp-parameter-request-list":            "1, 3, 6, 15, 119",
	"dhcp4.dhcp-message":                           `Error: here's a DHCPNAK\, sorry`,
	"dhcp4.dhcp-max-message-size":                  "1536",
	"dhcp4.dhcp-renewal-time":                      "3600",
	"dhcp4.dhcp-rebinding-time":                    "6300",
	"dhcp4.vendor-class-identifier":                "ISC",
	"dhcp4.dhcp-client-identifier":                 "01AABBCCDDEEFF",
	"dhcp4.nwip-domain-name":                       "nwip.example.org",
	"dhcp4.nwip-suboptions":                        "1ABBADABBAD00000000000000000CAFE",
	"dhcp4.nisplus-domain-name":                    "nisplus.example.org",
	"dhcp4.nisplus-servers":                        "192.0.2.40",
	"dhcp4.tftp-server-name":                       "tftp.example.org",
	"dhcp4.boot-file-name":                         "boot-file.img",
	"dhcp4.mobile-ip-home-agent":                   "192.0.2.41, 192.0.2.42",
	"dhcp4.smtp-server":                            "192.0.2.43",
	"dhcp4.pop-server":                             "192.0.2.45",
	"dhcp4.nntp-server":                            "192.0.2.47",
	"dhcp4.www-server":                             "192.0.2.49",
	"dhcp4.finger-server":                          "192.0.2.51",
	"dhcp4.irc-server":                             "192.0.2.53",
	"dhcp4.streettalk-server":                      "192.0.2.55",
	"dhcp4.streettalk-directory-assistance-server": "192.0.2.57",
	"dhcp4.user-class":                             "0469505845",
	"dhcp4.slp-directory-agent":                    "true, 192.0.2.59, 192.0.2.60",
	"dhcp4.slp-service-scope":                      "true, slp-scope",
	"dhcp4.fqdn":                                   "5, 255, 255, host.example.com",
	"dhcp4.dhcp-agent-options":                     "",
	"dhcp4.nds-servers":                            "192.0.2.61, 192.0.2.62",
	"dhcp4.nds-tree-name":                          "my-tree",
	"dhcp4.nds-context":                            "context",
	"dhcp4.bcms-controller-names":                  "bcms-controller.example.org, b.example.net",
	"dhcp4.bcms-controller-address":                "192.0.2.63",
	"dhcp4.authenticate":                           "01020304",
	"dhcp4.client-last-transaction-time":           "600",
	"dhcp4.associated-ip":                          "192.0.2.64, 192.0.2.65",
	"dhcp4.client-system":                          "6144, 7168",
	"dhcp4.client-ndi":                             "1, 2, 1",
	"dhcp4.uuid-guid":                              "0, 1ABBADABBAD00000000000000000CAFE",
	"dhcp4.uap-servers":                            "uap1.example.org uap2.example.org",
	"dhcp4.geoconf-civic":                          "02555300",
	"dhcp4.pcode":                                  `EST5EDT4\,M3.2.0/02:00\,M11.1.0/02:00`,
	"dhcp4.tcode":                                  "Europe/Zurich",
	"dhcp4.v6-only-preferred":                      "3600",
	"dhcp4.netinfo-server-address":                 "192.0.2.63, 192.0.2.64",
	"dhcp4.netinfo-server-tag":                     "server1",
	"dhcp4.v4-captive-portal":                      "https://portal.example.org/",
	"dhcp4.auto-config":                            "1",
	"dhcp4.name-service-search":                    "6, 41, 44, 65",
	"dhcp4.subnet-selection":                       "192.0.2.65",
	"dhcp4.domain-search":                          "example.com, example.org",
	"dhcp4.classless-static-route":                 "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 192.0.2.1",
	"dhcp4.cablelabs-client-conf":                  "",
	"dhcp4.vivco-suboptions":                       "4491, 0FBAADABBAD00000000000000000CAFE",
	"dhcp4.vivso-suboptions":                       "4491",
	"dhcp4.pana-agent":                             "192.0.2.66, 192.0.2.67",
	"dhcp4.v4-lost":                                "lost.example.org",
	"dhcp4.capwap-ac-v4":                           "192.0.2.68, 192.0.2.69",
	"dhcp4.sip-ua-cs-domains":                      "example.com, example.org",
	"dhcp4.v4-sztp-redirect":                       "https://sztp1.example.com:8443/, https://sztp2.example.com/",
	"dhcp4.rdnss-selection":                        "1, 192.0.2.70, 192.0.2.71, example.com, example.org",
	"dhcp4.status-code":                            "0, all is well",
	"dhcp4.base-time":                              "1700000000",
	"dhcp4.start-time-of-state":                    "20",
	"dhcp4.query-start-time":                       "1699990000",
	"dhcp4.query-end-time":                         "1700000000",
	"dhcp4.dhcp-state":                             "1",
	"dhcp4.data-source":                            "1",
	"dhcp4.v4-portparams":                          "2, 3/4",
	"dhcp4.v4-dnr":                                 `100, dot1.example.org, 10.0.3.4 10.0.3.5, alpn=dot\,doq port=8530 | 200, resolver.example`,
	"dhcp4.option-6rd":                             "24, 96, 2001:db8::f001, 192.0.2.72, 192.0.2.73",
	"dhcp4.v4-access-domain":                       "example.org",

	"dhcp-agent-options-space.circuit-id":                 "657468302F31",
	"dhcp-agent-options-space.remote-id":                  "001122334455",
	"dhcp-agent-options-space.docsis-device-class":        "1",
	"dhcp-agent-options-space.link-selection":             "192.0.2.0",
	"dhcp-agent-options-space.subscriber-id":              "subscriber-42",
	"dhcp-agent-options-space.radius":                     "01064E6F6E65",
	"dhcp-agent-options-space.auth":                       "0102",
	"dhcp-agent-options-space.vendor-specific-info":       "0000118B0101AA",
	"dhcp-agent-options-space.relay-flags":                "128",
	"dhcp-agent-options-space.server-id-override":         "192.0.2.1",
	"dhcp-agent-options-space.relay-id":                   "000300010A0B0C0D0E0F",
	"dhcp-agent-options-space.access-techno-type":         "1",
	"dhcp-agent-options-space.access-network-name":        "wlan-net",
	"dhcp-agent-options-space.access-point-name":          "ap-17",
	"dhcp-agent-options-space.access-point-bssid":         "0A0B0C0D0E0F",
	"dhcp-agent-options-space.operator-id":                "4491",
	"dhcp-agent-options-space.operator-realm":             "operator.example",
	"dhcp-agent-options-space.relay-port":                 "6767",
	"dhcp-agent-options-space.virtual-subnet-select":      "00766E6574",
	"dhcp-agent-options-space.virtual-subnet-select-ctrl": "",

	"cablelabs-client-conf.tsp-primary-server":     "192.0.2.80",
	"cablelabs-client-conf.tsp-secondary-server":   "192.0.2.81",
	"cablelabs-client-conf.tsp-as-parameters":      "1, 2, 3",
	"cablelabs-client-conf.tsp-ap-parameters":      "4, 5, 6",
	"cablelabs-client-conf.tsp-realm":              "basic.1",
	"cablelabs-client-conf.tsp-use-tgt":            "true",
	"cablelabs-client-conf.tsp-provisioning-timer": "10",
	"cablelabs-client-conf.tsp-sct":                "2",
	"cablelabs-client-conf.kdc-server":             "192.0.2.82, 192.0.2.83",

	"docsis3-v4.oro":           "32, 42",
	"docsis3-v4.tftp-servers":  "192.0.2.76, 192.0.2.77",
	"vendor-4491.oro":          "32, 42",
	"vendor-4491.tftp-servers": "192.0.2.76, 192.0.2.77",
}

// TestRoundTripStandard encodes a sample value for every standard
// definition, formats the payload and encodes the text again: both
// payloads must be equal, and formatting is stable.
func TestRoundTripStandard(t *testing.T) {
	r := Standard()
	for _, s := range r.Spaces() {
		for _, d := range r.Defs(s) {
			key := d.Space + "." + d.Name
			data, ok := samples[key]
			if !ok {
				t.Errorf("no sample for %s", key)
				continue
			}
			b1, err := d.Encode(nil, data, true)
			if err != nil {
				t.Errorf("%s: Encode(%q): %v", key, data, err)
				continue
			}
			text, err := d.Format(b1)
			if err != nil {
				t.Errorf("%s: Format(% x): %v", key, b1, err)
				continue
			}
			b2, err := d.Encode(nil, text, true)
			if err != nil || !bytes.Equal(b1, b2) {
				t.Errorf("%s: %q -> % x -> %q -> % x, %v", key, data, b1, text, b2, err)
			}
			if text2, _ := d.Format(b2); text2 != text {
				t.Errorf("%s: Format not stable: %q then %q", key, text, text2)
			}
			// The raw form gives the same payload.
			b3, err := d.Encode(nil, FormatHex(b1), false)
			if err != nil || !bytes.Equal(b1, b3) {
				t.Errorf("%s: csv-format false of % x gives % x, %v", key, b1, b3, err)
			}
		}
	}
	for key := range samples {
		found := false
		for _, s := range r.Spaces() {
			for _, d := range r.Defs(s) {
				found = found || d.Space+"."+d.Name == key
			}
		}
		if !found {
			t.Errorf("sample %s names no standard definition", key)
		}
	}
}

func TestFormatText(t *testing.T) {
	r := Standard()
	const fails = "\x00fails" // Format must return an error
	tests := []struct {
		space, name string
		payload     string
		want        string
	}{
		{SpaceDHCP4, "routers", "c0000202c0000203", "192.0.2.2, 192.0.2.3"},
		{SpaceDHCP4, "routers", "", ""},
		{SpaceDHCP4, "time-offset", "ffff9d90", "-25200"},
		{SpaceDHCP4, "dhcp-message", "612c625c63", `a\,b\\c`},
		{SpaceDHCP4, "domain-search", "076578616d706c6503636f6d00", "example.com"},
		{SpaceDHCP4, "domain-search", "076578616d706c6503636f6d0003777777c000", fails},
		{SpaceDHCP4, "v4-lost", "00", fails},
		{SpaceDHCP4, "dhcp-client-identifier", "01aabb", "01AABB"},
		{SpaceDHCP4, "slp-service-scope", "00", "false, "},
		{SpaceDHCP4, "fqdn", "050000" + "04686f737400", "5, 0, 0, host"},
		{SpaceDHCP4, "fqdn", "000000" + "686f73742e", "0, 0, 0, host."},
		{SpaceDHCP4, "v4-portparams", "02043000", "2, 3/4"},
		{SpaceDHCP4, "vivso-suboptions", "0000118b060101bb0201aa", "4491"},
		{SpaceDHCP4, "vendor-encapsulated-options", "0101aa", ""},
		{SpaceDHCP4, "classless-static-route", "080a0a000001", "10.0.0.0/8 - 10.0.0.1"},
		{SpaceDHCP4, "v4-sztp-redirect", "0003616263", "abc"},
		{SpaceAgent, "circuit-id", "657468302f31", "657468302F31"},
	}
	for _, tt := range tests {
		d, ok := r.LookupName(tt.space, tt.name)
		if !ok {
			t.Fatalf("no %s", tt.name)
		}
		got, err := d.Format(mustHex(t, tt.payload))
		if tt.want == fails {
			if err == nil {
				t.Errorf("%s: Format(%s) = %q, want error", tt.name, tt.payload, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: Format(%s) = %q, %v; want %q", tt.name, tt.payload, got, err, tt.want)
		}
	}
}

func TestFormatNotText(t *testing.T) {
	r := Standard()
	tests := []struct{ name, payload string }{
		{"host-name", "206869"},           // leading blank is trimmed by Encode
		{"host-name", "686900"},           // Kea drops trailing NULs
		{"domain-search", "03777777c000"}, // compression: no exact text
		{"ip-forwarding", "02"},           // not 0 or 1
		{"subnet-mask", "ffffff00ff"},     // surplus byte
		{"v4-portparams", "02001234"},     // PSID bits beyond length 0
		{"fqdn", "04000004686f7374"},      // partial name with E flag
		{"option-6rd", "18602001"},        // truncated record
		{"routers", "c00002"},             // not a multiple of 4
	}
	for _, tt := range tests {
		d, _ := r.LookupName(SpaceDHCP4, tt.name)
		if got, err := d.Format(mustHex(t, tt.payload)); err == nil {
			t.Errorf("%s: Format(%s) = %q, want error", tt.name, tt.payload, got)
		}
	}
	d, _ := r.LookupName(SpaceDHCP4, "host-name")
	if _, err := d.Format([]byte(" hi")); !errors.Is(err, ErrNotText) {
		t.Errorf("Format error %v does not wrap ErrNotText", err)
	}
}

func TestComposeAndSplit(t *testing.T) {
	r := Standard()
	agent, _ := r.LookupName(SpaceDHCP4, "dhcp-agent-options")
	subs := []Suboption{{Code: 2, Data: []byte{0xbb}}, {Code: 1, Data: []byte("eth0")}}
	got, err := agent.Compose(nil, nil, subs)
	if want := mustHex(t, "0104657468300201bb"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("Compose(82) = % x, %v; want % x", got, err, want)
	}
	value, rest, err := agent.SplitSuboptions(got)
	if err != nil || len(value) != 0 || !bytes.Equal(rest, got) {
		t.Errorf("SplitSuboptions(82) = % x, % x, %v", value, rest, err)
	}
	vivso, _ := r.LookupName(SpaceDHCP4, "vivso-suboptions")
	base, _ := vivso.Encode(nil, "339", true)
	got, err = vivso.Compose(nil, base, []Suboption{{Code: 3, Data: []byte("x")}, {Code: 2, Data: []byte{0, 0, 0, 123}}})
	if want := mustHex(t, "00000153"+"09"+"02040000007b"+"030178"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("Compose(125) = % x, %v; want % x", got, err, want)
	}
	value, rest, err = vivso.SplitSuboptions(got)
	if err != nil || !bytes.Equal(value, mustHex(t, "00000153")) || !bytes.Equal(rest, mustHex(t, "02040000007b030178")) {
		t.Errorf("SplitSuboptions(125) = % x, % x, %v", value, rest, err)
	}
	if text, err := vivso.Format(got); err != nil || text != "339" {
		t.Errorf("Format(125) = %q, %v", text, err)
	}
	// A full vendor block is an error.
	big := []Suboption{{Code: 1, Data: make([]byte, 200)}, {Code: 2, Data: make([]byte, 60)}}
	if _, err := vivso.Compose(nil, base, big); err == nil {
		t.Error("Compose accepted a vendor block over 255 bytes")
	}
	routers, _ := r.LookupName(SpaceDHCP4, "routers")
	if _, err := routers.Compose(nil, nil, subs); err == nil {
		t.Error("Compose added sub-options to an option that encapsulates nothing")
	}
	// Sub-options given in raw data are merged with the added ones.
	enc := Def{Name: "enc", Code: 230, Space: SpaceDHCP4, Type: TypeUint8, Encapsulate: "sub"}
	base, err = enc.Encode(nil, "07 02 01 bb", false)
	if err != nil {
		t.Fatal(err)
	}
	got, err = enc.Compose(nil, base, []Suboption{{Code: 1, Data: []byte{0xaa}}})
	if want := mustHex(t, "070101aa0201bb"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("Compose(uint8+subs) = % x, %v; want % x", got, err, want)
	}
	if text, err := enc.Format(got); err != nil || text != "7" {
		t.Errorf("Format(uint8+subs) = %q, %v", text, err)
	}
	if _, err := AppendSuboptions(nil, []Suboption{{Code: 1, Data: make([]byte, 256)}}); err == nil {
		t.Error("AppendSuboptions accepted 256 bytes of data")
	}
	parsed, err := ParseSuboptions(mustHex(t, "0104657468300201bb"))
	if err != nil || len(parsed) != 2 || parsed[0].Code != 1 || string(parsed[0].Data) != "eth0" {
		t.Errorf("ParseSuboptions = %+v, %v", parsed, err)
	}
	if _, err := ParseSuboptions(mustHex(t, "010465")); err == nil {
		t.Error("ParseSuboptions accepted a truncated sub-option")
	}
}
