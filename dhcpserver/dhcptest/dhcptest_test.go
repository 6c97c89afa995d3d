package dhcptest_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

var (
	mac   = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42}
	offer = netip.MustParseAddr("192.0.2.42")
	relay = netip.MustParseAddr("198.18.0.1")
)

// handler offers 192.0.2.42 on DISCOVER, NAKs REQUESTs for other addresses
// and ACKs the rest; it ignores everything else.
var handler = dhcpserver.Mux{
	Discover: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		b := w.Reply(dhcpv4.Offer)
		b.SetYIAddr(offer)
		b.AddIP(dhcpv4.OptionServerID, r.Local)
		b.AddUint32(dhcpv4.OptionLeaseTime, 600)
	}),
	Request: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		if ip, _ := r.Packet.RequestedIP(); ip != offer && r.Packet.CIAddr() != offer {
			w.Reply(dhcpv4.Nak).AddIP(dhcpv4.OptionServerID, r.Local)
			return
		}
		b := w.Reply(dhcpv4.Ack)
		b.SetYIAddr(offer)
		b.AddIP(dhcpv4.OptionServerID, r.Local)
		b.AddUint32(dhcpv4.OptionLeaseTime, 600)
	}),
}

func TestRecorder(t *testing.T) {
	tests := []struct {
		name  string
		msg   dhcptest.Message
		want  dhcpv4.MessageType // 0: silence
		route dhcpserver.Route
		dst   string
		flags uint16
	}{
		{"offer to chaddr", dhcptest.Message{Type: dhcpv4.Discover}, dhcpv4.Offer, dhcpserver.RouteHardware, "192.0.2.42:68", 0},
		{"broadcast offer", dhcptest.Message{Type: dhcpv4.Discover, Broadcast: true}, dhcpv4.Offer, dhcpserver.RouteBroadcast, "255.255.255.255:68", dhcpv4.FlagBroadcast},
		{"relayed offer", dhcptest.Message{Type: dhcpv4.Discover, GIAddr: relay}, dhcpv4.Offer, dhcpserver.RouteRelay, "198.18.0.1:67", 0},
		{"ack", dhcptest.Message{Type: dhcpv4.Request, RequestedIP: offer}, dhcpv4.Ack, dhcpserver.RouteHardware, "192.0.2.42:68", 0},
		{"renewal", dhcptest.Message{Type: dhcpv4.Request, CIAddr: offer}, dhcpv4.Ack, dhcpserver.RouteClient, "192.0.2.42:68", 0},
		{"nak", dhcptest.Message{Type: dhcpv4.Request, RequestedIP: relay}, dhcpv4.Nak, dhcpserver.RouteBroadcast, "255.255.255.255:68", 0},
		{"relayed nak", dhcptest.Message{Type: dhcpv4.Request, RequestedIP: relay, GIAddr: relay}, dhcpv4.Nak, dhcpserver.RouteRelay, "198.18.0.1:67", dhcpv4.FlagBroadcast},
		{"release", dhcptest.Message{Type: dhcpv4.Release, CIAddr: offer}, 0, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.msg.XID, tt.msg.CHAddr = 77, mac
			req, err := dhcptest.NewRequest(tt.msg.MustBuild())
			if err != nil {
				t.Fatal(err)
			}
			rec := dhcptest.NewRecorder(req)
			handler.ServeDHCP(rec, req)
			res, err := rec.Result()
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == 0 {
				if res != nil || rec.Replies() != 0 {
					t.Fatalf("got a %v reply, want silence", res.Packet.MessageType())
				}
				return
			}
			if res == nil {
				t.Fatal("no reply")
			}
			p := res.Packet
			if p.MessageType() != tt.want || p.XID() != 77 || p.Op() != dhcpv4.BootReply {
				t.Errorf("reply %v xid %d op %v, want %v 77 BOOTREPLY", p.MessageType(), p.XID(), p.Op(), tt.want)
			}
			if res.Route != tt.route || res.Dst.String() != tt.dst {
				t.Errorf("route %v to %v, want %v to %v", res.Route, res.Dst, tt.route, tt.dst)
			}
			if p.Flags() != tt.flags {
				t.Errorf("flags %#04x, want %#04x", p.Flags(), tt.flags)
			}
			if sid, _ := p.ServerID(); sid != req.Local {
				t.Errorf("server id %v, want %v", sid, req.Local)
			}
		})
	}
}

