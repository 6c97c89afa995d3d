//go:build linux

package engine

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease/memfile"
)

// TestStack serves a stack on the loopback interface: the middleware is
// put in front of the server, the sockets are opened through Open and
// served inline, a client's INFORM passes the middleware and is
// answered, and an error of Open is reported with the interfaces.
func TestStack(t *testing.T) {
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := loadConfig(t, `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "127.0.0.0/8", "pools": [{"pool": "127.0.1.1 - 127.0.1.100"}]}]}}`)
	var seen atomic.Int64
	var wrapped dhcpserver.Handler
	st, err := NewStack(context.Background(), cfg, store, &StackOptions{
		Middleware: func(next dhcpserver.Handler) dhcpserver.Handler {
			wrapped = next
			return dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
				seen.Add(1)
				next.ServeDHCP(w, r)
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if wrapped != st.Engine {
		t.Errorf("the middleware wraps %v, not the server", wrapped)
	}

	refused := errors.New("no such namespace")
	if _, err := st.Listen(ListenOptions{Interfaces: []string{"lo"}, Open: func(func() error) error { return refused }}); !errors.Is(err, refused) || !strings.Contains(err.Error(), "lo") {
		t.Errorf("Listen with a failing Open: %v", err)
	}

	client, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// A free port for the server: taken, then given back.
	free, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	port := free.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	free.Close()
	opened := false
	ds, err := st.Listen(ListenOptions{Interfaces: []string{"lo"}, ServerPort: port,
		ClientPort: client.LocalAddr().(*net.UDPAddr).AddrPort().Port(), NoRawSockets: true,
		Open: func(listen func() error) error { opened = true; return listen() }})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if !opened || !ds.Inline {
		t.Errorf("opened through Open %v, inline %v", opened, ds.Inline)
	}

	lo := netip.MustParseAddr("127.0.0.1")
	inform := (&dhcptest.Message{Type: dhcpv4.Inform, XID: 9, CHAddr: mac("02:00:00:00:00:51"), CIAddr: lo}).MustBuild()
	if _, err := client.WriteToUDPAddrPort(inform, netip.AddrPortFrom(lo, port)); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	n, err := client.Read(buf)
	if err != nil {
		t.Fatalf("no answer to an INFORM: %v", err)
	}
	var p dhcpv4.Packet
	if err := p.Decode(buf[:n]); err != nil {
		t.Fatal(err)
	}
	if p.MessageType() != dhcpv4.Ack || p.XID() != 9 {
		t.Errorf("answer %v xid %d, want ACK xid 9", p.MessageType(), p.XID())
	}
	if got := seen.Load(); got != 1 {
		t.Errorf("the middleware saw %d messages, want 1", got)
	}
}
