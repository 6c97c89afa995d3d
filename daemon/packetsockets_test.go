package daemon

import (
	"os"
	"strings"
	"testing"

	"github.com/leased/leased/dhcpserver"
)

// noPacketSockets is the start-up warning of a build without packet
// sockets (FreeBSD, macOS; on Linux the dhcpserver_udp build tag).
const noPacketSockets = "this system has no packet sockets"

// TestNoPacketSocketsSaidOnce: a server built without packet sockets says
// at start, once, which RFC 2131 reply route it cannot take, and not again
// when a reload reopens its sockets; one with packet sockets says nothing.
// go test -tags dhcpserver_udp runs the first case on Linux.
func TestNoPacketSocketsSaidOnce(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := startProc(t, dir, testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199"))
	// A changed socket type reopens every DHCP socket.
	text := strings.Replace(testProcessConfig(dir, freePort(t, "tcp"), "192.0.2.100 - 192.0.2.199"),
		`"interfaces": ["lo"]`, `"interfaces": ["lo"], "dhcp-socket-type": "udp"`, 1)
	if err := os.WriteFile(p.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p.reload <- struct{}{}
	p.waitFor("the sockets reopened", func() bool {
		return strings.Contains(p.out.String(), "dhcp-socket-type changed; reopening every DHCP socket")
	})
	want := 1
	if dhcpserver.HardwareUnicast {
		want = 0
	}
	if n := strings.Count(p.out.String(), noPacketSockets); n != want {
		t.Errorf("the warning %q was logged %d times, want %d; log:\n%s", noPacketSockets, n, want, p.out.String())
	}
}
