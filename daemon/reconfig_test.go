package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/lease/memfile"
)

// TestLeaseDatabaseChangeRefused changes lease-database through
// config-set, config-test, config-reload and SIGHUP: each refuses it with
// the reason, the configuration in force (what config-get shows) keeps
// the store the leases are in, and the leases keep going there. A change
// that leaves the store as it is (the same file named another way, with
// another lifetime) is applied.
func TestLeaseDatabaseChangeRefused(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	text := testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199")
	p := startProc(t, dir, text)
	leaseFile := filepath.Join(dir, "leases", "dhcp4.leases")
	p.want("lease4-add", map[string]any{"ip-address": "192.0.2.150", "hw-address": "02:00:00:00:00:01"}, 0)
	h0 := p.hash()

	other := filepath.Join(dir, "other", "dhcp4.leases")
	for _, tc := range []struct{ name, from, to string }{
		{"another file", `"name": "` + leaseFile + `"`, `"name": "` + other + `"`},
		{"a path that cannot be", `"name": "` + leaseFile + `"`, `"name": "/proc/nope/leases"`},
		{"in memory", `"persist": true`, `"persist": false`},
		{"lfc-interval", `"persist": true`, `"persist": true, "lfc-interval": 10`},
	} {
		changed := strings.Replace(text, tc.from, tc.to, 1)
		var args json.RawMessage = []byte(stripComment(changed))
		for _, cmd := range []string{"config-test", "config-set"} {
			r := p.want(cmd, args, 1)
			if !strings.Contains(r.Text, "lease-database changed") || !strings.Contains(r.Text, "restart leased") {
				t.Errorf("%s, %s: %q does not say why", tc.name, cmd, r.Text)
			}
		}
		if h := p.hash(); h != h0 {
			t.Fatalf("%s: the refused config-set changed the hash", tc.name)
		}
		if r := p.want("config-get", nil, 0); !strings.Contains(raw(r), leaseFile) || strings.Contains(raw(r), "/proc/nope") || strings.Contains(raw(r), other) {
			t.Errorf("%s: config-get after the refusal: %s", tc.name, raw(r))
		}

		if err := os.WriteFile(p.cfg, []byte(changed), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := p.want("config-reload", nil, 1); !strings.Contains(r.Text, "lease-database changed") {
			t.Errorf("%s: config-reload: %q does not say why", tc.name, r.Text)
		}
		before := strings.Count(p.out.String(), "lease-database changed")
		p.reload <- struct{}{}
		waitFor(t, "the refused SIGHUP reload in the log", func() bool {
			return strings.Count(p.out.String(), "lease-database changed") > before
		})
		if h := p.hash(); h != h0 {
			t.Fatalf("%s: a refused reload changed the hash", tc.name)
		}
	}
	if _, err := os.Stat(filepath.Dir(other)); !os.IsNotExist(err) {
		t.Errorf("the new lease directory was created (%v)", err)
	}

	// The leases still go to the store in force.
	p.want("lease4-add", map[string]any{"ip-address": "192.0.2.151", "hw-address": "02:00:00:00:00:02"}, 0)
	if n := storeLen(t, leaseFile); n != 2 {
		t.Errorf("%s holds %d leases, want 2", leaseFile, n)
	}

	same := strings.Replace(text, `"name": "`+leaseFile+`"`, `"name": "`+filepath.Join(dir, "leases", "..", "leases", "dhcp4.leases")+`"`, 1)
	same = strings.Replace(same, `"valid-lifetime": 3600`, `"valid-lifetime": 7200`, 1)
	if err := os.WriteFile(p.cfg, []byte(same), 0o600); err != nil {
		t.Fatal(err)
	}
	p.want("config-reload", nil, 0)
	if h := p.hash(); h == h0 {
		t.Error("a reload keeping the lease store was not applied")
	}
}

// storeLen counts the leases of a store a server holds, without taking
// it.
func storeLen(t *testing.T, path string) int {
	t.Helper()
	st, err := memfile.OpenReadOnly(memfile.Options{Path: path, Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Len(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReloadRefusesNonRegularInclude includes a FIFO no one writes to
// and /dev/zero in the configuration file of a running server: SIGHUP
// and config-reload each answer at once that the include is not a
// regular file, with its position, and the server keeps its
// configuration, answers commands and stops when told to. (The FIFO
// blocked the reload, and with it config-reload and SIGTERM, for good;
// /dev/zero ran the server out of memory.)
func TestReloadRefusesNonRegularInclude(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	text := testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199")
	p := startProc(t, dir, text)
	h0 := p.hash()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{fifo, "/dev/zero"} {
		// Line 5 is "valid-lifetime"; the include starts its value.
		broken := strings.Replace(text, `"valid-lifetime": 3600`, `"valid-lifetime": <?include "`+target+`"?>`, 1)
		if err := os.WriteFile(p.cfg, []byte(broken), 0o600); err != nil {
			t.Fatal(err)
		}
		want := p.cfg + `:5:21: error: included file "` + target + `" is not a regular file`
		// The log quotes the message, and its quotes with it.
		logged := strings.ReplaceAll(want, `"`, `\"`)
		before := strings.Count(p.out.String(), logged)
		p.reload <- struct{}{}
		waitFor(t, "the refused include in the log", func() bool { return strings.Count(p.out.String(), logged) > before })

		c := &control.Client{Target: p.sock, Timeout: 10 * time.Second}
		r, err := c.Call(context.Background(), "config-reload", nil)
		if err != nil {
			t.Fatalf("config-reload with %s included: %v", target, err)
		}
		if r.Result != 1 || !strings.Contains(r.Text, want) {
			t.Errorf("config-reload with %s included: %d %q, want 1 and %q", target, r.Result, r.Text, want)
		}
		if h := p.hash(); h != h0 {
			t.Errorf("including %s changed the configuration", target)
		}
	}
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after it was told to stop")
	}
	if p.code != 0 || p.err != nil {
		t.Errorf("Run returned %d, %v", p.code, p.err)
	}
}

// TestConfigWriteSparesLeaseStore asks config-write to replace the live
// journal segment, the lease store's directory, the PID file and the
// control socket: each is refused, and after a restart every lease is
// still there (a segment overwritten with the configuration lost them
// all). The refusal of a path outside the configuration's directory
// reads the same whether the path exists or not.
func TestConfigWriteSparesLeaseStore(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	text := testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199")
	p := startProc(t, dir, text)
	for i := range 3 {
		p.want("lease4-add", map[string]any{"ip-address": fmt.Sprintf("192.0.2.%d", 150+i), "hw-address": fmt.Sprintf("02:00:00:00:00:%02x", i)}, 0)
	}
	segments, _ := filepath.Glob(filepath.Join(dir, "leases", "dhcp4.leases.j*"))
	if len(segments) == 0 {
		t.Fatalf("no journal segment in %s", filepath.Join(dir, "leases"))
	}
	rel, _ := filepath.Rel(dir, segments[len(segments)-1])
	for _, name := range []string{rel, segments[0], "leases", "leases/new.json", p.pidPath, "ctl.sock", "ctl.sock.lock"} {
		r := p.call("config-write", map[string]string{"filename": name})
		if r.Result != 1 || !strings.Contains(r.Text, "not allowed to write config into") {
			t.Errorf("config-write to %s: %d %q, want a refusal", name, r.Result, r.Text)
		}
	}
	var texts []string
	for _, name := range []string{"/nonexistent/dir/x.json", "/etc/x.json", "/root/x.json"} {
		r := p.call("config-write", map[string]string{"filename": name})
		texts = append(texts, strings.ReplaceAll(r.Text, name, "X"))
	}
	if texts[0] != texts[1] || texts[1] != texts[2] {
		t.Errorf("config-write outside the directory tells paths apart:\n%s", strings.Join(texts, "\n"))
	}

	p.want("shutdown", nil, 0)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after shutdown")
	}
	p2 := startProcFile(t, dir, p.cfg)
	var all struct{ Leases []any }
	if err := p2.want("lease4-get-all", nil, 0).Decode(&all); err != nil || len(all.Leases) != 3 {
		t.Errorf("after the refused config-writes and a restart: %d leases (%v), want 3", len(all.Leases), err)
	}
}

// TestConfigSetTextsHideWhatExists sends config-set with a logger file,
// and then a unix control socket, in a directory that does not exist and
// under a regular file: each is refused, and the answers read the same
// but for the path, while the log says why each failed.
func TestConfigSetTextsHideWhatExists(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	text := testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199")
	p := startProc(t, dir, text)
	h0 := p.hash()
	for _, tc := range []struct{ what, from, to string }{
		{"a logger file", `"valid-lifetime": 3600,`,
			`"valid-lifetime": 3600, "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output-options": [{"output": "PATH"}]}],`},
		{"a control socket", `"socket-name": "` + p.sock + `"`, `"socket-name": "PATH"`},
	} {
		var texts []string
		for _, path := range []string{filepath.Join(dir, "missing", "x"), filepath.Join(p.cfg, "x")} {
			changed := strings.Replace(text, tc.from, strings.ReplaceAll(tc.to, "PATH", path), 1)
			if changed == text {
				t.Fatalf("%s: the configuration did not change", tc.what)
			}
			var args json.RawMessage = []byte(stripComment(changed))
			r := p.want("config-set", args, 1)
			texts = append(texts, strings.ReplaceAll(r.Text, path, "X"))
		}
		if texts[0] != texts[1] {
			t.Errorf("config-set with %s tells a missing directory from a file:\n%s\n%s", tc.what, texts[0], texts[1])
		}
	}
	for _, why := range []string{"no such file or directory", "not a directory"} {
		if !strings.Contains(p.out.String(), why) {
			t.Errorf("the log does not say %q", why)
		}
	}
	if h := p.hash(); h != h0 {
		t.Error("a refused config-set changed the configuration")
	}
}

// TestConfigArgsLongKey sends config-test's arguments with a top-level
// key of a megabyte: the refusal quotes 64 bytes of it and its length.
func TestConfigArgsLongKey(t *testing.T) {
	long := strings.Repeat("k", 1<<20)
	_, err := parseConfigArgs("config-test", json.RawMessage(`{"Dhcp4": {}, "`+long+`": 1}`))
	if err == nil {
		t.Fatal("no error")
	}
	want := "Unsupported '" + strings.Repeat("k", 64) + "… (1048576 bytes)' parameter."
	if err.Error() != want {
		t.Errorf("got %.200q, want %q", err.Error(), want)
	}
}

// TestControlSocketApartFromStore: a unix control socket may not take a
// name of the lease store's (N, N.*): at a journal segment's name it
// stops compactions, at N it takes and then deletes N.lock.
func TestControlSocketApartFromStore(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "leases", "dhcp4.leases")
	cfg := func(persist bool, socket string) *config.Config {
		return &config.Config{
			LeaseDatabase:  config.Database{Type: "memfile", Persist: persist, Name: store},
			ControlSockets: []config.ControlSocket{{Type: "unix", Name: socket}},
		}
	}
	for _, tc := range []struct {
		socket  string
		persist bool
		refused bool
	}{
		{store, true, true},
		{store + ".j0000000000000002", true, true},
		{store + ".lock", true, true},
		{store + ".snap", true, true},
		{filepath.Join(dir, "leases", "..", "leases", "dhcp4.leases.j0000000000000009"), true, true},
		{filepath.Join(dir, "leases", "ctl.sock"), true, false},
		{filepath.Join(dir, "dhcp4.leases.j0000000000000002"), true, false},
		{store + ".j0000000000000002", false, false},
	} {
		err := socketsApartFromStore(cfg(tc.persist, tc.socket))
		if (err != nil) != tc.refused {
			t.Errorf("socket %s (persist %t): error %v, want refused %t", tc.socket, tc.persist, err, tc.refused)
		}
		if err != nil && !strings.Contains(err.Error(), "lease store") {
			t.Errorf("socket %s: %q does not say why", tc.socket, err)
		}
	}

	// A running server refuses it through config-test and config-set.
	needRoot(t)
	pdir := t.TempDir()
	text := testProcessConfig(pdir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199")
	p := startProc(t, pdir, text)
	leaseFile := filepath.Join(pdir, "leases", "dhcp4.leases")
	bad := strings.Replace(text, `"socket-name": "`+filepath.Join(pdir, "ctl.sock")+`"`, `"socket-name": "`+leaseFile+`.j0000000000000005"`, 1)
	if bad == text {
		t.Fatal("the test configuration has no unix socket to move")
	}
	var args json.RawMessage = []byte(stripComment(bad))
	for _, cmd := range []string{"config-test", "config-set"} {
		if r := p.want(cmd, args, 1); !strings.Contains(r.Text, "lease store") {
			t.Errorf("%s: %q does not say why", cmd, r.Text)
		}
	}
	if _, err := os.Lstat(leaseFile + ".j0000000000000005"); !os.IsNotExist(err) {
		t.Errorf("a socket was made at the journal segment's name (%v)", err)
	}
}
