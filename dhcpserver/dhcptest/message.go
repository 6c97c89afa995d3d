package dhcptest

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
)

// Message describes a message to build: a client's, or, with Op set to
// BOOTREPLY, another server's reply, to test a handler that watches
// other servers (see Rival). The zero fields are left out of the message.
type Message struct {
	// Op is BOOTREQUEST (a client's message) when 0.
	Op          dhcpv4.OpCode
	Type        dhcpv4.MessageType // option 53; 0 makes a plain BOOTP message
	XID         uint32
	CHAddr      net.HardwareAddr // Ethernet (htype 1) of any length up to 16
	CIAddr      netip.Addr
	YIAddr      netip.Addr // the address a reply offers or acknowledges
	GIAddr      netip.Addr
	Broadcast   bool   // set the broadcast flag
	Hops        uint8  // relay hop count
	ClientID    []byte // option 61
	RequestedIP netip.Addr
	ServerID    netip.Addr // option 54
	LeaseTime   uint32     // option 51, in seconds
	// Options are added as they are, after the fields above.
	Options []Option
}

// Option is a raw option for Message.Options.
type Option struct {
	Code  dhcpv4.OptionCode
	Value []byte
}

// Rival returns another server's reply of type mt (an OFFER, ACK or NAK)
// to the client with hardware address hw, from server, for address yi:
// what a handler watching for rogue servers must recognise. A Client
// sends it to the server under test as any message; on a real network
// such replies go to port 68, not to a server (see the dhcpserver
// documentation, "Watching other servers").
func Rival(mt dhcpv4.MessageType, xid uint32, hw net.HardwareAddr, server, yi netip.Addr) Message {
	m := Message{Op: dhcpv4.BootReply, Type: mt, XID: xid, CHAddr: hw, ServerID: server}
	if mt != dhcpv4.Nak {
		m.YIAddr, m.LeaseTime = yi, 3600
	}
	return m
}

// Build returns the message as its sender would send it. It has a value
// receiver, so that a literal builds without a variable:
// dhcptest.Message{...}.MustBuild().
func (m Message) Build() ([]byte, error) {
	var b dhcpv4.Builder
	buf := make([]byte, 1500)
	op := m.Op
	if op == 0 {
		op = dhcpv4.BootRequest
	}
	b.Begin(buf, op, m.Type, m.XID)
	b.SetMaxSize(len(buf))
	if len(m.CHAddr) > 0 {
		b.SetCHAddr(1, m.CHAddr)
	}
	b.SetCIAddr(m.CIAddr)
	b.SetYIAddr(m.YIAddr)
	b.SetGIAddr(m.GIAddr)
	b.SetBroadcast(m.Broadcast)
	b.SetHops(m.Hops)
	if len(m.ClientID) > 0 {
		b.AddOption(dhcpv4.OptionClientID, m.ClientID)
	}
	if m.RequestedIP.IsValid() {
		b.AddIP(dhcpv4.OptionRequestedIP, m.RequestedIP)
	}
	if m.ServerID.IsValid() {
		b.AddIP(dhcpv4.OptionServerID, m.ServerID)
	}
	if m.LeaseTime != 0 {
		b.AddUint32(dhcpv4.OptionLeaseTime, m.LeaseTime)
	}
	for _, o := range m.Options {
		b.AddOption(o.Code, o.Value)
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("dhcptest: building %s: %w", m.Type, err)
	}
	return msg, nil
}

// MustBuild is like Build but panics on error, for fixed messages in
// tests.
func (m Message) MustBuild() []byte {
	msg, err := m.Build()
	if err != nil {
		panic(err)
	}
	return msg
}
