package dhcptest_test

import (
	"fmt"
	"log"
	"net"
	"net/netip"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// offerOne offers 192.0.2.10 to whoever asks.
var offerOne = dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	if r.Packet.MessageType() == dhcpv4.Discover {
		w.Reply(dhcpv4.Offer).SetYIAddr(netip.MustParseAddr("192.0.2.10"))
	}
})

// A handler's reply, recorded without sockets: its type, option 54 (the
// request's Local address, 192.0.2.1 for NewRequest) and the route the
// server would take.
func ExampleNewRecorder() {
	msg := dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Broadcast: true}
	req, err := dhcptest.NewRequest(msg.MustBuild())
	if err != nil {
		log.Fatal(err)
	}
	rec := dhcptest.NewRecorder(req)
	offerOne.ServeDHCP(rec, req)
	res, err := rec.Result()
	if err != nil {
		log.Fatal(err)
	}
	sid, _ := res.Packet.ServerID()
	fmt.Println(res.Packet.MessageType(), res.Packet.YIAddr(), "from", sid, "to", res.Dst, res.Route)
	// Output: DHCPOFFER 192.0.2.10 from 192.0.2.1 to 255.255.255.255:68 broadcast
}

// Another server's OFFER, forged for a handler that watches for rogue
// servers.
func ExampleRival() {
	m := dhcptest.Rival(dhcpv4.Offer, 7, net.HardwareAddr{2, 0, 0, 0, 0, 1}, netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("198.51.100.50"))
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		log.Fatal(err)
	}
	p := req.Packet
	sid, _ := p.ServerID()
	fmt.Println(p.Op(), p.MessageType(), p.YIAddr(), "from", sid, "arriving from", req.Src)
	// Output: BOOTREPLY DHCPOFFER 198.51.100.50 from 198.51.100.7 arriving from 198.51.100.7:67
}
