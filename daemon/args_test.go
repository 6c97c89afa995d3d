package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leased/leased/control"
	"github.com/leased/leased/lease"
)

func TestParseHexID(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
		err  string
	}{
		{"02:00:0a:0B:ff:1", []byte{2, 0, 10, 11, 255, 1}, ""},
		{"02-00-00-00-00-01", []byte{2, 0, 0, 0, 0, 1}, ""},
		{"01020304", []byte{1, 2, 3, 4}, ""},
		{"0x0102", []byte{1, 2}, ""},
		{"", nil, "empty"},
		{"010", nil, "not hexadecimal"},
		{"01:zz", nil, "not a list of hexadecimal bytes"},
		{"01::02", nil, ""}, // an empty group is skipped by FieldsFunc
		{"123:4", nil, "not a list"},
		{strings.Repeat("ab:", 20) + "ab", nil, "more than 20"},
	}
	for _, tt := range tests {
		got, err := parseHexID(tt.in, 20)
		switch {
		case tt.err == "" && err != nil && tt.want != nil:
			t.Errorf("parseHexID(%q): %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseHexID(%q) error %v, want one containing %q", tt.in, err, tt.err)
		case tt.want != nil && !bytes.Equal(got, tt.want):
			t.Errorf("parseHexID(%q) = %x, want %x", tt.in, got, tt.want)
		}
	}
}

func FuzzParseHexID(f *testing.F) {
	for _, s := range []string{"02:00:00:00:00:01", "0102", "a-b-c", "", "::", "0x", "ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseHexID(s, 20)
		if err != nil {
			return
		}
		if len(b) > 20 {
			t.Fatalf("%q: %d bytes, over the limit", s, len(b))
		}
		// What is accepted prints back to something that reads the same.
		text := string(lease.AppendHex(nil, b))
		again, err := parseHexID(text, 20)
		if len(b) > 0 && (err != nil || !bytes.Equal(again, b)) {
			t.Fatalf("%q -> %x -> %q -> %x, %v", s, b, text, again, err)
		}
	})
}

func TestParseLeaseQuery(t *testing.T) {
	tests := []struct {
		args, err string
		idType    string
	}{
		{`{"ip-address": "192.0.2.1"}`, "", ""},
		{`{"ip-address": "2001:db8::1"}`, "Invalid IPv4 address specified", ""},
		{`{"ip-address": 5}`, "'ip-address' is not a string.", ""},
		{`{"identifier-type": "hw-address", "identifier": "02:00:00:00:00:01"}`, "Mandatory 'subnet-id' parameter missing.", ""},
		{`{"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00:00:00:00:01"}`, "", "hw-address"},
		{`{"subnet-id": 1, "identifier-type": "client-id", "identifier": "01:02:00:00:00:00:01"}`, "", "client-id"},
		{`{"subnet-id": 1, "identifier-type": "duid", "identifier": "01:02"}`, "not allowed in v4", ""},
		{`{"subnet-id": 1, "identifier-type": "flex-id", "identifier": "01"}`, "Incorrect identifier type", ""},
		{`{"subnet-id": 1, "identifier-type": "hw-address"}`, "'identifier' is either missing", ""},
		{`{"subnet-id": "1", "identifier-type": "hw-address", "identifier": "01"}`, "'subnet-id' parameter is not integer.", ""},
		{``, "Parameters missing or are not a map.", ""},
		{`[1]`, "Parameters missing or are not a map.", ""},
	}
	for _, tt := range tests {
		q, err := parseLeaseQuery(json.RawMessage(tt.args))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || q.idType != tt.idType {
			t.Errorf("%s: %+v %v", tt.args, q, err)
		}
	}
}

