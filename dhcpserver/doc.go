// Package dhcpserver provides a DHCPv4 server in the shape of net/http: it
// receives messages, hands them to a Handler, and sends the handler's
// replies where RFC 2131 says they must go.
//
// # Quick start
//
// A server that gives one address to whoever asks, refuses requests for
// any other, and stays out of the way of clients that chose another
// server's offer:
//
//	var addr = netip.MustParseAddr("192.0.2.10")
//
//	func static(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
//		switch r.Packet.MessageType() {
//		case dhcpv4.Discover:
//			b := w.Reply(dhcpv4.Offer) // option 54 is r.Local already
//			b.SetYIAddr(addr)
//			b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
//		case dhcpv4.Request:
//			if sid, ok := r.Packet.ServerID(); ok && sid != r.Local {
//				return // the client took another server's offer
//			}
//			if ip, _ := r.Packet.RequestedIP(); ip != addr && r.Packet.CIAddr() != addr {
//				w.Reply(dhcpv4.Nak)
//				return
//			}
//			b := w.Reply(dhcpv4.Ack)
//			b.SetYIAddr(addr)
//			b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
//		}
//	}
//
//	func main() {
//		srv := &dhcpserver.Server{Handler: dhcpserver.HandlerFunc(static)}
//		log.Fatal(srv.ListenAndServe()) // port 67: root or CAP_NET_BIND_SERVICE
//	}
//
// A handler answers by starting a reply with w.Reply and filling in the
// [dhcpv4.Builder] it returns; it stays silent by not calling Reply. The
// reply already carries what RFC 2131 copies from the request and the
// server identifier (option 54), the address the request arrived on;
// AddIP(dhcpv4.OptionServerID, ...) replaces it.
//
// Its test, with package dhcptest: a real server on a free port of
// 127.0.0.1 and a client that goes through DISCOVER, OFFER, REQUEST and
// ACK:
//
//	func TestStatic(t *testing.T) {
//		ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(static))
//		got, err := ts.Client.DORA(1, net.HardwareAddr{2, 0, 0, 0, 0, 1})
//		if err != nil {
//			t.Fatal(err)
//		}
//		if got != addr {
//			t.Errorf("leased %v, want %v", got, addr)
//		}
//	}
//
// dhcptest.NewRecorder tests a handler without sockets (see
// ExampleHandlerFunc). Mux calls one Handler per message type instead
// (DISCOVER, REQUEST, DECLINE, INFORM, RELEASE, and everything else); the
// package example is a server that hands out a pool on it.
//
// # Handlers and middleware
//
// A Handler is called from many goroutines at once, but one client's
// messages are handled one at a time, in order. The Request and its Packet
// belong to the server until the handler returns; Packet.Clone keeps one.
// Request.Value reads an option as a Go value when the server has
// OptionCodecs (Server.Codecs), which an application extends with codecs
// of its own options.
//
// A handler that has to wait for something slow (a disk, a database, a
// peer) after Reply defers its reply: [Defer] takes the reply over, and
// the handler sends it later from any goroutine (see Deferrer). Middleware
// that wraps the ResponseWriter implements Unwrap() ResponseWriter, so
// that Defer still finds the server's Deferrer behind it.
//
// Request.Context is cancelled when the server is closed or stopped, and
// when Shutdown gives up waiting; a handler that finds it cannot go on
// calls Server.Stop with the reason, which ListenAndServe then returns.
//
// Server.ServeConn serves a socket the caller opened (handed over by
// systemd's socket activation, or bound by a test) instead of opening its
// own; on Linux also a net.PacketConn with no socket behind it, a fake
// network for tests.
//
// # Replies
//
// The ResponseWriter hands out a [dhcpv4.Builder] already started as a
// reply to the request. When the handler returns, the server finishes the
// message and picks its route by RFC 2131 §4.1 (see RouteReply): to the
// relay agent in giaddr, broadcast for a NAK, unicast to ciaddr, broadcast
// when the client asked for it, and otherwise unicast to the offered
// address at the client's hardware address. The last case cannot use an
// ordinary UDP send, because the client cannot answer ARP for an address
// it does not have yet: the server writes the IPv4 and UDP headers itself
// and sends the frame through a packet socket on the receiving interface,
// and broadcasts instead where that is impossible (no CAP_NET_RAW, or a
// hardware type other than Ethernet). Broadcasts leave through the
// interface the request arrived on, from the server's address there.
//
// # Watching other servers
//
// A server on port 67 receives what clients and relay agents send it:
// DISCOVER, REQUEST, DECLINE, RELEASE, INFORM, and BOOTP requests. It
// never receives other servers' OFFER, ACK or NAK, which go to port 68
// (broadcast, or unicast to the client) or to a relay agent; Mux.Other
// sees one only when it was relayed or misdirected to port 67. Watching
// them (to detect a rogue server, as ExDhcp's handle_packet does) needs a
// packet socket that reads port 68 on the link without binding it, which
// package github.com/leased/leased/snoop provides: snoop.Listen opens one
// on an interface (CAP_NET_RAW), and its Read returns every DHCP message
// that passes, decoded, in both directions. A handler meant to judge such
// replies can still be tested with a dhcpserver.Server: dhcptest.Rival
// forges another server's reply, and a dhcptest.Client sends it to the
// server under test, where Mux.Other receives it.
//
// # Testing
//
// For tests, port 0 picks a free port (LocalAddr reports it), ClientPort,
// RelayPort and BroadcastAddr redirect replies to a test client on the
// loopback interface, and package dhcptest provides a recorder for handler
// unit tests and a ready-made loopback server and client.
//
// # Sockets
//
// The server listens on 0.0.0.0:67 by default. With Interfaces set it
// opens one socket per interface, bound with SO_BINDTODEVICE; otherwise
// one socket serves them all. Each socket is read by one goroutine with
// recvmmsg(2) into recycled buffers, and the interface, destination and
// local address of every message come from IP_PKTINFO. Port 67 needs
// CAP_NET_BIND_SERVICE, and packet sockets and SO_BINDTODEVICE need
// CAP_NET_RAW.
//
// On FreeBSD and macOS, which have neither packet sockets, recvmmsg nor
// SO_BINDTODEVICE, the server uses ordinary UDP sockets: per named
// interface, one bound to the wildcard address that keeps the broadcasts
// that arrived on that interface (IP_RECVIF says which) and one bound to
// each of the interface's IPv4 addresses, for unicast and relayed
// messages. Broadcasts leave through the request's interface
// (IP_ONESBCAST on FreeBSD, IP_PKTINFO on macOS). A reply RFC 2131 would
// unicast to a client that has no address yet is broadcast instead, as
// Kea does with UDP sockets (HardwareUnicast is false). Building with the
// dhcpserver_udp tag selects this path on Linux too, for its tests.
//
// # Concurrency
//
// By default a fixed pool of workers (Server.Workers) calls the handler.
// Messages are assigned to workers by a hash of the client identifier, or
// of the hardware address when there is none, so one client's messages
// are handled one at a time and in the order they arrived, while other
// clients' messages proceed on other workers: a handler may block, for
// instance until its lease is on disk. Each worker has a short queue; a
// message whose worker's queue is full is dropped and counted, rather
// than answered late. Stats reports these counters.
//
// With Server.Inline, the goroutine that reads a socket calls the handler
// itself and sends the replies to each batch it read with one
// sendmmsg(2): no hand-off, no wake-up of another thread per message,
// which at tens of thousands of messages a second is most of what a
// message costs. A handler must then not block. One that has to wait
// (for a disk, a database, another server) defers its reply instead, as
// net/http's Hijacker lets a handler take over its connection: see
// Deferrer. It returns at once; its reply, its request and their buffers
// stay valid until it calls Send or Cancel from any goroutine, and
// SendAll sends many deferred replies with one system call. Deferral
// works with workers too, and is bounded by Server.MaxDeferred.
//
// An inline reader that leaves the program a spare P (GOMAXPROCS is more
// than the server's sockets) blocks in a raw system call, which the Go
// scheduler does not see, so that it does not hand its P to another
// thread and take it back for every packet. The socket gets a receive
// timeout, which makes the runtime's preemption signal interrupt the call,
// and a busy reader lets other goroutines run on its P every millisecond,
// so that a program with several inline servers holding every P still
// runs its other goroutines.
//
// In steady state the server allocates nothing per message: buffers,
// decoded packets, builders and system-call arguments are all reused,
// also for deferred replies.
package dhcpserver
