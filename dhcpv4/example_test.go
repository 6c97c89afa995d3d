package dhcpv4_test

import (
	"fmt"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
)

// The package documentation's quick start: a client's DISCOVER, the OFFER
// that answers it, and the OFFER's options read back as Go values.
func Example() {
	// A client's DISCOVER, as it arrives in a datagram.
	var c dhcpv4.Builder
	c.Begin(make([]byte, dhcpv4.MinMessageSize), dhcpv4.BootRequest, dhcpv4.Discover, 0x2a)
	c.SetCHAddr(1, []byte{2, 0, 0, 0, 0, 1})
	c.AddOption(dhcpv4.OptionParameterList, []byte{byte(dhcpv4.OptionRouter), byte(dhcpv4.OptionLeaseTime)})
	datagram, err := c.Finish()
	if err != nil {
		panic(err)
	}

	var req dhcpv4.Packet
	if err := req.Decode(datagram); err != nil {
		return // malformed: drop it
	}
	if req.MessageType() != dhcpv4.Discover {
		return
	}
	var b dhcpv4.Builder
	b.Reply(make([]byte, dhcpv4.MinMessageSize), &req, dhcpv4.Offer)
	b.SetYIAddr(netip.MustParseAddr("192.0.2.10"))
	b.AddIP(dhcpv4.OptionServerID, netip.MustParseAddr("192.0.2.1"))
	b.AddIPs(dhcpv4.OptionRouter, netip.MustParseAddr("192.0.2.1"))
	b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
	reply, err := b.Finish()
	if err != nil {
		panic(err)
	}

	offer, err := dhcpv4.Parse(reply)
	if err != nil {
		panic(err)
	}
	routers, _ := offer.Routers(nil)
	lease, _ := offer.OptionUint32(dhcpv4.OptionLeaseTime)
	sid, _ := offer.ServerID()
	fmt.Println(offer.MessageType(), offer.YIAddr(), "from", sid, "routers", routers, "lease", lease)
	// Output: DHCPOFFER 192.0.2.10 from 192.0.2.1 routers [192.0.2.1] lease 3600
}
