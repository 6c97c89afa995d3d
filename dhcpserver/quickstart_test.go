package dhcpserver_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// TestQuickStart is the package documentation's quick start test, with a
// check that the quick start's replies carry option 54 although the
// handler does not add it.
func TestQuickStart(t *testing.T) {
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(static))
	got, err := ts.Client.DORA(1, net.HardwareAddr{2, 0, 0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got != staticAddr {
		t.Errorf("leased %v, want %v", got, staticAddr)
	}
	offer, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 2}}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	if sid, ok := offer.ServerID(); !ok || sid != loopback {
		t.Errorf("the quick start's OFFER has server id %v, %v; want %v", sid, ok, loopback)
	}
}

// TestQuickStartOtherServer checks that the quick start's server stays
// silent when a client requests another server's offer (RFC 2131 §4.3.2:
// the REQUEST names that server in option 54), and still NAKs a request
// for a wrong address made to it.
func TestQuickStartOtherServer(t *testing.T) {
	for _, tt := range []struct {
		server netip.Addr
		want   dhcpv4.MessageType // 0: no reply
	}{
		{netip.MustParseAddr("198.51.100.7"), 0},
		{netip.MustParseAddr("192.0.2.1"), dhcpv4.Nak}, // NewRequest's server address
	} {
		msg := dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 3},
			RequestedIP: netip.MustParseAddr("192.0.2.99"), ServerID: tt.server}
		req, err := dhcptest.NewRequest(msg.MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		rec := dhcptest.NewRecorder(req)
		static(rec, req)
		res, err := rec.Result()
		if err != nil {
			t.Fatal(err)
		}
		got, want := "no reply", "no reply"
		if res != nil {
			got = res.Packet.MessageType().String()
		}
		if tt.want != 0 {
			want = tt.want.String()
		}
		if got != want {
			t.Errorf("REQUEST of 192.0.2.99 from server %v: %s, want %s", tt.server, got, want)
		}
	}
}
