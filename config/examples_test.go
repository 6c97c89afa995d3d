package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedDir is the shared material beside the repository.
const sharedDir = "../../shared"

func exampleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"kea-examples/*/*.json", "kea-testdata/config-templates/*.conf"} {
		m, err := filepath.Glob(filepath.Join(sharedDir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no Kea example configurations under %s", sharedDir)
	}
	return files
}

// expectedRejections lists the examples leased rejects, and the
// not-supported keyword each is rejected for. Every other example must
// pass.
var expectedRejections = map[string][]string{
	"all-keys.json":                             {"config-control", "hosts-databases", "dhcp4o6-port", "4o6-subnet"},
	"all-keys-netconf.json":                     {"config-control", "hosts-databases", "dhcp4o6-port", "4o6-subnet"},
	"config-backend.json":                       {"config-control", "libdhcp_mysql_cb.so"},
	"dhcpv4-over-dhcpv6.json":                   {"dhcp4o6-port", "4o6-interface", "4o6-subnet"},
	"ha-load-balancing-primary.json":            {"libdhcp_ha.so"},
	"mysql-reservations.json":                   {"hosts-database"},
	"pgsql-reservations.json":                   {"hosts-databases"},
	"with-ddns.json":                            {"enable-updates"},
	"template-ha-mt-tls-kea-dhcp4-1.conf":       {"libdhcp_ha.so"},
	"template-ha-mt-tls-kea-dhcp4-2.conf":       {"libdhcp_ha.so"},
	"template-power-user-home-kea-dhcp4-1.conf": {"libdhcp_ha.so"},
	"template-power-user-home-kea-dhcp4-2.conf": {"libdhcp_ha.so"},
}

// TestKeaExamples checks that every shipped example either loads or is
// rejected only by "not supported yet" errors for keywords on the
// NotSupported list.
func TestKeaExamples(t *testing.T) {
	for _, path := range exampleFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			_, diags, err := Load(path, nil)
			want, rejected := expectedRejections[name]
			var errs []string
			for _, d := range diags {
				if d.Severity == Error {
					errs = append(errs, d.String())
				}
			}
			if !rejected {
				if err != nil {
					t.Fatalf("rejected:\n%s", strings.Join(errs, "\n"))
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded, want rejection for %v", want)
			}
			for _, e := range errs {
				if !strings.Contains(e, "not supported yet: ") {
					t.Errorf("rejected for a reason other than not-supported: %s", e)
				}
			}
			all := strings.Join(errs, "\n")
			for _, kw := range want {
				if !strings.Contains(all, kw) {
					t.Errorf("no not-supported error mentions %s:\n%s", kw, all)
				}
			}
			// Every not-supported error names an entry of the list.
			for _, e := range errs {
				found := false
				for _, ns := range NotSupported() {
					if strings.Contains(e, "not supported yet: "+ns.Keyword) {
						found = true
					}
				}
				if !found {
					t.Errorf("not-supported error for a keyword missing from NotSupported(): %s", e)
				}
			}
		})
	}
}

// TestKeyCoverage checks that every keyword Kea accepts in a scope is
// either read by leased or listed as not supported: a keyword that falls
// through to "unknown keyword" would be a silent gap.
func TestKeyCoverage(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join(sharedDir, "specs/kea-dhcp4-keywords-by-scope.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The spec's scope names, mapped to where each sits in a config.
	wrap := map[string]string{
		"DHCP4":                     `{"Dhcp4": {%s}}`,
		"SUBNET4":                   `{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "id": 1, %s}]}}`,
		"SHARED_NETWORK":            `{"Dhcp4": {"shared-networks": [{"name": "n", %s}]}}`,
		"POOLS":                     `{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "id": 1, "pools": [{"pool": "10.0.0.1-10.0.0.9", %s}]}]}}`,
		"RESERVATIONS":              `{"Dhcp4": {"reservations": [{"hw-address": "01:02:03:04:05:06", %s}]}}`,
		"CLIENT_CLASSES":            `{"Dhcp4": {"client-classes": [{"name": "c", %s}]}}`,
		"OPTION_DATA":               `{"Dhcp4": {"option-data": [{"code": 250, %s}]}}`,
		"OPTION_DEF":                `{"Dhcp4": {"option-def": [{"name": "x", "code": 250, "type": "uint8", %s}]}}`,
		"INTERFACES_CONFIG":         `{"Dhcp4": {"interfaces-config": {%s}}}`,
		"LEASE_DATABASE":            `{"Dhcp4": {"lease-database": {"type": "memfile", %s}}}`,
		"LOGGERS":                   `{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", %s}]}}`,
		"OUTPUT_OPTIONS":            `{"Dhcp4": {"loggers": [{"name": "kea-dhcp4", "output-options": [{"output": "stdout", %s}]}]}}`,
		"DHCP_DDNS":                 `{"Dhcp4": {"dhcp-ddns": {%s}}}`,
		"DHCP_MULTI_THREADING":      `{"Dhcp4": {"multi-threading": {%s}}}`,
		"DHCP_QUEUE_CONTROL":        `{"Dhcp4": {"dhcp-queue-control": {%s}}}`,
		"EXPIRED_LEASES_PROCESSING": `{"Dhcp4": {"expired-leases-processing": {%s}}}`,
		"HOOKS_LIBRARIES":           `{"Dhcp4": {"hooks-libraries": [{%s}]}}`,
		"SANITY_CHECKS":             `{"Dhcp4": {"sanity-checks": {%s}}}`,
		"COMPATIBILITY":             `{"Dhcp4": {"compatibility": {%s}}}`,
		"CONTROL_SOCKET":            `{"Dhcp4": {"control-socket": {%s}}}`,
		"CONTROL_SOCKETS":           `{"Dhcp4": {"control-sockets": [{%s}]}}`,
		"AUTHENTICATION":            `{"Dhcp4": {"control-sockets": [{"authentication": {%s}}]}}`,
		"CLIENTS":                   `{"Dhcp4": {"control-sockets": [{"authentication": {"clients": [{%s}]}}]}}`,
		"HTTP_HEADERS":              `{"Dhcp4": {"control-sockets": [{"http-headers": [{%s}]}]}}`,
		"RELAY":                     `{"Dhcp4": {"subnet4": [{"subnet": "10.0.0.0/8", "id": 1, "relay": {%s}}]}}`,
	}
	checked := 0
	for _, line := range strings.Split(string(spec), "\n") {
		scope, kws, ok := strings.Cut(line, ": ")
		tmpl, known := wrap[scope]
		if !ok || !known {
			continue
		}
		for _, kw := range strings.Fields(kws) {
			kw = strings.TrimLeft(kw, "+-")
			src := strings.Replace(tmpl, "%s", `"`+kw+`": 1`, 1)
			_, diags, _ := Parse("k.json", []byte(src), nil)
			checked++
			for _, d := range diags {
				if strings.Contains(d.Msg, "unknown keyword \""+kw+"\"") {
					t.Errorf("%s: %q is valid Kea but neither read nor listed as not supported: %s", scope, kw, d)
				}
			}
		}
	}
	if checked < 300 {
		t.Errorf("checked only %d keywords; is the spec file complete?", checked)
	}
}
