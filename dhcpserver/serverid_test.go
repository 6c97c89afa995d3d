package dhcpserver_test

import (
	"net/netip"
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// TestServerIDStaged checks that a reply started by the server's
// ResponseWriter carries option 54 from Request.Local, and that the
// handler can replace or remove it.
func TestServerIDStaged(t *testing.T) {
	other := netip.MustParseAddr("192.0.2.54")
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		switch r.Packet.XID() {
		case 1:
			w.Reply(dhcpv4.Offer)
		case 2:
			w.Reply(dhcpv4.Ack).AddIP(dhcpv4.OptionServerID, other)
		case 3:
			w.Reply(dhcpv4.Nak).RemoveOption(dhcpv4.OptionServerID)
		case 4:
			w.Reply(dhcpv4.Nak)
		}
	}))
	for _, tt := range []struct {
		xid  uint32
		want netip.Addr // invalid: no option 54
	}{
		{1, loopback},
		{2, other},
		{3, netip.Addr{}},
		{4, loopback},
	} {
		msg := (&dhcptest.Message{Type: dhcpv4.Discover, XID: tt.xid, CHAddr: hw(int(tt.xid))}).MustBuild()
		p, err := ts.Client.Exchange(msg)
		if err != nil {
			t.Fatalf("xid %d: %v", tt.xid, err)
		}
		sid, ok := p.ServerID()
		if ok != tt.want.IsValid() || sid != tt.want {
			t.Errorf("xid %d: %v reply has server id %v (present %v), want %v", tt.xid, p.MessageType(), sid, ok, tt.want)
		}
	}
}

// TestStartReply checks which message types StartReply gives option 54 and
// that an unusable Local address adds none.
func TestStartReply(t *testing.T) {
	for _, tt := range []struct {
		mt    dhcpv4.MessageType
		local netip.Addr
		want  bool
	}{
		{dhcpv4.Offer, netip.MustParseAddr("192.0.2.1"), true},
		{dhcpv4.Ack, netip.MustParseAddr("::ffff:192.0.2.1"), true},
		{dhcpv4.Nak, netip.MustParseAddr("192.0.2.1"), true},
		{0, netip.MustParseAddr("192.0.2.1"), false}, // BOOTP
		{dhcpv4.Offer, netip.Addr{}, false},
		{dhcpv4.Offer, netip.IPv4Unspecified(), false},
		{dhcpv4.Offer, netip.MustParseAddr("2001:db8::1"), false},
	} {
		req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		req.Local = tt.local
		var b dhcpv4.Builder
		dhcpserver.StartReply(&b, make([]byte, 1500), req, tt.mt)
		msg, err := b.Finish()
		if err != nil {
			t.Fatalf("%v from %v: %v", tt.mt, tt.local, err)
		}
		p, err := dhcpv4.Parse(msg)
		if err != nil {
			t.Fatal(err)
		}
		sid, ok := p.ServerID()
		if ok != tt.want || (ok && sid != tt.local.Unmap()) {
			t.Errorf("%v from %v: server id %v, %v; want present %v", tt.mt, tt.local, sid, ok, tt.want)
		}
	}
}
