//go:build linux

package d2

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/internal/testnet"
)

// Config is a DhcpDdns section for named n, listening on port.
func Config(n *testnet.Named, port int, socket string) string {
	return fmt.Sprintf(`{
  "DhcpDdns": {
    "ip-address": "127.0.0.1", "port": %d, "dns-server-timeout": 300,
    "tsig-keys": [ { "name": %q, "algorithm": "HMAC-SHA256", "secret": %q } ],
    "forward-ddns": { "ddns-domains": [ { "name": "example.org.", "key-name": %q,
      "dns-servers": [ { "ip-address": %q, "port": %d } ] } ] },
    "reverse-ddns": { "ddns-domains": [ { "name": "2.0.192.in-addr.arpa.", "key-name": %q,
      "dns-servers": [ { "ip-address": %q, "port": %d } ] } ] },
    "control-socket": { "socket-type": "unix", "socket-name": %q },
    "loggers": [ { "name": "kea-dhcp-ddns", "severity": "DEBUG", "debuglevel": 99 } ]
  }
}`, port, n.KeyName, n.Secret, n.KeyName, n.Addr.Addr(), n.Addr.Port(), n.KeyName, n.Addr.Addr(), n.Addr.Port(), socket)
}

// TestRun feeds leased ddns NameChangeRequests over UDP, as kea-dhcp4
// sends them, and finds the records in named; then asks its control
// socket for the statistics and shuts it down.
func TestRun(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	dir := t.TempDir()
	sock := filepath.Join(dir, "d2.sock")
	file := filepath.Join(dir, "d2.json")
	port := testnet.FreeUDPPort(t, "127.0.0.1")
	if err := os.WriteFile(file, []byte(Config(n, port, sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	listening := make(chan netip.AddrPort, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{ConfigPath: file, Stdout: &syncWriter{w: &out}, Stderr: &syncWriter{w: &out},
			Listening: func(a netip.AddrPort) { listening <- a }})
	}()
	var addr netip.AddrPort
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening")
	}
	s, err := ncr.NewSender(ncr.SenderConfig{Server: addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fqdn := "host1.example.org."
	id, _ := ncr.DHCIDFromHWAddr(1, net.HardwareAddr{8, 0, 0x27, 0x11, 0x22, 0x33}, fqdn)
	add := ncr.Request{Type: ncr.Add, Forward: true, Reverse: true, FQDN: fqdn,
		Addr: netip.MustParseAddr("192.0.2.50"), DHCID: id, TTL: 1200, Expires: time.Now().Add(20 * time.Minute)}
	// A datagram that is no request is counted and skipped.
	c, err := net.Dial("udp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte{0, 2, '{', '}'})
	c.Close()
	if err := s.Send(add); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(n.Lookup(t, "50.2.0.192.in-addr.arpa", dns.TypePTR)) == 1 })
	if a := n.Lookup(t, "host1.example.org", dns.TypeA); len(a) != 1 || a[0] != "host1.example.org. 1200 IN A 192.0.2.50" {
		t.Fatalf("A = %q", a)
	}
	rm := add
	rm.Type = ncr.Remove
	if err := s.Send(rm); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(n.Lookup(t, "50.2.0.192.in-addr.arpa", dns.TypePTR)) == 0 })
	if a := n.Lookup(t, "host1.example.org", dns.TypeANY); len(a) != 0 {
		t.Fatalf("after the removal: %q", a)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl := &control.Client{Target: sock}
	r, err := cl.Call(ctx, "statistic-get-all", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string][][]any
	if err := r.Decode(&st); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{"ncr-received": 2, "ncr-invalid": 1, "transaction-completed": 2, "queue-pending": 0} {
		if got := st[name]; len(got) != 1 || got[0][0] != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if _, err := cl.Call(ctx, "shutdown", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running after shutdown")
	}
	if !strings.Contains(out.String(), "NameChangeRequest refused") {
		t.Errorf("no log of the invalid datagram:\n%s", out.String())
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.json")
	os.WriteFile(file, []byte(`{"DhcpDdns": {"forward-ddns": {"ddns-domains": [{"name": "example.org.", "key-name": "nokey",
  "dns-servers": [{"ip-address": "192.0.2.1"}]}]}}}`), 0o644)
	var out bytes.Buffer
	if err := Check(file, &out); err == nil || !strings.Contains(out.String(), file+`:1:86: error: ddns-domains: key-name "nokey"`) {
		t.Errorf("Check: %v\n%s", err, out.String())
	}
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"Dhcp4": {"not": "read"}, "DhcpDdns": {}}`), 0o644)
	out.Reset()
	if err := Check(good, &out); err != nil {
		t.Errorf("Check: %v\n%s", err, out.String())
	}
}

// syncWriter lets the test read what the loggers write from another
// goroutine.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// running is a Run started by runD2 on a configuration file.
type running struct {
	file, sock string
	// listening gets each address Run listens on.
	listening chan netip.AddrPort
}

// runD2 writes a configuration for named n, listening on a free port,
// to a file in a directory of the test's, and runs Run on it until the
// test ends.
func runD2(t *testing.T, n *testnet.Named) *running {
	t.Helper()
	dir := t.TempDir()
	r := &running{file: filepath.Join(dir, "d2.json"), sock: filepath.Join(dir, "d2.sock"),
		listening: make(chan netip.AddrPort, 4)}
	if err := os.WriteFile(r.file, []byte(Config(n, testnet.FreeUDPPort(t, "127.0.0.1"), r.sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{ConfigPath: r.file, Stdout: io.Discard, Stderr: io.Discard,
			Listening: func(a netip.AddrPort) { r.listening <- a }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// call sends cmd to the control socket.
func (r *running) call(t *testing.T, cmd string) *control.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := (&control.Client{Target: r.sock}).Call(ctx, cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestReload checks config-reload: a new port is listened on and the
// requests sent there are made; a file that is not valid keeps the
// running configuration.
func TestReload(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	d := runD2(t, n)
	file, sock := d.file, d.sock
	listening := d.listening
	first := <-listening
	call := func(cmd string) *control.Response { t.Helper(); return d.call(t, cmd) }

	os.WriteFile(file, []byte(`{"DhcpDdns": {"port": "not a port"}}`), 0o644)
	if r := call("config-reload"); r.Result != control.Error || !strings.Contains(r.Text, "d2.json:1:23") {
		t.Fatalf("config-reload of a bad file: %+v", r)
	}
	second := testnet.FreeUDPPort(t, "127.0.0.1")
	if err := os.WriteFile(file, []byte(Config(n, second, sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := call("config-reload"); r.Result != control.Success {
		t.Fatalf("config-reload: %+v", r)
	}
	select {
	case got := <-listening:
		if got.Port() != uint16(second) || got == first {
			t.Fatalf("after the reload listening on %v, want port %d", got, second)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reload opened no new receiver")
	}
	s, err := ncr.NewSender(ncr.SenderConfig{Server: netip.AddrPortFrom(first.Addr(), uint16(second))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fqdn := "reloaded.example.org."
	id, _ := ncr.DHCIDFromHWAddr(1, net.HardwareAddr{8, 0, 0x27, 0, 0, 9}, fqdn)
	if err := s.Send(ncr.Request{Type: ncr.Add, Forward: true, Reverse: true, FQDN: fqdn,
		Addr: netip.MustParseAddr("192.0.2.60"), DHCID: id, TTL: 600}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(n.Lookup(t, fqdn, dns.TypeA)) == 1 })
}

// TestReloadAfterPartialFailure: a reload that moved the receiver to a
// new port but failed further on (a control socket that cannot be
// opened) leaves the receiver there, so the next reload of that port
// must not try to open it a second time.
func TestReloadAfterPartialFailure(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	d := runD2(t, n)
	<-d.listening
	file, sock := d.file, d.sock
	reload := func() *control.Response { t.Helper(); return d.call(t, "config-reload") }
	// A port some other program holds, for an HTTP control socket.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	second := testnet.FreeUDPPort(t, "127.0.0.1")
	good := Config(n, second, sock)
	bad := strings.Replace(good, `"control-socket": { "socket-type": "unix", "socket-name": `+fmt.Sprintf("%q", sock)+` },`,
		fmt.Sprintf(`"control-sockets": [ { "socket-type": "unix", "socket-name": %q },
      { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": %d } ],`, sock, busy.Addr().(*net.TCPAddr).Port), 1)
	if bad == good {
		t.Fatal("the test's configuration has no control-socket to replace")
	}
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := reload(); r.Result != control.Error {
		t.Fatalf("config-reload with a control socket on a busy port: %+v", r)
	}
	if err := os.WriteFile(file, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := reload(); r.Result != control.Success {
		t.Fatalf("config-reload on the port the failed reload moved to: %+v", r)
	}
}
