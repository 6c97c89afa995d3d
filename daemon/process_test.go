package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/daemon/pidfile"
	"github.com/leased/leased/internal/logtest"
	"github.com/leased/leased/lease/memfile"
)

// The secrets of testProcessConfig: neither may appear in config-get nor
// in the log.
const (
	secretHTTP = "hunter2-http-pw"
	secretHook = "s3cr3t-hook-value"
)

// testProcessConfig serves lo on a free port with a unix control socket
// and an HTTP one with basic authentication, both in dir.
func testProcessConfig(dir string, httpPort int, pool string) string {
	return fmt.Sprintf(`// a test configuration
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["lo"]},
  "lease-database": {"type": "memfile", "persist": true, "name": %q},
  "valid-lifetime": 3600,
  "control-sockets": [
    {"socket-type": "unix", "socket-name": %q},
    {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": %d,
     "authentication": {"type": "basic", "realm": "leased", "clients": [{"user": "admin", "password": %q}]}}
  ],
  "hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so", "parameters": {"db-password": %q, "note": "kept"}}],
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": %q}]}]
}}
`, filepath.Join(dir, "leases", "dhcp4.leases"), filepath.Join(dir, "ctl.sock"), httpPort, secretHTTP, secretHook, pool)
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	default:
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
}

// testProc is one in-process run of Run.
type testProc struct {
	t       *testing.T
	dir     string
	cfg     string
	sock    string
	out     *logtest.Buffer
	reload  chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
	code    int
	err     error
	pidPath string
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("LEASED_REQUIRE_E2E") == "1" {
			t.Fatal("binding a DHCP socket to an interface needs root (LEASED_REQUIRE_E2E=1)")
		}
		t.Skip("binding a DHCP socket to an interface needs root")
	}
}

func startProc(t *testing.T, dir, cfgText string) *testProc {
	t.Helper()
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	return startProcFile(t, dir, cfg)
}

