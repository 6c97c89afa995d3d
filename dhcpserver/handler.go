package dhcpserver

import (
	"context"
	"errors"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
)

// A Handler answers DHCP messages.
//
// ServeDHCP is called once per message the server reads and decodes. To
// answer, it calls w.Reply and fills in the returned [dhcpv4.Builder]; when
// ServeDHCP returns, the server finishes the reply and sends it where RFC
// 2131 §4.1 says it must go (see [RouteReply]). To stay silent, it does not
// call Reply.
//
// ServeDHCP is called from many goroutines at once, so a Handler must be
// safe for concurrent use. Messages from one client (the same client
// identifier, or the same hardware address when there is none) are handled
// one at a time, in the order they arrived.
//
// The Request, its Packet and the Builder belong to the server and are
// reused for other messages after ServeDHCP returns: a handler must not keep
// them, nor slices of them, nor use them from other goroutines once it has
// returned, unless it deferred the reply (see [Deferrer]). With the
// server's workers, ServeDHCP may block, for example while a lease is
// written to disk; other clients' messages are handled meanwhile by other
// workers. With [Server.Inline] it must not: a handler that has to wait
// defers its reply and finishes it from elsewhere.
type Handler interface {
	ServeDHCP(w ResponseWriter, r *Request)
}

// The HandlerFunc type is an adapter to allow the use of ordinary functions
// as DHCP handlers.
type HandlerFunc func(w ResponseWriter, r *Request)

// ServeDHCP calls f(w, r).
func (f HandlerFunc) ServeDHCP(w ResponseWriter, r *Request) { f(w, r) }

// A ResponseWriter is used by a Handler to answer a message.
type ResponseWriter interface {
	// Reply starts a reply of type mt to the request and returns the
	// builder to fill in: the reply already carries what RFC 2131 says it
	// copies from the request (xid, flags, giaddr, chaddr, ciaddr for an
	// ACK, relay agent information) and, for an OFFER, ACK or NAK, the
	// server identifier (option 54) RFC 2131 requires in them: the
	// request's Local address (see StartReply). The handler replaces it
	// with AddIP(dhcpv4.OptionServerID, addr), or leaves it out with
	// RemoveOption(dhcpv4.OptionServerID). The server calls Finish and sends the
	// message after the handler returns; the handler must not call Finish
	// itself. Calling Reply again starts the reply over.
	Reply(mt dhcpv4.MessageType) *dhcpv4.Builder

	// SetDestination sends the reply as a UDP datagram to dst, through the
	// socket the request arrived on, instead of where RFC 2131 routing
	// would send it. It is meant for protocols layered on DHCP (a mesh of
	// servers, a failover peer); ordinary handlers never need it. The zero
	// AddrPort restores normal routing.
	SetDestination(dst netip.AddrPort)
}

// StartReply starts b, writing into buf, as the reply of type mt to r, the
// way the server's ResponseWriter does in Reply: see
// [dhcpv4.Builder.Reply] for what it copies from the request. For an
// OFFER, ACK or NAK it also stages the server identifier (option 54) as
// r.Local, when that is an IPv4 address other than 0.0.0.0; a later
// AddIP(dhcpv4.OptionServerID, ...) replaces it and RemoveOption drops it.
// It is meant for ResponseWriters written outside this package, such as
// dhcptest's recorder, so that they start replies the same way.
func StartReply(b *dhcpv4.Builder, buf []byte, r *Request, mt dhcpv4.MessageType) {
	b.Reply(buf, r.Packet, mt)
	switch mt {
	case dhcpv4.Offer, dhcpv4.Ack, dhcpv4.Nak:
		if l := r.Local.Unmap(); l.Is4() && !l.IsUnspecified() {
			b.AddIP(dhcpv4.OptionServerID, l)
		}
	}
}

// A Deferrer is a ResponseWriter that lets a handler finish its reply
// after ServeDHCP returns, in the manner of net/http's Hijacker: the
// handler takes the reply over, returns, and sends or cancels it later from
// any goroutine, so that the goroutine that called it goes on with other
// messages meanwhile. The server's ResponseWriters implement it; find it
// with [Defer], which also looks through middleware that wraps the
// ResponseWriter (see [Unwrapper]):
//
//	if d, ok := dhcpserver.Defer(w); ok {
//		b := w.Reply(dhcpv4.Ack) // fill in the reply, now or later
//		...
//		go func() { waitForDisk(); d.Send() }()
//		return
//	}
//	// Not deferred: do the work here and reply as usual.
type Deferrer interface {
	// Defer takes the reply to the request being handled over from the
	// server. It reports false when it cannot: the server already has
	// Server.MaxDeferred replies deferred and not yet finished. The
	// handler then answers as usual, before it returns.
	//
	// After a successful Defer, the server neither sends the reply nor
	// reuses the request when ServeDHCP returns. The Request, its Packet
	// and the Builder returned by Reply (before or after Defer) stay
	// valid, and the handler may go on filling in the reply from any one
	// goroutine, until it calls Send or Cancel. The ResponseWriter itself
	// must not be used once ServeDHCP has returned. Calling Defer again
	// in the same ServeDHCP returns the same Deferred. A handler that
	// panics after Defer still owns the reply: the server neither sends
	// nor reuses it.
	Defer() (Deferred, bool)
}

