package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/internal/logtest"
)

func parseConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, diags, err := config.Parse("t.json", []byte(src), nil)
	if err != nil {
		t.Fatalf("%v: %v", err, diags)
	}
	return cfg
}

// TestSocketMapping checks how interfaces-config's socket settings become
// the sockets leased opens and what the filter drops.
func TestSocketMapping(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ic      string
		ifaces  []string
		udp     bool
		to      []string
		noRawIO bool
	}{
		{"default", `"interfaces": ["eth1", "eth0/192.0.2.1", "eth1"]`, []string{"eth0", "eth1"}, false, nil, false},
		{"all", `"interfaces": ["*"]`, nil, false, nil, false},
		{"udp", `"interfaces": ["eth0"], "dhcp-socket-type": "udp"`, []string{"eth0"}, true, nil, true},
		// lo has 127.0.0.1; eth1/10.0.0.1 names its address.
		{"udp routed", `"interfaces": ["lo", "eth1/10.0.0.1"], "dhcp-socket-type": "udp", "outbound-interface": "use-routing"`,
			nil, true, []string{"10.0.0.1", "127.0.0.1"}, true},
		{"raw ignores use-routing", `"interfaces": ["eth0"], "outbound-interface": "use-routing"`, []string{"eth0"}, false, nil, false},
		{"udp routed on all", `"interfaces": ["*"], "dhcp-socket-type": "udp", "outbound-interface": "use-routing"`, nil, true, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parseConfig(t, `{"Dhcp4": {"interfaces-config": {`+tc.ic+`}}}`)
			if got := interfaces(cfg); !reflect.DeepEqual(got, tc.ifaces) {
				t.Errorf("interfaces %v, want %v", got, tc.ifaces)
			}
			p := policyOf(cfg)
			if p.udp != tc.udp {
				t.Errorf("udp %v, want %v", p.udp, tc.udp)
			}
			var to []string
			for a := range p.to {
				to = append(to, a.String())
			}
			slices.Sort(to)
			if !reflect.DeepEqual(to, tc.to) {
				t.Errorf("addresses served %v, want %v", to, tc.to)
			}
			if noRaw := cfg.Interfaces.DHCPSocketType == "udp"; noRaw != tc.noRawIO {
				t.Errorf("no packet sockets %v, want %v", noRaw, tc.noRawIO)
			}
		})
	}
}

type countHandler struct{ n int }

func (c *countHandler) ServeDHCP(dhcpserver.ResponseWriter, *dhcpserver.Request) { c.n++ }

// TestSocketFilter: with UDP sockets, what arrived by broadcast is not
// seen, as Kea's UDP sockets do not see it; with use-routing, only what
// was sent to the addresses of the named interfaces, whichever interface
// it came in on.
func TestSocketFilter(t *testing.T) {
	bcast := netip.MustParseAddr("255.255.255.255")
	local := netip.MustParseAddr("192.0.2.1")
	for _, tc := range []struct {
		name   string
		policy *sockPolicy
		dst    netip.Addr
		iface  string
		passed bool
	}{
		{"raw broadcast", &sockPolicy{}, bcast, "eth0", true},
		{"udp broadcast", &sockPolicy{udp: true}, bcast, "eth0", false},
		{"udp unicast", &sockPolicy{udp: true}, local, "eth0", true},
		{"routed, served address", &sockPolicy{udp: true, to: map[netip.Addr]bool{local: true}}, local, "eth9", true},
		{"routed, other address", &sockPolicy{udp: true, to: map[netip.Addr]bool{local: true}}, netip.MustParseAddr("192.0.2.2"), "eth0", false},
		{"no policy", nil, bcast, "eth0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &countHandler{}
			var unseen atomic.Int64
			f := &socketFilter{next: next, unseen: &unseen}
			f.policy.Store(tc.policy)
			f.ServeDHCP(nil, &dhcpserver.Request{Dst: tc.dst, IfName: tc.iface})
			if (next.n == 1) != tc.passed {
				t.Errorf("passed %v, want %v", next.n == 1, tc.passed)
			}
			// What Kea's sockets would not have received comes off
			// pkt4-received.
			if (unseen.Load() == 1) == tc.passed {
				t.Errorf("counted as unseen %d, passed %v", unseen.Load(), tc.passed)
			}
		})
	}
}