func FuzzLeaseQuery(f *testing.F) {
	for _, s := range []string{`{"ip-address": "192.0.2.1"}`, `{"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00"}`, `null`, `{`, `{"subnet-id": -1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseLeaseQuery(json.RawMessage(s))
		if err == nil && !q.addr.IsValid() && q.idType == "" {
			t.Fatalf("%q accepted without naming a lease", s)
		}
	})
}

func TestParseConfigArgs(t *testing.T) {
	tests := []struct{ args, err string }{
		{``, "Missing mandatory 'arguments' parameter."},
		{`[]`, "'arguments' parameter expected to be a map."},
		{`{}`, "Missing mandatory 'Dhcp4' parameter."},
		{`{"Dhcp4": 1}`, "'Dhcp4' parameter expected to be a map."},
		{`{"Dhcp4": {}, "Logging": {}, "Dhcp6": {}}`, "Unsupported 'Dhcp6', 'Logging' parameter."},
		{`{"Dhcp4": {"valid-lifetime": "x"}}`, "config-test:1:30: error: valid-lifetime"},
		{`{"Dhcp4": {"valid-lifetime": 60}}`, ""},
	}
	for _, tt := range tests {
		_, err := parseConfigArgs("config-test", json.RawMessage(tt.args))
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.args, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.args, err, tt.err)
		}
	}
}

func FuzzConfigArgs(f *testing.F) {
	for _, s := range []string{`{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}]}}`, `{"Dhcp4": []}`, `{"x": 1}`, `{"Dhcp4": {"valid-lifetime": 1e999}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := parseConfigArgs("config-set", json.RawMessage(s))
		if err == nil && cfg == nil {
			t.Fatalf("%q: no configuration and no error", s)
		}
	})
}

