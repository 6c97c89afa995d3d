//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// TestCheckConfig runs `leased serve -t` under strace in a namespace of
// its own: on a valid configuration it exits 0 and prints nothing; on
// broken ones it exits non-zero and names each error by file:line:col. In
// neither case does it make a single network system call (so it opens no
// socket and nothing listens), nor create the lease file or its directory.
func TestCheckConfig(t *testing.T) {
	needs(t, "strace", "ss")
	ns := testnet.NewNS(t, "check")
	dir := t.TempDir()
	leaseDir := filepath.Join(dir, "leases")
	leaseFile := filepath.Join(leaseDir, "dhcp4.leases")

	// Positive control: the strace invocation sees the network calls of
	// a program that makes them.
	if calls := networkCalls(t, ns, dir, 0, "ip", "-4", "addr", "show", "dev", "lo"); len(calls) == 0 {
		t.Fatal("strace saw no network system call of `ip addr`, which opens a netlink socket: the check below would prove nothing")
	}

	valid := filepath.Join(dir, "valid.json")
	writeFile(t, valid, servingConfig(leaseFile, testnet.NewMAC(), 3600))
	t.Run("valid", func(t *testing.T) {
		out, calls := checkRun(t, ns, dir, valid, 0)
		if out != "" {
			t.Errorf("leased serve -t on a valid configuration printed:%s", testnet.IndentOutput(out))
		}
		if len(calls) > 0 {
			t.Errorf("leased serve -t made network system calls:%s", testnet.IndentOutput(strings.Join(calls, "\n")))
		}
	})

	// Each broken file and the positions its errors must be reported at.
	broken := []struct {
		name, content string
		want          []string // "line:col" and a word of the message
	}{
		{"semantic", `{"Dhcp4": {
  "interfaces-config": {"interfaces": ["srv0"]},
  "lease-database": {"type": "memfile", "persist": true, "name": "` + leaseFile + `"},
  "bogus-key": 1,
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24",
    "pools": [{"pool": "192.0.2.100 - 192.0.2.50"}]}]
}}
`, []string{"4:3: error: .*bogus-key", "6:24: error: .*192.0.2.100 - 192.0.2.50"}},
		{"syntax", `{"Dhcp4": {
  "lease-database": {"type": "memfile", "persist": true, "name": "` + leaseFile + `"},
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24",, }]
}}
`, []string{"3:50: error"}},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			file := filepath.Join(dir, b.name+".json")
			writeFile(t, file, b.content)
			out, calls := checkRun(t, ns, dir, file, 1)
			for _, w := range b.want {
				re := regexp.MustCompile("(?m)^" + regexp.QuoteMeta(file) + ":" + w)
				if !re.MatchString(out) {
					t.Errorf("leased serve -t %s: no message matching %q in:%s", file, re, testnet.IndentOutput(out))
				}
			}
			if len(calls) > 0 {
				t.Errorf("leased serve -t made network system calls:%s", testnet.IndentOutput(strings.Join(calls, "\n")))
			}
		})
	}

	if _, err := os.Stat(leaseDir); !os.IsNotExist(err) {
		t.Errorf("leased serve -t created the lease directory %s (stat: %v)", leaseDir, err)
	}
	if out := ns.MustRun(t, "ss", "-H", "-a", "-u", "-w", "-t", "-x", "-n"); strings.TrimSpace(out) != "" {
		t.Errorf("sockets in the namespace after leased serve -t:%s", testnet.IndentOutput(out))
	}
}

// checkRun runs `leased serve -t file` under strace in ns, checks its exit
// status, and returns its output and the network system calls it made.
func checkRun(t *testing.T, ns *testnet.NS, dir, file string, wantExit int) (string, []string) {
	t.Helper()
	return checkOutput(t, ns, dir, wantExit, leasedBin, "serve", "-t", file)
}

func checkOutput(t *testing.T, ns *testnet.NS, dir string, wantExit int, cmd ...string) (string, []string) {
	t.Helper()
	trace := filepath.Join(dir, fmt.Sprintf("strace-%d.out", time.Now().UnixNano()))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	args := append([]string{"-f", "-qq", "-e", "trace=%network", "-e", "signal=none", "-o", trace}, cmd...)
	out, err := ns.Run(ctx, "strace", args...)
	if code := exitCode(err); err != nil && code < 0 {
		t.Fatal(err)
	} else if err == nil {
		code = 0
		if code != wantExit {
			t.Errorf("%s exited 0, want %d:%s", strings.Join(cmd, " "), wantExit, testnet.IndentOutput(out))
		}
	} else if code != wantExit {
		t.Errorf("%s exited %d, want %d:%s", strings.Join(cmd, " "), code, wantExit, testnet.IndentOutput(out))
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			calls = append(calls, l)
		}
	}
	return out, calls
}

// networkCalls returns the network system calls strace sees cmd make.
func networkCalls(t *testing.T, ns *testnet.NS, dir string, wantExit int, cmd ...string) []string {
	t.Helper()
	_, calls := checkOutput(t, ns, dir, wantExit, cmd...)
	return calls
}