// An Unwrapper is a ResponseWriter that wraps another, as middleware does
// (to log replies, say): Unwrap returns the ResponseWriter it wraps, so
// that [Defer] finds the server's Deferrer behind it, as
// net/http.ResponseController finds a ResponseWriter's optional
// interfaces. A wrapper that embeds the ResponseWriter it wraps gets
// none of the wrapped one's other methods through the interface type, and
// implements Unwrap instead of forwarding each of them by hand.
type Unwrapper interface {
	ResponseWriter
	Unwrap() ResponseWriter
}

// Defer takes the reply to the request being handled over from the server,
// as [Deferrer.Defer] does, through w or the ResponseWriters it wraps
// (see [Unwrapper]), the outermost Deferrer first. It reports false when
// none of them is a Deferrer, or when the Deferrer refuses (the server has
// Server.MaxDeferred replies deferred already): the handler then answers
// as usual, before it returns.
func Defer(w ResponseWriter) (Deferred, bool) {
	for w != nil {
		switch t := w.(type) {
		case Deferrer:
			return t.Defer()
		case Unwrapper:
			w = t.Unwrap()
		default:
			return nil, false
		}
	}
	return nil, false
}

// A Deferred is a reply taken over by its handler (see Deferrer). Exactly
// one of Send and Cancel must be called, from any goroutine; until then the
// reply holds one of the server's buffers, and Shutdown waits for it. A
// second call returns ErrNotDeferred or does nothing, but only until the
// server reuses the buffer for another message: a Deferred must not be used
// after it is finished. SendAll sends many at once.
type Deferred interface {
	// Send finishes the reply and sends it where RFC 2131 routing (or
	// SetDestination) says, or counts the message as unanswered if the
	// handler never called Reply. It returns once the reply is handed to
	// the kernel, with the error that kept it from being sent, if any.
	// After Close, nothing is sent.
	Send() error
	// Cancel drops the reply: nothing is sent.
	Cancel()
}

// ErrNotDeferred is returned by Deferred.Send when the reply was already
// sent or cancelled.
var ErrNotDeferred = errors.New("dhcpserver: reply already sent or cancelled")

// A Request is a DHCP message received by a Server, with where it came
// from.
type Request struct {
	// Packet is the decoded message. It is a view over the server's
	// receive buffer and is valid until ServeDHCP returns.
	Packet *dhcpv4.Packet

	// IfIndex and IfName identify the interface the message arrived on,
	// as reported by the kernel (IP_PKTINFO). IfName is empty when the
	// server does not know the interface.
	IfIndex int
	IfName  string

	// Src is the sender's address and port: 0.0.0.0:68 for a client that
	// has no address yet, the client's address when it has one, or a relay
	// agent's address and port.
	Src netip.AddrPort

	// Dst is the address the message was sent to: 255.255.255.255 for a
	// broadcast, or one of the server's addresses.
	Dst netip.Addr

	// Local is the server's address on the receiving interface, the
	// address the kernel uses as the source of replies to this message.
	// It is the natural server identifier (option 54) for the reply.
	Local netip.Addr

	// Codecs decode the request's options for Value: the server's
	// Codecs. When nil, Value uses those of StandardCodecs.
	Codecs *OptionCodecs

	ctx context.Context
}

// Context returns the request's context. It is cancelled when the server is
// closed or stopped, and when Shutdown gives up waiting for the handlers,
// so that a handler waiting on something slow can give up;
// context.Cause tells which (ErrServerClosed, or the cause given to
// Server.Stop).
func (r *Request) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// Mux is a Handler that calls one Handler per message type, in the manner
// of ExDhcp's callbacks. A nil field means the type is not handled there:
// such messages, plain BOOTP messages and message types not listed go to
// Other. When Other is nil too, the server stays silent.
//
// Other also receives every message that is not a BOOTREQUEST, but a
// server on port 67 rarely gets one: servers answer to port 68, so
// another server's OFFER, ACK or NAK reaches Other only when it was
// relayed or sent to port 67 by mistake. To watch other servers' replies,
// read the link with package github.com/leased/leased/snoop instead (see
// the package documentation, "Watching other servers"); to test a handler
// that judges them, send it one forged with dhcptest.Rival.
//
// Mux is a struct of Handlers rather than an interface with a default
// implementation to embed: a misspelt field is a compile error, whereas a
// misspelt method would silently leave the embedded default in place. A
// field takes any Handler, a struct as well as a function converted with
// HandlerFunc:
//
//	dhcpserver.Mux{
//		Discover: dhcpserver.HandlerFunc(p.offer),
//		Request:  dhcpserver.HandlerFunc(p.ack),
//		Other:    &Monitor{},
//	}
type Mux struct {
	Discover Handler // DHCPDISCOVER
	Request  Handler // DHCPREQUEST
	Decline  Handler // DHCPDECLINE
	Inform   Handler // DHCPINFORM
	Release  Handler // DHCPRELEASE
	Other    Handler // everything else
}

// ServeDHCP calls the Handler for r's message type.
func (m Mux) ServeDHCP(w ResponseWriter, r *Request) {
	var h Handler
	if r.Packet.Op() == dhcpv4.BootRequest {
		switch r.Packet.MessageType() {
		case dhcpv4.Discover:
			h = m.Discover
		case dhcpv4.Request:
			h = m.Request
		case dhcpv4.Decline:
			h = m.Decline
		case dhcpv4.Inform:
			h = m.Inform
		case dhcpv4.Release:
			h = m.Release
		}
	}
	if h == nil {
		h = m.Other
	}
	if h != nil {
		h.ServeDHCP(w, r)
	}
}
