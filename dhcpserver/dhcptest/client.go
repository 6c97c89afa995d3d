package dhcptest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// DefaultTimeout is how long a Client waits for a reply.
const DefaultTimeout = 2 * time.Second

// A Client exchanges DHCP messages with a server over UDP, for tests. It
// plays a client and a relay agent at once: it receives replies sent to
// its port whether they are addressed to a client or a relay.
//
// A Client reuses its buffers: the Packet returned by Receive and Exchange
// is valid until the next call. A Client is not safe for concurrent use.
type Client struct {
	// Timeout bounds each wait for a reply; DefaultTimeout when 0.
	Timeout time.Duration

	conn   *net.UDPConn
	server netip.AddrPort
	buf    [2048]byte
	pkt    dhcpv4.Packet
}

// NewClient opens a client socket on 127.0.0.1, port chosen by the
// system, that talks to the server at server.
func NewClient(server netip.AddrPort) (*Client, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("dhcptest: client socket: %w", err)
	}
	return &Client{conn: conn, server: server}, nil
}

// LocalAddr returns the client's address and port: where the server must
// send replies.
func (c *Client) LocalAddr() netip.AddrPort {
	return c.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SetServer changes the server address the client sends to.
func (c *Client) SetServer(server netip.AddrPort) { c.server = server }

// Close closes the client socket.
func (c *Client) Close() error { return c.conn.Close() }

// Send sends msg to the server.
func (c *Client) Send(msg []byte) error {
	if _, err := c.conn.WriteToUDPAddrPort(msg, c.server); err != nil {
		return fmt.Errorf("dhcptest: send: %w", err)
	}
	return nil
}

// ErrTimeout is returned when no reply arrives in time.
var ErrTimeout = errors.New("dhcptest: no reply in time")

// Receive waits for a reply with transaction id xid, skipping anything
// else, and returns it decoded. It returns ErrTimeout when none arrives
// within the timeout.
func (c *Client) Receive(xid uint32) (*dhcpv4.Packet, error) {
	t := c.Timeout
	if t == 0 {
		t = DefaultTimeout
	}
	if err := c.conn.SetReadDeadline(time.Now().Add(t)); err != nil {
		return nil, fmt.Errorf("dhcptest: receive: %w", err)
	}
	for {
		n, _, err := c.conn.ReadFromUDPAddrPort(c.buf[:])
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, ErrTimeout
			}
			return nil, fmt.Errorf("dhcptest: receive: %w", err)
		}
		if c.pkt.Decode(c.buf[:n]) != nil || c.pkt.XID() != xid {
			continue
		}
		return &c.pkt, nil
	}
}

// Exchange sends msg and waits for the reply with the same transaction id.
func (c *Client) Exchange(msg []byte) (*dhcpv4.Packet, error) {
	if len(msg) < dhcpv4.HeaderLen {
		return nil, fmt.Errorf("dhcptest: exchange: message of %d bytes is too short", len(msg))
	}
	if err := c.Send(msg); err != nil {
		return nil, err
	}
	xid := uint32(msg[4])<<24 | uint32(msg[5])<<16 | uint32(msg[6])<<8 | uint32(msg[7])
	return c.Receive(xid)
}

// DORA gets a lease for hardware address hw: it sends a DISCOVER, then a
// REQUEST for the address offered, and returns the ACK's yiaddr. It fails
// if the server answers anything but an OFFER and then an ACK.
func (c *Client) DORA(xid uint32, hw net.HardwareAddr) (netip.Addr, error) {
	d := Message{Type: dhcpv4.Discover, XID: xid, CHAddr: hw}
	msg, err := d.Build()
	if err != nil {
		return netip.Addr{}, err
	}
	offer, err := c.Exchange(msg)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("dhcptest: DISCOVER: %w", err)
	}
	if mt := offer.MessageType(); mt != dhcpv4.Offer {
		return netip.Addr{}, fmt.Errorf("dhcptest: DISCOVER answered with %s, want DHCPOFFER", mt)
	}
	yi := offer.YIAddr()
	sid, _ := offer.ServerID()
	r := Message{Type: dhcpv4.Request, XID: xid, CHAddr: hw, RequestedIP: yi, ServerID: sid}
	if msg, err = r.Build(); err != nil {
		return netip.Addr{}, err
	}
	ack, err := c.Exchange(msg)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("dhcptest: REQUEST: %w", err)
	}
	if mt := ack.MessageType(); mt != dhcpv4.Ack {
		return netip.Addr{}, fmt.Errorf("dhcptest: REQUEST answered with %s, want DHCPACK", mt)
	}
	return ack.YIAddr(), nil
}
