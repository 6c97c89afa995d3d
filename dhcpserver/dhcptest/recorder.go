package dhcptest

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
)

// NewRequest decodes msg into a Request as a server would have received
// it: a broadcast (to 255.255.255.255) from 0.0.0.0:68 on interface 1,
// "test0", whose server address is 192.0.2.1. A message with giaddr set
// comes from the relay's address at port 67 instead, and one with ciaddr
// set from ciaddr, unicast to 192.0.2.1; another server's reply (a
// BOOTREPLY, see Rival) is a broadcast from its server identifier at port
// 67. Change the fields to test other cases.
func NewRequest(msg []byte) (*dhcpserver.Request, error) {
	p, err := dhcpv4.Parse(msg)
	if err != nil {
		return nil, fmt.Errorf("dhcptest: request: %w", err)
	}
	local := netip.AddrFrom4([4]byte{192, 0, 2, 1})
	r := &dhcpserver.Request{
		Packet:  p,
		IfIndex: 1,
		IfName:  "test0",
		Src:     netip.AddrPortFrom(netip.IPv4Unspecified(), dhcpserver.DefaultClientPort),
		Dst:     netip.AddrFrom4([4]byte{255, 255, 255, 255}),
		Local:   local,
	}
	switch {
	case p.Op() == dhcpv4.BootReply:
		sid, ok := p.ServerID()
		if !ok {
			sid = netip.IPv4Unspecified()
		}
		r.Src = netip.AddrPortFrom(sid, dhcpserver.DefaultRelayPort)
	case p.GIAddr() != netip.IPv4Unspecified():
		r.Src = netip.AddrPortFrom(p.GIAddr(), dhcpserver.DefaultRelayPort)
		r.Dst = local
	case p.CIAddr() != netip.IPv4Unspecified():
		r.Src = netip.AddrPortFrom(p.CIAddr(), dhcpserver.DefaultClientPort)
		r.Dst = local
	}
	return r, nil
}

// ResponseRecorder is a dhcpserver.ResponseWriter that records the reply a
// handler builds, for unit tests of handlers: create one for a request,
// call the handler, then look at Result.
//
// The recorder implements dhcpserver.Deferrer, as the server's
// ResponseWriters do, unless NoDefer is set: a handler may defer its reply,
// and Result then waits until the reply is sent or cancelled.
type ResponseRecorder struct {
	// NoDefer makes Defer refuse, as a server does that has
	// MaxDeferred replies deferred already.
	NoDefer bool

	req     *dhcpserver.Request
	b       dhcpv4.Builder
	buf     [1500]byte
	started bool
	calls   int
	dst     netip.AddrPort

	mu       sync.Mutex
	deferred bool
	finished bool
	sent     bool
	done     chan struct{} // closed by Send or Cancel of a deferred reply
}

// NewRecorder returns a recorder for the reply to r.
func NewRecorder(r *dhcpserver.Request) *ResponseRecorder {
	return &ResponseRecorder{req: r}
}

// Reply starts a reply to the recorder's request, as the server's
// ResponseWriter does (see dhcpserver.StartReply): an OFFER, ACK or NAK
// carries the request's Local address as its server identifier until the
// handler replaces or removes it.
func (rec *ResponseRecorder) Reply(mt dhcpv4.MessageType) *dhcpv4.Builder {
	dhcpserver.StartReply(&rec.b, rec.buf[:], rec.req, mt)
	rec.started = true
	rec.calls++
	return &rec.b
}

// SetDestination records an explicit destination.
func (rec *ResponseRecorder) SetDestination(dst netip.AddrPort) { rec.dst = dst }

// Defer implements dhcpserver.Deferrer.
func (rec *ResponseRecorder) Defer() (dhcpserver.Deferred, bool) {
	if rec.NoDefer {
		return nil, false
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.deferred {
		rec.deferred = true
		rec.done = make(chan struct{})
	}
	return recorderDeferred{rec}, true
}

// Deferred reports whether the handler deferred its reply.
func (rec *ResponseRecorder) Deferred() bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.deferred
}

type recorderDeferred struct{ rec *ResponseRecorder }

func (d recorderDeferred) finish(send bool) error {
	rec := d.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.finished {
		return dhcpserver.ErrNotDeferred
	}
	rec.finished, rec.sent = true, send
	close(rec.done)
	return nil
}

func (d recorderDeferred) Send() error { return d.finish(true) }
func (d recorderDeferred) Cancel()     { d.finish(false) }

// Replies returns how many times the handler called Reply.
func (rec *ResponseRecorder) Replies() int { return rec.calls }

// A Reply is a finished reply, as the server would send it.
type Reply struct {
	// Bytes is the message on the wire.
	Bytes []byte
	// Packet is Bytes decoded.
	Packet *dhcpv4.Packet
	// Route is how the server would send it: 0 when the handler set the
	// destination itself (SetDestination).
	Route dhcpserver.Route
	// Dst is where the server would send it with the default ports and
	// broadcast address; for RouteHardware, the datagram goes to Dst at
	// the hardware address in chaddr.
	Dst netip.AddrPort
}

// Result finishes the reply the handler built, as the server does after
// ServeDHCP returns, and decodes it. It returns nil and no error when the
// handler stayed silent or cancelled its deferred reply. When the handler
// deferred its reply, Result first waits until it is sent or cancelled.
func (rec *ResponseRecorder) Result() (*Reply, error) {
	rec.mu.Lock()
	done := rec.done
	rec.mu.Unlock()
	if done != nil {
		<-done
		rec.mu.Lock()
		sent := rec.sent
		rec.mu.Unlock()
		if !sent {
			return nil, nil
		}
	}
	if !rec.started {
		return nil, nil
	}
	msg, err := rec.b.Finish()
	if err != nil {
		return nil, fmt.Errorf("dhcptest: finishing the reply: %w", err)
	}
	msg = append([]byte(nil), msg...)
	r := &Reply{Bytes: msg}
	if rec.dst.IsValid() {
		r.Dst = rec.dst
	} else {
		r.Route, r.Dst = dhcpserver.ReplyDestination(rec.req.Packet, msg, dhcpserver.DefaultClientPort, dhcpserver.DefaultRelayPort)
	}
	if r.Packet, err = dhcpv4.Parse(msg); err != nil {
		return nil, fmt.Errorf("dhcptest: the reply does not decode: %w", err)
	}
	return r, nil
}

var (
	_ dhcpserver.ResponseWriter = (*ResponseRecorder)(nil)
	_ dhcpserver.Deferrer       = (*ResponseRecorder)(nil)
)
