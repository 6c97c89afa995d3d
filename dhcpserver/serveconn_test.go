package dhcpserver_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
)

// TestServeConn serves a UDP socket the test opened itself on loopback,
// as systemd's socket activation hands one over.
func TestServeConn(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	c, err := dhcptest.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	locals := make(chan string, 2)
	srv := &dhcpserver.Server{
		Handler: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			locals <- r.Local.String() + " " + r.IfName
			offerAll.ServeDHCP(w, r)
		}),
		ClientPort:    c.LocalAddr().Port(),
		BroadcastAddr: loopback,
		NoRawSockets:  true,
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeConn(conn) }()
	// Datagrams queued before ServeConn sets IP_PKTINFO would come
	// without it: wait until LocalAddr says the socket is set up.
	for deadline := time.Now().Add(5 * time.Second); !srv.LocalAddr().IsValid(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("ServeConn did not set the socket up")
		}
	}
	got, err := c.DORA(1, hw(1))
	if err != nil {
		t.Fatal(err)
	}
	if got != yiaddr {
		t.Errorf("DORA got %v, want %v", got, yiaddr)
	}
	for range 2 {
		if l := <-locals; l != "127.0.0.1 lo" {
			t.Errorf("request arrived at %q, want 127.0.0.1 on lo (the control messages the server asked for)", l)
		}
	}
	if la := srv.LocalAddr(); la != addr {
		t.Errorf("LocalAddr = %v, want %v", la, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, dhcpserver.ErrServerClosed) {
		t.Errorf("ServeConn returned %v, want ErrServerClosed", err)
	}
}

// TestServeConnNeedsASocket checks that ServeConn refuses a socket of
// another family than IPv4 UDP.
func TestServeConnNeedsASocket(t *testing.T) {
	unixConn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "s"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	srv := &dhcpserver.Server{Handler: offerAll}
	if err := srv.ServeConn(unixConn); err == nil || errors.Is(err, dhcpserver.ErrServerClosed) {
		t.Errorf("ServeConn of a Unix datagram socket returned %v, want an error", err)
	}
}

// TestServeConnIPv6Socket checks that ServeConn refuses an IPv6 socket,
// which is what net.ListenPacket("udp", ":67") opens, with an error that
// says how to open an IPv4 one instead.
func TestServeConnIPv6Socket(t *testing.T) {
	conn, err := net.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	if a := conn.LocalAddr().(*net.UDPAddr); a.IP.To4() != nil {
		conn.Close()
		t.Skipf("the system opened an IPv4 socket for %q (%v): nothing to refuse", "udp", a)
	}
	srv := &dhcpserver.Server{Handler: offerAll, NoRawSockets: true}
	err = srv.ServeConn(conn)
	if err == nil || errors.Is(err, dhcpserver.ErrServerClosed) {
		t.Fatalf("ServeConn of an IPv6 socket returned %v, want an error", err)
	}
	for _, want := range []string{"IPv6", `"udp4"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ServeConn of an IPv6 socket: %q does not say %s", err, want)
		}
	}
}