func TestRecorderExplicitAndErrors(t *testing.T) {
	req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	dst := netip.MustParseAddrPort("203.0.113.9:1234")
	rec := dhcptest.NewRecorder(req)
	rec.Reply(dhcpv4.Offer)
	rec.SetDestination(dst)
	res, err := rec.Result()
	if err != nil || res.Route != 0 || res.Dst != dst {
		t.Errorf("explicit destination: %+v, %v", res, err)
	}

	rec = dhcptest.NewRecorder(req)
	rec.Reply(dhcpv4.Offer).AddOption(dhcpv4.OptionEnd, []byte{1})
	if _, err := rec.Result(); err == nil {
		t.Error("Result of a reply with an invalid option succeeded")
	}

	if _, err := dhcptest.NewRequest([]byte{1, 2, 3}); err == nil {
		t.Error("NewRequest of 3 bytes succeeded")
	}
	if _, err := (&dhcptest.Message{CHAddr: make([]byte, 17)}).Build(); err == nil {
		t.Error("Build with a 17-byte chaddr succeeded")
	}
}

func TestNewRequestAddresses(t *testing.T) {
	for _, tt := range []struct {
		msg      dhcptest.Message
		src, dst string
	}{
		{dhcptest.Message{Type: dhcpv4.Discover}, "0.0.0.0:68", "255.255.255.255"},
		{dhcptest.Message{Type: dhcpv4.Discover, GIAddr: relay}, "198.18.0.1:67", "192.0.2.1"},
		{dhcptest.Message{Type: dhcpv4.Request, CIAddr: offer}, "192.0.2.42:68", "192.0.2.1"},
	} {
		req, err := dhcptest.NewRequest(tt.msg.MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		if req.Src.String() != tt.src || req.Dst.String() != tt.dst || req.IfName != "test0" || req.IfIndex != 1 {
			t.Errorf("%+v: src %v dst %v if %d %q", tt.msg, req.Src, req.Dst, req.IfIndex, req.IfName)
		}
	}
}

func TestMessageBuild(t *testing.T) {
	m := dhcptest.Message{
		Type: dhcpv4.Request, XID: 0xdeadbeef, CHAddr: mac, CIAddr: offer, GIAddr: relay,
		Broadcast: true, Hops: 1, ClientID: []byte{1, 2, 3}, RequestedIP: offer, ServerID: relay,
		Options: []dhcptest.Option{{Code: dhcpv4.OptionHostName, Value: []byte("h")}},
	}
	p, err := dhcpv4.Parse(m.MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	rip, _ := p.RequestedIP()
	sid, _ := p.ServerID()
	if p.Op() != dhcpv4.BootRequest || p.MessageType() != dhcpv4.Request || p.XID() != 0xdeadbeef ||
		net.HardwareAddr(p.CHAddr()).String() != mac.String() || p.CIAddr() != offer || p.GIAddr() != relay ||
		!p.Broadcast() || p.Hops() != 1 || string(p.ClientID()) != "\x01\x02\x03" || rip != offer || sid != relay ||
		string(p.HostName()) != "h" {
		t.Errorf("built message decodes differently: % x", p.Bytes())
	}
}

// TestServerAndClient runs the handler behind a real loopback server.
func TestServerAndClient(t *testing.T) {
	ts := dhcptest.NewServer(t, handler)
	got, err := ts.Client.DORA(5, mac)
	if err != nil {
		t.Fatal(err)
	}
	if got != offer {
		t.Errorf("DORA got %v, want %v", got, offer)
	}
	// A NAK for a foreign address: DORA-level errors are reported.
	p, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Request, XID: 6, CHAddr: mac, RequestedIP: relay}).MustBuild())
	if err != nil || p.MessageType() != dhcpv4.Nak {
		t.Errorf("got %v, %v; want a NAK", p, err)
	}
	// Silence times out.
	ts.Client.Timeout = 100 * time.Millisecond
	if _, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Release, XID: 7, CHAddr: mac}).MustBuild()); !errors.Is(err, dhcptest.ErrTimeout) {
		t.Errorf("Exchange with a silent handler: %v, want ErrTimeout", err)
	}
	if _, err := ts.Client.Exchange([]byte{1}); err == nil {
		t.Error("Exchange of a 1-byte message succeeded")
	}
}

