package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestDBCommandLine: leased db's -h is kea-admin's host, help is asked
// for at the end or with -help; a missing or unknown action or backend,
// or a port out of range, is a usage error.
func TestDBCommandLine(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"db", "-h"}, 0, "Usage: leased db", ""},
		{[]string{"db", "version", "-n", "kea", "-h"}, 0, "-h host", ""},
		{[]string{"db", "-help"}, 0, "-P port", ""},
		{[]string{"db"}, 2, "", "name one action"},
		{[]string{"db", "drop", "-n", "kea"}, 2, "", `not "drop"`},
		{[]string{"db", "init", "upgrade"}, 2, "", `not "init upgrade"`},
		{[]string{"db", "version", "-P", "70000"}, 2, "", "-P 70000"},
		{[]string{"db", "version", "-h", "/nonexistent", "-P", "1"}, 1, "", "no database named"},
		// kea-admin's backend after the action.
		{[]string{"db", "version", "mysql", "-h", "/nonexistent"}, 1, "", "a mysql lease-database"},
		{[]string{"db", "version", "pgsql", "-h", "/nonexistent"}, 1, "", "a postgresql lease-database"},
		{[]string{"db", "upgrade", "mysql", "-n", "kea", "-h", "/nonexistent/sock"}, 1, "", "upgrade schema 14.0 to 35.0: dial unix /nonexistent/sock"},
		{[]string{"db", "init", "mysql", "-n", "kea", "-h", "/nonexistent/sock"}, 1, "", "/nonexistent/sock"},
		{[]string{"db", "version", "oracle"}, 2, "", `not "version oracle"`},
	} {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errb.String(), c.stderr) {
			t.Errorf("leased %s: exit %d, stdout %q, stderr %q; want %d, %q, %q",
				strings.Join(c.args, " "), code, out.String(), errb.String(), c.code, c.stdout, c.stderr)
		}
	}
}
