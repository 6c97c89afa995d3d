package dhcptest

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
)

// Message describes a client message to build. The zero fields are left
// out of the message.
type Message struct {
	Type        dhcpv4.MessageType // option 53; 0 makes a plain BOOTP request
	XID         uint32
	CHAddr      net.HardwareAddr // Ethernet (htype 1) of any length up to 16
	CIAddr      netip.Addr
	GIAddr      netip.Addr
	Broadcast   bool   // set the broadcast flag
	Hops        uint8  // relay hop count
	ClientID    []byte // option 61
	RequestedIP netip.Addr
	ServerID    netip.Addr
	// Options are added as they are, after the fields above.
	Options []Option
}

// Option is a raw option for Message.Options.
type Option struct {
	Code  dhcpv4.OptionCode
	Value []byte
}

// Build returns the message as a client would send it.
func (m *Message) Build() ([]byte, error) {
	var b dhcpv4.Builder
	buf := make([]byte, 1500)
	b.Begin(buf, dhcpv4.BootRequest, m.Type, m.XID)
	b.SetMaxSize(len(buf))
	if len(m.CHAddr) > 0 {
		b.SetCHAddr(1, m.CHAddr)
	}
	b.SetCIAddr(m.CIAddr)
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
func (m *Message) MustBuild() []byte {
	msg, err := m.Build()
	if err != nil {
		panic(err)
	}
	return msg
}
