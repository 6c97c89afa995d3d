package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/internal/keaexamples"
)

// keaExampleFiles returns Kea 2.2's example configurations as Debian's
// kea-doc installs them: the kea4 examples and the power-user-home
// template's two kea-dhcp4 files. It skips the test when they are missing
// (fails under LEASED_REQUIRE_E2E=1).
func keaExampleFiles(t *testing.T) []string {
	t.Helper()
	files := keaexamples.Configs(t)
	if len(files) == 0 {
		t.Fatalf("no Kea example configurations in %s", keaexamples.Dir(t))
	}
	return append(files, keaexamples.Templates(t)...)
}

// exampleName names an example file in test names, golden files and
// expectedRejections: its base name, prefixed with its directory for the
// template files, whose base names (kea-dhcp4-1.conf) say nothing.
func exampleName(path string) string {
	if filepath.Ext(path) == ".conf" {
		return filepath.Base(filepath.Dir(path)) + "-" + filepath.Base(path)
	}
	return filepath.Base(path)
}

// expectedRejections lists the examples leased rejects, and the
// not-supported keyword each is rejected for. Every other example must
// pass.
var expectedRejections = map[string][]string{
	"all-keys.json":           {"config-control", "dhcp4o6-port", "4o6-subnet"},
	"all-keys-netconf.json":   {"config-control", "dhcp4o6-port", "4o6-subnet"},
	"config-backend.json":     {"config-control", "libdhcp_mysql_cb.so"},
	"dhcpv4-over-dhcpv6.json": {"dhcp4o6-port", "4o6-interface", "4o6-subnet"},
}