func TestAllowedConfigPath(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Mkdir(filepath.Join(dir, "leases"), 0o755)
	os.Mkdir(filepath.Join(dir, "run"), 0o755)
	os.WriteFile(filepath.Join(dir, "leases", "dhcp4.leases.j0000000000000001"), nil, 0o600)
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(dir, "link"))
	os.Symlink(filepath.Join(dir, "leases"), filepath.Join(dir, "leaselink"))
	os.Symlink(filepath.Join(dir, "leases", "dhcp4.leases.j0000000000000001"), filepath.Join(dir, "journal.json"))
	os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling.json"))
	realDir, _ := filepath.EvalSymlinks(dir)
	guard := []guarded{
		{filepath.Join(dir, "leases"), true, "the lease store's directory"},
		{filepath.Join(dir, "run", "x.pid"), false, "the PID file"},
		{filepath.Join(dir, "ctl.sock"), false, "a control socket"},
	}
	tests := []struct{ name, want, err string }{
		{"kea-dhcp4.conf", filepath.Join(realDir, "kea-dhcp4.conf"), ""},
		{"new.json", filepath.Join(realDir, "new.json"), ""},
		{filepath.Join(dir, "sub", "x.json"), filepath.Join(realDir, "sub", "x.json"), ""},
		{"../x.json", "", "only files in"},
		{filepath.Join(outside, "x.json"), "", "only files in"},
		{"/nonexistent/x.json", "", "only files in"},
		{"link/x.json", "", "only files in"},
		{"missing/x.json", "", "only files in"},
		{"sub", "", "not a regular file"},
		{"leases/dhcp4.leases.j0000000000000001", "", "the lease store's directory"},
		{"leases/new.json", "", "the lease store's directory"},
		{"leases/../leases/dhcp4.leases.snap", "", "the lease store's directory"},
		{"leaselink/dhcp4.leases.j0000000000000002", "", "the lease store's directory"},
		{"journal.json", "", "the lease store's directory"},
		{"dangling.json", "", "a symbolic link to no regular file"},
		{"run/x.pid", "", "the PID file"},
		{"ctl.sock", "", "a control socket"},
	}
	for _, tt := range tests {
		got, err := allowedConfigPath(cfg, tt.name, guard)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, errWriteRefused) {
				t.Errorf("%s: %q, %v; want a refusal containing %q", tt.name, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	// The configuration file itself may lie in the lease store's
	// directory and be written; the store's files beside it may not.
	inLeases := filepath.Join(dir, "leases", "kea-dhcp4.conf")
	if got, err := allowedConfigPath(inLeases, "kea-dhcp4.conf", guard); err != nil || got != filepath.Join(realDir, "leases", "kea-dhcp4.conf") {
		t.Errorf("the configuration file in the lease directory: %q, %v", got, err)
	}
	if _, err := allowedConfigPath(inLeases, "dhcp4.leases.j0000000000000001", guard); err == nil {
		t.Error("a journal segment beside a configuration file in the lease directory was allowed")
	}
}

// TestLeaseCommandArgs pins the answers of the lease4-get* and
// lease4-del commands to arguments they refuse: Kea's lease_cmds texts,
// result 1. None of them reaches the lease store.
func TestLeaseCommandArgs(t *testing.T) {
	var p process
	cmds := map[string]control.Handler{
		"lease4-get":               p.cmdLeaseGet,
		"lease4-del":               p.cmdLeaseDel,
		"lease4-get-by-hw-address": p.cmdLeaseGetByHW,
		"lease4-get-by-client-id":  p.cmdLeaseGetByClientID,
		"lease4-get-by-hostname":   p.cmdLeaseGetByHostname,
	}
	tests := []struct{ cmd, args, text string }{
		{"lease4-get", `[1]`, "Parameters missing or are not a map."},
		{"lease4-get", `{"ip-address": "2001:db8::1"}`, "Invalid IPv4 address specified: 2001:db8::1"},
		{"lease4-del", ``, "Parameters missing or are not a map."},
		{"lease4-del", `{"subnet-id": 1, "identifier-type": "duid", "identifier": "01:02"}`, "Query by duid is not allowed in v4."},
		{"lease4-get-by-hw-address", ``, "Command arguments missing or a not a map."},
		{"lease4-get-by-hw-address", `null`, "Command arguments missing or a not a map."},
		{"lease4-get-by-hw-address", `[1]`, "Command arguments missing or a not a map."},
		{"lease4-get-by-hw-address", `{}`, "'hw-address' parameter not specified"},
		{"lease4-get-by-hw-address", `{"hw-address": 5}`, "'hw-address' parameter must be a string"},
		{"lease4-get-by-hw-address", `{"hw-address": ""}`, "'hw-address' parameter must not be empty"},
		{"lease4-get-by-hw-address", `{"hw-address": "01:zz"}`, `bad 'hw-address' parameter: "01:zz" is not a list of hexadecimal bytes`},
		{"lease4-get-by-client-id", `"x"`, "Command arguments missing or a not a map."},
		{"lease4-get-by-client-id", `{"hw-address": "01"}`, "'client-id' parameter not specified"},
		{"lease4-get-by-client-id", `{"client-id": 7}`, "'client-id' parameter must be a string"},
		{"lease4-get-by-client-id", `{"client-id": null}`, "bad 'client-id' parameter: empty"}, // null reads as ""
		{"lease4-get-by-client-id", `{"client-id": ""}`, "bad 'client-id' parameter: empty"},
		{"lease4-get-by-client-id", `{"client-id": "010"}`, `bad 'client-id' parameter: "010" is not hexadecimal`},
		{"lease4-get-by-hostname", ``, "Command arguments missing or a not a map."},
		{"lease4-get-by-hostname", `{"host": "a"}`, "'hostname' parameter not specified"},
		{"lease4-get-by-hostname", `{"hostname": ["a"]}`, "'hostname' parameter must be a string"},
		{"lease4-get-by-hostname", `{"hostname": ""}`, "'hostname' parameter is empty"},
	}
	for _, tt := range tests {
		r := cmds[tt.cmd](context.Background(), json.RawMessage(tt.args))
		if r.Result != control.Error || r.Text != tt.text {
			t.Errorf("%s %s: result %d %q, want %d %q", tt.cmd, tt.args, r.Result, r.Text, control.Error, tt.text)
		}
	}
}
