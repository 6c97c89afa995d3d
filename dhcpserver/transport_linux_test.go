//go:build !dhcpserver_udp

package dhcpserver_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// datagram is one message on the fake network.
type datagram struct {
	b    []byte
	addr *net.UDPAddr
}

// fakeNet is a net.PacketConn with no socket behind it: the test puts
// datagrams in, and takes the server's out.
type fakeNet struct {
	local *net.UDPAddr
	in    chan datagram
	out   chan datagram

	mu       sync.Mutex
	deadline chan struct{} // closed when a read deadline has passed
}

func newFakeNet(local string) *fakeNet {
	return &fakeNet{local: net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local)), in: make(chan datagram, 8), out: make(chan datagram, 8), deadline: make(chan struct{})}
}

func (f *fakeNet) ReadFrom(b []byte) (int, net.Addr, error) {
	f.mu.Lock()
	dl := f.deadline
	f.mu.Unlock()
	select {
	case d := <-f.in:
		return copy(b, d.b), d.addr, nil
	case <-dl:
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (f *fakeNet) WriteTo(b []byte, addr net.Addr) (int, error) {
	f.out <- datagram{append([]byte(nil), b...), addr.(*net.UDPAddr)}
	return len(b), nil
}

func (f *fakeNet) SetReadDeadline(t time.Time) error {
	if time.Until(t) <= 0 {
		f.mu.Lock()
		select {
		case <-f.deadline:
		default:
			close(f.deadline)
		}
		f.mu.Unlock()
	}
	return nil
}

func (f *fakeNet) Close() error                     { return nil }
func (f *fakeNet) LocalAddr() net.Addr              { return f.local }
func (f *fakeNet) SetDeadline(t time.Time) error    { return f.SetReadDeadline(t) }
func (f *fakeNet) SetWriteDeadline(time.Time) error { return nil }

// TestServeConnFakeTransport serves a net.PacketConn with no socket behind
// it, with workers and inline, and checks the replies it sends there.
func TestServeConnFakeTransport(t *testing.T) {
	for _, inline := range []bool{false, true} {
		f := newFakeNet("192.0.2.1:67")
		srv := &dhcpserver.Server{Handler: dhcpserver.HandlerFunc(static), Inline: inline}
		served := make(chan error, 1)
		go func() { served <- srv.ServeConn(f) }()

		client := net.UDPAddrFromAddrPort(netip.MustParseAddrPort("0.0.0.0:68"))
		hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
		f.in <- datagram{(&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw}).MustBuild(), client}
		f.in <- datagram{(&dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: staticAddr}).MustBuild(), client}
		for _, want := range []dhcpv4.MessageType{dhcpv4.Offer, dhcpv4.Ack} {
			var d datagram
			select {
			case d = <-f.out:
			case <-time.After(5 * time.Second):
				t.Fatalf("inline %v: no %v", inline, want)
			}
			p, err := dhcpv4.Parse(d.b)
			if err != nil {
				t.Fatal(err)
			}
			sid, _ := p.ServerID()
			if p.MessageType() != want || p.YIAddr() != staticAddr || sid != netip.MustParseAddr("192.0.2.1") || d.addr.String() != "255.255.255.255:68" {
				t.Errorf("inline %v: %v of %v from %v to %v; want %v of %v from 192.0.2.1 to 255.255.255.255:68",
					inline, p.MessageType(), p.YIAddr(), sid, d.addr, want, staticAddr)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-served; !errors.Is(err, dhcpserver.ErrServerClosed) {
			t.Errorf("ServeConn returned %v, want ErrServerClosed", err)
		}
		if st := srv.Stats(); st.Received != 2 || st.Sent != 2 || st.Fallbacks != 2 {
			t.Errorf("inline %v: stats %+v; want 2 received, 2 sent, 2 broadcast for want of a packet socket", inline, st)
		}
	}
}
