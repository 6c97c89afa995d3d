package config

import (
	"strings"
	"testing"
)

// TestNoEffectWarnings checks where the loader warns about keywords that
// have no effect in leased: only for the entries of NoEffect that warn,
// only for the values listed, at the value's (or the key's) place.
func TestNoEffectWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string // each must be the text of one warning; none other may appear
	}{
		{"quiet keywords",
			`{"Dhcp4": {"parked-packet-limit": 128, "reservations-lookup-first": true, "reservations-out-of-pool": true,
			"multi-threading": {"enable-multi-threading": true, "thread-pool-size": 4, "packet-queue-size": 16},
			"interfaces-config": {"interfaces": ["*"], "re-detect": false},
			"ddns-send-updates": true, "ddns-override-no-update": true, "ddns-override-client-update": true,
			"ddns-update-on-renew": true, "ddns-conflict-resolution-mode": "no-check-with-dhcid", "ddns-ttl-percent": 0.5,
			"ddns-generated-prefix": "host", "ddns-qualifying-suffix": "", "ddns-replace-client-name": "never",
			"hostname-char-set": "", "hostname-char-replacement": "x",
			"dhcp-ddns": {"enable-updates": false, "server-ip": "127.0.0.1", "server-port": 53001, "max-queue-size": 10,
				"ncr-protocol": "UDP", "ncr-format": "JSON"},
			"dhcp-queue-control": {"enable-queue": false, "queue-type": "kea-ring4", "capacity": 10},
			"lease-database": {"type": "memfile", "persist": false, "connect-timeout": 10, "on-fail": "serve-retry-continue",
				"max-row-errors": 0, "retry-on-startup": true},
			"hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so", "parameters": {"binding-variables": []}}]}}`,
			nil},
		{"log pattern",
			`{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", "output-options": [{"output": "stdout", "pattern": "%m\n"}]}]}}`,
			[]string{`t.json:1:86: warning: no effect in leased: pattern in output-options at t.json:1:86`}},
		// Host names are processed as Kea processes them (package ddns).
		{"host names",
			`{"Dhcp4": {"ddns-qualifying-suffix": "example.org", "shared-networks": [{"name": "n", "ddns-replace-client-name": "always",
			"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "hostname-char-set": "[^a-z]", "hostname-char-replacement": "x",
			"ddns-generated-prefix": "dyn",
			"pools": [{"pool": "10.0.0.1-10.0.0.9", "ddns-replace-client-name": "when-not-present"}]}]}]}}`,
			nil},
		{"Kea 2.2 keys inside dhcp-ddns",
			`{"Dhcp4": {"dhcp-ddns": {"qualifying-suffix": "example.org"}}}`,
			[]string{
				`"qualifying-suffix" inside dhcp-ddns is the Kea 2.2 form`,
			}},
		{"memfile with SQL keys",
			`{"Dhcp4": {"lease-database": {"type": "memfile", "persist": false, "user": "kea", "password": "pw", "max-row-errors": 3}}}`,
			[]string{
				`no effect in leased: user with type "memfile" in lease-database`,
				`no effect in leased: password with type "memfile" in lease-database`,
				`no effect in leased: max-row-errors other than 0 in lease-database`,
			}},
		{"hook libraries",
			`{"Dhcp4": {"hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_flex_option.so", "parameters": {"options": []}},
			{"library": "libdhcp_lease_cmds.so"}]}}`,
			[]string{`t.json:1:44: warning: no effect in leased: hook library "/usr/lib/kea/hooks/libdhcp_flex_option.so" is not loaded at t.json:1:44`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags, err := load(t, tc.src)
			if err != nil {
				t.Fatalf("rejected: %v\n%s", err, joinDiags(diags))
			}
			var got []string
			for _, d := range diags {
				if d.Severity == Warning {
					got = append(got, d.String())
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d warnings, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
				return
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d:\n  %s\nwant it to contain\n  %s", i+1, got[i], w)
				}
			}
		})
	}
}

// TestBindingVariablesRejected: the lease commands hook is built in, but
// its binding variables, which would change what leases hold, are not.
func TestBindingVariablesRejected(t *testing.T) {
	_, diags, err := load(t, `{"Dhcp4": {"hooks-libraries": [{"library": "libdhcp_lease_cmds.so",
		"parameters": {"binding-variables": [{"name": "v", "expression": "option[222].hex", "source": "query"}]}}]}}`)
	if err == nil {
		t.Fatal("accepted")
	}
	if s := joinDiags(diags); !strings.Contains(s, "t.json:2:39: error: not supported yet: binding-variables not empty, in the parameters of libdhcp_lease_cmds.so in hooks-libraries") {
		t.Errorf("diagnostics:\n%s", s)
	}
}
