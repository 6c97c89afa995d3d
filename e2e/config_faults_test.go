//go:build linux

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// TestHostileIncludes gives leased configuration files that include
// /dev/zero and a FIFO no one writes to, and a FIFO as the configuration
// file itself. `leased serve -t` refuses each at once, naming the
// include's file:line:col (it ran out of memory on /dev/zero and hung on
// the FIFO); a running server given SIGHUP or config-reload with such an
// include logs the same error, keeps serving its configuration, and
// stops on SIGTERM (it crashed on /dev/zero and blocked for good on the
// FIFO, SIGTERM included).
func TestHostileIncludes(t *testing.T) {
	needs(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	sock := filepath.Join(dir, "leased.sock")
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	good := strings.Replace(servingConfig(leaseFile, testnet.NewMAC(), 3600),
		`"valid-lifetime": 3600,`,
		fmt.Sprintf(`"valid-lifetime": 3600, "control-sockets": [{"socket-type": "unix", "socket-name": %q}],`, sock), 1)
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, good)

	// hostile returns the good configuration with an include of target
	// as the value of valid-lifetime, and where the error must be
	// reported.
	hostile := func(target string) (text, at string) {
		text = strings.Replace(good, `"valid-lifetime": 3600,`, `"valid-lifetime": <?include "`+target+`"?>,`, 1)
		i := strings.Index(text, "<?include")
		line := strings.Count(text[:i], "\n") + 1
		col := i - strings.LastIndex(text[:i], "\n")
		return text, fmt.Sprintf("%s:%d:%d: error: included file %q is not a regular file", cfg, line, col, target)
	}

	for _, target := range []string{"/dev/zero", fifo} {
		text, at := hostile(target)
		file := filepath.Join(dir, "check.json")
		writeFile(t, file, text)
		at = strings.Replace(at, cfg, file, 1)
		out := checkExits(t, p.Server, 1, "serve", "-t", file)
		if !strings.Contains(out, at) {
			t.Errorf("leased serve -t with %s included: no %q in:%s", target, at, testnet.IndentOutput(out))
		}
	}
	if out := checkExits(t, p.Server, 1, "serve", "-t", fifo); !strings.Contains(out, "is not a regular file") {
		t.Errorf("leased serve -t on a FIFO does not say it is not a regular file:%s", testnet.IndentOutput(out))
	}

	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()
	ctl := &ctlRunner{t: t, ns: p.Server, sock: sock}
	hash := ctl.hash()
	for _, target := range []string{"/dev/zero", fifo} {
		text, at := hostile(target)
		writeFile(t, cfg, text)
		// The log quotes the message, and its quotes with it.
		logged := strings.ReplaceAll(at, `"`, `\"`)
		before := strings.Count(srv.log(), logged)
		if err := srv.cur.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(srv.log(), logged) == before {
			if !srv.running() || time.Now().After(deadline) {
				t.Fatalf("SIGHUP with %s included: no %q in the log (running %v)%s", target, at, srv.running(), srv.lastLog())
			}
			time.Sleep(20 * time.Millisecond)
		}
		out := checkExits(t, p.Server, 1, "ctl", "-s", sock, "config-reload")
		if !strings.Contains(out, "is not a regular file") {
			t.Errorf("config-reload with %s included answered:%s", target, testnet.IndentOutput(out))
		}
		if h := ctl.hash(); h != hash {
			t.Errorf("including %s changed the configuration's hash", target)
		}
	}
	srv.stop()
}

// checkExits runs leased with args in ns, giving it 20 s, and checks its
// exit status; a run cut off by the deadline fails the test.
func checkExits(t *testing.T, ns *testnet.NS, want int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := ns.Run(ctx, leasedBin, args...)
	if ctx.Err() != nil {
		t.Fatalf("leased %s still running after 20 s:%s", strings.Join(args, " "), testnet.IndentOutput(out))
	}
	if code := exitCode(err); err == nil && want != 0 || err != nil && code != want {
		t.Errorf("leased %s exited %d (%v), want %d:%s", strings.Join(args, " "), code, err, want, testnet.IndentOutput(out))
	}
	return out
}