func TestCheckInterfaces(t *testing.T) {
	lo := loopbackName(t) // lo on Linux, lo0 on the BSDs and macOS
	if err := checkInterfaces(parseConfig(t, `{"Dhcp4": {"interfaces-config": {"interfaces": ["`+lo+`", "`+lo+`/127.0.0.1"]}}}`)); err != nil {
		t.Errorf("%s: %v", lo, err)
	}
	err := checkInterfaces(parseConfig(t, `{"Dhcp4": {"interfaces-config": {"interfaces": ["`+lo+`", "nosuch0"]}}}`))
	if err == nil || !strings.Contains(err.Error(), `interface "nosuch0"`) {
		t.Errorf("nosuch0: %v", err)
	}
	if err := checkInterfaces(parseConfig(t, `{"Dhcp4": {"interfaces-config": {"interfaces": ["*"]}}}`)); err != nil {
		t.Errorf("*: %v", err)
	}
	// Kea serves no interface when none is listed; leased refuses to
	// start rather than serve every one.
	for _, src := range []string{
		`{"Dhcp4": {"interfaces-config": {"interfaces": []}}}`,
		`{"Dhcp4": {}}`,
	} {
		err := checkInterfaces(parseConfig(t, src))
		if err == nil || !strings.Contains(err.Error(), "lists no interface") {
			t.Errorf("%s: %v; want an error saying no interface is listed", src, err)
		}
	}
}

// loopbackName returns the name of the loopback interface.
func loopbackName(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			return ifc.Name
		}
	}
	t.Fatal("no loopback interface")
	return ""
}

// blockPort holds a UDP port the way another DHCP server would: bound to
// every address without SO_REUSEADDR, so that leased cannot bind it. The
// returned function releases it.
func blockPort(t *testing.T) (uint16, func()) {
	t.Helper()
	c, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return uint16(c.LocalAddr().(*net.UDPAddr).Port), func() { c.Close() }
}

