package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestDDNSCommand checks leased ddns's command line, and that leased
// serve -t checks a DhcpDdns section beside Dhcp4.
func TestDDNSCommand(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"ddns"}, 2, "", "a configuration file is required"},
		{[]string{"ddns", "-c", "a", "-t", "b"}, 2, "", "exclude each other"},
		{[]string{"ddns", "-t", "testdata/ddns-good.json"}, 0, "", ""},
		{[]string{"ddns", "-t", "testdata/ddns-bad.json"}, 1, "",
			`testdata/ddns-bad.json:5:79: error: ddns-domains: key-name "other" is not one of the tsig-keys ("k")`},
		{[]string{"ddns", "-c", "/nonexistent"}, 1, "", "/nonexistent: error: cannot read configuration"},
		{[]string{"ddns", "-v"}, 0, "devel", ""},
		{[]string{"ddns", "-h"}, 0, "-t file", ""},
		{[]string{"help"}, 0, "ddns", ""},
		{[]string{"serve", "-t", "testdata/ddns-bad.json"}, 1, "",
			`testdata/ddns-bad.json:5:79: error: ddns-domains: key-name "other" is not one of the tsig-keys ("k")`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("leased %s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				strings.Join(tc.args, " "), code, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
		}
		if tc.code == 0 && tc.stderr == "" && stderr.Len() > 0 {
			t.Errorf("leased %s: stderr %q", strings.Join(tc.args, " "), stderr.String())
		}
	}
}
