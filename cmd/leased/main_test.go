package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   string // substring expected on stdout
		stderr   string // substring expected on stderr
		noStdout bool
		noStderr bool
	}{
		{args: nil, code: 2, stderr: "Usage:", noStdout: true},
		{args: []string{"help"}, code: 0, stdout: "Commands:"},
		{args: []string{"-h"}, code: 0, stdout: "Commands:"},
		{args: []string{"help", "serve"}, code: 0, stdout: "Usage: leased serve [flags]"},
		{args: []string{"help", "help"}, code: 0, stdout: "Usage: leased help [command]"},
		{args: []string{"help", "nope"}, code: 2, stderr: `unknown command "nope"`},
		{args: []string{"help", "a", "b"}, code: 2, stderr: "Usage: leased help"},
		{args: []string{"nope"}, code: 2, stderr: `unknown command "nope"`},
		{args: []string{"version"}, code: 0, stdout: "leased "},
		{args: []string{"version", "extra"}, code: 2, stderr: "unexpected arguments: extra"},
		{args: []string{"serve", "-bogus"}, code: 2, stderr: "flag provided but not defined: -bogus"},
		{args: []string{"serve", "-h"}, code: 0, stdout: "-c file", noStderr: true},
		{args: []string{"serve", "-p", "notaport"}, code: 2, stderr: "invalid value"},
		{args: []string{"serve", "-c", "/nonexistent"}, code: 1, stderr: "/nonexistent: error: cannot read configuration", noStdout: true},
		{args: []string{"serve"}, code: 2, stderr: "a configuration file is required"},
		{args: []string{"serve", "-c", "a", "-t", "b"}, code: 2, stderr: "exclude each other"},
		{args: []string{"serve", "-t", "testdata/bad.json"}, code: 1, stderr: "testdata/bad.json:3:23: error: valid-lifetime in subnet4: expected an integer", noStdout: true},
		{args: []string{"serve", "-t", "testdata/good.json"}, code: 0, noStdout: true},
		{args: []string{"serve", "stray"}, code: 2, stderr: "unexpected arguments: stray"},
		{args: []string{"serve", "-v"}, code: 0, stdout: "devel"},
		{args: []string{"serve", "-V"}, code: 0, stdout: "built with go"},
		{args: []string{"serve", "-W"}, code: 0, stdout: "Module:      github.com/leased/leased"},
		{args: []string{"serve"}, code: 2, stderr: "Usage: leased serve [flags]"},
		{args: []string{"serve", "-t", "a", "-T", "b"}, code: 2, stderr: "-c, -t and -T exclude each other"},
		{args: []string{"serve", "-T", "testdata/bad.json"}, code: 1, stderr: "testdata/bad.json:3:23: error: valid-lifetime in subnet4: expected an integer"},
		{args: []string{"serve", "-T", "testdata/good.json"}, code: 0, stdout: "lease-database /var/lib/leased/dhcp4.leases"},
		{args: []string{"serve", "-P", "70000", "-c", "x"}, code: 2, stderr: "ports are 1 to 65535"},
		{args: []string{"serve", "-p", "0", "-c", "x"}, code: 2, stderr: "ports are 1 to 65535"},
		{args: []string{"serve", "-P", "0", "-c", "x"}, code: 2, stderr: "Usage: leased serve [flags]"},
		{args: []string{"demo", "-clients", "0"}, code: 1, stderr: "clients must be 1 to 50"},
		{args: []string{"demo", "extra"}, code: 2, stderr: "unexpected arguments: extra"},
		{args: []string{"snoop"}, code: 2, stderr: "name the interface to watch (-i IFACE)", noStdout: true},
		{args: []string{"snoop", "-i", "no-such-if0"}, code: 1, stderr: `leased snoop: interface "no-such-if0"`, noStdout: true},
		{args: []string{"snoop", "extra", "-i", "lo"}, code: 2, stderr: "unexpected arguments: extra"},
		{args: []string{"snoop", "-c", "x", "-i", "lo"}, code: 2, stderr: "invalid value"},
		{args: []string{"lease", "-c", "x", "list"}, code: 2, stderr: `unknown action "list"`},
		{args: []string{"lease", "export"}, code: 2, stderr: "usage: leased lease export -c FILE"},
		{args: []string{"lease", "export", "-c", "/nonexistent/kea.json"}, code: 1, stderr: "leased lease export: ", noStdout: true},
		{args: []string{"lease", "-c", "x", "list", "-bogus"}, code: 2, stderr: "leased lease: flag provided but not defined: -bogus"},
		{args: []string{"lease", "-c"}, code: 2, stderr: "flag needs an argument: -c"},
		// ctl's flags after the command; -s's value is a socket even
		// when it looks like a command.
		{args: []string{"ctl", "config-get", "-s", "/nonexistent.sock"}, code: 1, stderr: "leased ctl: connecting to control socket /nonexistent.sock"},
		{args: []string{"ctl", "-timeout", "1s", "config-get", "-json", "-s", "/nonexistent.sock"}, code: 1, stderr: "control socket /nonexistent.sock"},
		{args: []string{"ctl", "-s", "status-get", "list-commands"}, code: 1, stderr: "control socket status-get"},
		{args: []string{"ctl", "-s=/nonexistent.sock", "config-get"}, code: 1, stderr: "control socket /nonexistent.sock"},
		{args: []string{"ctl", "--s", "/nonexistent.sock", "config-get"}, code: 1, stderr: "control socket /nonexistent.sock"},
		{args: []string{"ctl", "-s", "/x", "--", "-json"}, code: 1, stderr: "control socket /x"},
		{args: []string{"ctl", "-s", "/x", "mesh", "-b"}, code: 2, stderr: "leased ctl mesh: -s: leased ctl's flags do not apply"},
		{args: []string{"ctl", "mesh", "-h"}, code: 0, stdout: "Usage: leased ctl [-C PATH]", noStderr: true},
		{args: []string{"ctl", "mesh", "--help"}, code: 0, stdout: "Usage: leased ctl [-C PATH]", noStderr: true},
		{args: []string{"ctl", "mesh", "-help"}, code: 0, stdout: "Usage: leased ctl [-C PATH]", noStderr: true},
		{args: []string{"serve", "stray", "-c", "x"}, code: 2, stderr: "unexpected arguments: stray"},
		{args: []string{"serve", "-t", "testdata/good.json", "--", "-c"}, code: 2, stderr: "unexpected arguments: -c"},
		{args: []string{"client", "eth0", "-c", "x"}, code: 2, stderr: "unexpected arguments: eth0"},
		{args: []string{"-x"}, code: 2, stderr: `leased: unknown flag "-x"`},
		{args: []string{"--help"}, code: 0, stdout: "Commands:", noStderr: true},
		{args: []string{"-help"}, code: 0, stdout: "Commands:", noStderr: true},
		{args: []string{"help", "-h"}, code: 0, stdout: "Usage: leased help [command]", noStderr: true},
		{args: []string{"help", "mesh"}, code: 0, stdout: "-i IFACE", noStderr: true},
		{args: []string{"help", "ctl"}, code: 0, stdout: "leased ctl mesh [ddhcpdctl flags", noStderr: true},
		{args: []string{"mesh", "--help"}, code: 0, stdout: "Usage: leased mesh", noStderr: true},
		{args: []string{"mesh", "-help"}, code: 0, stdout: "Usage: leased mesh", noStderr: true},
		{args: []string{"mesh", "-Q"}, code: 2, stderr: "unknown flag -Q", noStdout: true},
		{args: []string{"ctl", "mesh", "-C", "/nonexistent.sock", "-b"}, code: 1, stderr: "/nonexistent.sock"},
		{args: []string{"ctl", "-s", "/nonexistent.sock", "config-get"}, code: 1, stderr: "leased ctl: connecting to control socket /nonexistent.sock"},
		{args: []string{"ctl", "config-get"}, code: 2, stderr: "name the control socket"},
		{args: []string{"ctl", "-s", "/x"}, code: 2, stderr: "usage: leased ctl"},
		{args: []string{"ctl", "-s", "/x", "lease4-get", "[1]"}, code: 2, stderr: "arguments must be a JSON map"},
		{args: []string{"ctl", "-s", "/x", "lease4-get", "{"}, code: 2, stderr: "arguments must be JSON"},
		{args: []string{"ctl", "-s", "/x", "a", "{}", "b"}, code: 2, stderr: "usage: leased ctl"},
		{args: []string{"ctl", "-c", "testdata/good.json", "list-commands"}, code: 1, stderr: "configures no control socket"},
		{args: []string{"mesh", "-mesh-iface", "mesh0"}, code: 2, stderr: "leased mesh: mesh: unknown flag -m"},
		{args: []string{"client"}, code: 2, stderr: "a configuration file is required"},
		{args: []string{"client", "-c", "/nonexistent"}, code: 1, stderr: "/nonexistent"},
		{args: []string{"client", "-c", "x", "eth0"}, code: 2, stderr: "unexpected arguments: eth0"},
		// The interfaces come from the configuration, not the command line.
		{args: []string{"help", "client"}, code: 0, stdout: "Usage: leased client [flags]\n"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		name := strings.Join(tc.args, " ")
		if code != tc.code {
			t.Errorf("leased %s: exit %d, want %d (stderr %q)", name, code, tc.code, errb.String())
		}
		if tc.stdout != "" && !strings.Contains(out.String(), tc.stdout) {
			t.Errorf("leased %s: stdout %q lacks %q", name, out.String(), tc.stdout)
		}
		if tc.stderr != "" && !strings.Contains(errb.String(), tc.stderr) {
			t.Errorf("leased %s: stderr %q lacks %q", name, errb.String(), tc.stderr)
		}
		if tc.noStdout && out.Len() > 0 {
			t.Errorf("leased %s: unexpected stdout %q", name, out.String())
		}
		if tc.noStderr && errb.Len() > 0 {
			t.Errorf("leased %s: unexpected stderr %q", name, errb.String())
		}
	}
}