// socketConfig serves lo with the interfaces-config members ic.
func socketConfig(ic, sock string) string {
	return fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"], %s},
		"lease-database": {"type": "memfile", "persist": false},
		"control-sockets": [{"socket-type": "unix", "socket-name": %q}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}]}]}}`, ic, sock)
}

func runOnPort(t *testing.T, port uint16, ic string) *testProc {
	t.Helper()
	needRoot(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(cfgPath, []byte(socketConfig(ic, filepath.Join(dir, "ctl.sock"))), 0o600); err != nil {
		t.Fatal(err)
	}
	return launch(t, dir, cfgPath, Options{ServerPort: port, ClientPort: uint16(freePort(t, "udp")), PIDFileDir: dir})
}

// waitFor polls cond every 10 ms for up to 10 s.
func (p *testProc) waitFor(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("still not %s after 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *testProc) serving() bool { return strings.Contains(p.out.String(), `msg="serving DHCPv4"`) }

func (p *testProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// sockets returns status-get's sockets map.
func (p *testProc) sockets() map[string]any {
	p.t.Helper()
	r, err := (&control.Client{Target: p.sock}).Call(context.Background(), "status-get", nil)
	if err != nil {
		p.t.Fatal(err)
	}
	var st struct{ Sockets map[string]any }
	if err := r.Decode(&st); err != nil {
		p.t.Fatal(err)
	}
	return st.Sockets
}

// TestNoSocketAtStart: a server that can open none of its DHCP sockets
// at start, and has no retries to wait for, does not start: Run fails
// with an error saying there is nothing to serve and why, which Main
// prints and turns into exit status 1.
func TestNoSocketAtStart(t *testing.T) {
	port, _ := blockPort(t)
	p := runOnPort(t, port, `"dhcp-socket-type": "raw"`)
	p.waitFor("exited", p.exited)
	if p.code != 1 || p.err == nil || !strings.Contains(p.err.Error(), "no DHCP socket could be opened") ||
		!strings.Contains(p.err.Error(), "address already in use") {
		t.Errorf("Run returned %d, %v; want 1 and an error saying no DHCP socket could be opened, and why", p.code, p.err)
	}
	if p.serving() {
		t.Error("logged that it serves although no DHCP socket is open")
	}
	if _, err := os.Stat(p.sock); err == nil {
		t.Error("the control socket file is left behind")
	}
}

// TestNoSocketAfterRetries: with retries but without require-all, a
// server that has still opened no DHCP socket when its retries are spent
// stops with exit value 1, saying why; while it retried, status-get
// reported the failure.
func TestNoSocketAfterRetries(t *testing.T) {
	port, _ := blockPort(t)
	p := runOnPort(t, port, `"service-sockets-max-retries": 40, "service-sockets-retry-wait-time": 50`)
	p.waitFor("serving", func() bool { return p.serving() || p.exited() })
	if !p.exited() {
		if s := p.sockets(); s["status"] != "failed" || !strings.Contains(fmt.Sprint(s["errors"]), "address already in use") {
			t.Errorf("status-get sockets while retrying: %v", s)
		}
	}
	p.waitFor("exited", p.exited)
	if p.code != 1 || p.err != nil {
		t.Errorf("Run returned %d, %v; want 1, nil", p.code, p.err)
	}
	if !strings.Contains(p.out.String(), "no DHCP socket could be opened, so there is nothing to serve; shutting down") {
		t.Error("no log of why the server stopped")
	}
	if !strings.Contains(p.out.String(), "sockets-not-open=") {
		t.Error(`the "serving DHCPv4" line does not say which sockets are not open`)
	}
}

// TestSocketRetry: with service-sockets-max-retries, the socket opens once
// the port is free, while the server runs.
func TestSocketRetry(t *testing.T) {
	port, release := blockPort(t)
	p := runOnPort(t, port, `"service-sockets-max-retries": 100, "service-sockets-retry-wait-time": 50, "service-sockets-require-all": true`)
	p.waitFor("serving", func() bool { return p.serving() || p.exited() })
	if p.exited() {
		t.Fatalf("Run returned %d, %v", p.code, p.err)
	}
	if s := p.sockets(); s["status"] != "failed" {
		t.Errorf("status-get sockets with the port held: %v", s)
	}
	release()
	p.waitFor("ready", func() bool { return p.sockets()["status"] == "ready" })
	if s := p.sockets(); !reflect.DeepEqual(s["interfaces"], []any{"lo"}) {
		t.Errorf("status-get sockets %v", s)
	}
	if !strings.Contains(p.out.String(), "every DHCP socket is open") {
		t.Error("no log of the socket opened by a retry")
	}
}

// TestSocketRetriesSpent: with service-sockets-require-all, a socket still
// missing after the retries stops the server with exit value 1.
func TestSocketRetriesSpent(t *testing.T) {
	port, _ := blockPort(t)
	p := runOnPort(t, port, `"service-sockets-max-retries": 3, "service-sockets-retry-wait-time": 20, "service-sockets-require-all": true`)
	p.waitFor("exited", p.exited)
	if p.code != 1 || p.err != nil {
		t.Errorf("Run returned %d, %v; want 1, nil", p.code, p.err)
	}
	if !p.serving() {
		t.Error("the server did not serve while retrying")
	}
	if !strings.Contains(p.out.String(), "service-sockets-require-all is true; shutting down") {
		t.Error("no log of why the server stopped")
	}
}

// TestSocketRequireAllAtStart: with require-all and no retries, a socket
// that cannot be opened keeps the server from starting.
func TestSocketRequireAllAtStart(t *testing.T) {
	port, _ := blockPort(t)
	p := runOnPort(t, port, `"service-sockets-require-all": true`)
	p.waitFor("exited", p.exited)
	if p.code != 1 || p.err == nil || !strings.Contains(p.err.Error(), "service-sockets-require-all") {
		t.Errorf("Run returned %d, %v", p.code, p.err)
	}
	if p.serving() {
		t.Error("served although a socket is missing")
	}
}

// TestUnknownInterfaceRejected: as Kea does, a configuration naming an
// interface the system does not have is refused at start.
func TestUnknownInterfaceRejected(t *testing.T) {
	port := uint16(freePort(t, "udp"))
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(cfgPath, []byte(`{"Dhcp4": {"interfaces-config": {"interfaces": ["nosuch0"]},
		"lease-database": {"type": "memfile", "persist": false}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, err := Run(context.Background(), Options{ConfigPath: cfgPath, ServerPort: port, Stdout: &logtest.Buffer{}, Stderr: &logtest.Buffer{}, PIDFileDir: dir})
	if code != 1 || err == nil || !strings.Contains(err.Error(), `interface "nosuch0"`) {
		t.Errorf("Run returned %d, %v", code, err)
	}
}

// TestSocketTypeChangeReopens: a reconfiguration that changes
// dhcp-socket-type reopens the sockets, which serve on.
func TestSocketTypeChangeReopens(t *testing.T) {
	p := runOnPort(t, uint16(freePort(t, "udp")), `"dhcp-socket-type": "raw"`)
	p.waitFor("serving", func() bool { return p.serving() || p.exited() })
	if err := os.WriteFile(p.cfg, []byte(socketConfig(`"dhcp-socket-type": "udp"`, p.sock)), 0o600); err != nil {
		t.Fatal(err)
	}
	p.reload <- struct{}{}
	p.waitFor("reconfigured", func() bool { return strings.Contains(p.out.String(), `msg="configuration applied"`) })
	if !strings.Contains(p.out.String(), "reopening every DHCP socket") {
		t.Error("the sockets were not reopened")
	}
	if s := p.sockets(); s["status"] != "ready" || !reflect.DeepEqual(s["interfaces"], []any{"lo"}) {
		t.Errorf("status-get sockets %v", s)
	}
}

// TestCheckDeepNoInterface: `leased serve -T` reports a configuration
// that lists no interface, which serve would refuse.
func TestCheckDeepNoInterface(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		ic      string
		wantErr bool
	}{
		{`"interfaces": []`, true},
		{`"interfaces": ["*"]`, false},
	} {
		cfgPath := filepath.Join(dir, "kea-dhcp4.conf")
		src := `{"Dhcp4": {"interfaces-config": {` + tc.ic + `}, "lease-database": {"type": "memfile", "persist": false}}}`
		if err := os.WriteFile(cfgPath, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut strings.Builder
		err := CheckDeep(cfgPath, dir, &out, &errOut)
		if got := err != nil; got != tc.wantErr || strings.Contains(errOut.String(), "lists no interface") != tc.wantErr {
			t.Errorf("%s: CheckDeep returned %v, printed %q; want an error about the interface list: %v", tc.ic, err, errOut.String(), tc.wantErr)
		}
	}
}

// TestReloadKeepsSockets: a reconfiguration that leaves the interface
// list as it is opens and closes no DHCP socket.
func TestReloadKeepsSockets(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "ctl.sock")
	cfgPath := filepath.Join(dir, "kea-dhcp4.conf")
	write := func(pool string) {
		src := strings.Replace(socketConfig(`"dhcp-socket-type": "raw"`, sock), "192.0.2.10 - 192.0.2.20", pool, 1)
		if err := os.WriteFile(cfgPath, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("192.0.2.10 - 192.0.2.20")
	out := &logtest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{ConfigPath: cfgPath, ServerPort: uint16(freePort(t, "udp")), ClientPort: uint16(freePort(t, "udp")),
			Verbose: true, Stdout: out, Stderr: out, PIDFileDir: dir})
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, "serving", func() bool { return strings.Contains(out.String(), `msg="serving DHCPv4"`) })
	opened := func() int { return strings.Count(out.String(), `msg="DHCP socket open"`) }
	if n := opened(); n != 1 {
		t.Fatalf("%d DHCP sockets opened at start, want 1:\n%s", n, out.String())
	}
	write("192.0.2.30 - 192.0.2.40")
	if r, err := (&control.Client{Target: sock}).Call(ctx, "config-reload", nil); err != nil || r.Result != 0 {
		t.Fatalf("config-reload: %v %+v", err, r)
	}
	if n := opened(); n != 1 || strings.Contains(out.String(), "no longer serving interface") {
		t.Errorf("a reload with the same interfaces opened or closed DHCP sockets:\n%s", out.String())
	}
	var st struct{ Sockets map[string]any }
	r, err := (&control.Client{Target: sock}).Call(ctx, "status-get", nil)
	if err != nil || r.Decode(&st) != nil || st.Sockets["status"] != "ready" {
		t.Errorf("status-get after the reload: %v %+v", err, st)
	}
}
