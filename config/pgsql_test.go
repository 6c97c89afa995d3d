package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestPostgreSQLLeaseDatabase reads lease-database of type postgresql in
// Kea 2.2's keywords and in Kea 3.x's, each keyword into its field.
func TestPostgreSQLLeaseDatabase(t *testing.T) {
	tests := []struct {
		name, src string
		want      Database
	}{
		{"kea 2.2", `{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "kea", "host": "db.example.org",
			"port": 5433, "user": "kea", "password": "pw-22", "connect-timeout": 7,
			"reconnect-wait-time": 3000, "max-reconnect-tries": 10, "on-fail": "serve-retry-exit",
			"trust-anchor": "/etc/ca.pem", "cert-file": "/etc/c.pem", "key-file": "/etc/k.pem"}}}`,
			Database{Type: "postgresql", Persist: true, LFCInterval: 3600, Name: "kea", Host: "db.example.org", Port: 5433,
				User: "kea", Password: "pw-22", ConnectTimeout: 7, ReconnectWaitTime: 3000, MaxReconnectTries: 10,
				OnFail: "serve-retry-exit", TrustAnchor: "/etc/ca.pem", CertFile: "/etc/c.pem", KeyFile: "/etc/k.pem"}},
		{"kea 3.x", `{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "kea", "host": "/run/postgresql",
			"user": "kea", "password-file": "/etc/kea/db-pw", "tcp-user-timeout": 20,
			"retry-on-startup": true, "on-fail": "serve-retry-continue", "ssl-mode": "verify-full",
			"trust-anchor": "/etc/ca.pem"}}}`,
			Database{Type: "postgresql", Persist: true, LFCInterval: 3600, Name: "kea", Host: "/run/postgresql",
				User: "kea", PasswordFile: "/etc/kea/db-pw", ConnectTimeout: 5, TCPUserTimeout: 20,
				RetryOnStartup: true, OnFail: "serve-retry-continue", SSLMode: "verify-full", TrustAnchor: "/etc/ca.pem"}},
		{"defaults", `{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "kea"}}}`,
			Database{Type: "postgresql", Persist: true, LFCInterval: 3600, Name: "kea", ConnectTimeout: 5, OnFail: "stop-retry-exit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, diags, err := load(t, tc.src)
			if err != nil {
				t.Fatalf("refused: %v\n%s", err, joinDiags(diags))
			}
			if len(diags) != 0 {
				t.Errorf("diagnostics:\n%s", joinDiags(diags))
			}
			got := c.LeaseDatabase
			if got.OnFail == "" {
				t.Error("on-fail has no default")
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lease-database\n got %+v\nwant %+v\n(passwords: %q, %q)", got, tc.want, got.Password.Reveal(), tc.want.Password.Reveal())
			}
		})
	}
}

// TestPostgreSQLRefused: what Kea's PostgreSQL connection refuses is
// refused at the keyword, with its file, line and column.
func TestPostgreSQLRefused(t *testing.T) {
	db := func(extra string) string {
		return `{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "kea", "password": "pw-refused"` + extra + `}}}`
	}
	tests := []struct{ name, src, want string }{
		{"no name", `{"Dhcp4": {"lease-database": {"type": "postgresql", "host": "h"}}}`,
			`t.json:1:39: error: lease-database: a postgresql database needs "name"`},
		{"connect-timeout 0", db(`, "connect-timeout": 0`),
			`t.json:1:113: error: lease-database: connect-timeout 0 is out of range for postgresql: it must be 1 to 2147483647 seconds`},
		{"connect-timeout too big", db(`, "connect-timeout": 2147483648`), `connect-timeout 2147483648 is out of range for postgresql`},
		{"connect-timeout negative", db(`, "connect-timeout": -1`), `connect-timeout in lease-database: expected an integer from 0 to 4294967295`},
		{"tcp-user-timeout too big", db(`, "tcp-user-timeout": 4294967295`), `tcp-user-timeout 4294967295 is out of range for postgresql`},
		{"password twice", db(`, "password-file": "/etc/pw"`), `t.json:1:111: error: lease-database: password and password-file are both given; keep one`},
		{"certificate without key", db(`, "cert-file": "/etc/c.pem"`), `t.json:1:107: error: lease-database: a client certificate needs both "cert-file" and "key-file"`},
		{"key without certificate", db(`, "key-file": "/etc/k.pem"`), `a client certificate needs both "cert-file" and "key-file"`},
		{"bad on-fail", db(`, "on-fail": "retry-forever"`), `on-fail in lease-database: expected one of "stop-retry-exit", "serve-retry-exit", "serve-retry-continue"`},
		{"bad ssl-mode", db(`, "ssl-mode": "verify"`), `ssl-mode in lease-database: expected one of "disable", "prefer", "require", "verify-ca", "verify-full"`},
		{"port out of range", db(`, "port": 65536`), `port in lease-database: expected an integer from 0 to 65535`},
		{"max-reconnect-tries negative", db(`, "max-reconnect-tries": -1`), `max-reconnect-tries in lease-database: expected an integer from 0 to 4294967295`},
		{"reconnect-wait-time a string", db(`, "reconnect-wait-time": "5s"`), `reconnect-wait-time in lease-database: expected an integer`},
		{"retry-on-startup a string", db(`, "retry-on-startup": "yes"`), `retry-on-startup in lease-database: expected`},
		{"unknown keyword", db(`, "readonly": true`), `unknown keyword "readonly" in lease-database`},
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
			if strings.Contains(all, "pw-refused") {
				t.Errorf("password echoed:\n%s", all)
			}
		})
	}
}

// TestPostgreSQLNoEffect: Kea's MySQL-only settings are accepted on a
// postgresql database with a warning at each.
func TestPostgreSQLNoEffect(t *testing.T) {
	_, diags, err := load(t, `{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "kea",
		"read-timeout": 5, "write-timeout": 5, "cipher-list": "HIGH"}}}`)
	if err != nil {
		t.Fatalf("refused: %v\n%s", err, joinDiags(diags))
	}
	all := joinDiags(diags)
	for _, w := range []string{
		`t.json:2:19: warning: no effect in leased: read-timeout with type "postgresql" in lease-database`,
		`no effect in leased: write-timeout with type "postgresql" in lease-database`,
		`no effect in leased: cipher-list with type "postgresql" in lease-database`,
	} {
		if !strings.Contains(all, w) {
			t.Errorf("want %s\ngot\n%s", w, all)
		}
	}
}

// TestPostgreSQLPasswordRedacted: the password shows nowhere the
// configuration is shown (config-get's JSON, the raw tree, formatting).
func TestPostgreSQLPasswordRedacted(t *testing.T) {
	c := mustLoad(t, `{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "kea", "user": "kea", "password": "pg-Secret-77"}}}`)
	for what, out := range map[string]string{
		"JSON": string(c.JSON()),
		"Raw":  c.Raw.String(),
		"%v":   fmt.Sprintf("%v %+v %#v", c.LeaseDatabase, c.LeaseDatabase, c.LeaseDatabase),
	} {
		if strings.Contains(out, "pg-Secret-77") || !strings.Contains(out, "*****") {
			t.Errorf("%s: %s", what, out)
		}
	}
	if c.LeaseDatabase.Password.Reveal() != "pg-Secret-77" {
		t.Error("Reveal lost the password")
	}
}