func startProcFile(t *testing.T, dir, cfg string) *testProc {
	t.Helper()
	p := launch(t, dir, cfg, Options{
		ServerPort: uint16(freePort(t, "udp")),
		ClientPort: uint16(freePort(t, "udp")),
		BuildInfo:  control.BuildInfo{Version: "1.2.3", Extended: "1.2.3 test", Report: "test build"},
	})
	p.pidPath = pidfile.Name(filepath.Join(dir, "leases"), cfg)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.out.String(), `msg="serving DHCPv4"`) {
		select {
		case <-p.done:
			t.Fatalf("Run returned %d, %v before serving; log:\n%s", p.code, p.err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving after 10 s; log:\n%s", p.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// launch starts Run with o on the configuration file cfg, its control
// socket dir/ctl.sock, its output in p.out, and ends it when the test
// ends. It does not wait for the server to serve.
func launch(t *testing.T, dir, cfg string, o Options) *testProc {
	ctx, cancel := context.WithCancel(context.Background())
	p := &testProc{t: t, dir: dir, cfg: cfg, sock: filepath.Join(dir, "ctl.sock"), out: &logtest.Buffer{},
		reload: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	o.ConfigPath, o.Stdout, o.Stderr, o.Reload = cfg, p.out, p.out, p.reload
	go func() {
		defer close(p.done)
		p.code, p.err = Run(ctx, o)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return 15 s after its context ended")
		}
		if t.Failed() {
			t.Logf("log:\n%s", p.out.String())
		}
	})
	return p
}

// call sends a command over the unix socket.
func (p *testProc) call(cmd string, args any) *control.Response {
	p.t.Helper()
	c := &control.Client{Target: p.sock}
	r, err := c.Call(context.Background(), cmd, args)
	if err != nil {
		p.t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

func (p *testProc) want(cmd string, args any, result int) *control.Response {
	p.t.Helper()
	r := p.call(cmd, args)
	if r.Result != result {
		p.t.Fatalf("%s: result %d (%s), want %d", cmd, r.Result, r.Text, result)
	}
	return r
}

func (p *testProc) hash() string {
	p.t.Helper()
	var h struct{ Hash string }
	r := p.want("config-hash-get", nil, 0)
	if err := r.Decode(&h); err != nil || len(h.Hash) != 64 {
		p.t.Fatalf("config-hash-get: %q %v", h.Hash, err)
	}
	return h.Hash
}

func raw(r *control.Response) string {
	b, _ := r.RawArguments()
	return string(b)
}

// TestConfigCommands drives the configuration commands: config-get is
// redacted and carries the hash; config-test and a failed config-set
// leave the configuration and its hash alone; config-set and
// config-reload change them; a broken file on SIGHUP is logged with its
// position and changes nothing; config-write writes the running
// configuration, secrets included, only inside the configuration's
// directory.
func TestConfigCommands(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	httpPort := freePort(t, "tcp")
	text := testProcessConfig(dir, httpPort, "192.0.2.100 - 192.0.2.199")
	p := startProc(t, dir, text)

	names := map[string]bool{}
	var list []string
	p.want("list-commands", nil, 0).Decode(&list)
	for _, n := range list {
		names[n] = true
	}
	for _, n := range []string{"build-report", "config-get", "config-hash-get", "config-reload", "config-set", "config-test",
		"config-write", "lease4-add", "lease4-del", "lease4-get", "lease4-get-all", "lease4-get-by-client-id",
		"lease4-get-by-hostname", "lease4-get-by-hw-address", "lease4-get-page", "lease4-update", "lease4-wipe",
		"list-commands", "shutdown", "statistic-get", "statistic-get-all", "statistic-reset", "statistic-remove",
		"statistic-reset-all", "statistic-remove-all", "statistic-sample-age-set", "statistic-sample-age-set-all",
		"statistic-sample-count-set", "statistic-sample-count-set-all", "server-tag-get",
		"dhcp-disable", "dhcp-enable", "leases-reclaim", "status-get", "version-get"} {
		if !names[n] {
			t.Errorf("list-commands lacks %s", n)
		}
	}
	if r := p.want("version-get", nil, 0); r.Text != "1.2.3" {
		t.Errorf("version-get text %q", r.Text)
	}

	h0 := p.hash()
	r := p.want("config-get", nil, 0)
	var got struct {
		Dhcp4 map[string]any
		Hash  string
	}
	if err := r.Decode(&got); err != nil || got.Dhcp4 == nil {
		t.Fatalf("config-get arguments %s: %v", raw(r), err)
	}
	if got.Hash != h0 {
		t.Errorf("config-get hash %s, config-hash-get %s", got.Hash, h0)
	}
	for _, s := range []string{secretHTTP, secretHook} {
		if strings.Contains(raw(r), s) {
			t.Errorf("config-get shows the secret %q", s)
		}
	}
	if n := strings.Count(raw(r), `"*****"`); n != 2 {
		t.Errorf("config-get has %d redacted values, want 2: %s", n, raw(r))
	}
	if !strings.Contains(raw(r), `"note":"kept"`) {
		t.Errorf("config-get lost a hook parameter that is no secret: %s", raw(r))
	}

	// config-test: a broken and a good configuration; nothing changes.
	broken := map[string]any{"Dhcp4": map[string]any{"valid-lifetime": "long"}}
	if r := p.want("config-test", broken, 1); !regexp.MustCompile(`config-test:1:\d+: error: valid-lifetime`).MatchString(r.Text) {
		t.Errorf("config-test error without position: %q", r.Text)
	}
	changed := strings.Replace(text, `"valid-lifetime": 3600`, `"valid-lifetime": 7200`, 1)
	var changedArgs json.RawMessage = []byte(stripComment(changed))
	p.want("config-test", changedArgs, 0)
	p.want("config-test", map[string]any{"Dhcp6": map[string]any{}}, 1)
	p.want("config-test", map[string]any{"Dhcp4": map[string]any{}, "Dhcp6": map[string]any{}}, 1)
	if h := p.hash(); h != h0 {
		t.Fatalf("config-test changed the hash from %s to %s", h0, h)
	}

	// config-set: broken changes nothing; good applies.
	p.want("config-set", broken, 1)
	if h := p.hash(); h != h0 {
		t.Fatalf("a failed config-set changed the hash")
	}
	r = p.want("config-set", changedArgs, 0)
	var set struct{ Hash string }
	r.Decode(&set)
	h1 := p.hash()
	if h1 == h0 || set.Hash != h1 {
		t.Fatalf("config-set: answered hash %s, now %s, before %s", set.Hash, h1, h0)
	}
	if r := p.want("config-get", nil, 0); !strings.Contains(raw(r), `"valid-lifetime":7200`) {
		t.Errorf("config-get after config-set: %s", raw(r))
	}

	// config-reload reads the file again.
	p.want("config-reload", nil, 0)
	if h := p.hash(); h != h0 {
		t.Errorf("after config-reload the hash is %s, want the file's %s", h, h0)
	}

	// SIGHUP with a broken file: logged with its position, nothing
	// changes, the reload age is not reset.
	time.Sleep(1100 * time.Millisecond)
	if err := os.WriteFile(p.cfg, []byte(strings.Replace(text, `"valid-lifetime": 3600`, `"valid-lifetime": -5`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	p.reload <- struct{}{}
	pos := regexp.MustCompile(regexp.QuoteMeta(p.cfg) + `:5:21: error: valid-lifetime`)
	waitFor(t, "the position of the error in the log", func() bool { return pos.MatchString(p.out.String()) })
	waitFor(t, "the reload failure in the log", func() bool {
		return strings.Contains(p.out.String(), "configuration not reloaded; the previous one stays in force")
	})
	if h := p.hash(); h != h0 {
		t.Errorf("a broken file on SIGHUP changed the hash")
	}
	var st struct{ Reload, Uptime int64 }
	p.want("status-get", nil, 0).Decode(&st)
	if st.Reload < 1 {
		t.Errorf("status-get reload %d after a failed reload: the age was reset", st.Reload)
	}

	// config-write: inside the directory, atomically, secrets included.
	r = p.want("config-write", map[string]string{"filename": "written.json"}, 0)
	written := filepath.Join(dir, "written.json")
	b, err := os.ReadFile(written)
	if err != nil {
		t.Fatalf("config-write answered %q but: %v", r.Text, err)
	}
	if !bytes.Contains(b, []byte(secretHTTP)) || !bytes.Contains(b, []byte(secretHook)) {
		t.Errorf("config-write left out the secrets, so the file cannot be used:\n%s", b)
	}
	if fi, _ := os.Stat(written); fi.Mode().Perm() != 0o600 {
		t.Errorf("written configuration has mode %v, want 0600", fi.Mode().Perm())
	}
	if cfg, _, err := config.Load(written, nil); err != nil || hashText(cfg) != h0 {
		t.Errorf("the written configuration does not load to the running one: %v", err)
	}
	for _, bad := range []string{"../escape.json", "/tmp/escape.json", filepath.Join(dir, "nodir", "x.json")} {
		if r := p.call("config-write", map[string]string{"filename": bad}); r.Result != 1 {
			t.Errorf("config-write to %s: result %d %q, want 1", bad, r.Result, r.Text)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}

	// The HTTP socket: basic authentication, the answer in a list.
	hc := &control.Client{Target: fmt.Sprintf("http://127.0.0.1:%d/", httpPort), User: "admin", Password: secretHTTP}
	if r, err := hc.Call(context.Background(), "config-hash-get", nil); err != nil || r.Result != 0 {
		t.Errorf("config-hash-get over HTTP: %v %+v", err, r)
	}
	hc.Password = "wrong"
	var se *control.StatusError
	if _, err := hc.Call(context.Background(), "config-hash-get", nil); !errors.As(err, &se) || se.StatusCode != 401 {
		t.Errorf("wrong password: %v, want HTTP 401", err)
	}

	for _, s := range []string{secretHTTP, secretHook} {
		if strings.Contains(p.out.String(), s) {
			t.Errorf("the log shows the secret %q", s)
		}
	}
}

func stripComment(s string) string {
	if i := strings.Index(s, "\n"); i >= 0 && strings.HasPrefix(s, "//") {
		return s[i+1:]
	}
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShutdownCommand stops the server with the shutdown command and an
// exit-value: Run returns it, and the PID file, the control socket file
// and the lease store's lock are gone.
func TestShutdownCommand(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := startProc(t, dir, testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199"))
	if _, err := os.Stat(p.pidPath); err != nil {
		t.Fatalf("no PID file: %v", err)
	}
	if fi, err := os.Lstat(p.sock); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("control socket %s: %v, %v; want a socket of mode 0600 or tighter", p.sock, fi.Mode(), err)
	}
	p.want("lease4-add", map[string]any{"ip-address": "192.0.2.150", "hw-address": "02:00:00:00:00:01"}, 0)
	if r := p.want("shutdown", map[string]any{"exit-value": 3}, 0); r.Text != "Shutting down." {
		t.Errorf("shutdown answered %q", r.Text)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after shutdown")
	}
	if p.code != 3 || p.err != nil {
		t.Errorf("Run returned %d, %v; want 3, nil", p.code, p.err)
	}
	for _, f := range []string{p.pidPath, p.sock} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after shutdown (%v)", f, err)
		}
	}
	st, err := memfile.Open(memfile.Options{Path: filepath.Join(dir, "leases", "dhcp4.leases"), Persist: true})
	if err != nil {
		t.Fatalf("the lease store is not released: %v", err)
	}
	defer st.Close()
	if n, _ := st.Len(context.Background()); n != 1 {
		t.Errorf("the store holds %d leases after shutdown, want the 1 added", n)
	}
	c := &control.Client{Target: p.sock, Timeout: time.Second}
	if _, err := c.Call(context.Background(), "list-commands", nil); err == nil {
		t.Error("the control socket still answers after shutdown")
	}
}

// TestSecondInstanceRefused checks that a second server on the same
// configuration and lease file refuses to start while the first runs,
// and that a stale PID file is replaced.
func TestSecondInstanceRefused(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	text := testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199")
	p := startProc(t, dir, text)
	code, err := Run(context.Background(), Options{ConfigPath: p.cfg, ServerPort: uint16(freePort(t, "udp")), Stdout: &logtest.Buffer{}, Stderr: &logtest.Buffer{}})
	var re *pidfile.RunningError
	if code != 1 || !errors.As(err, &re) {
		t.Fatalf("second instance: %d, %v; want 1 and a RunningError", code, err)
	}
	p.cancel()
	<-p.done
	if p.err != nil || p.code != 0 {
		t.Fatalf("first instance: %d, %v", p.code, p.err)
	}

	// A PID file naming a dead process is stale.
	if err := os.WriteFile(p.pidPath, []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := startProcFile(t, dir, p.cfg)
	b, _ := os.ReadFile(q.pidPath)
	if strings.TrimSpace(string(b)) != fmt.Sprint(os.Getpid()) {
		t.Errorf("stale PID file not replaced: %q", b)
	}
}

// TestSystemdNotify runs the server as systemd would, with
// $NOTIFY_SOCKET and a watchdog, and checks what it reports: READY=1
// once serving, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a
// reload, WATCHDOG=1 while running, STOPPING=1 at shutdown.
func TestSystemdNotify(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var mu sync.Mutex
	var msgs []string
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, string(buf[:n]))
			mu.Unlock()
		}
	}()
	got := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(msgs, "|")
	}
	t.Setenv("NOTIFY_SOCKET", sockPath)
	t.Setenv("WATCHDOG_USEC", "600000")
	t.Setenv("WATCHDOG_PID", fmt.Sprint(os.Getpid()))

	p := startProc(t, dir, testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199"))
	waitFor(t, "READY=1", func() bool { return strings.HasPrefix(got(), "READY=1") })
	p.want("config-reload", nil, 0)
	waitFor(t, "WATCHDOG=1", func() bool { return strings.Contains(got(), "WATCHDOG=1") })
	p.want("shutdown", nil, 0)
	<-p.done
	waitFor(t, "STOPPING=1", func() bool { return strings.Contains(got(), "STOPPING=1") })
	seq := regexp.MustCompile(`^READY=1\|STATUS=serving DHCPv4\|.*RELOADING=1\nMONOTONIC_USEC=\d+\|(WATCHDOG=1\|)*READY=1\|.*STOPPING=1$`)
	if !seq.MatchString(got()) {
		t.Errorf("notifications: %q", got())
	}
}

// TestLoggersFromConfig checks that the configuration's loggers drive the
// log: a file output gets the records (JSON when asked for), severities
// per logger apply, and a reload moves the log to the new file.
func TestLoggersFromConfig(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	logA, logB := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	withLoggers := func(file string) string {
		return strings.Replace(testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199"),
			`"valid-lifetime": 3600,`, fmt.Sprintf(`"valid-lifetime": 3600,
  "loggers": [
    {"name": "kea-dhcp4", "severity": "INFO", "output-options": [{"output": %q}]},
    {"name": "kea-dhcp4.commands", "severity": "WARN", "output-options": [{"output": %q}]}
  ],`, file, file), 1)
	}
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(cfg, []byte(withLoggers(logA)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &logtest.Buffer{}
	reload := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{ConfigPath: cfg, ServerPort: uint16(freePort(t, "udp")), JSONLog: true, Stdout: out, Stderr: out, Reload: reload})
	}()
	sock := filepath.Join(dir, "ctl.sock")
	read := func(f string) string { b, _ := os.ReadFile(f); return string(b) }
	waitFor(t, "the start in the log file", func() bool { return strings.Contains(read(logA), `"msg":"serving DHCPv4"`) })
	c := &control.Client{Target: sock}
	if _, err := c.Call(ctx, "status-get", nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(read(logA), "received command") {
		t.Errorf("kea-dhcp4.commands at WARN logged an INFO record:\n%s", read(logA))
	}
	if err := os.WriteFile(cfg, []byte(withLoggers(logB)), 0o600); err != nil {
		t.Fatal(err)
	}
	reload <- struct{}{}
	waitFor(t, "the reload in the new log file", func() bool { return strings.Contains(read(logB), `"msg":"configuration applied"`) })
	cancel()
	<-done
	if out.String() != "" {
		t.Errorf("records went to stdout or stderr instead of the files:\n%s", out.String())
	}
	if !strings.Contains(read(logB), `"msg":"lease store closed"`) {
		t.Errorf("the shutdown is not in the new log file:\n%s", read(logB))
	}
}
