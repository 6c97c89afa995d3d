package snoop_test

import (
	"context"
	"encoding/binary"
	"errors"
	"log"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/snoop"
)

// Watch for DHCP servers other than ours: a server of its own never
// receives the OFFERs and ACKs of others, a Sniffer does.
func ExampleListen() {
	mine := netip.MustParseAddr("192.0.2.1")
	s, err := snoop.Listen("eth0", nil)
	if err != nil {
		log.Fatal(err) // not Linux, not root, no such interface
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		m, err := s.Read(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		if m.Packet == nil {
			continue // m.Err says why it is not a DHCPv4 message
		}
		switch m.Packet.MessageType() {
		case dhcpv4.Offer, dhcpv4.Ack, dhcpv4.Nak:
			if sid, _ := m.Packet.ServerID(); sid != mine {
				log.Printf("server %s (%s) answers %s", sid, m.SrcMAC, net.HardwareAddr(m.Packet.CHAddr()))
			}
		}
	}
}

// A Formatter renders a message the way leased snoop prints it; here one
// built with dhcpv4.Builder and wrapped in IPv4 and UDP headers by hand.
func ExampleFormatter() {
	var b dhcpv4.Builder
	b.Begin(make([]byte, dhcpv4.MinMessageSize), dhcpv4.BootReply, dhcpv4.Offer, 0x1a2b3c4d)
	b.SetCHAddr(1, []byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56})
	b.SetYIAddr(netip.MustParseAddr("10.0.0.50"))
	b.AddIP(dhcpv4.OptionServerID, netip.MustParseAddr("10.0.0.1"))
	b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
	b.AddIPs(dhcpv4.OptionRouter, netip.MustParseAddr("10.0.0.1"))
	b.AddString(dhcpv4.OptionHostName, "host")
	msg, err := b.Finish()
	if err != nil {
		log.Fatal(err)
	}
	ip := make([]byte, 28, 28+len(msg))
	ip[0], ip[9] = 0x45, 17 // IPv4, UDP
	binary.BigEndian.PutUint16(ip[2:], uint16(28+len(msg)))
	copy(ip[12:], []byte{10, 0, 0, 1})
	copy(ip[16:], []byte{255, 255, 255, 255})
	binary.BigEndian.PutUint16(ip[20:], 67)
	binary.BigEndian.PutUint16(ip[22:], 68)
	binary.BigEndian.PutUint16(ip[24:], uint16(8+len(msg)))

	m, err := snoop.ParseIPv4(append(ip, msg...))
	if err != nil {
		log.Fatal(err)
	}
	m.Time, m.Interface, m.Outgoing = time.Date(2026, 1, 2, 12, 0, 1, 123456000, time.UTC), "eth0", true
	os.Stdout.Write(snoop.NewFormatter(snoop.FormatOptions{}).AppendText(nil, m))
	os.Stdout.Write(snoop.NewFormatter(snoop.FormatOptions{Verbose: true}).AppendText(nil, m))
	// Output:
	// 12:00:01.123456 eth0 Out 10.0.0.1:67 > 255.255.255.255:68 OFFER xid=0x1a2b3c4d chaddr=52:54:00:12:34:56 yiaddr=10.0.0.50 [53 offer] [54 10.0.0.1] [51 3600] [3 10.0.0.1] [12 "host"]
	// 12:00:01.123456 eth0 Out 10.0.0.1:67 > 255.255.255.255:68 OFFER xid=0x1a2b3c4d chaddr=52:54:00:12:34:56 yiaddr=10.0.0.50
	//     53 dhcp-message-type: offer
	//     54 dhcp-server-identifier: 10.0.0.1
	//     51 dhcp-lease-time: 3600
	//     3 routers: 10.0.0.1
	//     12 host-name: "host"
}
