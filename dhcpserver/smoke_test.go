package dhcpserver_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

func TestSmoke(t *testing.T) {
	h := dhcpserver.Mux{
		Discover: func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			b := w.Reply(dhcpv4.Offer)
			b.SetYIAddr(netip.MustParseAddr("192.0.2.10"))
			b.AddIP(dhcpv4.OptionServerID, r.Local)
		},
		Request: func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			b := w.Reply(dhcpv4.Ack)
			b.SetYIAddr(netip.MustParseAddr("192.0.2.10"))
			b.AddIP(dhcpv4.OptionServerID, r.Local)
		},
	}
	ts := dhcptest.NewServer(t, h)
	a, err := ts.Client.DORA(7, net.HardwareAddr{2, 0, 0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(a, ts.Config.Stats())
}
