//go:build linux

package manager_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/client/internal/e2e"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/client/manager"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

// childArg makes the test binary run a manager instead of tests, so that
// end-to-end tests can kill -9 a real manager process and start another.
const childArg = "leased-client-manager-child"

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == childArg {
		os.Exit(childMain(os.Args[2]))
	}
	os.Exit(m.Run())
}

func childMain(cfg string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := manager.Run(ctx, cfg, log); err != nil {
		log.Error("manager failed", "error", err)
		return 1
	}
	return 0
}

// env is a client namespace with managed interfaces and a server.
type env struct {
	t      *testing.T
	n      *e2e.Net
	dir    string
	cfg    string
	sock   string
	leases string
	ifaces []string
	macs   map[string]net.HardwareAddr
	proc   *testnet.Proc
	procs  []*testnet.Proc
}

// ifaceOpts are extra per-interface keys, by interface index.
type ifaceOpts map[int]map[string]any

func newEnv(t *testing.T, nIfaces int) *env {
	t.Helper()
	n := e2e.NewNet(t)
	e := &env{t: t, n: n, dir: t.TempDir(), macs: map[string]net.HardwareAddr{}}
	e.cfg = filepath.Join(e.dir, "client4.json")
	e.sock = filepath.Join(e.dir, "client4.sock")
	e.leases = filepath.Join(e.dir, "leases")
	for range nIfaces {
		name, mac := n.AddClientLink(t)
		e.ifaces = append(e.ifaces, name)
		e.macs[name] = mac
	}
	return e
}

// writeConfig writes the manager's configuration for the given
// interfaces (all of e.ifaces when nil).
func (e *env) writeConfig(ifaces []string, opts ifaceOpts, extra ...string) {
	e.t.Helper()
	if ifaces == nil {
		ifaces = e.ifaces
	}
	var list []map[string]any
	for i, name := range ifaces {
		m := map[string]any{"interface": name, "init-delay": 0, "arp-probe": false, "route-metric": 10 + i, "hostname": "cpe-" + name}
		for k, v := range opts[i] {
			m[k] = v
		}
		list = append(list, m)
	}
	c4 := map[string]any{
		"lease-directory": e.leases,
		"control-socket":  map[string]any{"socket-type": "unix", "socket-name": e.sock},
		"restart-backoff": map[string]any{"initial": 0.3, "max": 1.2, "reset-after": 60},
		"interfaces":      list,
	}
	b, err := json.MarshalIndent(map[string]any{"Client4": c4}, "", "  ")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.cfg, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// start starts a manager process in the client namespace and waits for
// its control socket.
func (e *env) start() time.Time {
	e.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	began := time.Now()
	p, err := e.n.Client.Start(context.Background(), exe, childArg, e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.proc = p
	e.procs = append(e.procs, p)
	e2e.Eventually(e.t, 10*time.Second, "control socket answers", func() error {
		if p.Exited() {
			e.t.Fatalf("manager exited: %v\n%s", p.ExitErr(), p.Output())
		}
		_, err := e.status()
		return err
	})
	return began
}

func (e *env) kill9() {
	e.t.Helper()
	if err := e.proc.Signal(syscall.SIGKILL); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.proc.Wait(ctx)
	if !e.proc.Exited() {
		e.t.Fatal("manager survived SIGKILL")
	}
}

func (e *env) stop() {
	e.t.Helper()
	if err := e.proc.Stop(5 * time.Second); err != nil {
		e.t.Fatal(err)
	}
}

// output is everything the managers of this test logged.
func (e *env) output() string {
	var b strings.Builder
	for _, p := range e.procs {
		b.WriteString(p.Output())
	}
	return b.String()
}

func (e *env) call(command string, args any) (*control.Response, error) {
	c := &control.Client{Target: e.sock, Timeout: 5 * time.Second}
	return c.Call(context.Background(), command, args)
}

func (e *env) status() (map[string]manager.Status, error) {
	r, err := e.call("status", nil)
	if err != nil {
		return nil, err
	}
	if r.Result != control.Success {
		return nil, fmt.Errorf("status: result %d: %s", r.Result, r.Text)
	}
	var args struct{ Interfaces []manager.Status }
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	out := map[string]manager.Status{}
	for _, s := range args.Interfaces {
		out[s.Interface] = s
	}
	return out, nil
}

// waitFor polls status until ok holds for every named interface.
func (e *env) waitFor(timeout time.Duration, what string, ok func(manager.Status) bool, ifaces ...string) map[string]manager.Status {
	e.t.Helper()
	if ifaces == nil {
		ifaces = e.ifaces
	}
	var last map[string]manager.Status
	e2e.Eventually(e.t, timeout, what, func() error {
		st, err := e.status()
		if err != nil {
			return err
		}
		last = st
		for _, name := range ifaces {
			if !ok(st[name]) {
				return fmt.Errorf("%s: %+v", name, st[name])
			}
		}
		return nil
	})
	return last
}

func isBound(s manager.Status) bool { return s.State == "BOUND" }

func addrOf(t *testing.T, s manager.Status) netip.Addr {
	t.Helper()
	p, err := netip.ParsePrefix(s.Address)
	if err != nil {
		t.Fatalf("status address %q: %v", s.Address, err)
	}
	return p.Addr()
}

func obtained(t *testing.T, s manager.Status) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s.Obtained)
	if err != nil {
		t.Fatalf("status obtained %q: %v", s.Obtained, err)
	}
	return ts
}