func TestDORAFailures(t *testing.T) {
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		w.Reply(dhcpv4.Nak)
	}))
	if _, err := ts.Client.DORA(1, mac); err == nil {
		t.Error("DORA succeeded against a server that NAKs everything")
	}
}

// TestRecorderServerID checks that the recorder starts replies as the
// server does, with option 54 from Request.Local.
func TestRecorderServerID(t *testing.T) {
	req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 3, CHAddr: mac}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	rec := dhcptest.NewRecorder(req)
	rec.Reply(dhcpv4.Offer).SetYIAddr(offer)
	res, err := rec.Result()
	if err != nil {
		t.Fatal(err)
	}
	if sid, ok := res.Packet.ServerID(); !ok || sid != req.Local {
		t.Errorf("server id %v, %v; want %v", sid, ok, req.Local)
	}
}

// rogueMonitor is a Handler that watches for other servers' replies, as
// ExDhcp's handle_packet does, and records the servers it saw.
type rogueMonitor struct {
	mine netip.Addr
	seen chan string
}

func (m *rogueMonitor) ServeDHCP(_ dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	p := r.Packet
	if p.Op() != dhcpv4.BootReply {
		return
	}
	if sid, ok := p.ServerID(); ok && sid != m.mine {
		m.seen <- p.MessageType().String() + " from " + sid.String() + " of " + p.YIAddr().String() + " to " + net.HardwareAddr(p.CHAddr()).String()
	}
}

// TestRivalOffer forges another server's OFFER and checks that a monitor
// in Mux.Other sees it, through a real server and through a recorder.
func TestRivalOffer(t *testing.T) {
	rogue := netip.MustParseAddr("198.51.100.7")
	mon := &rogueMonitor{mine: netip.MustParseAddr("127.0.0.1"), seen: make(chan string, 2)}
	want := "DHCPOFFER from 198.51.100.7 of 192.0.2.42 to " + mac.String()
	rival := dhcptest.Rival(dhcpv4.Offer, 9, mac, rogue, offer)

	ts := dhcptest.NewServer(t, dhcpserver.Mux{Discover: handler.Discover, Other: mon})
	if err := ts.Client.Send(rival.MustBuild()); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-mon.seen:
		if got != want {
			t.Errorf("monitor saw %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the monitor did not see the rival OFFER")
	}

	req, err := dhcptest.NewRequest(rival.MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	if req.Src.String() != "198.51.100.7:67" {
		t.Errorf("rival reply comes from %v, want 198.51.100.7:67", req.Src)
	}
	rec := dhcptest.NewRecorder(req)
	dhcpserver.Mux{Other: mon}.ServeDHCP(rec, req)
	if got := <-mon.seen; got != want || rec.Replies() != 0 {
		t.Errorf("monitor saw %q and replied %d times, want %q and silence", got, rec.Replies(), want)
	}
	if nak := dhcptest.Rival(dhcpv4.Nak, 9, mac, rogue, offer); nak.YIAddr.IsValid() || nak.LeaseTime != 0 {
		t.Errorf("a rival NAK offers %v for %d s", nak.YIAddr, nak.LeaseTime)
	}
}
