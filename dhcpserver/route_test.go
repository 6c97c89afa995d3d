package dhcpserver_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

var (
	hw1    = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	yiaddr = netip.MustParseAddr("192.0.2.50")
	relay  = netip.MustParseAddr("198.18.0.1")
	client = netip.MustParseAddr("192.0.2.77")
)

func TestRouteReply(t *testing.T) {
	tests := []struct {
		name  string
		req   dhcptest.Message
		reply dhcpv4.MessageType
		yi    netip.Addr
		bcast bool // the handler sets the broadcast bit in the reply
		want  dhcpserver.Route
	}{
		{"relayed offer", dhcptest.Message{Type: dhcpv4.Discover, GIAddr: relay}, dhcpv4.Offer, yiaddr, false, dhcpserver.RouteRelay},
		{"relayed nak", dhcptest.Message{Type: dhcpv4.Request, GIAddr: relay}, dhcpv4.Nak, netip.Addr{}, false, dhcpserver.RouteRelay},
		{"relayed with ciaddr", dhcptest.Message{Type: dhcpv4.Request, GIAddr: relay, CIAddr: client}, dhcpv4.Ack, client, false, dhcpserver.RouteRelay},
		{"nak", dhcptest.Message{Type: dhcpv4.Request}, dhcpv4.Nak, netip.Addr{}, false, dhcpserver.RouteBroadcast},
		{"nak to renewing client", dhcptest.Message{Type: dhcpv4.Request, CIAddr: client}, dhcpv4.Nak, netip.Addr{}, false, dhcpserver.RouteBroadcast},
		{"renewal ack", dhcptest.Message{Type: dhcpv4.Request, CIAddr: client}, dhcpv4.Ack, client, false, dhcpserver.RouteClient},
		{"inform ack", dhcptest.Message{Type: dhcpv4.Inform, CIAddr: client}, dhcpv4.Ack, netip.Addr{}, false, dhcpserver.RouteClient},
		{"broadcast flag", dhcptest.Message{Type: dhcpv4.Discover, Broadcast: true}, dhcpv4.Offer, yiaddr, false, dhcpserver.RouteBroadcast},
		{"broadcast set by handler", dhcptest.Message{Type: dhcpv4.Discover}, dhcpv4.Offer, yiaddr, true, dhcpserver.RouteBroadcast},
		{"offer to chaddr", dhcptest.Message{Type: dhcpv4.Discover}, dhcpv4.Offer, yiaddr, false, dhcpserver.RouteHardware},
		{"ack to chaddr", dhcptest.Message{Type: dhcpv4.Request}, dhcpv4.Ack, yiaddr, false, dhcpserver.RouteHardware},
		{"no yiaddr", dhcptest.Message{Type: dhcpv4.Discover}, dhcpv4.Offer, netip.Addr{}, false, dhcpserver.RouteBroadcast},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.XID, tt.req.CHAddr = 1, hw1
			req, err := dhcpv4.Parse(tt.req.MustBuild())
			if err != nil {
				t.Fatal(err)
			}
			var b dhcpv4.Builder
			b.Reply(make([]byte, 1500), req, tt.reply)
			b.SetYIAddr(tt.yi)
			if tt.bcast {
				b.SetBroadcast(true)
			}
			reply, err := b.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if got := dhcpserver.RouteReply(req, reply); got != tt.want {
				t.Errorf("RouteReply = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRouteReplyShort(t *testing.T) {
	if got := dhcpserver.RouteReply(nil, make([]byte, 10)); got != dhcpserver.RouteBroadcast {
		t.Errorf("RouteReply(short) = %v, want broadcast", got)
	}
}

func TestRouteString(t *testing.T) {
	for r, want := range map[dhcpserver.Route]string{
		dhcpserver.RouteRelay: "relay", dhcpserver.RouteBroadcast: "broadcast", dhcpserver.RouteClient: "client",
		dhcpserver.RouteHardware: "hardware", 0: "none",
	} {
		if got := r.String(); got != want {
			t.Errorf("Route(%d).String() = %q, want %q", r, got, want)
		}
	}
}

// TestReplyDestination checks where each route goes, and that a relayed
// NAK gets the broadcast flag.
func TestReplyDestination(t *testing.T) {
	for _, tt := range []struct {
		req   dhcptest.Message
		reply dhcpv4.MessageType
		yi    netip.Addr
		want  string
		flags uint16
	}{
		{dhcptest.Message{Type: dhcpv4.Discover, GIAddr: relay}, dhcpv4.Offer, yiaddr, "relay " + relay.String() + ":1067", 0},
		{dhcptest.Message{Type: dhcpv4.Request, GIAddr: relay}, dhcpv4.Nak, netip.Addr{}, "relay " + relay.String() + ":1067", dhcpv4.FlagBroadcast},
		{dhcptest.Message{Type: dhcpv4.Request}, dhcpv4.Nak, netip.Addr{}, "broadcast 255.255.255.255:1068", 0},
		{dhcptest.Message{Type: dhcpv4.Request, CIAddr: client}, dhcpv4.Ack, client, "client " + client.String() + ":1068", 0},
		{dhcptest.Message{Type: dhcpv4.Discover}, dhcpv4.Offer, yiaddr, "hardware " + yiaddr.String() + ":1068", 0},
	} {
		tt.req.XID, tt.req.CHAddr = 1, hw1
		req, err := dhcpv4.Parse(tt.req.MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		var b dhcpv4.Builder
		b.Reply(make([]byte, 1500), req, tt.reply)
		b.SetYIAddr(tt.yi)
		reply, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		route, dst := dhcpserver.ReplyDestination(req, reply, 1068, 1067)
		p, err := dhcpv4.Parse(reply)
		if err != nil {
			t.Fatal(err)
		}
		if got := route.String() + " " + dst.String(); got != tt.want || p.Flags() != tt.flags {
			t.Errorf("%v to %+v: %s, flags %#x; want %s, flags %#x", tt.reply, tt.req, got, p.Flags(), tt.want, tt.flags)
		}
	}
}
