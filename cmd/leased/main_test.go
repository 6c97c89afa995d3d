package main

import (
	"bytes"
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
		{args: []string{"serve", "-h"}, code: 0, stderr: "-c file"},
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
		{args: []string{"lease", "-c", "x", "list"}, code: 2, stderr: `unknown action "list"`},
		{args: []string{"lease", "export"}, code: 2, stderr: "usage: leased lease"},
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