// dhcp is a captured DHCP message.
type dhcp struct {
	testnet.Packet
	m *dhcpv4.Packet
}

// clientMessages returns the messages sent by mac seen by c after since.
func clientMessages(c *testnet.Capture, mac net.HardwareAddr, since time.Time) []dhcp {
	var out []dhcp
	for _, p := range c.Packets() {
		if p.Time.Before(since) || p.Dst.Port() != 67 {
			continue
		}
		m, err := dhcpv4.Parse(p.Payload)
		if err != nil || m.Op() != dhcpv4.BootRequest || string(m.CHAddr()) != string(mac) {
			continue
		}
		out = append(out, dhcp{p, m})
	}
	return out
}

// serverMessages returns the server's replies to mac after since.
func serverMessages(c *testnet.Capture, mac net.HardwareAddr, since time.Time) []dhcp {
	var out []dhcp
	for _, p := range c.Packets() {
		if p.Time.Before(since) || p.Dst.Port() != 68 {
			continue
		}
		m, err := dhcpv4.Parse(p.Payload)
		if err != nil || m.Op() != dhcpv4.BootReply || string(m.CHAddr()) != string(mac) {
			continue
		}
		out = append(out, dhcp{p, m})
	}
	return out
}

// monitorAddrs records address changes in the client namespace.
func (e *env) monitorAddrs() *testnet.Proc {
	e.t.Helper()
	p, err := e.n.Client.Start(context.Background(), "ip", "-o", "-4", "monitor", "address")
	if err != nil {
		e.t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let it subscribe
	return p
}

// startServer starts the named reference server with a lease of valid
// seconds (dnsmasq's shortest is 2 minutes).
func startServer(t *testing.T, n *e2e.Net, name string, valid int, pool string) func(t *testing.T) {
	switch name {
	case "leased":
		return e2e.StartLeased(t, n, e2e.KeaConfig{Valid: valid, Pool: pool}).Stop
	case "kea":
		k := e2e.StartKea(t, n.Server, e2e.KeaConfig{Valid: valid, Pool: pool, Authoritative: true})
		return k.Stop
	case "dnsmasq":
		cfg := testnet.PairDnsmasqConfig()
		first, last := testnet.DirectPoolFirst, testnet.DirectPoolLast
		if pool != "" {
			f := strings.Fields(strings.ReplaceAll(pool, "-", " "))
			first, last = f[0], f[1]
		}
		cfg.Ranges = []string{fmt.Sprintf("%s,%s,255.255.255.0,%ds", first, last, max(valid, 120))}
		d := testnet.StartDnsmasq(t, n.Server, cfg)
		return func(t *testing.T) {
			if err := d.Stop(); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Fatalf("unknown server %s", name)
	return nil
}

// TestE2ECrashRecovery: kill -9 the manager while two interfaces are
// bound and start it again. Each lease is resumed with an INIT-REBOOT
// request within a second, no DISCOVER is sent, the addresses never leave
// the interfaces, and the server extends the leases. Then release and
// renew through the control socket.
func TestE2ECrashRecovery(t *testing.T) {
	for _, server := range []string{"leased", "kea", "dnsmasq"} {
		t.Run(server, func(t *testing.T) {
			e := newEnv(t, 2)
			startServer(t, e.n, server, 300, "")
			e.writeConfig(nil, nil)
			e.start()
			st := e.waitFor(30*time.Second, "both interfaces bound", isBound)
			addrs := map[string]netip.Addr{}
			before := map[string]time.Time{}
			dir, err := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range e.ifaces {
				addrs[name] = addrOf(t, st[name])
				before[name] = obtained(t, st[name])
				rec, err := dir.Load(name)
				if err != nil {
					t.Fatalf("lease file of %s: %v", name, err)
				}
				if rec.Lease.Address.Addr() != addrs[name] || string(rec.HardwareAddr) != string(e.macs[name]) {
					t.Errorf("lease file of %s holds %v / %v", name, rec.Lease.Address, net.HardwareAddr(rec.HardwareAddr))
				}
				fi, _ := os.Stat(dir.File(name))
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("lease file mode %v", fi.Mode().Perm())
				}
			}

			capture := e.n.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
			mon := e.monitorAddrs()
			e.kill9()
			killed := time.Now()
			for _, name := range e.ifaces {
				if a := e.n.AddrsOf(t, name); !e2e.HasAddr(a, addrs[name]) {
					t.Fatalf("%s lost %v when the manager died: %s", name, addrs[name], e2e.Describe(a))
				}
			}
			time.Sleep(500 * time.Millisecond)
			began := e.start()
			st = e.waitFor(20*time.Second, "leases resumed", func(s manager.Status) bool {
				return isBound(s) && obtained(t, s).After(killed)
			})
			for _, name := range e.ifaces {
				if got := addrOf(t, st[name]); got != addrs[name] {
					t.Errorf("%s resumed %v, had %v", name, got, addrs[name])
				}
				msgs := clientMessages(capture, e.macs[name], killed)
				if len(msgs) == 0 {
					t.Fatalf("%s sent nothing after the restart", name)
				}
				first := msgs[0]
				if first.m.MessageType() != dhcpv4.Request {
					t.Errorf("%s: first message after restart %v, want DHCPREQUEST", name, first.m.MessageType())
				}
				if ip, ok := first.m.RequestedIP(); !ok || ip != addrs[name] {
					t.Errorf("%s: INIT-REBOOT requests %v, want %v", name, ip, addrs[name])
				}
				if first.m.HasOption(dhcpv4.OptionServerID) || !first.m.CIAddr().IsUnspecified() {
					t.Errorf("%s: INIT-REBOOT request has a server id or ciaddr %v", name, first.m.CIAddr())
				}
				if d := first.Time.Sub(began); d > time.Second {
					t.Errorf("%s: INIT-REBOOT request %v after the manager started, want within 1s", name, d)
				}
				for _, m := range msgs {
					if m.m.MessageType() == dhcpv4.Discover {
						t.Errorf("%s sent a DHCPDISCOVER after the restart", name)
					}
				}
				acks := serverMessages(capture, e.macs[name], killed)
				if len(acks) == 0 || acks[0].m.MessageType() != dhcpv4.Ack {
					t.Errorf("%s: server did not ACK the INIT-REBOOT request", name)
				}
				rec, err := dir.Load(name)
				if err != nil || !rec.Lease.Obtained.After(before[name]) {
					t.Errorf("%s: lease file not updated after the resume: %v", name, err)
				}
			}
			for _, name := range e.ifaces {
				if a := e.n.AddrsOf(t, name); !e2e.HasAddr(a, addrs[name]) {
					t.Errorf("%s: %v not on the interface after the resume: %s", name, addrs[name], e2e.Describe(a))
				}
			}
			time.Sleep(200 * time.Millisecond)
			_ = mon.Stop(time.Second)
			for line := range strings.SplitSeq(mon.Output(), "\n") {
				if strings.HasPrefix(line, "Deleted") {
					t.Errorf("an address left an interface during the restart: %s", line)
				}
			}
			if !strings.Contains(e.output(), "stored lease found") {
				t.Error("the manager did not log the stored leases it found")
			}

			// Renew and release through the control socket.
			c1, c2 := e.ifaces[0], e.ifaces[1]
			prev := obtained(t, st[c2])
			renewAt := time.Now()
			if r, err := e.call("renew", map[string]any{"interface": c2}); err != nil || r.Result != control.Success {
				t.Fatalf("renew: %v %+v", err, r)
			}
			e.waitFor(10*time.Second, "renewed", func(s manager.Status) bool { return isBound(s) && obtained(t, s).After(prev) }, c2)
			var unicast bool
			for _, m := range clientMessages(capture, e.macs[c2], renewAt) {
				unicast = unicast || (m.m.MessageType() == dhcpv4.Request && m.Dst.Addr() == e.n.ServerAddr && m.m.CIAddr() == addrs[c2])
			}
			if !unicast {
				t.Error("renew command sent no unicast DHCPREQUEST")
			}
			if r, err := e.call("release", map[string]any{"interface": c1}); err != nil || r.Result != control.Success {
				t.Fatalf("release: %v %+v", err, r)
			}
			st = e.waitFor(5*time.Second, "released", func(s manager.Status) bool { return s.State == "RELEASED" }, c1)
			if a := e.n.AddrsOf(t, c1); e2e.HasAddr(a, addrs[c1]) {
				t.Errorf("%v still on %s after release", addrs[c1], c1)
			}
			if _, err := os.Stat(dir.File(c1)); !os.IsNotExist(err) {
				t.Errorf("lease file of %s not removed on release: %v", c1, err)
			}
			if r, _ := e.call("release", map[string]any{"interface": c1}); r == nil || r.Result != control.Empty {
				t.Errorf("second release: %+v", r)
			}
			if r, _ := e.call("renew", map[string]any{"interface": "nosuch0"}); r == nil || r.Result != control.Empty {
				t.Errorf("renew of an unknown interface: %+v", r)
			}

			// c2 leaves the configuration: its lease file goes at the next
			// start.
			e.stop()
			e.writeConfig([]string{c1}, nil)
			e.start()
			e2e.Eventually(t, 5*time.Second, "lease file of the removed interface deleted", func() error {
				if _, err := os.Stat(dir.File(c2)); !os.IsNotExist(err) {
					return fmt.Errorf("%s still there: %v", dir.File(c2), err)
				}
				return nil
			})
		})
	}
}

// TestE2ENak: while the manager is down the server is reconfigured with
// another pool and an empty lease database. The restarted manager's
// INIT-REBOOT request is refused; the address leaves the interface, the
// lease file goes, and the client starts over with a DISCOVER.
func TestE2ENak(t *testing.T) {
	for _, server := range []string{"leased", "kea", "dnsmasq"} {
		t.Run(server, func(t *testing.T) {
			e := newEnv(t, 1)
			name := e.ifaces[0]
			stopServer := startServer(t, e.n, server, 300, "192.0.2.100 - 192.0.2.149")
			e.writeConfig(nil, nil)
			e.start()
			st := e.waitFor(30*time.Second, "bound", isBound)
			old := addrOf(t, st[name])
			e.kill9()
			stopServer(t)
			startServer(t, e.n, server, 300, "192.0.2.150 - 192.0.2.199")
			capture := e.n.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
			restarted := time.Now()
			e.start()
			st = e.waitFor(30*time.Second, "bound to a new address", func(s manager.Status) bool {
				return isBound(s) && addrOf(t, s) != old
			})
			nw := addrOf(t, st[name])
			msgs := clientMessages(capture, e.macs[name], restarted)
			var kinds []string
			for _, m := range msgs {
				kinds = append(kinds, m.m.MessageType().String())
			}
			if len(msgs) < 3 || msgs[0].m.MessageType() != dhcpv4.Request || msgs[1].m.MessageType() != dhcpv4.Discover {
				t.Errorf("client sent %v, want the INIT-REBOOT DHCPREQUEST, then DHCPDISCOVER", kinds)
			}
			var nak bool
			for _, m := range serverMessages(capture, e.macs[name], restarted) {
				nak = nak || m.m.MessageType() == dhcpv4.Nak
			}
			if !nak {
				t.Error("no DHCPNAK seen")
			}
			a := e.n.AddrsOf(t, name)
			if e2e.HasAddr(a, old) || !e2e.HasAddr(a, nw) {
				t.Errorf("addresses on %s: %s; want %v gone and %v there", name, e2e.Describe(a), old, nw)
			}
			if !strings.Contains(e.output(), "lease refused (NAK)") {
				t.Error("NAK not logged")
			}
			dir, _ := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
			if rec, err := dir.Load(name); err != nil || rec.Lease.Address.Addr() != nw {
				t.Errorf("lease file after NAK and new lease: %v %v", rec, err)
			}
		})
	}
}

// TestE2ENoAnswer: the server is gone when the manager restarts. The
// client keeps the address and keeps asking, never with a DISCOVER, until
// the stored lease expires; then the address goes and it starts over.
func TestE2ENoAnswer(t *testing.T) {
	e := newEnv(t, 1)
	name := e.ifaces[0]
	stopKea := startServer(t, e.n, "kea", 20, "")
	e.writeConfig(nil, nil)
	e.start()
	st := e.waitFor(30*time.Second, "bound", isBound)
	addr := addrOf(t, st[name])
	e.kill9()
	stopKea(t)
	expires, err := time.Parse(time.RFC3339Nano, st[name].Expires)
	if err != nil {
		t.Fatal(err)
	}
	capture := e.n.Client.CaptureUDP(t, testnet.PairClientIf, 67, 68)
	restarted := time.Now()
	e.start()
	e.waitFor(5*time.Second, "resuming", func(s manager.Status) bool { return s.State == "REBOOTING" })
	// Until shortly before the stored expiry the address stays.
	for time.Until(expires) > 500*time.Millisecond {
		if a := e.n.AddrsOf(t, name); !e2e.HasAddr(a, addr) {
			t.Fatalf("%v left %s %v before the stored expiry: %s", addr, name, time.Until(expires), e2e.Describe(a))
		}
		time.Sleep(100 * time.Millisecond)
	}
	e2e.Eventually(t, 5*time.Second, "address gone after the stored expiry", func() error {
		if a := e.n.AddrsOf(t, name); e2e.HasAddr(a, addr) {
			return fmt.Errorf("%v still on %s", addr, name)
		}
		return nil
	})
	e.waitFor(5*time.Second, "starting over", func(s manager.Status) bool { return s.State == "SELECTING" })
	var requests int
	for _, m := range clientMessages(capture, e.macs[name], restarted) {
		switch m.m.MessageType() {
		case dhcpv4.Discover:
			if m.Time.Before(expires) {
				t.Errorf("DHCPDISCOVER %v before the stored expiry", expires.Sub(m.Time))
			}
		case dhcpv4.Request:
			requests++
		}
	}
	if requests < 2 {
		t.Errorf("%d INIT-REBOOT requests while waiting, want retransmissions", requests)
	}
	dir, _ := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
	if _, err := dir.Load(name); !os.IsNotExist(err) {
		t.Errorf("lease file after expiry: %v", err)
	}
}

// TestE2ECorruptLeaseFiles: of three lease files, one is truncated and
// one is garbage; they are moved aside with one log line each, their
// interfaces start afresh, and the third interface resumes its lease.
func TestE2ECorruptLeaseFiles(t *testing.T) {
	e := newEnv(t, 3)
	startServer(t, e.n, "kea", 300, "")
	e.writeConfig(nil, nil)
	e.start()
	st := e.waitFor(30*time.Second, "bound", isBound)
	e.stop()
	dir, _ := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
	c1, c2, c3 := e.ifaces[0], e.ifaces[1], e.ifaces[2]
	b, err := os.ReadFile(dir.File(c1))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir.File(c1), b[:len(b)-7], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir.File(c2), []byte("not a lease\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	capture := e.n.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
	restarted := time.Now()
	e.start()
	e.waitFor(30*time.Second, "bound again", func(s manager.Status) bool { return isBound(s) && obtained(t, s).After(restarted) })
	out := e.output()
	for _, name := range []string{c1, c2} {
		if _, err := os.Stat(dir.File(name) + leasefile.CorruptSuffix); err != nil {
			t.Errorf("%s: corrupt file not moved aside: %v", name, err)
		}
		if n := strings.Count(out, `lease file unusable, moved aside" interface=`+name); n != 1 {
			t.Errorf("%s: %d log lines about the corrupt file, want 1", name, n)
		}
		msgs := clientMessages(capture, e.macs[name], restarted)
		if len(msgs) == 0 || msgs[0].m.MessageType() != dhcpv4.Discover {
			t.Errorf("%s: did not start afresh with a DISCOVER", name)
		}
	}
	msgs := clientMessages(capture, e.macs[c3], restarted)
	if len(msgs) == 0 || msgs[0].m.MessageType() != dhcpv4.Request || msgs[0].m.HasOption(dhcpv4.OptionServerID) {
		t.Errorf("%s: did not resume with INIT-REBOOT", c3)
	}
	for _, m := range msgs {
		if m.m.MessageType() == dhcpv4.Discover {
			t.Errorf("%s: sent a DISCOVER although its lease file was good", c3)
		}
	}
	if a := e.n.AddrsOf(t, c3); !e2e.HasAddr(a, addrOf(t, st[c3])) {
		t.Errorf("%s lost its address", c3)
	}
}

// TestE2EExpiredWhileDown: a lease that expired while the manager was
// down is dropped with a log line, and the client starts with a DISCOVER.
func TestE2EExpiredWhileDown(t *testing.T) {
	e := newEnv(t, 1)
	name := e.ifaces[0]
	startServer(t, e.n, "kea", 4, "")
	e.writeConfig(nil, nil)
	e.start()
	e.waitFor(30*time.Second, "bound", isBound)
	e.kill9()
	time.Sleep(5 * time.Second)
	capture := e.n.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
	restarted := time.Now()
	e.start()
	e.waitFor(30*time.Second, "bound", func(s manager.Status) bool { return isBound(s) && obtained(t, s).After(restarted) })
	if !strings.Contains(e.output(), "stored lease dropped: expired") {
		t.Error("expired stored lease not logged")
	}
	msgs := clientMessages(capture, e.macs[name], restarted)
	if len(msgs) == 0 || msgs[0].m.MessageType() != dhcpv4.Discover {
		t.Error("did not start with a DISCOVER")
	}
}

// TestE2ESupervision: an instance whose interface does not exist and one
// whose script always fails are restarted with exponential back-off and
// show their failures in status; the first recovers once its interface
// appears.
func TestE2ESupervision(t *testing.T) {
	e := newEnv(t, 1)
	startServer(t, e.n, "kea", 300, "")
	script := filepath.Join(e.dir, "fail.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"refusing $1\" >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := e.ifaces[0]
	e.writeConfig([]string{bad, "ghost0"}, ifaceOpts{0: {"script": script, "configure-interface": false}})
	e.start()

	// Watch ghost0's failures, by their number: each one's wait to the
	// next restart. Numbering them by the failure count keeps a poll that
	// a loaded machine delayed past a failure from shifting the others.
	type failure struct{ at, next time.Time }
	seen := map[int]failure{}
	want := []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, 1200 * time.Millisecond, 1200 * time.Millisecond}
	var last map[string]manager.Status
	for deadline := time.Now().Add(20 * time.Second); ; {
		st, err := e.status()
		if err != nil {
			t.Fatal(err)
		}
		last = st
		g := st["ghost0"]
		if _, ok := seen[g.Failures]; !ok && g.Failures > 0 && g.LastFailure != "" && g.NextRestart != "" {
			at, err1 := time.Parse(time.RFC3339Nano, g.LastFailure)
			next, err2 := time.Parse(time.RFC3339Nano, g.NextRestart)
			if err1 != nil || err2 != nil {
				t.Fatalf("ghost0 failure times %q %q", g.LastFailure, g.NextRestart)
			}
			seen[g.Failures] = failure{at, next}
		}
		if g.Failures >= len(want) && st[bad].Failures >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("in 20 s ghost0 failed %d times, want %d, and %s %d times, want 2: %+v", g.Failures, len(want), bad, st[bad].Failures, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checked := 0
	for n := 1; n <= len(want); n++ {
		f, ok := seen[n]
		if !ok {
			continue
		}
		checked++
		if got := f.next.Sub(f.at); got != want[n-1] {
			t.Errorf("restart after failure %d of ghost0 after %v, want %v", n, got, want[n-1])
		}
		if prev, ok := seen[n-1]; ok {
			if gap := f.at.Sub(prev.at); gap < want[n-2] {
				t.Errorf("failure %d came %v after the previous, before the %v back-off ended", n, gap, want[n-2])
			}
		}
	}
	if checked < len(want)-1 {
		t.Fatalf("saw %d of ghost0's first %d failures: %+v", checked, len(want), seen)
	}
	g := last["ghost0"]
	if !strings.Contains(g.LastError, "ghost0") || g.Failures < 4 || g.Runs < 4 {
		t.Errorf("ghost0 status %+v", g)
	}
	b := last[bad]
	if b.Failures < 2 || !strings.Contains(b.LastError, "refusing bound") && !strings.Contains(b.LastError, "refusing reboot") {
		t.Errorf("%s status %+v, want repeated script failures", bad, b)
	}
	if !strings.Contains(b.LastError, "exit status 3") {
		t.Errorf("%s last error %q does not name the exit status", bad, b.LastError)
	}
	// Restarts of the failing instance resume its stored lease rather than
	// starting over: one DISCOVER in all.
	if b.Sent.Discovers > 1 {
		t.Errorf("%s sent %d DISCOVERs in its latest run", bad, b.Sent.Discovers)
	}

	// ghost0 appears: the next restart binds it.
	e.n.Client.AddMacvlan(t, testnet.PairClientIf, "ghost0", nil)
	st := e.waitFor(20*time.Second, "ghost0 bound once it exists", isBound, "ghost0")
	failures := st["ghost0"].Failures

	// ghost0 disappears while bound: the instance notices, fails and
	// waits for it again.
	e.n.Client.MustRun(t, "ip", "link", "del", "ghost0")
	e.waitFor(10*time.Second, "ghost0 failed after its interface went", func(s manager.Status) bool {
		return s.Failures > failures && strings.Contains(s.LastError, "ghost0")
	}, "ghost0")
}

// TestE2EReload: a SIGHUP with a new configuration removes one interface
// (its lease is released on the wire, its address and lease file go),
// adds another (it gets a lease) and leaves the third alone (no packet
// from it, its address stays). A broken file, by SIGHUP or config-reload,
// changes nothing and is reported with its file, line and column.
func TestE2EReload(t *testing.T) {
	for _, server := range []string{"leased", "kea", "dnsmasq"} {
		t.Run(server, func(t *testing.T) {
			e := newEnv(t, 3)
			kept, removed, added := e.ifaces[0], e.ifaces[1], e.ifaces[2]
			startServer(t, e.n, server, 300, "")
			e.writeConfig([]string{kept, removed}, nil)
			e.start()
			st := e.waitFor(30*time.Second, "both interfaces bound", isBound, kept, removed)
			keptAddr, removedAddr := addrOf(t, st[kept]), addrOf(t, st[removed])
			keptObtained := obtained(t, st[kept])
			dir, err := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dir.Load(removed); err != nil {
				t.Fatalf("lease file of %s: %v", removed, err)
			}

			capture := e.n.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
			mon := e.monitorAddrs()
			reloaded := time.Now()
			e.writeConfig([]string{kept, added}, nil)
			if err := e.proc.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			st = e.waitFor(30*time.Second, "the added interface bound", isBound, added)
			if _, ok := st[removed]; ok {
				t.Errorf("%s still in status after it left the configuration: %+v", removed, st[removed])
			}
			addedAddr := addrOf(t, st[added])
			if a := e.n.AddrsOf(t, added); !e2e.HasAddr(a, addedAddr) {
				t.Errorf("%s: %v not on the interface: %s", added, addedAddr, e2e.Describe(a))
			}
			// The removed interface: DHCPRELEASE to the server, address
			// and lease file gone.
			e2e.Eventually(t, 2*time.Second, "DHCPRELEASE from the removed interface", func() error {
				for _, m := range clientMessages(capture, e.macs[removed], reloaded) {
					if m.m.MessageType() == dhcpv4.Release && m.m.CIAddr() == removedAddr && m.Dst.Addr() == e.n.ServerAddr {
						return nil
					}
				}
				return fmt.Errorf("none in %d packets", len(capture.Packets()))
			})
			if a := e.n.AddrsOf(t, removed); e2e.HasAddr(a, removedAddr) {
				t.Errorf("%v still on %s after it left the configuration", removedAddr, removed)
			}
			if _, err := os.Stat(dir.File(removed)); !os.IsNotExist(err) {
				t.Errorf("lease file of %s still there: %v", removed, err)
			}
			if _, err := dir.Load(added); err != nil {
				t.Errorf("lease file of %s: %v", added, err)
			}
			// The kept interface: untouched.
			if k := st[kept]; !isBound(k) || addrOf(t, k) != keptAddr || !obtained(t, k).Equal(keptObtained) || k.Runs != 1 {
				t.Errorf("%s after the reload: %+v", kept, k)
			}
			for _, m := range clientMessages(capture, e.macs[kept], reloaded) {
				t.Errorf("%s sent a %v after the reload", kept, m.m.MessageType())
			}
			if a := e.n.AddrsOf(t, kept); !e2e.HasAddr(a, keptAddr) {
				t.Errorf("%s lost %v", kept, keptAddr)
			}
			if !strings.Contains(e.output(), "configuration reloaded") {
				t.Error("the reload was not logged")
			}

			// Broken files: by SIGHUP, then by config-reload. Nothing
			// changes; the error names the place.
			broken := "{\"Client4\": {\n  \"interfaces\": [\n    {\"interface\": \"" + kept + "\", \"no-such-key\": 1}\n  ]\n}}\n"
			if err := os.WriteFile(e.cfg, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			where := e.cfg + ":3:"
			before := e.output()
			if err := e.proc.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			e2e.Eventually(t, 5*time.Second, "failed reload logged", func() error {
				out := strings.TrimPrefix(e.output(), before)
				if !strings.Contains(out, "configuration reload failed") || !strings.Contains(out, where) || !strings.Contains(out, "no-such-key") {
					return fmt.Errorf("log since the SIGHUP:\n%s", out)
				}
				return nil
			})
			r, err := e.call("config-reload", nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Result != control.Error || !strings.Contains(r.Text, "Config reload failed: "+where) {
				t.Errorf("config-reload of a broken file: %d %q", r.Result, r.Text)
			}
			if e.proc.Exited() {
				t.Fatalf("manager exited after a broken reload: %v", e.proc.ExitErr())
			}
			st, err = e.status()
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 2 || !isBound(st[kept]) || !isBound(st[added]) || st[kept].Runs != 1 || st[added].Runs != 1 {
				t.Errorf("status after the broken reloads: %+v", st)
			}
			for _, name := range []string{kept, added} {
				if a := e.n.AddrsOf(t, name); !e2e.HasAddr(a, addrOf(t, st[name])) {
					t.Errorf("%s lost its address after a broken reload", name)
				}
			}
			time.Sleep(200 * time.Millisecond)
			_ = mon.Stop(time.Second)
			for line := range strings.SplitSeq(mon.Output(), "\n") {
				if strings.HasPrefix(line, "Deleted") && (strings.Contains(line, " "+kept+" ") || strings.Contains(line, " "+added+" ")) {
					t.Errorf("an address left a configured interface: %s", line)
				}
			}

			// The good file again, by config-reload: nothing to do.
			e.writeConfig([]string{kept, added}, nil)
			r, err = e.call("config-reload", nil)
			if err != nil || r.Result != control.Success {
				t.Fatalf("config-reload: %v %+v", err, r)
			}
			var res manager.ReloadResult
			if err := r.Decode(&res); err != nil || len(res.Unchanged) != 2 || len(res.Added)+len(res.Removed)+len(res.Restarted) != 0 {
				t.Errorf("config-reload of the running configuration: %+v %v", res, err)
			}

			// A changed setting restarts the interface with it: the new
			// client resumes the stored lease with INIT-REBOOT, sending the
			// new host name, and the address stays.
			changed := time.Now()
			e.writeConfig([]string{kept, added}, ifaceOpts{0: {"hostname": "renamed"}})
			r, err = e.call("config-reload", nil)
			if err != nil || r.Result != control.Success {
				t.Fatalf("config-reload: %v %+v", err, r)
			}
			if err := r.Decode(&res); err != nil || !slices.Equal(res.Restarted, []string{kept}) || !slices.Equal(res.Unchanged, []string{added}) {
				t.Errorf("config-reload with a new host name: %+v %v", res, err)
			}
			st = e.waitFor(20*time.Second, "restarted and bound", func(s manager.Status) bool {
				return isBound(s) && obtained(t, s).After(changed)
			}, kept)
			if got := addrOf(t, st[kept]); got != keptAddr {
				t.Errorf("%s bound to %v after the restart, had %v", kept, got, keptAddr)
			}
			msgs := clientMessages(capture, e.macs[kept], changed)
			if len(msgs) == 0 || msgs[0].m.MessageType() != dhcpv4.Request || msgs[0].m.HasOption(dhcpv4.OptionServerID) ||
				string(msgs[0].m.HostName()) != "renamed" {
				t.Errorf("%s after the restart: %d messages, want first an INIT-REBOOT request with the new host name", kept, len(msgs))
			}
			for _, m := range msgs {
				if m.m.MessageType() == dhcpv4.Discover || m.m.MessageType() == dhcpv4.Release {
					t.Errorf("%s sent a %v when restarted with the same identity", kept, m.m.MessageType())
				}
			}
			if a := e.n.AddrsOf(t, kept); !e2e.HasAddr(a, keptAddr) {
				t.Errorf("%s lost %v in the restart", kept, keptAddr)
			}
		})
	}
}

// TestE2ELinkFlap: the link of a bound interface goes down and up again
// (ip link set down, up). The client confirms its lease at once with an
// INIT-REBOOT request (requested address, no server identifier), never
// sends a DISCOVER, and keeps its address; the server's ACK binds it again
// and puts back the default route the kernel removed with the link.
func TestE2ELinkFlap(t *testing.T) {
	for _, server := range []string{"leased", "kea", "dnsmasq"} {
		t.Run(server, func(t *testing.T) {
			e := newEnv(t, 1)
			name := e.ifaces[0]
			startServer(t, e.n, server, 300, "")
			e.writeConfig(nil, nil)
			e.start()
			st := e.waitFor(30*time.Second, "bound", isBound)
			addr := addrOf(t, st[name])
			capture := e.n.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)

			e.n.Client.MustRun(t, "ip", "link", "set", "dev", name, "down")
			e.waitFor(5*time.Second, "link down in status", func(s manager.Status) bool { return s.LinkDown && isBound(s) })
			if a := e.n.AddrsOf(t, name); !e2e.HasAddr(a, addr) {
				t.Errorf("%v left %s while the link was down: %s", addr, name, e2e.Describe(a))
			}
			time.Sleep(time.Second)
			up := time.Now()
			e.n.Client.MustRun(t, "ip", "link", "set", "dev", name, "up")
			st = e.waitFor(20*time.Second, "bound again after the link came up", func(s manager.Status) bool {
				return isBound(s) && !s.LinkDown && obtained(t, s).After(up)
			})
			if got := addrOf(t, st[name]); got != addr {
				t.Errorf("bound to %v after the flap, had %v", got, addr)
			}
			msgs := clientMessages(capture, e.macs[name], up)
			if len(msgs) == 0 {
				t.Fatal("nothing sent after the link came up")
			}
			first := msgs[0]
			if first.m.MessageType() != dhcpv4.Request {
				t.Errorf("first message after the link came up: %v, want DHCPREQUEST", first.m.MessageType())
			}
			if ip, ok := first.m.RequestedIP(); !ok || ip != addr {
				t.Errorf("INIT-REBOOT request asks for %v %v, want %v", ip, ok, addr)
			}
			if first.m.HasOption(dhcpv4.OptionServerID) || !first.m.CIAddr().IsUnspecified() {
				t.Errorf("INIT-REBOOT request with a server id (%v) or ciaddr %v", first.m.HasOption(dhcpv4.OptionServerID), first.m.CIAddr())
			}
			// At once, not at T1 (150 s); the bound leaves room for a
			// loaded machine.
			if d := first.Time.Sub(up); d > 2*time.Second {
				t.Errorf("INIT-REBOOT request %v after the link came up, want at once", d)
			}
			for _, m := range msgs {
				if m.m.MessageType() == dhcpv4.Discover {
					t.Error("DHCPDISCOVER after the link came up")
				}
			}
			acks := serverMessages(capture, e.macs[name], up)
			if len(acks) == 0 || acks[0].m.MessageType() != dhcpv4.Ack {
				t.Error("server did not ACK the INIT-REBOOT request")
			}
			if a := e.n.AddrsOf(t, name); !e2e.HasAddr(a, addr) {
				t.Errorf("%v not on %s after the flap: %s", addr, name, e2e.Describe(a))
			}
			routes := e.n.Client.MustRun(t, "ip", "-4", "route", "show", "dev", name)
			if !strings.Contains(routes, "default via "+testnet.ServerAddr) {
				t.Errorf("default route not back after the flap:\n%s", routes)
			}
			if s := st[name]; s.Runs != 1 || s.Failures != 0 {
				t.Errorf("the client was restarted by the flap: %+v", s)
			}
			if !strings.Contains(e.output(), "link up again, confirming the lease") {
				t.Error("the flap was not logged")
			}
		})
	}
}