// TestKeaExamples checks that every example Kea ships either loads or is
// rejected only by "not supported yet" errors for keywords on the
// NotSupported list.
func TestKeaExamples(t *testing.T) {
	seen := map[string]bool{}
	for _, path := range keaExampleFiles(t) {
		name := exampleName(path)
		seen[name] = true
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
	// An expectation without its file would check nothing.
	for name := range expectedRejections {
		if !seen[name] {
			t.Errorf("expectedRejections names %s, which kea-doc does not install", name)
		}
	}
}

// scopeTemplates place one keyword in each scope of a configuration (the
// names are those of Kea's parser contexts).
var scopeTemplates = map[string]string{
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

// checkKeyword reports keyword kw of scope as a gap when leased neither
// reads it nor lists it as not supported: such a keyword would fall
// through to "unknown keyword".
func checkKeyword(t *testing.T, scope, kw string) {
	t.Helper()
	tmpl, ok := scopeTemplates[scope]
	if !ok {
		t.Fatalf("no template places a keyword in scope %s", scope)
	}
	src := strings.Replace(tmpl, "%s", `"`+kw+`": 1`, 1)
	_, diags, _ := Parse("k.json", []byte(src), nil)
	for _, d := range diags {
		if strings.Contains(d.Msg, "unknown keyword \""+kw+"\"") {
			t.Errorf("%s: %q is valid Kea but neither read nor listed as not supported: %s", scope, kw, d)
		}
	}
}

// keyScopes names the scope of the objects found under each key of Kea's
// all-keys.json (as a map, or as the elements of a list).
var keyScopes = map[string]string{
	"Dhcp4":                     "DHCP4",
	"subnet4":                   "SUBNET4",
	"shared-networks":           "SHARED_NETWORK",
	"pools":                     "POOLS",
	"reservations":              "RESERVATIONS",
	"client-classes":            "CLIENT_CLASSES",
	"option-data":               "OPTION_DATA",
	"option-def":                "OPTION_DEF",
	"interfaces-config":         "INTERFACES_CONFIG",
	"lease-database":            "LEASE_DATABASE",
	"loggers":                   "LOGGERS",
	"output_options":            "OUTPUT_OPTIONS",
	"output-options":            "OUTPUT_OPTIONS",
	"dhcp-ddns":                 "DHCP_DDNS",
	"multi-threading":           "DHCP_MULTI_THREADING",
	"dhcp-queue-control":        "DHCP_QUEUE_CONTROL",
	"expired-leases-processing": "EXPIRED_LEASES_PROCESSING",
	"hooks-libraries":           "HOOKS_LIBRARIES",
	"sanity-checks":             "SANITY_CHECKS",
	"compatibility":             "COMPATIBILITY",
	"control-socket":            "CONTROL_SOCKET",
	"relay":                     "RELAY",
}

// unscopedKeys hold objects whose keys are not Kea keywords leased must
// read: free-form maps, and sections leased rejects as a whole.
var unscopedKeys = map[string]bool{
	"user-context":    true, // free-form
	"parameters":      true, // a hook library's own
	"config-control":  true, // rejected: configuration backends
	"hosts-database":  true, // rejected: host databases
	"hosts-databases": true,
}

// collectKeywords walks v, which sits under key, and adds every keyword
// of every object it finds to kws, by scope.
func collectKeywords(t *testing.T, key string, v *jsonc.Value, kws map[string][]string) {
	t.Helper()
	switch v.Kind() {
	case jsonc.Array:
		for i := range v.Len() {
			collectKeywords(t, key, v.Index(i), kws)
		}
	case jsonc.Object:
		if unscopedKeys[key] {
			return
		}
		scope, ok := keyScopes[key]
		if !ok {
			t.Errorf("%s: all-keys.json has an object under %q, which the test does not place in a scope", v.Pos(), key)
			return
		}
		for _, m := range v.Members() {
			if !slices.Contains(kws[scope], m.Key) {
				kws[scope] = append(kws[scope], m.Key)
			}
			collectKeywords(t, m.Key, &m.Value, kws)
		}
	}
}

// TestKeyCoverage checks that every keyword of Kea 2.2's all-keys.json
// (the example that uses every keyword the version accepts) is either
// read by leased or listed as not supported, in the scope it appears in.
func TestKeyCoverage(t *testing.T) {
	path := filepath.Join(keaexamples.Dir(t), "all-keys.json")
	doc := jsonc.ParseFile(path, nil)
	if doc.Failed() {
		t.Fatalf("%s: %v", path, doc.Diags)
	}
	dhcp4 := doc.Root.Get("Dhcp4")
	if dhcp4 == nil {
		t.Fatalf("%s has no Dhcp4 map", path)
	}
	kws := map[string][]string{}
	collectKeywords(t, "Dhcp4", dhcp4, kws)
	checked := 0
	for scope, list := range kws {
		for _, kw := range list {
			checkKeyword(t, scope, kw)
			checked++
		}
	}
	// Kea 2.2's all-keys.json holds 224 keywords in 21 scopes.
	if checked < 200 || len(kws) < 18 {
		t.Errorf("checked only %d keywords in %d scopes; is %s complete?", checked, len(kws), path)
	}
}

// kea3Keywords are the keywords that current Kea (3.x) accepts beyond
// those of Kea 2.2's all-keys.json, by scope.
var kea3Keywords = map[string][]string{
	"DHCP4": {"adaptive-lease-time-threshold", "allocator", "control-sockets", "ddns-conflict-resolution-mode",
		"ddns-ttl", "ddns-ttl-max", "ddns-ttl-min", "ddns-ttl-percent", "offer-lifetime", "stash-agent-options"},
	"SUBNET4": {"adaptive-lease-time-threshold", "allocator", "client-classes", "ddns-conflict-resolution-mode",
		"ddns-ttl", "ddns-ttl-max", "ddns-ttl-min", "ddns-ttl-percent", "evaluate-additional-classes", "offer-lifetime"},
	"SHARED_NETWORK": {"adaptive-lease-time-threshold", "allocator", "client-classes", "ddns-conflict-resolution-mode",
		"ddns-ttl", "ddns-ttl-max", "ddns-ttl-min", "ddns-ttl-percent", "evaluate-additional-classes", "offer-lifetime"},
	"POOLS": {"client-classes", "ddns-conflict-resolution-mode", "ddns-generated-prefix", "ddns-override-client-update",
		"ddns-override-no-update", "ddns-qualifying-suffix", "ddns-replace-client-name", "ddns-send-updates",
		"ddns-ttl", "ddns-ttl-max", "ddns-ttl-min", "ddns-ttl-percent", "ddns-update-on-renew",
		"evaluate-additional-classes", "hostname-char-replacement", "hostname-char-set", "pool-id"},
	"CLIENT_CLASSES":  {"offer-lifetime", "only-in-additional-list", "template-test"},
	"OPTION_DATA":     {"client-classes", "never-send"},
	"COMPATIBILITY":   {"exclude-first-last-24", "ignore-dhcp-server-identifier", "ignore-rai-link-selection"},
	"SANITY_CHECKS":   {"extended-info-checks"},
	"LOGGERS":         {"output-options"},
	"LEASE_DATABASE":  {"password-file", "read-timeout", "retry-on-startup", "ssl-mode", "tcp-user-timeout", "write-timeout"},
	"CONTROL_SOCKETS": {"authentication", "cert-file", "cert-required", "comment", "http-headers", "key-file", "socket-address", "socket-name", "socket-port", "socket-type", "trust-anchor", "user-context"},
	"AUTHENTICATION":  {"clients", "comment", "directory", "realm", "type", "user-context"},
	"CLIENTS":         {"comment", "password", "password-file", "user", "user-context", "user-file"},
	"HTTP_HEADERS":    {"comment", "name", "user-context", "value"},
}

// TestKeyCoverageKea3 does what TestKeyCoverage does for the keywords
// Kea added after 2.2, which no all-keys.json that Debian 12 installs
// holds.
func TestKeyCoverageKea3(t *testing.T) {
	for scope, list := range kea3Keywords {
		for _, kw := range list {
			checkKeyword(t, scope, kw)
		}
	}
}