// TestFlagsAroundVerb runs lease export and import with -c before the
// verb, after it, and among the CSV files: each form reads the same
// configuration and moves the same leases.
func TestFlagsAroundVerb(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kea.json")
	writeTestFile(t, cfg, `{"Dhcp4": {
  "interfaces-config": {"interfaces": ["*"]},
  "lease-database": {"type": "memfile", "persist": true, "name": "`+filepath.Join(dir, "leases")+`"},
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]
}}`)
	const header = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n"
	csv := func(name, addr, mac string) string {
		p := filepath.Join(dir, name)
		writeTestFile(t, p, header+addr+","+mac+",,3600,4000000000,1,0,0,,0,,0\n")
		return p
	}
	a, b, c := csv("a.csv", "192.0.2.100", "02:00:00:00:00:01"), csv("b.csv", "192.0.2.101", "02:00:00:00:00:02"), csv("c.csv", "192.0.2.102", "02:00:00:00:00:03")
	for _, args := range [][]string{
		{"lease", "import", a, "-c", cfg},
		{"lease", "-c", cfg, "import", b},
		{"lease", "import", "-c", cfg, c},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 || !strings.Contains(errb.String(), "1 rows read, 1 leases stored") {
			t.Errorf("leased %s: exit %d, stderr %q", strings.Join(args, " "), code, errb.String())
		}
	}
	for _, args := range [][]string{
		{"lease", "export", "-c", cfg},
		{"lease", "-c", cfg, "export"},
		{"lease", "--c=" + cfg, "export"},
	} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		got := out.String()
		if code != 0 || !strings.HasPrefix(got, header) {
			t.Errorf("leased %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, got, errb.String())
			continue
		}
		for _, addr := range []string{"192.0.2.100,", "192.0.2.101,", "192.0.2.102,"} {
			if !strings.Contains(got, "\n"+addr) {
				t.Errorf("leased %s: no lease of %s in %q", strings.Join(args, " "), addr, got)
			}
		}
	}
	// "--" ends the flags: what follows is a CSV file, even "-c".
	var out, errb bytes.Buffer
	if code := run([]string{"lease", "import", "-c", cfg, "--", "-c"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "-c") {
		t.Errorf("leased lease import -c CFG -- -c: exit %d, stderr %q", code, errb.String())
	}
}

// TestEveryCommandHelp asks every command for help in each way: each
// prints the command's usage on stdout and exits 0; an unknown flag
// exits 2 with a message on stderr.
func TestEveryCommandHelp(t *testing.T) {
	for _, c := range commands() {
		for _, args := range [][]string{{"help", c.name}, {c.name, "-h"}, {c.name, "-help"}, {c.name, "--help"}} {
			var out, errb bytes.Buffer
			name := strings.Join(args, " ")
			if code := run(args, &out, &errb); code != 0 {
				t.Errorf("leased %s: exit %d, want 0 (stderr %q)", name, code, errb.String())
			}
			if !strings.Contains(out.String(), "Usage: leased "+c.name) {
				t.Errorf("leased %s: stdout %q lacks the usage", name, out.String())
			}
			if errb.Len() > 0 {
				t.Errorf("leased %s: unexpected stderr %q", name, errb.String())
			}
		}
		if c.name == "help" {
			continue
		}
		var out, errb bytes.Buffer
		if code := run([]string{c.name, "-Q"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-Q") {
			t.Errorf("leased %s -Q: exit %d, stderr %q; want 2 and a message naming -Q", c.name, code, errb.String())
		}
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		var out, errb bytes.Buffer
		if code := run([]string{"help", c.name}, &out, &errb); code != 0 {
			t.Errorf("help %s: exit %d: %s", c.name, code, errb.String())
		}
		if !strings.Contains(out.String(), "leased "+c.name) {
			t.Errorf("help %s: %q", c.name, out.String())
		}
	}
}
