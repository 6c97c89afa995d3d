package snoop

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

// TestSniffer sends DHCP and other UDP traffic over a veth pair and reads
// it with a Sniffer on the server's end: the DHCP messages come back in
// order, each with its direction, and nothing else does.
func TestSniffer(t *testing.T) {
	testnet.RequireRoot(t)
	p := testnet.NewPair(t)
	var s *Sniffer
	if err := p.Server.Do(func() (err error) { s, err = Listen("srv0", &Config{Promiscuous: true}); return err }); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srvMAC := p.Server.HardwareAddr(t, "srv0")
	cliMAC := p.Client.HardwareAddr(t, "cli0")

	discover := build(t, dhcpv4.BootRequest, dhcpv4.Discover, nil)
	reply := build(t, dhcpv4.BootReply, dhcpv4.Offer, func(b *dhcpv4.Builder) { b.SetYIAddr(p.ClientAddr) })
	relayed := build(t, dhcpv4.BootRequest, dhcpv4.Request, func(b *dhcpv4.Builder) { b.SetGIAddr(p.ClientAddr) })
	send := []func() error{
		func() error { // a client without an address
			return p.Client.SendRawUDP("cli0", nil, ip4port("0.0.0.0:68"), ip4port("255.255.255.255:67"), discover)
		},
		func() error {
			return p.Client.SendUDP(netip.AddrPort{}, netip.AddrPortFrom(p.ServerAddr, 53), []byte("not DHCP"))
		},
		func() error { // the server's reply, unicast
			return p.Server.SendUDP(netip.AddrPortFrom(p.ServerAddr, 67), netip.AddrPortFrom(p.ClientAddr, 68), reply)
		},
		func() error { // a relay agent's, to the server
			return p.Client.SendUDP(netip.AddrPortFrom(p.ClientAddr, 67), netip.AddrPortFrom(p.ServerAddr, 67), relayed)
		},
	}
	for _, fn := range send {
		if err := fn(); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct {
		out      bool
		src, dst string
		mac      net.HardwareAddr
		mt       dhcpv4.MessageType
	}{
		{false, "0.0.0.0:68", "255.255.255.255:67", cliMAC, dhcpv4.Discover},
		{true, "192.0.2.1:67", "192.0.2.2:68", srvMAC, dhcpv4.Offer},
		{false, "192.0.2.2:67", "192.0.2.1:67", cliMAC, dhcpv4.Request},
	}
	start := time.Now()
	for i, w := range want {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		m, err := s.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if m.Interface != "srv0" || m.Outgoing != w.out || m.Src != ip4port(w.src) || m.Dst != ip4port(w.dst) ||
			m.SrcMAC.String() != w.mac.String() || m.Packet == nil || m.Packet.MessageType() != w.mt || m.Err != nil {
			t.Errorf("message %d: %+v, want %+v", i, m, w)
		}
		if m.Time.Before(start.Add(-time.Minute)) || m.Time.After(time.Now()) {
			t.Errorf("message %d: time %v is not the kernel's time stamp", i, m.Time)
		}
	}

	// Nothing else came: a read ends with its context.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	m, err := s.Read(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after the DHCP traffic: %+v, %v; want the context's deadline", m, err)
	}
	if st, err := s.Stats(); err != nil || st.Received != 3 || st.Dropped != 0 {
		t.Errorf("Stats: %+v, %v; want 3 received", st, err)
	}

	// The next read works again, and Close ends it.
	if err := p.Client.SendRawUDP("cli0", nil, ip4port("0.0.0.0:68"), ip4port("255.255.255.255:67"), discover); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Read(t.Context()); err != nil || m.Packet == nil {
		t.Fatalf("after a read timed out: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Read(context.Background()); done <- err }()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a Read")
	}
}

func TestListenUnknownInterface(t *testing.T) {
	_, err := Listen("no-such-if0", nil)
	if err == nil || !errorsContain(err, `"no-such-if0"`) {
		t.Errorf("Listen on a missing interface: %v", err)
	}
}

func errorsContain(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }
